"""The working-day calendar and the statutory deadlines.

tests/cases/deadlines.csv holds 275 deadlines across 2024-2026 (submission, working days, an
optional clock stop, the due date, and the days off it crosses). Their due dates were counted day
by day over the official lists of days off typed in below (OFFICIAL_DAYS_OFF, WORKED_WEEKENDS),
not by komek nor the holidays package; the rows at the holidays, transfers, Kurban ait, year ends
and clock stops were checked again by hand.
"""
import csv
import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest

from komek.errors import FieldError, OutOfCalendar, ParameterError
from komek.kz import deadlines
from komek.kz.calendar import Calendar, Stop, calendar, data, package_days_off
from komek.kz.standard import benefits

D = dt.date
CASES = Path(__file__).parent / "cases" / "deadlines.csv"

# The weekdays that are not working days on the five-day week, from the MLSP production calendars
# and the eGov holiday calendars of each year, with the announcements that changed them: Kurban ait
# 2024 on Sunday 16 June (DUMK, 7 Jun 2024), no Constitution Day in 2026 (MLSP, 18 Mar 2026).
OFFICIAL_DAYS_OFF = {
    2024: ["01-01", "01-02", "03-08", "03-21", "03-22", "03-25", "05-01", "05-07", "05-08", "05-09",
           "07-08", "08-30", "10-25", "12-16"],
    2025: ["01-01", "01-02", "01-03", "01-07", "03-10", "03-21", "03-24", "03-25", "05-01", "05-07", "05-09",
           "06-06", "07-07", "09-01", "10-27", "12-16"],
    2026: ["01-01", "01-02", "01-07", "03-09", "03-23", "03-24", "03-25", "05-01", "05-07", "05-11", "05-27",
           "07-06", "10-26", "12-16"],
}
WORKED_WEEKENDS = {D(2024, 5, 4), D(2025, 1, 5)}

# Working days per month and per year (five-day week, 40 hours).
# 2024: the MLSP "Balance of working time and production calendar for 2024", every month. Its June
# has 19: it was drawn up with Kurban ait on Monday 17 June; DUMK set it on Sunday 16 June, so June
# had 20 working days and the year 249 (test_2024_differs_from_the_published_balance_in_june).
PUBLISHED_2024 = [21, 21, 17, 22, 20, 19, 22, 21, 21, 22, 21, 21]
# 2025: published are the year (119 days off, so 246: the eGov calendar), January (11 days off),
# March (14 days off) and November (20 working days); the other months are counted by hand from
# the official list of days off.
COUNTS_2025 = [20, 20, 17, 22, 19, 20, 22, 21, 21, 22, 20, 22]
PUBLISHED_2025 = {1: 20, 3: 17, 11: 20, "year": 246}
# 2026: published are January (19) and the days off of the eGov calendar (15 weekdays, so 246);
# 31 August was one of them until Constitution Day was dropped for 2026, so August has 21 and the
# year 247. The other months are counted by hand from the official list.
COUNTS_2026 = [19, 20, 18, 22, 17, 22, 22, 21, 22, 21, 21, 22]
PUBLISHED_2026 = {1: 19, "year": 246, "year_days_off_on_weekdays": 15}


def month_counts(year: int) -> list[int]:
    c = calendar()
    ends = [D(year, m + 1, 1) - dt.timedelta(days=1) if m < 12 else D(year, 12, 31) for m in range(1, 13)]
    return [c.working_days(D(year, m, 1), end) for m, end in zip(range(1, 13), ends)]


def rows() -> list[dict]:
    with CASES.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_the_table_has_enough_cases_in_every_year():
    table = rows()
    assert len(table) >= 200
    assert {r["submitted"][:4] for r in table} == {"2024", "2025", "2026"}
    assert all(sum(r["submitted"].startswith(y) for r in table) >= 60 for y in ("2024", "2025", "2026"))
    assert sum(bool(r["stop_start"]) for r in table) >= 10
    assert sum(r["submitted"][:4] != r["due"][:4] for r in table) >= 10


@pytest.mark.parametrize("row", rows(), ids=lambda r: f"{r['submitted']}+{r['days']}{'-stop' if r['stop_start'] else ''}")
def test_hand_checked_deadline(row):
    stops = [Stop(D.fromisoformat(row["stop_start"]), D.fromisoformat(row["stop_end"]))] if row["stop_start"] else []
    due = calendar().due_date(D.fromisoformat(row["submitted"]), int(row["days"]), stops)
    assert due.isoformat() == row["due"], row["why"]


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_days_off_are_the_official_ones(year):
    c = calendar()
    days = [D(year, 1, 1) + dt.timedelta(days=n) for n in range((D(year, 12, 31) - D(year, 1, 1)).days + 1)]
    off = {d for d in days if d.weekday() < 5 and not c.is_working_day(d)}
    worked = {d for d in days if d.weekday() >= 5 and c.is_working_day(d)}
    assert off == {D.fromisoformat(f"{year}-{md}") for md in OFFICIAL_DAYS_OFF[year]}
    assert worked == {d for d in WORKED_WEEKENDS if d.year == year}


def test_2024_counts_agree_with_the_published_balance_except_june():
    counts = month_counts(2024)
    assert [c for m, c in enumerate(counts, 1) if m != 6] == [p for m, p in enumerate(PUBLISHED_2024, 1) if m != 6]
    assert sum(counts) == 249


def test_2024_differs_from_the_published_balance_in_june():
    # The balance counted Monday 17 June as Kurban ait; the first day was Sunday 16 June.
    assert month_counts(2024)[5] == PUBLISHED_2024[5] + 1 == 20
    assert calendar().is_working_day(D(2024, 6, 17))
    assert data()["years"][2024]["kurban_ait"]["date"] == D(2024, 6, 16)


def test_2025_counts():
    counts = month_counts(2025)
    assert counts == COUNTS_2025
    assert all(counts[m - 1] == n for m, n in PUBLISHED_2025.items() if m != "year")
    assert sum(counts) == PUBLISHED_2025["year"] == 365 - 119


def test_2026_counts_and_the_dropped_constitution_day():
    counts = month_counts(2026)
    assert counts == COUNTS_2026
    assert counts[0] == PUBLISHED_2026[1]
    assert sum(counts) == PUBLISHED_2026["year"] + 1 == 247       # 31 August became a working day
    assert calendar().is_working_day(D(2026, 8, 31)) and not calendar().is_working_day(D(2025, 9, 1))
    assert len(OFFICIAL_DAYS_OFF[2026]) == PUBLISHED_2026["year_days_off_on_weekdays"] - 1


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_the_package_agrees_with_the_recorded_kurban_ait_and_transfers(year):
    import holidays
    theirs = holidays.KZ(years=year, language="en_US")
    entry = data()["years"][year]
    assert [d for d, n in theirs.items() if n.startswith("Eid al-Adha")] == [entry["kurban_ait"]["date"]]
    assert sorted(d for d, n in theirs.items() if n.startswith("Day off")) == sorted(t["day_off"] for t in entry["transfers"])


def test_a_correction_in_the_data_wins_over_the_package():
    entry = {**data()["years"][2025], "corrections": [
        {"date": D(2025, 12, 16), "day_off": False, "source": "a test"},
        {"date": D(2025, 12, 17), "day_off": True, "source": "a test"}]}
    assert D(2025, 12, 16) in package_days_off(2025)
    c = Calendar({2025: entry})
    assert c.is_working_day(D(2025, 12, 16)) and not c.is_working_day(D(2025, 12, 17))
    assert c.working_days(D(2025, 1, 1), D(2025, 12, 31)) == 246


def test_religious_days_off_are_not_moved():
    c = calendar()
    assert c.is_working_day(D(2024, 1, 8))       # Christmas on Sunday 7 Jan 2024
    assert c.is_working_day(D(2024, 6, 17))      # Kurban ait on Sunday 16 Jun 2024


@pytest.mark.parametrize("day", [D(2023, 12, 31), D(2027, 1, 1), D(1995, 8, 30)])
def test_a_date_outside_the_known_years_is_an_error_naming_them(day):
    with pytest.raises(OutOfCalendar, match=r"outside the years the calendar knows \(2024-2026\)"):
        calendar().is_working_day(day)
    with pytest.raises(OutOfCalendar, match="submitted"):
        calendar().due_date(day, 6)


def test_a_deadline_past_the_known_years_is_an_error():
    with pytest.raises(OutOfCalendar, match=r"6 working days from 2026-12-28 falls after 2026-12-31.*2024-2026"):
        calendar().due_date(D(2026, 12, 28), 6)
    assert calendar().due_date(D(2026, 12, 28), 3) == D(2026, 12, 31)


@pytest.mark.parametrize("days", [0, -1, True, 1.5, "6"])
def test_days_must_be_a_positive_whole_number(days):
    with pytest.raises(FieldError, match="^days: "):
        calendar().due_date(D(2025, 3, 3), days)


def test_bad_stops_and_dates_are_refused_naming_the_field():
    c = calendar()
    with pytest.raises(FieldError, match=r"^stops\[0\]: ends"):
        c.due_date(D(2025, 3, 3), 6, [Stop(D(2025, 3, 6), D(2025, 3, 5))])
    with pytest.raises(FieldError, match=r"^stops\[1\].start: 2025-03-01 is before the submission"):
        c.due_date(D(2025, 3, 3), 6, [Stop(D(2025, 3, 4), D(2025, 3, 5)), Stop(D(2025, 3, 1), D(2025, 3, 5))])
    with pytest.raises(OutOfCalendar, match=r"stops\[0\].end"):
        c.due_date(D(2026, 12, 1), 6, [Stop(D(2026, 12, 2), D(2027, 1, 5))])
    with pytest.raises(FieldError, match="^submitted: must be a date"):
        c.due_date(dt.datetime(2025, 3, 3, 9), 6)


def test_overlapping_stops_count_once():
    c = calendar()
    one = c.due_date(D(2025, 4, 1), 6, [Stop(D(2025, 4, 2), D(2025, 4, 9))])
    two = c.due_date(D(2025, 4, 1), 6, [Stop(D(2025, 4, 2), D(2025, 4, 7)), Stop(D(2025, 4, 4), D(2025, 4, 9))])
    assert one == two == D(2025, 4, 17)   # submitted 1 April, stopped 2-9 April: 10, 11, 14, 15, 16, 17 count


def test_a_stop_moves_the_due_date_by_its_working_days():
    c = calendar()
    for sub, stop in [(D(2024, 2, 5), Stop(D(2024, 2, 7), D(2024, 2, 13))), (D(2025, 10, 1), Stop(D(2025, 10, 3), D(2025, 10, 29)))]:
        plain = c.due_date(sub, 15)
        stopped = c.due_date(sub, 15, [stop])
        assert c.working_days(plain + dt.timedelta(days=1), stopped) == c.working_days(stop.start, stop.end)


@pytest.mark.parametrize("today, due, left", [
    (D(2025, 6, 4), D(2025, 6, 4), 0),        # due today
    (D(2025, 6, 5), D(2025, 6, 9), 1),        # Friday 6 June is Kurban ait
    (D(2025, 6, 7), D(2025, 6, 9), 0),        # a Saturday: Monday's view, due that day
    (D(2025, 6, 10), D(2025, 6, 5), -2),      # due Thursday; Friday off; overdue Monday (-1) and Tuesday (-2)
    (D(2025, 6, 7), D(2025, 6, 5), -1),       # a Saturday after a Thursday due date: overdue from Monday
    (D(2024, 12, 31), D(2025, 1, 13), 6),     # 5, 6, 8, 9, 10, 13 January 2025
    (D(2025, 1, 4), D(2025, 1, 5), 0),        # Saturday; Sunday 5 January is worked
    (D(2026, 3, 20), D(2026, 3, 27), 2),      # Friday to Friday: 23-25 March off, so 26 and 27
])
def test_working_days_left(today, due, left):
    assert calendar().working_days_left(today, due) == left


def test_standing_and_the_queue():
    threshold = deadlines.nearly_due(D(2025, 6, 1)).days
    assert threshold == 1
    today = D(2025, 6, 5)                          # Thursday; Friday 6 June is Kurban ait
    cases = [("late", D(2025, 6, 3)), ("today", D(2025, 6, 5)), ("monday", D(2025, 6, 9)),
             ("later", D(2025, 6, 20)), ("yesterday", D(2025, 6, 4))]
    queue = calendar().queue(cases, today, threshold)
    assert [(k, s.left, s.state) for k, s in queue] == [
        ("late", -2, "overdue"), ("yesterday", -1, "overdue"), ("today", 0, "nearly_due"),
        ("monday", 1, "nearly_due"), ("later", 10, "in_time")]


@pytest.mark.parametrize("issued, due", [
    (D(2025, 3, 7), D(2025, 3, 11)),    # 10 March: Women's Day moved from Saturday 8 March
    (D(2024, 5, 1), D(2024, 5, 4)),     # Saturday 4 May 2024 was worked
    (D(2026, 1, 1), D(2026, 1, 5)),     # Sunday 4 January
    (D(2025, 6, 3), D(2025, 6, 9)),     # Friday 6 June is Kurban ait
    (D(2025, 9, 9), D(2025, 9, 12)),
])
def test_offer_reply_window_in_calendar_days(issued, due):
    window = deadlines.offer_reply(issued)
    assert (window.days, window.unit) == (3, "calendar days")
    assert calendar().due_in_calendar_days(issued, window.days) == due


def test_every_measure_has_a_decision_deadline_with_its_source():
    on = D(2025, 1, 1)
    every = deadlines.decisions(on)
    assert set(every) == set(benefits())
    for name, d in every.items():
        assert d.unit == "working days" and d.days > 0, name
        assert d.reference and d.source and d.since <= on, name
        assert d.confirmed or d.assumption, f"{name}: an unconfirmed deadline must say why"
    housing = every["housing_assistance"]
    assert (housing.days, housing.confirmed) == (6, True) and "No. 117" in housing.reference
    assert every["tsa_child_supplement"] == replace(every["tsa"], name="tsa_child_supplement")


def test_the_other_deadlines_carry_their_sources():
    on = D(2026, 2, 1)
    for d in (deadlines.appeal(on), deadlines.general_request(on), deadlines.offer_reply(on), deadlines.nearly_due(on)):
        assert d.days > 0 and d.source and d.since <= on
        assert d.confirmed or d.assumption
    assert deadlines.general_request(on).days == 15 and "art. 76" in deadlines.general_request(on).reference
    assert deadlines.appeal(on).days == 5 and "art. 25" in deadlines.appeal(on).reference


def test_deadline_lookups_refuse_what_is_not_there():
    with pytest.raises(FieldError, match="^measure: no decision deadline for 'pension_x'; known: "):
        deadlines.decision("pension_x", D(2025, 1, 1))
    with pytest.raises(ParameterError, match="no value in force on 2023-06-01"):
        deadlines.decision("housing_assistance", D(2023, 6, 1))
