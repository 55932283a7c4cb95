"""/export (issue 5 item 7): one XLSX with everything CS keeps, for a chosen period.

Sheets: «Кейсы», «История кейсов» (the audit log of those cases), «Апелляции», «Запросы»,
«Итоги». Cases, appeals and requests belong to the period by their creation time: from the
start day 00:00 to the day after the end day 00:00 in TIMEZONE. Results belong to it by
month: every month that overlaps the period. Times are written as local times of TIMEZONE
(naive datetimes, the column header names the zone); enum values as the catalogue's
Russian names.

The rows come from one select per sheet (`db/export.py`), streamed in batches; each batch
is turned into cells and written into the file (`export_xlsx`, a streaming writer) in a worker
thread and dropped, so a large export neither holds its rows in memory nor stops the event
loop. 100,000 cases with their history take a few seconds (`python -m bench.export`).
"""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import appeals, case_posts, cases, months
from bot.services import requests as requests_service
from bot.services.errors import Invalid
from bot.services.export_xlsx import SheetSpec, StreamingWorkbook
from bot.services.roles import require_role
from bot.settings import Settings
from bot.texts import Texts
from db import export as export_db
from db.models import Employee, RequestKind, Role

MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Typed periods: 01.10.2026–31.10.2026 (any dash, spaces allowed).
_TYPED = re.compile(r"^\s*(\d{1,2}\.\d{1,2}\.\d{4})\s*[-–—]\s*(\d{1,2}\.\d{1,2}\.\d{4})\s*$")
# The leading mark of a state's name («✅ принята»): a spreadsheet wants the words only.
_MARK = re.compile(r"^[^\w«(]+")


class Preset(StrEnum):
    """The period buttons (short values: they travel in callback data)."""

    THIS_MONTH = "tm"
    LAST_MONTH = "lm"
    LAST_3_MONTHS = "l3"
    THIS_YEAR = "yr"
    ALL_TIME = "all"


PRESET_KEYS: dict[Preset, str] = {
    Preset.THIS_MONTH: "export-period-this-month",
    Preset.LAST_MONTH: "export-period-last-month",
    Preset.LAST_3_MONTHS: "export-period-last-3-months",
    Preset.THIS_YEAR: "export-period-this-year",
    Preset.ALL_TIME: "export-period-all-time",
}

# The audit log's actions on a case (`cases.register`, and CaseAct names in lower case).
ACTION_KEYS: dict[str, str] = {
    "register": "export-action-register",
    "accept": "export-action-accept",
    "set_briefing": "export-action-set-briefing",
    "briefing_held": "export-action-briefing-held",
    "recheck_passed": "export-action-recheck-passed",
    "recheck_failed": "export-action-recheck-failed",
    "submit_analysis": "export-action-submit-analysis",
    "confirm": "export-action-confirm",
    "return": "export-action-return",
    "withdraw": "export-action-withdraw",
}

# Column kinds: how a value is written and formatted.
TEXT, NUMBER, DAY, MOMENT, FLAG = "text", "number", "day", "moment", "flag"
DAY_FORMAT = "DD.MM.YYYY"
MOMENT_FORMAT = "DD.MM.YYYY HH:MM"
MONTH_FORMAT = "MM.YYYY"


@dataclass(frozen=True)
class Column:
    key: str  # the header's catalogue key ({ $tz } for times)
    kind: str
    width: int


SHEETS: dict[str, tuple[str, list[Column]]] = {
    "cases": (
        "export-sheet-cases",
        [
            Column("export-col-number", NUMBER, 8),
            Column("export-col-tab", TEXT, 12),
            Column("export-col-category", TEXT, 24),
            Column("export-col-source", TEXT, 18),
            Column("export-col-state", TEXT, 20),
            Column("export-col-manager", TEXT, 26),
            Column("export-col-group", TEXT, 20),
            Column("export-col-incident-date", DAY, 14),
            Column("export-col-summary", TEXT, 60),
            Column("export-col-link", TEXT, 30),
            Column("export-col-repeated", FLAG, 11),
            Column("export-col-author", TEXT, 26),
            Column("export-col-created", MOMENT, 20),
            Column("export-col-accepted", MOMENT, 20),
            Column("export-col-briefing-date", MOMENT, 17),
            Column("export-col-recheck-due", MOMENT, 20),
            Column("export-col-analysis-process", TEXT, 40),
            Column("export-col-analysis-cause", TEXT, 40),
            Column("export-col-analysis-measures", TEXT, 40),
            Column("export-col-measures-due", DAY, 14),
            Column("export-col-closed", MOMENT, 20),
        ],
    ),
    "history": (
        "export-sheet-history",
        [
            Column("export-col-case", NUMBER, 8),
            Column("export-col-when", MOMENT, 20),
            Column("export-col-who", TEXT, 26),
            Column("export-col-action", TEXT, 28),
            Column("export-col-from", TEXT, 20),
            Column("export-col-to", TEXT, 20),
            Column("export-col-comment", TEXT, 50),
        ],
    ),
    "appeals": (
        "export-sheet-appeals",
        [
            Column("export-col-number", NUMBER, 8),
            Column("export-col-case", NUMBER, 8),
            Column("export-col-filer", TEXT, 26),
            Column("export-col-reason", TEXT, 60),
            Column("export-col-state", TEXT, 20),
            Column("export-col-decided-by", TEXT, 26),
            Column("export-col-decision-comment", TEXT, 50),
            Column("export-col-created", MOMENT, 20),
            Column("export-col-decided", MOMENT, 20),
        ],
    ),
    "requests": (
        "export-sheet-requests",
        [
            Column("export-col-number", TEXT, 9),
            Column("export-col-kind", TEXT, 18),
            Column("export-col-requester", TEXT, 26),
            Column("export-col-group", TEXT, 20),
            Column("export-col-state", TEXT, 14),
            Column("export-col-processor", TEXT, 26),
            Column("export-col-reject-reason", TEXT, 40),
            Column("export-col-created", MOMENT, 20),
            Column("export-col-fields", TEXT, 60),
        ],
    ),
    "results": (
        "export-sheet-results",
        [
            Column("export-col-month", DAY, 12),
            Column("export-col-group", TEXT, 24),
            Column("export-col-manager", TEXT, 26),
            Column("export-col-score", NUMBER, 12),
            Column("export-col-evaluations", NUMBER, 12),
        ],
    ),
}
COUNT_KEYS: dict[str, str] = {
    "cases": "export-count-cases",
    "history": "export-count-history",
    "appeals": "export-count-appeals",
    "requests": "export-count-requests",
    "results": "export-count-results",
}


# --- the period ---------------------------------------------------------------------------


def check_can_export(actor: Employee | None) -> Employee:
    """`actor`, if he may export (CS); checked before the dialog asks anything."""
    return require_role(actor, Role.CS, key="export-forbidden")


def preset_period(preset: Preset, today: date) -> tuple[date, date]:
    """The days a button means, counted from `today` (local). «Всё время» is resolved by
    `resolve`, which knows the earliest record."""
    this_month = months.first_day(today)
    if preset == Preset.THIS_MONTH:
        return this_month, months.last_day(this_month)
    if preset == Preset.LAST_MONTH:
        last = months.previous(this_month)
        return last, months.last_day(last)
    if preset == Preset.LAST_3_MONTHS:
        return months.previous(months.previous(this_month)), months.last_day(this_month)
    if preset == Preset.THIS_YEAR:
        return date(today.year, 1, 1), today
    return today, today


async def resolve(session: AsyncSession, preset: Preset, settings: Settings) -> tuple[date, date]:
    today = cases.local_today(settings)
    if preset != Preset.ALL_TIME:
        return preset_period(preset, today)
    created, month = await export_db.earliest(session)
    starts = [today]
    if created is not None:
        starts.append(created.astimezone(settings.tz).date())
    if month is not None:
        starts.append(month)
    return min(starts), today


def check_period(start: date, end: date) -> tuple[date, date]:
    if start > end:
        raise Invalid("export-error-order", start=start, end=end)
    return start, end


def parse_period(text: str) -> tuple[date, date]:
    """«01.10.2026–31.10.2026» (or with - or —); Invalid with what is expected otherwise."""
    match = _TYPED.fullmatch(text)
    if match is None:
        raise Invalid("export-error-period")
    try:
        start, end = (datetime.strptime(part, "%d.%m.%Y").date() for part in match.groups())
    except ValueError:
        raise Invalid("export-error-period") from None
    return check_period(start, end)


def file_name(start: date, end: date) -> str:
    return f"cs-export-{start:%Y-%m-%d}_{end:%Y-%m-%d}.xlsx"


# --- building the file --------------------------------------------------------------------


@dataclass(frozen=True)
class ExportFile:
    start: date
    end: date
    filename: str
    data: bytes
    counts: dict[str, int]  # sheet -> rows


def plain(text: str) -> str:
    """A catalogue name for a cell: no HTML entities, no leading mark."""
    return _MARK.sub("", html.unescape(text)).strip()


def _names(texts: Texts, keys: dict[Any, str]) -> dict[str, str]:
    return {str(value): plain(texts(key)) for value, key in keys.items()}


def _local(tz: tzinfo) -> Callable[[datetime | None], datetime | None]:
    """A naive UTC time (as `db/export.py` reads them) as the naive local time of `tz`. A
    zone's offset is looked up once per hour of UTC it holds for (an export of a year
    converts about a million times, and `astimezone` costs microseconds each); an hour in
    which the offset changes is converted time by time."""
    offsets: dict[tuple[int, int, int, int], timedelta | None] = {}
    hour = timedelta(hours=1, microseconds=-1)

    def convert(value: datetime | None) -> datetime | None:
        if value is None:
            return None
        key = (value.year, value.month, value.day, value.hour)
        try:
            offset = offsets[key]
        except KeyError:
            start = value.replace(minute=0, second=0, microsecond=0, tzinfo=UTC)
            first, last = (
                start.astimezone(tz).utcoffset(),
                (start + hour).astimezone(tz).utcoffset(),
            )
            offset = offsets[key] = first if first == last else None
        if offset is None:
            return value.replace(tzinfo=UTC).astimezone(tz).replace(tzinfo=None)
        return value + offset

    return convert


async def build(
    session: AsyncSession,
    actor: Employee | None,
    start: date,
    end: date,
    *,
    settings: Settings,
    texts: Texts,
) -> ExportFile:
    """The workbook of the period [start, end] (local days)."""
    check_can_export(actor)
    check_period(start, end)
    since, until = months.utc_bounds(start, end, settings.tz)
    cells = _Cells(texts, settings.tz)
    sources: dict[str, tuple[AsyncIterator[Sequence[Any]], Callable[[Any], Sequence[Any]]]] = {
        "cases": (export_db.cases(session, since, until), cells.case),
        "history": (export_db.case_history(session, since, until), cells.history),
        "appeals": (export_db.appeals(session, since, until), cells.appeal),
        "requests": (export_db.requests(session, since, until), cells.request),
        "results": (export_db.results(session, months.first_day(start), end), cells.result),
    }
    zone = str(settings.tz)
    book = await asyncio.to_thread(
        StreamingWorkbook,
        [
            SheetSpec(
                title=texts(title),
                headers=[texts(column.key, tz=zone) for column in columns],
                widths=[column.width for column in columns],
                date_formats=[
                    _date_format(name, index, column) for index, column in enumerate(columns)
                ],
            )
            for name, (title, columns) in SHEETS.items()
        ],
    )
    counts: dict[str, int] = {}
    try:
        for name, (batches, make) in sources.items():
            book.begin_sheet()
            counts[name] = 0
            async for batch in batches:
                # Each batch written (and its rows made) in a worker thread: the event loop
                # only fetches.
                await asyncio.to_thread(book.write_rows, batch, make)
                counts[name] += len(batch)
            book.end_sheet()
        data = await asyncio.to_thread(book.close)
    finally:
        book.discard()
    return ExportFile(
        start=start, end=end, filename=file_name(start, end), data=data, counts=counts
    )


def _date_format(sheet: str, index: int, column: Column) -> str | None:
    if sheet == "results" and index == 0:  # the month
        return MONTH_FORMAT
    return {DAY: DAY_FORMAT, MOMENT: MOMENT_FORMAT}.get(column.kind)


class _Cells:
    """A database row as the values of its sheet's cells: names from the catalogue, times in
    TIMEZONE. Called in the worker thread that writes the rows (the catalogue only formats:
    it keeps no state between calls)."""

    def __init__(self, texts: Texts, tz: tzinfo) -> None:
        self.texts = texts
        self.local = _local(tz)
        self.tabs = _names(texts, case_posts.TAB_KEYS)
        self.categories = _names(texts, case_posts.CATEGORY_KEYS)
        self.sources = _names(texts, case_posts.SOURCE_KEYS)
        self.case_states = _names(texts, case_posts.STATE_KEYS)
        self.appeal_states = _names(texts, appeals.STATE_KEYS)
        self.kinds = _names(texts, requests_service.KIND_KEYS)
        self.request_states = _names(texts, requests_service.STATE_KEYS)
        self.actions = _names(texts, ACTION_KEYS)
        self.yes, self.no = texts("export-yes"), texts("export-no")
        self.bot, self.other_action = texts("export-bot"), texts("export-action-other")

    def state(self, value: str | None) -> str:
        return "" if value is None else self.case_states.get(value, value)

    # The two large sheets unpack their rows by position (in the order of their selects in
    # db/export.py): a Row's attribute by name costs a Python call, which 21 times a case
    # was most of the time a case took to make.
    def case(self, row: Any) -> Sequence[Any]:
        (
            number,
            tab,
            category,
            source,
            state,
            manager,
            group,
            incident_date,
            summary,
            link,
            repeated,
            author,
            created_at,
            accepted_at,
            briefing_at,
            recheck_due_at,
            analysis_process,
            analysis_cause,
            analysis_measures,
            measures_due,
            closed_at,
        ) = row
        local = self.local
        return (
            number,
            self.tabs.get(tab, tab),
            self.categories.get(category, category),
            self.sources.get(source, source),
            self.state(state),
            manager,
            group,
            incident_date,
            summary,
            link,
            self.yes if repeated else self.no,
            author,
            local(created_at),
            local(accepted_at),
            local(briefing_at),
            local(recheck_due_at),
            analysis_process,
            analysis_cause,
            analysis_measures,
            measures_due,
            local(closed_at),
        )

    def history(self, row: Any) -> Sequence[Any]:
        case_id, at, actor, action, from_state, to_state, comment = row
        return (
            case_id,
            self.local(at),
            actor or self.bot,
            self.actions.get(action) or self.other_action,
            self.state(from_state),
            self.state(to_state),
            comment,
        )

    def appeal(self, row: Any) -> Sequence[Any]:
        return (
            row.id,
            row.case_id,
            row.filer,
            row.reason,
            self.appeal_states.get(row.state, row.state),
            row.decided_by,
            row.decision_comment,
            self.local(row.created_at),
            self.local(row.decided_at),
        )

    def request(self, row: Any) -> Sequence[Any]:
        return (
            self.texts("request-number", id=row.id),
            self.kinds.get(row.kind, row.kind),
            row.requester,
            row.group,
            self.request_states.get(row.state, row.state),
            row.processor,
            row.reject_reason,
            self.local(row.created_at),
            request_fields(row.kind, row.fields, self.texts),
        )

    @staticmethod
    def result(row: Any) -> Sequence[Any]:
        return (row.month, row.group, row.manager, row.score, row.evaluations)


def request_fields(kind: str, fields: dict[str, Any], texts: Texts) -> str:
    """A request's fields as the CS post shows them, one per line, as plain text."""
    try:
        lines = requests_service.field_lines(RequestKind(kind), fields, texts)
    except (KeyError, ValueError):  # a field the code no longer knows: keep the raw data
        return str(fields)
    return html.unescape("\n".join(lines))


def caption(file: ExportFile, texts: Texts) -> str:
    """The document's caption: the period and the rows per sheet (well under 1,024)."""
    lines = [texts("export-caption-title", start=file.start, end=file.end)]
    if not any(file.counts.values()):
        lines.append(texts("export-caption-empty"))
    else:
        lines.extend(texts(COUNT_KEYS[name], count=count) for name, count in file.counts.items())
    return "\n".join(lines)
