"""Opening the registry's data for a use case, and what a date asked of it cannot know.

`source` is the one place a service turns "an extract folder, else the database" into a
`Source` with Kazakhstan's contract. `warnings_for` says when a date is past the data (after the
source's as_of) or past the parameters' last known values, so every answer for that date says so.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from komek.kz import contract
from komek.registry import Source, open_source


def source(extract: Path | str | None = None, database: str | None = None) -> Source:
    """The extract folder when one is given, else the registry database."""
    return open_source(contract(), extract, database)


def warnings_for(source: Source | None, on: dt.date, parameters=()) -> list[str]:
    """What the answers for `on` cannot know: registry facts after the source's as_of, and the
    `parameters` warnings (read past their last known values) of the computation."""
    out = []
    if source is not None:
        if source.as_of is None:
            out.append(f"{source.name} states no as_of date: whether its records reach {on} is not known")
        elif on >= source.as_of:
            out.append(f"{on} is not before the {source.name}'s as_of {source.as_of}: what happened from "
                       f"{source.as_of} on is not in the data; the last records are used")
    return out + sorted(set(parameters))
