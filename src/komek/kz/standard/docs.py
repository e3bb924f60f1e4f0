"""docs/measures.md: the Kazakhstan standard's measures, generated from the rules."""
import datetime as dt

from komek.engine.docs import measures_markdown
from komek.kz.standard import standard
from komek.kz.standard.law import texts_read

DOC_DATE = dt.date(2026, 1, 1)


def markdown() -> str:
    return measures_markdown(standard(), "The measures of the unified standard (Kazakhstan)", DOC_DATE, texts_read())
