"""Russia's production calendar: which days are working days (DESIGN §12).

Days off are Saturdays, Sundays, the public holidays and the days the government's yearly
decree moves a weekend to; a Saturday the decree makes a working day is one. The calendar
is the `holidays` package's Russia (its public holidays, substituted days off and
`weekend_workdays`), corrected by `bot/data/workdays_ru.csv` — dated rows, each with its
source, for a year the package lacks or gets wrong; a row there wins.

Every rule in working days goes through here: SLAs (`add_working_days`), the days a meeting
may be booked, the request SLA, the appeal clock, the digest's first working day.

`holidays` (with dateutil, about 3.5 MB) is imported with the first question about a day,
not with the bot: a bot that has not yet needed the calendar does not hold it.
"""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import holidays

OVERRIDES_FILE = Path(__file__).resolve().parent.parent / "data" / "workdays_ru.csv"
_KINDS = {"working": True, "off": False}
# No stretch of days off in Russia is anywhere near this long; a loop that gets this far
# has a broken calendar, not a long holiday.
_LONGEST_BREAK = 60


def read_overrides(path: Path = OVERRIDES_FILE) -> dict[date, bool]:
    """The override table: date -> is a working day. Lines starting with # are comments."""
    lines = [
        line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")
    ]
    found: dict[date, bool] = {}
    for row in csv.DictReader(lines):
        kind = row["kind"].strip()
        if kind not in _KINDS:
            raise ValueError(f"{path.name}: kind is working or off, not {kind!r} ({row})")
        if not row.get("source", "").strip():
            raise ValueError(f"{path.name}: every override names its source ({row})")
        found[date.fromisoformat(row["date"].strip())] = _KINDS[kind]
    return found


@cache
def _overrides() -> dict[date, bool]:
    return read_overrides()


@cache
def _russia() -> holidays.HolidayBase:
    import holidays

    # The package fills in a year the first time a day of it is asked about.
    return holidays.country_holidays("RU")


def is_working_day(day: date) -> bool:
    """Whether `day` is a working day in Russia's production calendar."""
    override = _overrides().get(day)
    if override is not None:
        return override
    calendar = _russia()
    if day in calendar:  # a holiday, or a day off moved there by the decree
        return False
    return day.weekday() < 5 or day in calendar.weekend_workdays


def working_day_from(day: date) -> date:
    """`day` itself if it is a working day, else the first working day after it."""
    for _ in range(_LONGEST_BREAK):
        if is_working_day(day):
            return day
        day += timedelta(days=1)
    raise RuntimeError(f"no working day within {_LONGEST_BREAK} days of {day}")


def next_working_day(day: date) -> date:
    """The first working day after `day`."""
    return working_day_from(day + timedelta(days=1))


def first_working_day(month: date) -> date:
    """The first working day of the month of `month` (12.01.2026 for January 2026)."""
    return working_day_from(month.replace(day=1))


def add_working_days(start: datetime, days: int, tz: tzinfo) -> datetime:
    """When an SLA of `days` working days started at `start` falls due (in UTC).

    The rule: it falls due at the same local time (in `tz`) on the `days`-th working day
    after the day it started. A start on a day off counts as a start at that time on the
    next working day, so the SLA always has `days` whole working days: started at 10:00 on
    Wednesday 30.12.2026, one working day falls due at 10:00 on Monday 11.01.2027 (31.12
    and 01–10.01 are days off); started at 10:00 on a Saturday, at 10:00 on Tuesday.
    """
    if days < 0:
        raise ValueError(f"a number of working days is not negative: {days}")
    local = start.astimezone(tz)
    day = working_day_from(local.date())
    for _ in range(days):
        day = next_working_day(day)
    due = datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=tz)
    return due.astimezone(UTC)


def working_days_between(start: datetime, end: datetime, tz: tzinfo) -> int:
    """How many working days after the one `start` fell on (or the first working day from
    it) `end` fell on, in `tz`: 0 on the same working day, 1 on the next one. A measure of
    "how long it took" that a weekend in between does not lengthen."""
    first = working_day_from(start.astimezone(tz).date())
    last = end.astimezone(tz).date()
    count, day = 0, first
    while (day := next_working_day(day)) <= last:
        count += 1
    return count
