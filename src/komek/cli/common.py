"""What every command shares: the consoles, the one-line errors, the progress bar, the settings."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from komek.errors import FIX, FieldError, KomekError
from komek.settings import Settings, settings

console = Console()
err = Console(stderr=True, soft_wrap=True)

DataDir = Annotated[Optional[Path], typer.Option("--data-dir", help="Data folder [env KOMEK_DATA_DIR; default komek-data]")]
Database = Annotated[Optional[str], typer.Option("--database", help="SQLAlchemy URL [env KOMEK_DATABASE_URL; default SQLite in the data folder]")]


class UserError(KomekError):
    """A problem with how a command was called."""


def message(e: Exception) -> str:
    """An error as the command line says it: a field as its option (a setting as its variable,
    KOMEK_...), and what to do when there is one thing."""
    option = isinstance(e, FieldError) and not e.field.startswith("KOMEK_")
    text = f"--{e.field.replace('_', '-')}: {e.problem}" if option else str(e)
    fix = next((f for kind, f in FIX.items() if isinstance(e, kind)), None)
    return f"{text}; {fix}" if fix else text


@contextmanager
def user_errors() -> Iterator[None]:
    """Komek's errors, and a file that is not there, as one line and exit code 2."""
    try:
        yield
    except (KomekError, FileNotFoundError, IsADirectoryError) as e:
        err.print(f"[bold red]error:[/] {escape(message(e))}", highlight=False)
        raise typer.Exit(2) from None


@contextmanager
def progress_bar() -> Iterator:
    """A Rich progress bar and a `progress(label, done, total)` callback for the services."""
    with Progress(TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=False) as bar:
        tasks: dict[str, int] = {}

        def progress(label: str, done: int, total: int) -> None:
            stage = label.split(":")[0]
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total, description=label[:28])

        yield progress


def config(data_dir: Path | None, database: str | None) -> Settings:
    return settings(data_dir=data_dir, database_url=database)
