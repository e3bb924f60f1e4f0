"""Kazakhstan's working days (five-day week) and the deadlines counted on them.

A day is a working day unless it is a Saturday or Sunday, a holiday of the Law "On holidays in
the Republic of Kazakhstan", the working day a holiday that fell on a Saturday or Sunday moved to
(art. 5 of that law), Orthodox Christmas or the first day of Kurban ait (days off that never
move), or a day off transferred by the authorised body for labour; the Saturday or Sunday worked
in its place is a working day. The holidays and their moves are the `holidays` package's; Kurban
ait, the transfers and any correction are calendar.yaml's, dated and sourced. Only the years
calendar.yaml lists are known: a date outside them is an error naming the years known.

Counting a term in working days (deadlines.yaml `counting`): the day of submission is not
counted; day 1 is the first working day after it, so a term of N working days ends at the end
of the N-th working day after the submission, whatever day the submission came in. A clock stop
(the case waited for the applicant) is a span of dates whose working days do not count; the day
the answer arrived is not counted either, as a submission day is not.
"""
from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import TypeVar

import holidays
import yaml

from komek.errors import FieldError, OutOfCalendar

__all__ = ["Calendar", "Standing", "Stop", "Transfer", "calendar", "package_days_off"]

K = TypeVar("K")
# The package's own Kurban ait and transfers are replaced by calendar.yaml's (the test compares them).
_DECIDED_YEARLY = ("Eid al-Adha", "Day off (substituted")


@dataclass(frozen=True)
class Transfer:
    day_off: dt.date        # a working day made a day off
    working_day: dt.date    # the Saturday or Sunday worked instead
    act: str


@dataclass(frozen=True)
class Stop:
    """A clock stop: from the day the case started waiting for the applicant to the day the answer
    arrived, both included; none of its working days counts."""
    start: dt.date
    end: dt.date


@dataclass(frozen=True)
class Standing:
    """Where a case stands against its due date today."""
    due: dt.date
    left: int       # working days from today to the due date: 0 due today, negative overdue by that many
    state: str      # "overdue" | "nearly_due" | "in_time"


def package_days_off(year: int) -> dict[dt.date, str]:
    """The holidays and their moves by the `holidays` package, without what each year decides."""
    return {d: name for d, name in holidays.KZ(years=year, language="en_US").items()
            if not name.startswith(_DECIDED_YEARLY)}


class Calendar:
    """The working days of the years given: `years` is calendar.yaml's mapping year -> entry."""

    def __init__(self, years: dict[int, dict]):
        self.years = tuple(sorted(years))
        if self.years != tuple(range(self.years[0], self.years[-1] + 1)):
            raise ValueError(f"calendar years must follow one another: {self.years}")
        self.first, self.last = dt.date(self.years[0], 1, 1), dt.date(self.years[-1], 12, 31)
        self.days_off: dict[dt.date, str] = {}       # weekdays that are not working days, and why
        self.working_weekends: dict[dt.date, str] = {}
        for year, entry in years.items():
            self.days_off.update(package_days_off(year))
            self.days_off[entry["kurban_ait"]["date"]] = "Kurban ait"
            for t in self.transfers(entry):
                self.days_off[t.day_off] = f"day off transferred from {t.working_day}: {t.act}"
                self.working_weekends[t.working_day] = f"worked for {t.day_off}: {t.act}"
            for c in entry.get("corrections", []):
                if c["day_off"]:
                    self.days_off[c["date"]] = c["source"]
                else:
                    self.days_off.pop(c["date"], None)
        self._working = [d for d in _days(self.first, self.last) if self._is_working(d)]

    @staticmethod
    def transfers(entry: dict) -> list[Transfer]:
        return [Transfer(t["day_off"], t["working_day"], t["act"]) for t in entry.get("transfers", [])]

    def _is_working(self, d: dt.date) -> bool:
        if d in self.working_weekends:
            return True
        return d.weekday() < 5 and d not in self.days_off

    def _known(self, d: dt.date, field: str) -> dt.date:
        if not isinstance(d, dt.date) or isinstance(d, dt.datetime):
            raise FieldError(field, f"must be a date, not {d!r}")
        if not self.first <= d <= self.last:
            raise OutOfCalendar(f"{field}: {d} is outside the years the calendar knows ({self.known()})")
        return d

    def known(self) -> str:
        return f"{self.years[0]}-{self.years[-1]}" if len(self.years) > 1 else str(self.years[0])

    def is_working_day(self, d: dt.date) -> bool:
        return self._is_working(self._known(d, "date"))

    def working_days(self, first: dt.date, last: dt.date) -> int:
        """How many working days from `first` to `last`, both included."""
        self._known(first, "first"), self._known(last, "last")
        return max(0, bisect.bisect_right(self._working, last) - bisect.bisect_left(self._working, first))

    def _working_at(self, position: int, what: str) -> dt.date:
        if position >= len(self._working):
            raise OutOfCalendar(f"{what} falls after {self.last}, past the years the calendar knows ({self.known()})")
        return self._working[position]

    def due_date(self, submitted: dt.date, days: int, stops: Iterable[Stop] = ()) -> dt.date:
        """The last day of a term of `days` working days for a case submitted on `submitted`."""
        self._known(submitted, "submitted")
        if isinstance(days, bool) or not isinstance(days, int) or days < 1:
            raise FieldError("days", f"must be a whole number of working days, at least 1, not {days!r}")
        spans = sorted(self._stops(submitted, stops), key=lambda s: s.start)
        what = f"the term of {days} working days from {submitted}"
        position, left = bisect.bisect_right(self._working, submitted), days
        while True:
            day = self._working_at(position, what)
            stop = next((s for s in spans if s.start <= day <= s.end), None)
            if stop is not None:                     # waiting for the applicant: skip the whole stop
                position = bisect.bisect_right(self._working, stop.end)
                continue
            left -= 1
            if left == 0:
                return day
            position += 1

    def _stops(self, submitted: dt.date, stops: Iterable[Stop]) -> list[Stop]:
        checked = []
        for i, s in enumerate(stops):
            self._known(s.start, f"stops[{i}].start"), self._known(s.end, f"stops[{i}].end")
            if s.end < s.start:
                raise FieldError(f"stops[{i}]", f"ends ({s.end}) before it starts ({s.start})")
            if s.start < submitted:
                raise FieldError(f"stops[{i}].start", f"{s.start} is before the submission ({submitted})")
            checked.append(s)
        return checked

    def due_in_calendar_days(self, issued: dt.date, days: int) -> dt.date:
        """The last day of a term of `days` calendar days from `issued` (not counted); a last day that
        is not a working day moves to the next working day."""
        self._known(issued, "issued")
        if isinstance(days, bool) or not isinstance(days, int) or days < 1:
            raise FieldError("days", f"must be a whole number of calendar days, at least 1, not {days!r}")
        end = self._known(issued + dt.timedelta(days=days), "the term's last day")
        position = bisect.bisect_left(self._working, end)
        return self._working_at(position, f"the term of {days} calendar days from {issued}")

    def working_days_left(self, today: dt.date, due: dt.date) -> int:
        """Working days from today to the due date: 0 when due today, 1 the next working day,
        negative when overdue (-1: due the working day before). On a non-working day the count is
        the next working day's, when the case can next be acted on."""
        self._known(today, "today"), self._known(due, "due")
        now = bisect.bisect_left(self._working, today) + 1      # ordinal of today or the next working day
        return bisect.bisect_right(self._working, due) - now

    def standing(self, today: dt.date, due: dt.date, nearly_due: int) -> Standing:
        """Overdue, nearly due (at most `nearly_due` working days left) or in time."""
        left = self.working_days_left(today, due)
        state = "overdue" if left < 0 else "nearly_due" if left <= nearly_due else "in_time"
        return Standing(due, left, state)

    def queue(self, cases: Iterable[tuple[K, dt.date]], today: dt.date, nearly_due: int) -> list[tuple[K, Standing]]:
        """A caseworker's queue: (case, due date) pairs with their standing, least time left first."""
        stood = [(case, self.standing(today, due, nearly_due)) for case, due in cases]
        return sorted(stood, key=lambda cs: (cs[1].left, cs[1].due))


def _days(first: dt.date, last: dt.date) -> Iterable[dt.date]:
    for n in range((last - first).days + 1):
        yield first + dt.timedelta(days=n)


@cache
def data() -> dict:
    return yaml.safe_load(files(__package__).joinpath("calendar.yaml").read_text("utf-8"))


@cache
def calendar() -> Calendar:
    """Kazakhstan's calendar of the years calendar.yaml knows."""
    return Calendar(data()["years"])
