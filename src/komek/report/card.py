"""The household card as one self-contained HTML page, in the report's template and style.
It takes the card's data (`services.card.card`), where every IIN is already masked."""
from __future__ import annotations

import html
from pathlib import Path

import polars as pl

from komek.report import Section, table, write_report


def _frame(rows: list[dict], columns: dict[str, str]) -> pl.DataFrame:
    """Rows (never none) as a frame with readable column names (key -> heading), in that order."""
    return pl.DataFrame([{h: r.get(k) for k, h in columns.items()} for r in rows])


def _items(title: str, items: list[str]) -> str:
    return f"<p>{title}</p><ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>" if items else ""


def sections(card: dict) -> list[Section]:
    if card["level"] is None:
        level = ("<p>Level <strong>not known</strong>: indicators the level rests on could not be computed from the "
                 "registry's data (below), so no level is given rather than one that reads better or worse than the "
                 "family is.</p>")
    else:
        level = (f"<p>Level <strong>{card['level']}</strong> ({html.escape(card['level_label'])}), score "
                 f"{card['score']:.2f} on the vulnerability index version {html.escape(card['index_version'])}: the sum "
                 "of the weights of the indicators below. A level guides a caseworker's attention and offers; it decides "
                 "nothing by itself.</p>")
    level += _income(card)
    level += _items("Not computed:", [f"{i['label']}: {i['why']}" for i in card.get("not_computed_indicators", [])])
    level += (table(_frame(card["deprived"], {"domain": "domain", "label": "indicator", "weight": "weight", "why": "why it counts"}),
                    caption="Indicators the household is deprived in")
              if card["deprived"] else "<p>The household is deprived in none of the indicators.</p>")
    if card.get("indicators"):
        rows = [dict(i, state="not known" if i["deprived"] is None else "deprived" if i["deprived"] else "no")
                for i in card["indicators"]]
        level += table(_frame(rows, {"domain": "domain", "label": "indicator", "value": "the family's value",
                                     "threshold": "deprived when", "state": "deprived", "weight": "weight"}),
                       caption="Every indicator: the family's value against its threshold")
    support = [dict(e, to=e["member"] or "household",
                    article=e["reference"] + (f" (exception: {e['exception']})" if e["exception"] else "")) for e in card["entitlements"]]
    body = ("<p>What the rules give the household for the month, from the registry's records (as "
            "<code>komek simulate</code> computes it). What is paid depends on applications.</p>")
    body += _items("In short:", [s["text"] for s in card.get("summary", [])])
    body += (table(_frame(support, {"label": "measure", "to": "to", "amount": "tenge a month", "article": "article"}),
                   caption=f"Support for {card['date'][:7]}: {card['total_support']:,.2f} tenge in all")
             if support else "<p>No support measure applies this month.</p>")
    body += _items("Not computed (the data is not in the registry's source):",
                   [f"{m}: {why}" for m, why in card.get("not_computed", {}).items()])
    body += _items("Computed on stated assumptions:", sorted({a for v in card.get("assumptions", {}).values() for a in v}))
    body += _items("Warnings:", card.get("warnings", []))
    category = [Section("category", f"2025 method: category {c['category'] or 'not known'}", _category(c))
                for c in [card.get("category")] if c]
    return [Section("members", "Members", table(
                _frame(card["members"], {"iin": "IIN (masked)", "role": "role", "sex": "sex", "age": "age", "disability": "disability"}),
                caption=f"Members on {card['date']}")),
            Section("level", f"Level {card['level']}: {card['level_label']}", level), *category,
            Section("support", "Support this month", body),
            Section("findings", "Audit information", _findings(card["findings"]))]


def _category(c: dict) -> str:
    """The 2025 method's category: from the income base, each criterion's step, what is not known."""
    if c["category"] is None:
        out = (f"<p>Category <strong>not known</strong>: the income the category starts from is not known "
               f"({html.escape(c['income_not_known'] or 'no income')}).</p>")
    else:
        out = (f"<p>Category <strong>{c['category']}</strong> ({html.escape(c['category_label'])}) of the 2025 "
               f"vulnerability and sustainability method (version {html.escape(c['method_version'])}; 1 extreme need "
               f"... 6 high welfare, the opposite direction of the levels A-E): income per member at "
               f"{c['income_ratio']:.2f} times the poverty line gives category {c['base_category']}, and each criterion "
               "that holds moves it by its step. Every criterion and threshold is an assumption (the order's list is "
               "not published).</p>")
        if c["provisional"]:
            out += (f"<p><strong>Provisional</strong>: with the criteria not known the category could be "
                    f"{c['category_low']} to {c['category_high']}.</p>")
    rows = [dict(x, state="not known" if x["holds"] is None else "yes" if x["holds"] else "no",
                 why=x["why"] + (f" Not known: {x['not_known_because']}." if x["not_known_because"] else ""))
            for x in c["criteria"]]
    return out + table(_frame(rows, {"component": "component", "label": "criterion", "step": "step",
                                     "state": "holds", "why": "why it counts"}), caption="Every criterion of the 2025 method")


def _income(card: dict) -> str:
    """The per-capita income against the poverty line, the floor it sets, and what a worse level would take."""
    inc, out = card.get("income") or {}, ""
    if inc.get("per_capita_income") is None:
        out += "<p>Per-capita income against the poverty line: not known (the registry's incomes are not in the source).</p>"
    else:
        side = "below" if inc["below_poverty_line"] else "not below"
        out += (f"<p>Per-capita income {inc['per_capita_income']:,.0f} tenge a month (income counted for TSA, the quarter "
                f"before, per member) is <strong>{side}</strong> the poverty line of {inc['poverty_line']:,.0f} tenge.</p>")
    for f in card.get("floors", []):
        out += (f"<p>Below the poverty line the level is at least {html.escape(f['level'])}, whatever the score: "
                f"{html.escape(f['why'])} ({html.escape(f['reference'])})</p>")
    nxt = card.get("next_level")
    if nxt and card["level"] is not None:
        floor = "" if inc.get("below_poverty_line") is None else (
            "; the poverty line's floor does not lower it" if not card.get("floors") else "")
        counted = ", ".join(f"{html.escape(c['label'].lower())} ({c['weight']:.2f})" for c in nxt["counted"]) or "none"
        reach = [i["label"].lower() for i in nxt["each_would_reach"]]
        tail = ("" if not reach else "; any deprivation more would reach it"
                if len(reach) + len(nxt["counted"]) == len(card.get("indicators") or ()) else
                f"; one of these alone would reach it: {html.escape(', '.join(reach))}")
        out += (f"<p>Why not lower: the deprivations counted are {counted}, a score of {card['score']:.2f}. Level "
                f"{html.escape(nxt['level'])} ({html.escape(nxt['label'])}) starts at {nxt['from_score']:.2f}, "
                f"{nxt['short_by']:.2f} more than the family's{floor}{tail}"
                + ". The table below shows each indicator's value against its threshold.</p>")
    return out


def _findings(found: list[dict] | None) -> str:
    if found is None:
        return "<p>No audit was read for this card (no registry database with saved findings).</p>"
    note = ("<p>For information only. An auditor is looking at these payments to the household; a finding is a "
            "reason to look, never a sanction, and changes nothing the family is entitled to.</p>")
    if not found:
        return "<p>No open audit finding about the household's payments.</p>"
    return note + table(_frame(found, {"title": "what is being looked at", "month": "month", "measure": "measure",
                                       "member": "paid to (masked)", "amount_paid": "tenge paid", "finding_id": "finding"}),
                        caption="Open audit findings")


def write_card(card: dict, path: Path) -> Path:
    """The card as a self-contained HTML page at `path`."""
    facts = {"Household": card["household_id"], "Region": f"{card['region']} ({card['region_code']})", "Date": card["date"],
             "Level": f"{card['level']} ({card['level_label']}), score {card['score']:.2f}" if card["level"] else "not known",
             "Support this month": f"{card['total_support']:,.2f} tenge", "Rules": card["rules_version"]}
    return write_report(Path(path), f"Household {card['household_id']}: level {card['level'] or 'not known'}",
                        sections(card), facts)
