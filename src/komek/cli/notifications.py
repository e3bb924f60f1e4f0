"""`komek notifications`: the outbox for an operator: how many notifications are in each state,
a list of one state (phones and IINs masked), and sending dead ones again."""
from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.table import Table

from komek.cli.common import Database, DataDir, config, console, user_errors

notifications_app = typer.Typer(help="Notifications: counts by state, a list, sending dead ones again.",
                                invoke_without_command=True)


def _when(v) -> str:
    return f"{v:%Y-%m-%d %H:%M:%S}" if v else ""


@notifications_app.callback()
def show(ctx: typer.Context,
         state: Annotated[Optional[str], typer.Option(help="List the notifications in this state: pending, sending, delivered, dead")] = None,
         limit: Annotated[int, typer.Option(min=1, help="At most this many, newest first")] = 50,
         data_dir: DataDir = None, database: Database = None) -> None:
    """The notifications in each state; with --state, a list of them (newest first)."""
    if ctx.invoked_subcommand is not None:
        return
    with user_errors():
        from komek.cases import notifications
        url = config(data_dir, database).database
        counted = notifications.counts(url)
        t = Table(title="Notifications")
        for state_ in counted:
            t.add_column(state_, justify="right")
        t.add_row(*(f"{n:,}" for n in counted.values()))
        console.print(t)
        if state is not None:
            t = Table(title=f"{state} (newest first)")
            for col in ("id", "about", "template", "phone", "IIN", "attempts", "next attempt" if state != "delivered"
                        else "delivered", "last error"):
                t.add_column(col)
            for n in notifications.listing(url, state, limit):
                t.add_row(str(n["id"]), n["about"], n["template"], n["phone"], n["iin"] or "", str(n["attempts"]),
                          _when(n["delivered"] or n["next_attempt"]), n["last_error"] or "")
            console.print(t)


@notifications_app.command("retry")
def retry(ids: Annotated[list[int], typer.Argument(help="Ids of dead notifications")],
          data_dir: DataDir = None, database: Database = None) -> None:
    """Send dead notifications again (with the same delivery id): all of them, or none when one is not dead."""
    with user_errors():
        from komek.cases import notifications
        done = notifications.retry(config(data_dir, database).database, ids)
        console.print(f"queued again: {', '.join(map(str, done))}")
