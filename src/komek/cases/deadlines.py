"""When an application is due: its measure's statutory decision deadline (komek.kz.deadlines)
counted on Kazakhstan's working-day calendar (komek.kz.calendar) from the day it was submitted,
without the days it waited for the applicant (clock stops: from the day information was asked to
the day it arrived, both included). While the clock stands, the due date is counted as if the
answer came today, so the working days left stay where they stopped."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from komek.kz import deadlines
from komek.kz.calendar import Standing, Stop, calendar

KAZAKHSTAN = dt.timezone(dt.timedelta(hours=5), "Kazakhstan")   # one time zone, UTC+5, since 1 March 2024


def today(now: dt.datetime | None = None) -> dt.date:
    """The date in Kazakhstan at `now` (by default: now; a naive time is UTC): the day a deadline counts from."""
    now = now or dt.datetime.now(dt.UTC)
    return (now.replace(tzinfo=dt.UTC) if now.tzinfo is None else now).astimezone(KAZAKHSTAN).date()


def due(measure: str, submitted: dt.date, stops: Iterable[Stop] = ()) -> dt.date:
    """The last day of the decision's term for an application submitted on `submitted`."""
    return calendar().due_date(submitted, deadlines.decision(measure, submitted).days, stops)


def appeal_by(decided: dt.date) -> dt.date:
    """The last day to complain about a decision made on `decided`: the same day of the month the
    term's months later (the month's last day when it has none). It is not moved to the next
    working day: the day told is never later than the law's."""
    months = deadlines.appeal_filing(decided).days
    last = decided.month - 1 + months
    year, month = decided.year + last // 12, last % 12 + 1
    days = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(decided.day, days))


def stopped_days(stops: Iterable[Stop]) -> int:
    return sum(calendar().working_days(s.start, s.end) for s in stops)


def standing(measure: str, submitted: dt.date, due_date: dt.date, stops: list[Stop], stopped_since: dt.date | None,
             on: dt.date) -> Standing:
    """Where the application stands on `on`: due date, working days left, overdue, nearly due or in time."""
    if stopped_since is not None:
        due_date = due(measure, submitted, [*stops, Stop(stopped_since, max(on, stopped_since))])
    return calendar().standing(on, due_date, deadlines.nearly_due(on).days)


def rests_on(submitted: dt.date, due_date: dt.date) -> list[str]:
    """The provisional calendar data (an unconfirmed holiday, transfers not yet decided) the due date rests on."""
    return [a.what for a in calendar().rests_on(submitted, due_date)]
