"""The household card: what a caseworker reads about one family on a date. Its members (IINs
masked), its vulnerability level and the indicators that put it there, the support measures the
rules give it that month with the article behind each amount, and open audit findings about
its payments, shown as information for a person to weigh, never as a decision. What the source
cannot support is listed as not computed, with the reason.

The household is computed alone with the same inputs and engine as `komek simulate` and
`komek score`, so its amounts and level are theirs.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from komek.audit import config
from komek.audit.listing import Filters, list_findings
from komek.engine import Simulation
from komek.engine.explain import explain
from komek.errors import NotFound
from komek.kz import regions, registry_inputs, summary
from komek.kz.iin import mask
from komek.kz.standard import benefits, rules_version, standard
from komek.registry import DatabaseSource, Source
from komek.scoring import index, method2025
from komek.services.score import TABLES_2025, household_card, household_category, method_of
from komek.services.sources import warnings_for

ROLE_ORDER = {"head": 0, "spouse": 1, "parent": 2, "child": 3, "other": 4}


def prepared(source: Source, household_id: str, on: dt.date) -> registry_inputs.Prepared:
    """The household alone on `on` (not living then: not found), from a source holding its rows."""
    return _prepared(registry_inputs.tables_of(source), household_id, on)


def _prepared(tables: dict[str, pl.LazyFrame], household_id: str, on: dt.date) -> registry_inputs.Prepared:
    """The household alone on `on`: the registry restricted to its people."""
    registry = registry_inputs.Registry(tables, pl.Series([household_id]), dates=[on])
    at = registry.household_positions(pl.Series([household_id]))
    prepared = registry.prepare(on, households=pl.Series(at[at >= 0]))
    if not len(prepared.hid):
        raise NotFound(f"household {household_id!r}: not living on {on} in the registry")
    return prepared


def _members(persons: pl.DataFrame, age: np.ndarray) -> list[dict]:
    rows = sorted((dict(r, age=int(a)) for r, a in zip(persons.iter_rows(named=True), age)),
                  key=lambda r: (ROLE_ORDER.get(r["role"], 9), r["birth_date"], r["iin"]))
    return [{"iin": mask(r["iin"]), "role": r["role"], "sex": r["sex"], "age": r["age"],
             "disability_group": r["disability_group"] or None, "disability_cause": r["disability_cause"] or None,
             "disability": _disability(r["disability_group"], r["disability_cause"])}
            for r in rows]


def _disability(group: str, cause: str) -> str:
    if not group:
        return ""
    named = "disabled child" if group == "child" else f"group {group}"
    return f"{named} ({cause})" if cause else named


def entitlements(sim: Simulation, iins: list[str], not_computed: dict[str, str], lang: str = "en") -> tuple[list[dict], list[dict]]:
    """Each support measure the rules give the household, per member for a person's measure,
    with the article (the exception's, when one decided the amount) and its summary sentence in
    `lang`; and the summary of every measure computed, those at zero with the condition that
    failed (members by their masked IIN)."""
    rules = standard()
    measures = [rules.variables[m] for m in benefits() if m not in not_computed]
    paid = [v.name for v in measures if np.any(sim.calculate(v.name) > 0)]
    why = explain(sim, paid, 0, iins)["variables"] if paid else {}
    sentences = summary.summary(sim, [v.name for v in measures], 0, [mask(i) for i in iins], lang)
    said = {(s["measure"], s["member"]): s["text"] for s in sentences}
    out = []
    for v in measures:
        if v.name not in paid:
            continue
        values = sim.calculate(v.name)
        exceptions = {e["member"]: e for e in why[v.name].get("exceptions_applied", [])}
        for i, amount in enumerate(values if v.entity.is_person else values[:1]):
            if amount <= 0:
                continue
            member = iins[i] if v.entity.is_person else None
            e = exceptions.get(member)
            out.append({"measure": v.name, "label": v.label, "member": mask(member), "amount": round(float(amount), 2),
                        "reference": e["reference"] if e else v.reference, "exception": e["exception"] if e else None,
                        "summary": said.get((v.name, mask(member)))})
    return out, sentences


def open_findings(url: str, household_id: str, checked: bool = False) -> list[dict] | None:
    """Open audit findings on the household's payments (IINs masked); None when the database
    holds no audit (`checked`: the schema is known current; then the list may just be empty)."""
    try:
        frame = list_findings(url, Filters(state="open", household=household_id), checked=checked)
    except NotFound:          # no audit saved in this database
        return None
    titles = {k: v["title"] for k, v in config()["checks"].items()} | {"anomaly": config()["anomalies"]["title"]}
    return [{"finding_id": r["finding_id"], "check": r["check"], "title": titles.get(r["check"], r["check"]),
             "month": r["month"], "measure": r["measure"], "member": r["iin"],
             "amount_paid": None if r["amount_paid"] is None else float(r["amount_paid"])}
            for r in frame.iter_rows(named=True)]


def card(source: Source, household_id: str, on: dt.date, findings_from: str | None = None,
         checked: bool = False, lang: str = "en", inputs: registry_inputs.Prepared | None = None,
         method: str = "index") -> dict:
    """The card of one household on `on` as plain data (JSON-able); `findings_from` is a
    database URL with saved audit findings, if there is one; the summary sentences in `lang`;
    `inputs`: the household already `prepared` from this source. The index's level is always
    there; with method "2025" the card carries the 2025 method's category too (`category`)."""
    summary.translations(lang)
    method_of(method)
    if isinstance(source, DatabaseSource):      # the household's rows by indexed queries, not the whole registry
        source = source.household(household_id, TABLES_2025 if method == "2025" else registry_inputs.TABLES)
    tables = registry_inputs.tables_of(source)
    cover = registry_inputs.coverage(tables)
    inputs = inputs or _prepared(tables, household_id, on)
    persons, households = inputs.frames()
    p, h, group_of = inputs.engine()
    sim = Simulation(standard(), on, p, h, group_of)
    support, sentences = entitlements(sim, persons["iin"].to_list(), cover.not_computed, lang)
    facts = index.household_facts(persons, households, on).row(0, named=True)
    level = household_card(index.score(persons, households, on, tables), household_id, index.unknown(tables), facts, on)
    category = None
    if method == "2025":
        assets = source.scan("assets") if source.has("assets") else None
        present = [*tables, *(["assets"] if assets is not None else [])]
        category = household_category(method2025.score(persons, households, on, present, assets), household_id,
                                      method2025.unknown(present))
    region = households["region_code"][0]
    return {"household_id": household_id, "date": on.isoformat(), "region_code": region,
            "region": regions().get(region, {}).get("name"), "members": _members(persons, sim.calculate("age")), **level,
            "method": method, "category": category,
            "summary": sentences, "entitlements": support, "total_support": round(sum(e["amount"] for e in support), 2),
            "not_computed": {m: why for m, why in cover.not_computed.items() if m in benefits()},
            "assumptions": {m: a for m, a in cover.assumptions.items() if m in benefits()},
            "warnings": warnings_for(source, on, sim.warnings),
            "rules_version": rules_version(),
            "findings": open_findings(findings_from, household_id, checked) if findings_from else None}
