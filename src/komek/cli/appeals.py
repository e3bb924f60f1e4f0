"""`komek appeals`: the sweep an operator runs (a timer or beside `komek worker`): every appeal past
its due date undecided is escalated, once, and recorded in its history."""
from __future__ import annotations

import time
from typing import Annotated

import typer

from komek.cli.common import Database, DataDir, config, console, user_errors

appeals_app = typer.Typer(help="Appeals: the escalation of those past their due date.", no_args_is_help=True)


@appeals_app.command("sweep")
def sweep(every: Annotated[float, typer.Option(min=0, help="Seconds between sweeps; 0: sweep once and exit")] = 0,
          data_dir: DataDir = None, database: Database = None) -> None:
    """Escalate every appeal past its due date undecided (to whom: src/komek/cases/appeals.yaml)."""
    with user_errors():
        from komek.services.appeals import sweep as run
        cfg = config(data_dir, database)
        while True:
            console.print(f"{run(cfg.database)} escalated")
            if not every:
                return
            time.sleep(every)
