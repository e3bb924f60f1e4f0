"""The terminal's view of what the services return: Rich tables, and the lines that say what was
not computed, on what assumptions, and with which warnings."""
from __future__ import annotations

import polars as pl
from rich import box
from rich.markup import escape
from rich.table import Table

from komek.audit.run import AuditResult
from komek.registry.report import COUNTS, IngestionReport
from komek.scoring import index, method2025
from komek.services.audit import by_check
from komek.services.impact import Impact, moves
from komek.services.simulate import SimulationRun, national


def notes(not_computed: dict[str, str] | None = None, assumptions: dict[str, list[str]] | None = None,
          warnings: list[str] | None = None, label: str = "not computed") -> list[str]:
    """Lines for what could not be computed (or run) and why, what rests on assumptions, and warnings."""
    out = [f"[yellow]{label}[/] {name}: {why}" for name, why in (not_computed or {}).items()]
    assumed = sorted({a for items in (assumptions or {}).values() for a in items})
    out += [f"[dim]assumption:[/] {a}" for a in assumed]
    out += [f"[bold yellow]warning:[/] {w}" for w in warnings or []]
    return out


def generation_table(summary) -> Table:
    t = Table(title=f"Synthetic extract: {summary.households:,} households, {summary.persons:,} people "
                    f"in {summary.seconds:.1f} s (payments not timed)")
    t.add_column("table")
    t.add_column("rows", justify="right")
    for name, n in summary.rows.items():
        t.add_row(name, f"{n:,}")
    return t


def validation_table(extract) -> Table:
    t = Table(title=f"Validation of {extract.folder}")
    for col in ("table", "rows", "valid", "quarantined", "main reasons"):
        t.add_column(col, justify="right" if col in ("rows", "valid", "quarantined") else "left")
    for name, r in extract.tables.items():
        reasons = ", ".join(f"{k} ({v})" for k, v in list(r.reasons().items())[:3])
        t.add_row(name, f"{r.rows_read:,}", f"{r.valid.height:,}", f"{r.rows_quarantined:,}", reasons)
    for name in extract.absent:
        t.add_row(name, "", "", "", "[yellow]not sent: not known[/]")
    return t


def absent_lines(cannot: dict[str, list[str]]) -> list[str]:
    """For each optional table not sent, what cannot be computed without it."""
    return [f"[yellow]{table} not sent[/] (not known): cannot compute {', '.join(what) if what else 'nothing else'}"
            for table, what in cannot.items()]


def ingestion_table(report: IngestionReport) -> Table:
    out = Table(title=f"Ingestion of {report.folder} (as of {report.as_of}): {report.status}")
    out.add_column("table")
    for c in COUNTS:
        out.add_column(c.replace("_", " "), justify="right")
    for t in report.tables.values():
        out.add_row(t.table, *(f"{getattr(t, c):,}" for c in COUNTS),
                    style="yellow" if t.quarantined or t.unknown_persons else None)
    out.add_row("total", *(f"{v:,}" for v in report.totals.values()), style="bold", end_section=True)
    for reason, n in report.reasons.items():
        out.add_row(f"[dim]{reason}[/dim]", "", "", "", "", f"{n:,}", "")
    if report.error:
        out.caption = f"[red]{report.error}[/red]"
    return out


def summary_table(run: SimulationRun) -> Table:
    left_out = f"; rows left out as invalid: {run.quarantined}" if run.quarantined else ""
    t = Table(title=f"Measures for {run.month:%Y-%m}: {run.counts['households']:,} households, "
                    f"{run.counts['persons']:,} people{left_out}")
    for col in ("measure", "recipients", "monthly amount, tenge"):
        t.add_column(col, justify="left" if col == "measure" else "right")
    for m, n, amount in national(run.summary).iter_rows():
        if m in run.not_computed:
            t.add_row(m, "[yellow]not computed[/]", "[yellow]not computed[/]")
        else:
            t.add_row(m, f"{n:,}", f"{amount:,.0f}")
    return t


def comparison_table(table: pl.DataFrame, title: str) -> Table:
    t = Table(title=title)
    for col in ("measure", "recipients", "reform", "monthly tenge", "reform", "change"):
        t.add_column(col, justify="left" if col == "measure" else "right")
    shown = lambda v, f: "not computed" if v is None else format(v, f)  # noqa: E731
    for m, rb, sb, rr, sr, ch in table.select("measure", "recipients_base", "spending_base", "recipients_reform",
                                              "spending_reform", "change").iter_rows():
        t.add_row(m, shown(rb, ","), shown(rr, ","), shown(sb, ",.0f"), shown(sr, ",.0f"), shown(ch, "+,.0f"))
    return t


def impact_lines(effect: Impact) -> list[str]:
    """The reform's effect on poverty, inequality and levels (services.impact), in a few lines."""
    if effect.not_computed:
        return [f"[yellow]impact not computed[/]: {effect.not_computed}"]
    nat = effect.poverty.filter(pl.col("region_code") == "all").row(0, named=True)
    g = {k: "not computed" if v is None else f"{v:.4f}" for k, v in effect.gini.items()}
    m = moves(effect.levels)
    return [f"poverty (below {effect.poverty_line:,.0f} tenge per person): {nat['headcount_before']:.2f}% -> "
            f"{nat['headcount_after']:.2f}% of people, gap {nat['gap_before']:.3f}% -> {nat['gap_after']:.3f}%",
            f"Gini of per-capita disposable income: {g['before']} -> {g['after']}",
            f"households by level: {m['better']:,} towards A, {m['worse']:,} towards E, {m['same']:,} the same",
            f"[dim]{effect.weight_basis}[/]"]


def audit_table(result: AuditResult) -> Table:
    bad = f"; payments left out (unknown person or measure): {result.problems.height:,}" if result.problems.height else ""
    t = Table(title=f"Audit of {result.payments:,} payments: {result.findings.height:,} findings, "
                    f"{result.anomalies.height:,} unusual recipients apart{bad}")
    for col in ("check", "severity", "findings", "people", "amount at risk, tenge"):
        t.add_column(col, justify="left" if col in ("check", "severity") else "right")
    for check, _, severity, n, people, risk in by_check(result.findings).iter_rows():
        t.add_row(check, severity, f"{n:,}", f"{people:,}", f"{risk:,.0f}")
    for check, _why in result.not_run.items():
        t.add_row(check, "", "[yellow]not run[/]", "", "", end_section=False)
    return t


def findings_table(frame: pl.DataFrame, total: int) -> Table:
    """The findings list as an auditor reads it; `frame` comes from listing.list_findings (masked)."""
    shown = f"{frame.height:,} of {total:,}" if total > frame.height else f"{total:,}"
    t = Table(title=f"Findings ({shown}), most severe and largest at risk first; IINs masked",
              box=box.SIMPLE_HEAD, pad_edge=False)
    for col in ("finding", "check", "severity", "state", "month", "region", "measure", "IIN", "at risk, tenge"):
        # Ids and IINs whole (an auditor copies them into `komek review` or a search); the rest folds.
        t.add_column(col, justify="right" if col.startswith("at risk") else "left", no_wrap=col in ("finding", "IIN"),
                     overflow="fold", min_width={"finding": 17, "IIN": 12}.get(col))
    for r in frame.iter_rows(named=True):
        t.add_row(r["finding_id"], r["check"], r["severity"], r["review_state"], r["month"] or "", r["region_code"] or "",
                  r["measure"] or "", r["iin"], f"{float(r['amount_at_risk']):,.0f}")
    return t


def findings_summary_table(frame: pl.DataFrame) -> Table:
    """Per check (listing.summary): findings, amount at risk, and how the review stands."""
    t = Table(title="Findings by check: amount at risk and review")
    for col in ("check", "findings", "at risk, tenge", "open", "confirmed", "dismissed", "dismissed of reviewed"):
        t.add_column(col, justify="left" if col == "check" else "right")
    pct = lambda v: "" if v is None else f"{100 * v:.0f}%"  # noqa: E731
    for r in frame.sort("amount_at_risk", descending=True).iter_rows(named=True):
        t.add_row(r["check"], f"{r['findings']:,}", f"{r['amount_at_risk']:,.0f}", pct(r["open_share"]),
                  pct(r["confirmed_share"]), pct(r["dismissed_share"]), pct(r["dismissed_of_reviewed"]))
    return t


def distribution_table(levels: pl.DataFrame) -> Table:
    ix = index.load_index()
    d = index.distribution(levels, by=None).row(0, named=True)
    t = Table(title=f"Vulnerability levels (index {ix.version}): {levels.height:,} households")
    for col in ("level", "", "households", "share"):
        t.add_column(col, justify="left" if col in ("level", "") else "right")
    for lv, label, _ in ix.levels:
        t.add_row(lv, label, f"{d[lv]:,}", f"{d[lv + ' %']:.1f}%")
    if d[index.NOT_KNOWN]:
        t.add_row("", "[yellow]not known[/]", f"{d[index.NOT_KNOWN]:,}", f"{d[index.NOT_KNOWN + ' %']:.1f}%")
    return t


def categories_table(categories: pl.DataFrame) -> Table:
    """Households per category of the 2025 method, and how many of each are provisional."""
    m = method2025.load_method()
    t = Table(title=f"Categories of the 2025 method ({m.version}, 1 extreme need ... 6 high welfare): "
                    f"{categories.height:,} households")
    for col in ("category", "", "households", "share", "provisional"):
        t.add_column(col, justify="left" if col in ("category", "") else "right")
    counts = {c: (n, p) for c, n, p in categories.group_by("category").agg(pl.len(), pl.col("provisional").sum()).iter_rows()}
    for c, label in [*m.categories, (None, "[yellow]not known[/]")]:
        n, p = counts.get(c, (0, 0))
        if c is not None or n:
            t.add_row("" if c is None else str(c), label, f"{n:,}", f"{100 * n / max(categories.height, 1):.1f}%", f"{p:,}")
    return t


def category_table(c: dict) -> Table:
    """The card's category of the 2025 method: every criterion with its step, holds or not known."""
    if c["category"] is None:
        title = f"2025 method: category not known ({c['income_not_known'] or 'no income'})"
    else:
        title = f"2025 method: category {c['category']} ({c['category_label']}), from {c['base_category']} by income"
        if c["provisional"]:
            title += f"; provisional, {c['category_low']} to {c['category_high']} with what is not known"
    t = Table(title=title)
    for col in ("component", "criterion", "step", "holds"):
        t.add_column(col, justify="right" if col == "step" else "left")
    for x in c["criteria"]:
        holds = "[yellow]not known[/]" if x["holds"] is None else "yes" if x["holds"] else "no"
        t.add_row(x["component"], x["label"], f"{x['step']:+d}", holds)
    return t


def card_table(card: dict) -> list:
    """The card for the terminal: Rich tables of its members, level, support and findings."""
    region = f"{card['region']} ({card['region_code']})"
    level = (f"level {card['level']} ({card['level_label']}), score {card['score']:.2f}" if card["level"]
             else "level not known")
    head = Table(title=f"Household {card['household_id']}, {region}, {card['date']}: {level}; IINs masked")
    for col in ("IIN", "role", "sex", "age", "disability"):
        head.add_column(col, justify="right" if col == "age" else "left")
    for m in card["members"]:
        head.add_row(m["iin"], m["role"], m["sex"], str(m["age"]), m["disability"])
    why = Table(title="Deprived in")
    for col in ("domain", "indicator", "weight"):
        why.add_column(col, justify="right" if col == "weight" else "left")
    for d in card["deprived"]:
        why.add_row(d["domain"], d["label"], f"{d['weight']:.2f}")
    for d in card["not_computed_indicators"]:
        why.add_row("", f"{d['label']} [yellow]not computed[/]", "")
    support = Table(title=f"Support this month: {card['total_support']:,.2f} tenge")
    for col in ("measure", "to", "tenge", "article"):
        support.add_column(col, justify="right" if col == "tenge" else "left")
    for e in card["entitlements"]:
        article = e["reference"] + (f" (exception: {e['exception']})" if e["exception"] else "")
        support.add_row(e["measure"], e["member"] or "household", f"{e['amount']:,.2f}", article)
    for m in card["not_computed"]:
        support.add_row(m, "", "[yellow]not computed[/]", card["not_computed"][m])
    out = [head, why, *([category_table(card["category"])] if card.get("category") else []), support,
           *(f"* {escape(s['text'])}" for s in card.get("summary", []))]
    if card["findings"]:
        found = Table(title="Open audit findings (information, not a decision)")
        for col in ("check", "month", "measure", "paid to", "tenge paid"):
            found.add_column(col, justify="right" if col == "tenge paid" else "left")
        for f in card["findings"]:
            found.add_row(f["check"], f["month"] or "", f["measure"] or "", f["member"],
                          "" if f["amount_paid"] is None else f"{f['amount_paid']:,.2f}")
        out.append(found)
    return out + notes(assumptions=card["assumptions"], warnings=card["warnings"])


def facts_table(title: str, facts: dict[str, str]) -> Table:
    t = Table(title=title, show_header=False)
    for k, v in facts.items():
        t.add_row(k, v)
    return t
