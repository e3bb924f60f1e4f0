"""When an application is due: a statutory number of working days from its submission, the clock
standing still while the applicant is asked for information.

STOPGAP until `komek.kz.calendar` (Kazakhstan's working-day calendar and each measure's statutory
deadline with its source) lands: Monday to Friday count as working days, no public holiday or
moved day off is known, and every deadline below but housing assistance's is an assumption.
Only `working_days`, `add_working_days` and `deadline` change when it does.
"""
from __future__ import annotations

import datetime as dt

NEARLY = 2      # working days left at or under which a case is flagged as nearly due
DEFAULT = (10, "assumption: no statutory deadline read for this measure")
DEADLINES = {"housing_assistance": (6, "the project's fact sheet: 6 working days' review (order No. 117)")}


def deadline(measure: str) -> tuple[int, str]:
    """The measure's deadline in working days, and its source."""
    return DEADLINES.get(measure, DEFAULT)


def is_working(day: dt.date) -> bool:
    return day.weekday() < 5


def add_working_days(day: dt.date, n: int) -> dt.date:
    """The n-th working day after `day`."""
    while n > 0:
        day += dt.timedelta(days=1)
        n -= is_working(day)
    return day


def working_days(start: dt.date, end: dt.date) -> int:
    """Working days after `start` up to and including `end`; negative when `end` is before `start`."""
    if end < start:
        return -working_days(end, start)
    weeks, rest = divmod((end - start).days, 7)
    return weeks * 5 + sum(is_working(start + dt.timedelta(days=i)) for i in range(1, rest + 1))


def due(measure: str, submitted: dt.date) -> dt.date:
    return add_working_days(submitted, deadline(measure)[0])


def left(due_date: dt.date, today: dt.date, stopped: dt.date | None) -> int:
    """Working days left until `due_date` (negative: overdue); while the clock stands still
    (`stopped`: since when) the count stays where it stopped. A day past the due date is at
    least one day overdue, even when no working day has passed since."""
    on = stopped or today
    return min(-1, working_days(due_date, on) * -1) if on > due_date else working_days(on, due_date)


def flag(days_left: int) -> str | None:
    return "overdue" if days_left < 0 else "nearly due" if days_left <= NEARLY else None


KAZAKHSTAN = dt.timezone(dt.timedelta(hours=5), "Kazakhstan")   # one time zone, UTC+5, since 1 March 2024


def today(now: dt.datetime | None = None) -> dt.date:
    """The date in Kazakhstan at `now` (by default: now): the day a deadline counts from."""
    return (now or dt.datetime.now(dt.UTC)).astimezone(KAZAKHSTAN).date()
