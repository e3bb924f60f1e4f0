"""`komek monitor`: the monitoring of public services for a month, as tables or JSON: per region
the applications, decisions on time and working days to a decision, the alerts, and the requests."""
from __future__ import annotations

import json
from typing import Annotated, Optional

import typer
from rich.table import Table

from komek.cli.common import Database, DataDir, config, console, user_errors


def _n(v) -> str:
    return "" if v is None else f"{v:.1%}" if isinstance(v, float) and v <= 1 and not isinstance(v, bool) else f"{v:,}"


def monitor(month: Annotated[str, typer.Option(help="The month, YYYY-MM")],
            region: Annotated[Optional[str], typer.Option(help="One region's KATO code")] = None,
            measure: Annotated[Optional[str], typer.Option(help="One support measure")] = None,
            as_json: Annotated[bool, typer.Option("--json", help="The whole result as JSON (the API's)")] = False,
            data_dir: DataDir = None, database: Database = None) -> None:
    """Applications, decisions within the deadline, working days to a decision, open and overdue
    applications and requests by region for a month, and the regions whose on-time share is below
    the threshold. Aggregates only: cells of fewer than ten suppressed."""
    with user_errors():
        from komek.services.monitoring import figures
        out = figures(config(data_dir, database).database, month, [region] if region else None, measure)
        if as_json:
            console.print_json(json.dumps(out, default=str))
            return
        state = "" if out["complete"] else f", to {out['as_of']} (the month is not over)"
        t = Table(title=f"Public services, {month}{state}")
        cols = ("region_code", "applications", "decisions", "on_time_share", "median_working_days",
                "p90_working_days", "open_at_end", "overdue_at_end", "appeals_decided", "overturned_share")
        for c in cols:
            t.add_column(c.replace("_", " "), justify="left" if c == "region_code" else "right")
        for r in out["by_region"]:
            t.add_row(*(r["region_code"] if c == "region_code" else "suppressed" if r[c] is None and r["suppressed"]
                        else _n(r[c]) if c != "median_working_days" or r[c] is None else f"{r[c]:g}" for c in cols))
        console.print(t)
        n = out["national"]
        share = f"{n['on_time'] / n['decisions']:.1%}" if n["decisions"] else "no decisions"
        console.print(f"National: {n['applications']:,} applications, {n['decisions']:,} decisions, on time {share}, "
                      f"{n['overdue_at_end']:,} open and overdue at {out['as_of']}")
        rule = out["threshold"]
        if not out["alerts"]:
            console.print(f"No region below {rule['threshold']:.0%} on time (among {rule['min_decisions']} decisions or more).")
        for a in out["alerts"]:
            console.print(f"[bold red]alert[/] region {a['region_code']}: {a['on_time_share']:.1%} on time of "
                          f"{a['decisions']:,} decisions, below {a['threshold']:.0%}"
                          + (f"; measures below: {', '.join(a['measures_below'])}" if a["measures_below"] else ""))
        console.print(f"[dim]threshold: {rule['assumption']}[/]")
