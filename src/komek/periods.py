"""Months and quarters: how Komek names periods (`YYYY-MM`, `YYYY-Qn`) and the dates they span.

A month's amounts are computed as of its last day; the income a month's means test reads is
that of the whole quarter before the one the date falls in.
"""
from __future__ import annotations

import calendar
import datetime as dt
import re

from komek.errors import FieldError

MONTH = re.compile(r"(?!0000)\d{4}-(0[1-9]|1[0-2])")      # year 0 is no date


def month_end(month: str, field: str = "month") -> dt.date:
    """The last day of a `YYYY-MM` month; an error naming `field` for anything else."""
    if not isinstance(month, str) or not MONTH.fullmatch(month):
        raise FieldError(field, f"{month!r} is not a month (YYYY-MM)")
    year, number = int(month[:4]), int(month[5:])
    return dt.date(year, number, calendar.monthrange(year, number)[1])


def month_start(month: str) -> dt.date:
    return month_end(month).replace(day=1)


def month_of(on: dt.date) -> str:
    return f"{on.year:04d}-{on.month:02d}"


def quarter_of(on: dt.date) -> str:
    return f"{on.year}-Q{(on.month - 1) // 3 + 1}"


def quarter_before(on: dt.date) -> tuple[str, list[str]]:
    """The quarter before `on`'s and its three months."""
    q = (on.month - 1) // 3
    year, q = (on.year, q) if q else (on.year - 1, 4)
    return f"{year}-Q{q}", [f"{year}-{m:02d}" for m in range(3 * q - 2, 3 * q + 1)]


def months_before(as_of: dt.date, months: int) -> list[str]:
    """The `months` whole months before `as_of`'s month, oldest first."""
    index = as_of.year * 12 + as_of.month - 1
    return [f"{(i // 12):04d}-{i % 12 + 1:02d}" for i in range(index - months, index)]
