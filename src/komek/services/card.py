"""The household card: what a caseworker reads about one family on a date. Its members (IINs
masked), its vulnerability level and the indicators that put it there, the support measures the
rules give it that month with the article behind each amount, and open audit findings about
its payments, shown as information for a person to weigh, never as a decision.

The household is computed alone with the same inputs and engine as `komek simulate` and
`komek score`, so its amounts and level are theirs.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl

from komek.kz.iin import mask


def _frames(tables: dict[str, pl.LazyFrame], household_id: str, on: dt.date) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The household's input frames; only its region is built, which keeps one card fast."""
    from komek.kz import registry_inputs
    found = registry_inputs.households_on(tables, on).filter(pl.col("household_id") == household_id).collect()
    if found.is_empty():
        raise ValueError(f"household {household_id!r}: not living on {on} in the registry")
    persons, households = registry_inputs.build(tables, on, found["region_code"].to_list())
    return (persons.filter(pl.col("household_id") == household_id),
            households.filter(pl.col("household_id") == household_id))


def _age(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _members(persons: pl.DataFrame, on: dt.date) -> list[dict]:
    order = {"head": 0, "spouse": 1, "parent": 2, "child": 3, "other": 4}
    rows = sorted(persons.iter_rows(named=True), key=lambda r: (order.get(r["role"], 9), r["birth_date"], r["iin"]))
    return [{"iin": mask(r["iin"]), "role": r["role"], "sex": r["sex"], "age": _age(r["birth_date"], on),
             "disability_group": r["disability_group"] or None, "disability_cause": r["disability_cause"] or None,
             "disability": _disability(r["disability_group"], r["disability_cause"])}
            for r in rows]


def _disability(group: str, cause: str) -> str:
    if not group:
        return ""
    named = "disabled child" if group == "child" else f"group {group}"
    return f"{named} ({cause})" if cause else named


def entitlements(persons: pl.DataFrame, households: pl.DataFrame, on: dt.date) -> list[dict]:
    """Each support measure the rules give the household on `on`, per member for a person's
    measure, with the article (the exception's, when one decided the amount)."""
    from komek.engine import Simulation
    from komek.engine.explain import explain
    from komek.kz import registry_inputs
    from komek.kz.standard import CONTRIBUTIONS, standard
    rules = standard()
    p, h, group_of = registry_inputs.arrays(persons, households)
    sim = Simulation(rules, on, p, h, group_of)
    iins = persons["iin"].to_list()
    measures = [v for v in rules.measures() if v.name not in CONTRIBUTIONS]
    paid = [v.name for v in measures if np.any(sim.calculate(v.name) > 0)]
    why = explain(sim, paid, 0, iins)["variables"] if paid else {}
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
                        "reference": e["reference"] if e else v.reference, "exception": e["exception"] if e else None})
    return out


def open_findings(url: str, household_id: str) -> list[dict] | None:
    """Open audit findings on the household's payments (IINs masked); None when the database
    holds no audit."""
    from komek.audit import config
    from komek.audit.listing import Filters, list_findings
    try:
        frame = list_findings(url, Filters(state="open", household=household_id))
    except ValueError:          # no audit saved in this database
        return None
    titles = {k: v["title"] for k, v in config()["checks"].items()} | {"anomaly": config()["anomalies"]["title"]}
    return [{"finding_id": r["finding_id"], "check": r["check"], "title": titles.get(r["check"], r["check"]),
             "month": r["month"], "measure": r["measure"], "member": r["iin"],
             "amount_paid": None if r["amount_paid"] is None else float(r["amount_paid"])}
            for r in frame.iter_rows(named=True)]


def card(tables: dict[str, pl.LazyFrame], household_id: str, on: dt.date, findings_from: str | None = None) -> dict:
    """The card of one household on `on` as plain data (JSON-able); `findings_from` is a
    database URL with saved audit findings, if there is one."""
    from komek.kz import regions
    from komek.scoring import index
    from komek.services.calc import rules_version
    from komek.services.score import household_card
    persons, households = _frames(tables, household_id, on)
    level = household_card(index.score(persons, households, on), household_id)
    support = entitlements(persons, households, on)
    region = households["region_code"][0]
    return {"household_id": household_id, "date": on.isoformat(), "region_code": region,
            "region": regions().get(region, {}).get("name"), "members": _members(persons, on), **level,
            "entitlements": support, "total_support": round(sum(e["amount"] for e in support), 2),
            "rules_version": rules_version(),
            "findings": open_findings(findings_from, household_id) if findings_from else None}


def sample_cards(tables: dict[str, pl.LazyFrame], levels: pl.DataFrame, on: dt.date, folder: Path,
                 findings_from: str | None = None) -> dict[str, Path]:
    """One card per level (the household with the lowest id), written to `folder`: level -> file."""
    from komek.report.card import write_card
    first = levels.sort("household_id").group_by("level", maintain_order=True).first().sort("level")
    return {lv: write_card(card(tables, hid, on, findings_from), Path(folder) / f"{hid}.html")
            for lv, hid in first.select("level", "household_id").iter_rows()}


def tables_for(extract: Path | None, database: str | None) -> dict[str, pl.LazyFrame]:
    """The registry tables from an extract folder, or from the registry database."""
    from sqlalchemy import inspect

    from komek.kz import registry_inputs
    from komek.registry.db import engine
    if extract is not None:
        return registry_inputs.scan(Path(extract))
    if not inspect(engine(database)).has_table("persons"):
        raise ValueError("the registry database is empty: run `komek migrate` and `komek ingest EXTRACT` first")
    return registry_inputs.scan_database(database)


def card_table(card: dict) -> list:
    """The card for the terminal: Rich tables of its members, level, support and findings."""
    from rich.table import Table
    region = f"{card['region']} ({card['region_code']})"
    head = Table(title=f"Household {card['household_id']}, {region}, {card['date']}: level {card['level']} "
                       f"({card['level_label']}), score {card['score']:.2f}; IINs masked")
    for col in ("IIN", "role", "sex", "age", "disability"):
        head.add_column(col, justify="right" if col == "age" else "left")
    for m in card["members"]:
        head.add_row(m["iin"], m["role"], m["sex"], str(m["age"]), m["disability"])
    why = Table(title="Deprived in")
    for col in ("domain", "indicator", "weight"):
        why.add_column(col, justify="right" if col == "weight" else "left")
    for d in card["deprived"]:
        why.add_row(d["domain"], d["label"], f"{d['weight']:.2f}")
    support = Table(title=f"Support this month: {card['total_support']:,.2f} tenge")
    for col in ("measure", "to", "tenge", "article"):
        support.add_column(col, justify="right" if col == "tenge" else "left")
    for e in card["entitlements"]:
        article = e["reference"] + (f" (exception: {e['exception']})" if e["exception"] else "")
        support.add_row(e["measure"], e["member"] or "household", f"{e['amount']:,.2f}", article)
    out = [head, why, support]
    if card["findings"]:
        found = Table(title="Open audit findings (information, not a decision)")
        for col in ("check", "month", "measure", "paid to", "tenge paid"):
            found.add_column(col, justify="right" if col == "tenge paid" else "left")
        for f in card["findings"]:
            found.add_row(f["check"], f["month"] or "", f["measure"] or "", f["member"],
                          "" if f["amount_paid"] is None else f"{f['amount_paid']:,.2f}")
        out.append(found)
    return out
