"""/export (issue 5 item 7): one XLSX with everything CS keeps, for a chosen period.

Sheets: «Кейсы», «История кейсов» (the audit log of those cases), «Апелляции», «Запросы»,
«Итоги». Cases, appeals and requests belong to the period by their creation time: from the
start day 00:00 to the day after the end day 00:00 in TIMEZONE. Results belong to it by
month: every month that overlaps the period. Times are written as local times of TIMEZONE
(naive datetimes, the column header names the zone); enum values as the catalogue's
Russian names.

The rows come from one select per sheet (`db/export.py`); the workbook is written in
openpyxl's write-only mode, in a worker thread, so a large export neither holds every cell
object in memory nor stops the event loop.
"""

from __future__ import annotations

import asyncio
import html
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import appeals, case_posts, cases, months
from bot.services import requests as requests_service
from bot.services.errors import Invalid
from bot.services.roles import require_role
from bot.settings import Settings
from bot.texts import Texts
from db import export as export_db
from db.models import Employee, RequestKind, Role

if TYPE_CHECKING:
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

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
    def convert(value: datetime | None) -> datetime | None:
        return None if value is None else value.astimezone(tz).replace(tzinfo=None)

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
    local = _local(settings.tz)
    case_rows = await export_db.cases(session, since, until)
    history_rows = await export_db.case_history(session, since, until)
    appeal_rows = await export_db.appeals(session, since, until)
    request_rows = await export_db.requests(session, since, until)
    result_rows = await export_db.results(session, months.first_day(start), end)

    tabs, categories = _names(texts, case_posts.TAB_KEYS), _names(texts, case_posts.CATEGORY_KEYS)
    sources, case_states = (
        _names(texts, case_posts.SOURCE_KEYS),
        _names(texts, case_posts.STATE_KEYS),
    )
    appeal_states = _names(texts, appeals.STATE_KEYS)
    kinds = _names(texts, requests_service.KIND_KEYS)
    request_states = _names(texts, requests_service.STATE_KEYS)
    actions = _names(texts, ACTION_KEYS)
    yes, no = texts("export-yes"), texts("export-no")

    def state(value: str | None) -> str:
        return "" if value is None else case_states.get(value, value)

    sheets: dict[str, list[Sequence[Any]]] = {
        "cases": [
            (
                row.id,
                tabs.get(row.tab, row.tab),
                categories.get(row.category, row.category),
                sources.get(row.source, row.source),
                state(row.state),
                row.manager,
                row.group,
                row.incident_date,
                row.summary,
                row.link,
                yes if row.repeated else no,
                row.author,
                local(row.created_at),
                local(row.accepted_at),
                local(row.briefing_at),
                local(row.recheck_due_at),
                row.analysis_process,
                row.analysis_cause,
                row.analysis_measures,
                row.measures_due,
                local(row.closed_at),
            )
            for row in case_rows
        ],
        "history": [
            (
                row.case_id,
                local(row.at),
                row.actor or texts("export-bot"),
                actions.get(row.action) or texts("export-action-other"),
                state(row.from_state),
                state(row.to_state),
                row.comment,
            )
            for row in history_rows
        ],
        "appeals": [
            (
                row.id,
                row.case_id,
                row.filer,
                row.reason,
                appeal_states.get(row.state, row.state),
                row.decided_by,
                row.decision_comment,
                local(row.created_at),
                local(row.decided_at),
            )
            for row in appeal_rows
        ],
        "requests": [
            (
                texts("request-number", id=row.id),
                kinds.get(row.kind, row.kind),
                row.requester,
                row.group,
                request_states.get(row.state, row.state),
                row.processor,
                row.reject_reason,
                local(row.created_at),
                request_fields(row.kind, row.fields, texts),
            )
            for row in request_rows
        ],
        "results": [
            (row.month, row.group, row.manager, row.score, row.evaluations) for row in result_rows
        ],
    }
    zone = str(settings.tz)
    headers = {
        name: (texts(title), [texts(c.key, tz=zone) for c in columns])
        for name, (title, columns) in SHEETS.items()
    }
    data = await asyncio.to_thread(_workbook, sheets, headers)
    return ExportFile(
        start=start,
        end=end,
        filename=file_name(start, end),
        data=data,
        counts={name: len(rows) for name, rows in sheets.items()},
    )


def request_fields(kind: str, fields: dict[str, Any], texts: Texts) -> str:
    """A request's fields as the CS post shows them, one per line, as plain text."""
    try:
        lines = requests_service.field_lines(RequestKind(kind), fields, texts)
    except (KeyError, ValueError):  # a field the code no longer knows: keep the raw data
        return str(fields)
    return html.unescape("\n".join(lines))


def _workbook(
    sheets: dict[str, list[Sequence[Any]]], headers: dict[str, tuple[str, list[str]]]
) -> bytes:
    """The XLSX bytes (runs in a worker thread: no database, no event loop)."""
    # openpyxl (and numpy and PIL, which it loads) only when a workbook is made, not with the
    # bot: a process that never exports does not carry them.
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    def text_cell(sheet: WriteOnlyWorksheet, value: str) -> Any:
        """A text as a cell holds it: a character no workbook may hold (a control character)
        left out, and a text starting with "=" kept a text — openpyxl would write it as a
        formula, and Excel would run what a user typed."""
        if ILLEGAL_CHARACTERS_RE.search(value):
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if not value.startswith("="):
            return value
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell

    book = Workbook(write_only=True)
    bold = Font(bold=True)
    wrap = Alignment(vertical="top", wrap_text=True)
    formats = {DAY: DAY_FORMAT, MOMENT: MOMENT_FORMAT}
    for name, rows in sheets.items():
        title, names = headers[name]
        columns = SHEETS[name][1]
        sheet: WriteOnlyWorksheet = book.create_sheet(title)
        for number, column in enumerate(columns, start=1):
            sheet.column_dimensions[get_column_letter(number)].width = column.width
        sheet.freeze_panes = "A2"
        header = []
        for text in names:
            cell = WriteOnlyCell(sheet, value=text)
            cell.font = bold
            cell.alignment = wrap
            header.append(cell)
        sheet.append(header)
        styled = [
            (index, MONTH_FORMAT if name == "results" and index == 0 else formats[column.kind])
            for index, column in enumerate(columns)
            if column.kind in formats
        ]
        for values in rows:
            out: list[Any] = [
                text_cell(sheet, value) if isinstance(value, str) else value for value in values
            ]
            for index, number_format in styled:
                if out[index] is not None:
                    cell = WriteOnlyCell(sheet, value=out[index])
                    cell.number_format = number_format
                    out[index] = cell
            sheet.append(out)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def caption(file: ExportFile, texts: Texts) -> str:
    """The document's caption: the period and the rows per sheet (well under 1,024)."""
    lines = [texts("export-caption-title", start=file.start, end=file.end)]
    if not any(file.counts.values()):
        lines.append(texts("export-caption-empty"))
    else:
        lines.extend(texts(COUNT_KEYS[name], count=count) for name, count in file.counts.items())
    return "\n".join(lines)
