"""Every formula, exception, parameter and counted-income entry of the standard cites the article
or point it implements, or says it is an assumption and why; and the counted income is the
income lists' (income.yaml)."""
import pytest
import yaml

from komek.engine.references import assumed, assumption_reason
from komek.kz.standard import INCOME_KINDS, standard
from komek.kz.standard.income import COUNTED_INCOME, CountedIncome
from komek.kz.standard.law import ACTS, cites_article, reference_sites


def test_every_reference_cites_an_article_or_says_why_not():
    bad = []
    for where, ref in reference_sites(standard()):
        reason = assumption_reason(ref)
        if not ref.strip():
            bad.append(f"{where}: no reference")
        elif reason is None and not cites_article(ref):
            bad.append(f"{where}: {ref!r} names no article or point; cite it or mark it [assumption: why]")
        elif reason is not None and not reason:
            bad.append(f"{where}: an assumption with no reason")
    assert not bad, "\n".join(bad)


def test_every_reference_names_an_act_whose_text_read_is_stated():
    unknown = [f"{where}: {ref}" for where, ref in reference_sites(standard())
               if not any(a.key.lower() in ref.lower() for a in ACTS)]
    assert not unknown, "\n".join(unknown)


def test_the_article_test():
    assert cites_article("Social Code, art. 120 para. 4")
    assert cites_article("MLSP order No. 181, point 1")
    assert not cites_article("Social Code, targeted social assistance")
    assert not cites_article(assumed("Social Code, art. 207", "not found in the texts read"))
    assert assumption_reason(assumed("Order No. 117, rules", "the point was not read")) == "the point was not read"
    with pytest.raises(ValueError, match="needs its reason"):
        assumed("Order No. 117, rules", " ")


def test_counted_income_follows_the_lists():
    ps = standard().parameters
    for measure, entries in COUNTED_INCOME.entries.items():
        counted = {e.kind for e in entries if e.counted}
        assert set(ps[f"{measure}.counted_income_kinds"].history[0].value) == counted
        assert {e.kind for e in entries} == set(INCOME_KINDS)       # every registry kind is decided
    tsa = {e.kind for e in COUNTED_INCOME.entries["tsa"] if not e.counted}
    assert tsa == {"tsa", "housing_assistance", "burial_benefit", "child_disability"}
    assert not ps["tsa.counted_income_kinds"].history[0].confirmed     # its bases are assumptions


def test_income_lists_are_checked_when_loaded():
    entry = {"income": "wages", "kind": "wage", "basis": "b"}
    rest = [{"income": k, "kind": k, "basis": "b"} for k in INCOME_KINDS if k != "wage"]
    base = {"label": "l", "from": "2024-01-01"}
    with pytest.raises(ValueError, match="unknown kind 'salary'"):
        CountedIncome.load({"tsa": {**base, "counted": [*rest, {**entry, "kind": "salary"}]}})
    with pytest.raises(ValueError, match=r"counted or not, once: \['wage'\]"):
        CountedIncome.load({"tsa": {**base, "counted": [entry, *rest], "not_counted": [entry]}})
    with pytest.raises(ValueError, match=r"counted or not, once: \['wage'\]"):
        CountedIncome.load({"tsa": {**base, "counted": rest}})
    loaded = CountedIncome.load(yaml.safe_load(yaml.safe_dump({"tsa": {**base, "counted": [entry, *rest]}})))
    assert loaded.parameters["tsa.counted_income_kinds"].history[0].confirmed     # no basis is an assumption
    doubt = {**entry, "basis": assumed("b", "the point was not read")}
    loaded = CountedIncome.load({"tsa": {**base, "counted": [doubt, *rest]}})
    assert not loaded.parameters["tsa.counted_income_kinds"].history[0].confirmed
