"""Generated documents stay in step with the code they describe. Regenerate with:
    python -c "from komek.kz.standard.docs import markdown; open('docs/measures.md','w').write(markdown())"
    python -c "import json; from komek.services.calc import situation_schema; \
json.dump(situation_schema(), open('docs/situation.schema.json','w'), indent=2, ensure_ascii=False)"
"""
import json
from pathlib import Path

from komek.kz.standard.docs import markdown
from komek.services.calc import calculate, situation_schema

DOCS = Path(__file__).parents[1] / "docs"


def test_measures_doc_is_current():
    assert (DOCS / "measures.md").read_text("utf-8") == markdown()


def test_situation_schema_is_current():
    assert json.loads((DOCS / "situation.schema.json").read_text("utf-8")) == situation_schema()


def test_documented_example_computes():
    result = calculate(json.loads((DOCS / "examples" / "situation.json").read_text("utf-8")))
    assert result["household"]["housing_assistance"] == 15259
