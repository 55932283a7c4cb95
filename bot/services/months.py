"""Calendar months as the results use them: a month is the date of its first day."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from bot.services.errors import Invalid
from bot.texts import Texts

_ISO = re.compile(r"^(\d{4})-(\d{1,2})$")  # 2026-10
_RU = re.compile(r"^(\d{1,2})[./](\d{4})$")  # 10.2026
_DAY = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")  # 01.10.2026
_ISO_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T].*)?$")  # 2026-10-01, 2026-10-01 00:00:00


def first_day(value: date) -> date:
    return value.replace(day=1)


def previous(month: date) -> date:
    return date(month.year - 1, 12, 1) if month.month == 1 else date(month.year, month.month - 1, 1)


def following(month: date) -> date:
    return date(month.year + 1, 1, 1) if month.month == 12 else date(month.year, month.month + 1, 1)


def last_day(month: date) -> date:
    return following(month) - timedelta(days=1)


def utc_bounds(start: date, end: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """The days `start`..`end` (local, both included) as [start 00:00, end + 1 day 00:00)
    in `tz`, in UTC: what the queries compare stored times with."""
    return (
        datetime.combine(start, time(), tzinfo=tz).astimezone(UTC),
        datetime.combine(end + timedelta(days=1), time(), tzinfo=tz).astimezone(UTC),
    )


def month_bounds(month: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """[start, end) of the local calendar month, in UTC."""
    return utc_bounds(month, last_day(month), tz)


def code(month: date) -> int:
    """The month as a button or an audit record carries it: 202610."""
    return month.year * 100 + month.month


def from_code(value: int) -> date | None:
    """The month of `code`, or None for a number that is not one (a forged button)."""
    year, number = divmod(value, 100)
    if not 2000 <= year <= 2100 or not 1 <= number <= 12:
        return None
    return date(year, number, 1)


def parse_month(value: object) -> date:
    """A month as a spreadsheet holds it: `2026-10`, `10.2026`, a date or a datetime (its
    month), `01.10.2026`. Raises Invalid("month-error", value=...) otherwise."""
    if isinstance(value, datetime):
        return first_day(value.date())
    if isinstance(value, date):
        return first_day(value)
    text = str(value).strip()
    year = month = None
    if match := _ISO.fullmatch(text):
        year, month = int(match.group(1)), int(match.group(2))
    elif match := _RU.fullmatch(text):
        month, year = int(match.group(1)), int(match.group(2))
    elif match := _DAY.fullmatch(text):
        month, year = int(match.group(2)), int(match.group(3))
    elif match := _ISO_DAY.fullmatch(text):
        year, month = int(match.group(1)), int(match.group(2))
    if year is None or month is None or not 1 <= month <= 12 or not 2000 <= year <= 2100:
        raise Invalid("month-error", value=text or "—")
    return date(year, month, 1)


def label(texts: Texts, month: date) -> str:
    """«октябрь 2026»."""
    return texts("month-name", month=month.month, year=month.year)
