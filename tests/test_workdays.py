"""Russia's production calendar (bot/services/workdays.py) against the decrees' known days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.services import meetings, requests, workdays
from bot.services.errors import Invalid
from bot.settings import Settings

MOSCOW = ZoneInfo("Europe/Moscow")


@pytest.mark.parametrize(
    "day",
    [
        # 2025 (Постановление № 1335 от 04.10.2024)
        date(2025, 1, 1),
        date(2025, 1, 8),
        date(2025, 5, 1),
        date(2025, 5, 2),  # moved from Sat 04.01
        date(2025, 5, 3),
        date(2025, 5, 8),  # moved from Sun 23.02
        date(2025, 5, 9),
        date(2025, 6, 13),  # moved from Sat 08.03
        date(2025, 11, 3),  # moved from Sat 01.11
        date(2025, 11, 4),
        date(2025, 12, 28),  # a Sunday, and no working Saturday or Sunday this December
        date(2025, 12, 31),  # moved from Sun 05.01
        # 2026 (Постановление № 1466 от 24.09.2025)
        date(2026, 1, 9),  # moved from Sat 03.01
        date(2026, 1, 11),
        date(2026, 2, 23),
        date(2026, 3, 9),  # 08.03 is a Sunday
        date(2026, 5, 11),  # 09.05 is a Saturday
        date(2026, 6, 12),
        date(2026, 11, 4),
        date(2026, 12, 31),  # moved from Sun 04.01
        # 2027: 01–10 January
        *(date(2027, 1, day) for day in range(1, 11)),
        # 2028: from the override table (ТК РФ ст. 112 ч. 2)
        date(2028, 11, 6),
    ],
)
def test_known_days_off(day: date) -> None:
    assert not workdays.is_working_day(day)


@pytest.mark.parametrize(
    "day",
    [
        date(2024, 12, 28),  # a working Saturday (moved to 30.12.2024)
        date(2025, 11, 1),  # a working Saturday (moved to 03.11.2025)
        date(2025, 12, 30),
        date(2026, 1, 12),
        date(2026, 12, 30),
        date(2027, 1, 11),
        date(2027, 2, 20),  # a working Saturday (moved to 22.02.2027)
        date(2026, 12, 2),  # an ordinary Wednesday
    ],
)
def test_known_working_days(day: date) -> None:
    assert workdays.is_working_day(day)


def test_one_working_day_from_30_december_2026_skips_31_december_and_the_january_holidays() -> None:
    start = datetime(2026, 12, 30, 10, 0, tzinfo=MOSCOW)
    due = workdays.add_working_days(start, 1, MOSCOW)
    assert due.tzinfo is UTC
    assert due.astimezone(MOSCOW) == datetime(2027, 1, 11, 10, 0, tzinfo=MOSCOW)


def test_working_days_keep_the_local_time_and_skip_weekends_and_holidays() -> None:
    friday = datetime(2026, 11, 27, 7, 30, tzinfo=UTC)  # 10:30 in Moscow
    assert workdays.add_working_days(friday, 1, MOSCOW) == datetime(2026, 11, 30, 7, 30, tzinfo=UTC)
    assert workdays.add_working_days(friday, 3, MOSCOW) == datetime(2026, 12, 2, 7, 30, tzinfo=UTC)
    # 02.11.2025 (Sun) to 04.11.2025 (holiday) are off; 01.11.2025 was a working Saturday.
    october = datetime(2025, 10, 31, 10, 0, tzinfo=MOSCOW)
    assert workdays.add_working_days(october, 1, MOSCOW) == datetime(
        2025, 11, 1, 10, 0, tzinfo=MOSCOW
    )
    assert workdays.add_working_days(october, 2, MOSCOW) == datetime(
        2025, 11, 5, 10, 0, tzinfo=MOSCOW
    )


def test_a_start_on_a_day_off_counts_from_the_next_working_day() -> None:
    saturday = datetime(2026, 11, 28, 10, 0, tzinfo=MOSCOW)
    assert workdays.add_working_days(saturday, 1, MOSCOW) == datetime(
        2026, 12, 1, 10, 0, tzinfo=MOSCOW
    )
    assert workdays.add_working_days(saturday, 0, MOSCOW) == datetime(
        2026, 11, 30, 10, 0, tzinfo=MOSCOW
    )
    with pytest.raises(ValueError, match="not negative"):
        workdays.add_working_days(saturday, -1, MOSCOW)


def test_the_local_day_decides_not_the_utc_day() -> None:
    # 22:30 UTC on Thursday 08.01.2026 is already Friday 09.01 (a day off) in Moscow.
    late = datetime(2026, 1, 8, 22, 30, tzinfo=UTC)
    due = workdays.add_working_days(late, 1, MOSCOW)
    assert due.astimezone(MOSCOW) == datetime(2026, 1, 13, 1, 30, tzinfo=MOSCOW)


def test_next_and_first_working_days() -> None:
    assert workdays.next_working_day(date(2026, 12, 30)) == date(2027, 1, 11)
    assert workdays.next_working_day(date(2025, 10, 31)) == date(2025, 11, 1)
    assert workdays.first_working_day(date(2026, 1, 1)) == date(2026, 1, 12)
    assert workdays.first_working_day(date(2026, 5, 20)) == date(2026, 5, 4)
    assert workdays.first_working_day(date(2026, 12, 1)) == date(2026, 12, 1)
    assert workdays.first_working_day(date(2027, 11, 1)) == date(2027, 11, 1)


def test_working_days_between() -> None:
    filed = datetime(2026, 12, 30, 15, 0, tzinfo=MOSCOW)
    assert workdays.working_days_between(filed, filed.replace(hour=18), MOSCOW) == 0
    assert (
        workdays.working_days_between(filed, datetime(2027, 1, 11, 9, 0, tzinfo=MOSCOW), MOSCOW)
        == 1
    )
    assert (
        workdays.working_days_between(filed, datetime(2027, 1, 13, 9, 0, tzinfo=MOSCOW), MOSCOW)
        == 3
    )


def test_every_override_is_dated_and_sourced(tmp_path: Path) -> None:
    rows = workdays.read_overrides()
    assert rows[date(2028, 11, 6)] is False
    broken = tmp_path / "broken.csv"
    broken.write_text("# a comment\ndate,kind,source\n2028-01-03,holiday,ТК РФ\n", encoding="utf-8")
    with pytest.raises(ValueError, match="working or off"):
        workdays.read_overrides(broken)
    broken.write_text("date,kind,source\n2028-01-03,off,\n", encoding="utf-8")
    with pytest.raises(ValueError, match="source"):
        workdays.read_overrides(broken)
    working = tmp_path / "working.csv"
    working.write_text('date,kind,source\n2028-01-08,working,"a decree"\n', encoding="utf-8")
    assert workdays.read_overrides(working) == {date(2028, 1, 8): True}


# --- the rules in working days use this calendar ------------------------------------------


def _settings(**overrides: object) -> Settings:
    values: dict[str, object] = {"timezone": "Europe/Moscow"}
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_the_request_sla_skips_the_january_holidays() -> None:
    settings = _settings()  # REQUEST_SLA = 1 day
    filed = datetime(2026, 12, 30, 10, 0, tzinfo=MOSCOW)
    assert requests.sla_due(filed, settings) == datetime(2027, 1, 11, 10, 0, tzinfo=MOSCOW)
    # A day and a half: one working day, then twelve hours.
    longer = _settings(request_sla=timedelta(days=1, hours=12))
    assert requests.sla_due(filed, longer) == datetime(2027, 1, 11, 22, 0, tzinfo=MOSCOW)
    # Shorter than a day (as the tests set it): plain time, holiday or not.
    short = _settings(request_sla=5)
    assert requests.sla_due(filed, short) == filed + timedelta(seconds=5)


def test_no_meeting_on_a_holiday_and_one_on_a_working_saturday() -> None:
    with pytest.raises(Invalid) as refused:
        meetings.check_day(date(2026, 12, 31), date(2026, 12, 28))
    assert refused.value.key == "meeting-error-weekend"
    with pytest.raises(Invalid):
        meetings.check_day(date(2027, 1, 5), date(2026, 12, 28))  # a January holiday
    assert meetings.check_day(date(2026, 12, 30), date(2026, 12, 28)) == date(2026, 12, 30)
    assert meetings.check_day(date(2027, 2, 20), date(2027, 2, 15)) == date(2027, 2, 20)
