"""`komek offers`: the scan an operator runs after each `komek ingest` (offers for the events the
newest extract shows, their SMS written), and the sweep that lapses unanswered offers (a timer or
cron, like the appointments' sweep)."""
from __future__ import annotations

import time
from typing import Annotated

import typer

from komek.cli.common import Database, DataDir, config, console, user_errors

offers_app = typer.Typer(help="Proactive offers: the scan after an ingest, the sweep of lapsed offers.", no_args_is_help=True)


@offers_app.command("scan")
def scan(data_dir: DataDir = None, database: Database = None) -> None:
    """Find the events of the latest extract (since the previous one), compute each with the rules and make the offers."""
    with user_errors():
        from komek.services.offers import scan as run
        done = run(config(data_dir, database).database)
        console.print(f"extract of {done['as_of']}, events since {done['previous_as_of']} ({done['previous_from']}): "
                      + (", ".join(f"{n} {kind}" for kind, n in done["events"].items()) or "none"))
        console.print(f"{done['offers']} offers made ({done['sent']} sent, {done['not_sent']} not sent: no phone known), "
                      f"{done['seen_before']} seen before, {done['not_entitled']} not entitled")
        for why, n in done["not_known"].items():
            console.print(f"{n} not known: {why}")


@offers_app.command("sweep")
def sweep(every: Annotated[float, typer.Option(min=0, help="Seconds between sweeps; 0: sweep once and exit")] = 0,
          data_dir: DataDir = None, database: Database = None) -> None:
    """Lapse every offer unanswered after its reply-by day."""
    with user_errors():
        from komek.services.offers import sweep as run
        url = config(data_dir, database).database
        while True:
            console.print(f"{run(url)} offers lapsed")
            if not every:
                return
            time.sleep(every)
