"""`komek appointments`: the sweep an operator runs every minute (a timer or cron): holds past
their time are marked expired, and every fee paid without a booking is honoured or refunded."""
from __future__ import annotations

import time
from typing import Annotated

import typer

from komek.cli.common import Database, DataDir, config, console, user_errors

appointments_app = typer.Typer(help="Appointments: the sweep of lapsed holds and late fees.", no_args_is_help=True)


@appointments_app.command("sweep")
def sweep(every: Annotated[float, typer.Option(min=0, help="Seconds between sweeps; 0: sweep once and exit")] = 0,
          data_dir: DataDir = None, database: Database = None) -> None:
    """Expire lapsed holds; honour (the slot still free) or refund every fee paid without a booking."""
    with user_errors():
        from komek.cases import payments
        from komek.services.appointments import sweep as run
        cfg = config(data_dir, database)
        while True:
            done = run(cfg.database, payments.provider(cfg))
            console.print(", ".join(f"{n} {what}" for what, n in done.items()))
            if not every:
                return
            time.sleep(every)
