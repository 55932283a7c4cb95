"""/export (issue 5 item 7): one XLSX with everything CS keeps, for a chosen period.

Sheets: «Кейсы», «История кейсов» (the audit log of those cases), «Апелляции», «Запросы»,
«Итоги». Cases, appeals and requests belong to the period by their creation time: from the
start day 00:00 to the day after the end day 00:00 in TIMEZONE. Results belong to it by
month: every month that overlaps the period. Times are written as local times of TIMEZONE
(naive datetimes, the column header names the zone); enum values as the catalogue's
Russian names.

The rows come from one select per sheet (`db/export.py`), streamed in batches; each batch
is written into the file (`export_xlsx`, a streaming writer, by each column's kind and the
catalogue's names of its values) in a worker thread and dropped, so a large export neither
holds its rows in memory nor stops the event loop. 100,000 cases with their history take a
few seconds (`python -m bench.export`).
"""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import appeals, case_posts, cases, export_xlsx, months
from bot.services import requests as requests_service
from bot.services.collector import collector_paused
from bot.services.errors import Invalid
from bot.services.export_xlsx import DAY, MOMENT, NAME, NUMBER, TEXT, SheetSpec, StreamingWorkbook
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

# Column kinds: those of the writer (NUMBER, TEXT: a free text, NAME: a text that repeats,
# DAY, MOMENT), and a flag shown as «да»/«нет».
FLAG = "flag"
DAY_FORMAT = "DD.MM.YYYY"
MOMENT_FORMAT = "DD.MM.YYYY HH:MM"
MONTH_FORMAT = "MM.YYYY"


@dataclass(frozen=True)
class Column:
    key: str  # the header's catalogue key ({ $tz } for times)
    kind: str
    width: int
    # NAME: the catalogue names its values are shown as (`_Names`), if any.
    names: str | None = None


SHEETS: dict[str, tuple[str, list[Column]]] = {
    "cases": (
        "export-sheet-cases",
        [
            Column("export-col-number", NUMBER, 8),
            Column("export-col-tab", NAME, 12, names="tabs"),
            Column("export-col-category", NAME, 24, names="categories"),
            Column("export-col-source", NAME, 18, names="sources"),
            Column("export-col-state", NAME, 20, names="case_states"),
            Column("export-col-manager", NAME, 26, names="people"),
            Column("export-col-group", NAME, 20, names="groups"),
            Column("export-col-incident-date", DAY, 14),
            Column("export-col-summary", TEXT, 60),
            Column("export-col-link", TEXT, 30),
            Column("export-col-repeated", FLAG, 11),
            Column("export-col-author", NAME, 26, names="people"),
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
            Column("export-col-who", NAME, 26, names="actors"),
            Column("export-col-action", NAME, 28, names="actions"),
            Column("export-col-from", NAME, 20, names="case_states"),
            Column("export-col-to", NAME, 20, names="case_states"),
            Column("export-col-comment", TEXT, 50),
        ],
    ),
    "appeals": (
        "export-sheet-appeals",
        [
            Column("export-col-number", NUMBER, 8),
            Column("export-col-case", NUMBER, 8),
            Column("export-col-filer", NAME, 26),
            Column("export-col-reason", TEXT, 60),
            Column("export-col-state", NAME, 20, names="appeal_states"),
            Column("export-col-decided-by", NAME, 26),
            Column("export-col-decision-comment", TEXT, 50),
            Column("export-col-created", MOMENT, 20),
            Column("export-col-decided", MOMENT, 20),
        ],
    ),
    "requests": (
        "export-sheet-requests",
        [
            Column("export-col-number", TEXT, 9),
            Column("export-col-kind", NAME, 18, names="kinds"),
            Column("export-col-requester", NAME, 26),
            Column("export-col-group", NAME, 20),
            Column("export-col-state", NAME, 14, names="request_states"),
            Column("export-col-processor", NAME, 26),
            Column("export-col-reject-reason", TEXT, 40),
            Column("export-col-created", MOMENT, 20),
            Column("export-col-fields", TEXT, 60),
        ],
    ),
    "results": (
        "export-sheet-results",
        [
            Column("export-col-month", DAY, 12),
            Column("export-col-group", NAME, 24),
            Column("export-col-manager", NAME, 26),
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
    names = _Names(texts, *await export_db.names(session))
    sources: dict[str, tuple[AsyncIterator[Sequence[Any]], Callable[[Any], Any] | None]] = {
        "cases": (export_db.cases(session, since, until), None),
        "history": (export_db.case_history(session, since, until), None),
        "appeals": (export_db.appeals(session, since, until), None),
        "requests": (export_db.requests(session, since, until), names.request),
        "results": (export_db.results(session, months.first_day(start), end), None),
    }
    zone = str(settings.tz)
    book = await asyncio.to_thread(
        StreamingWorkbook,
        [
            SheetSpec(
                title=texts(title),
                headers=[texts(column.key, tz=zone) for column in columns],
                widths=[column.width for column in columns],
                columns=[names.column(name, index, column) for index, column in enumerate(columns)],
            )
            for name, (title, columns) in SHEETS.items()
        ],
        settings.tz,
    )
    counts: dict[str, int] = {}
    try:
        # Paused: bench.export, 100,000 cases, 5.07-5.10 -> 4.90 s, the same peak memory.
        with collector_paused():
            for name, (batches, prepare) in sources.items():
                book.begin_sheet()
                counts[name] = 0
                async for batch in batches:
                    # Each batch written in a worker thread: the event loop only fetches.
                    await asyncio.to_thread(book.write_rows, batch, prepare)
                    counts[name] += len(batch)
                book.end_sheet()
            data = await asyncio.to_thread(book.close)
    finally:
        book.discard()
    return ExportFile(
        start=start, end=end, filename=file_name(start, end), data=data, counts=counts
    )


class _Names:
    """The catalogue's names of the stored values, and each column's kind for the writer. Used
    in the worker thread that writes the rows (the catalogue only formats: it keeps no state
    between calls)."""

    def __init__(self, texts: Texts, people: dict[int, str], groups: dict[int, str]) -> None:
        self.texts = texts
        bot = texts("export-bot")
        self.tables: dict[str, tuple[dict[Any, str], str | None]] = {
            # name -> (the text of a value, the text of a value not in it: None, the value)
            "tabs": (_names(texts, case_posts.TAB_KEYS), None),
            "categories": (_names(texts, case_posts.CATEGORY_KEYS), None),
            "sources": (_names(texts, case_posts.SOURCE_KEYS), None),
            "case_states": (_names(texts, case_posts.STATE_KEYS), None),
            "appeal_states": (_names(texts, appeals.STATE_KEYS), None),
            "kinds": (_names(texts, requests_service.KIND_KEYS), None),
            "request_states": (_names(texts, requests_service.STATE_KEYS), None),
            "actions": (_names(texts, ACTION_KEYS), texts("export-action-other")),
            # The cases' and history's people and groups come as ids (an id no longer
            # known, shown as it is).
            "people": (people, None),
            "groups": (groups, None),
            "actors": ({None: bot, **people}, None),  # no actor: the bot
            # A flag (0/1 on SQLite): anything true is «да».
            "flags": (
                {True: texts("export-yes"), False: texts("export-no"), None: texts("export-no")},
                texts("export-yes"),
            ),
        }

    def column(self, sheet: str, index: int, column: Column) -> export_xlsx.ColumnSpec:
        if column.kind == FLAG:
            names, other = self.tables["flags"]
            return export_xlsx.ColumnSpec(NAME, names=names, other=other)
        if column.names is not None:
            names, other = self.tables[column.names]
            return export_xlsx.ColumnSpec(column.kind, names=names, other=other)
        if sheet == "results" and index == 0:  # the month
            return export_xlsx.ColumnSpec(DAY, number_format=MONTH_FORMAT)
        number_format = {DAY: DAY_FORMAT, MOMENT: MOMENT_FORMAT}.get(column.kind)
        return export_xlsx.ColumnSpec(column.kind, number_format=number_format)

    def request(self, row: Any) -> Sequence[Any]:
        """A request's row with its number and fields as texts."""
        number, kind, requester, group, state, processor, reject_reason, created_at, fields = row
        return (
            self.texts("request-number", id=number),
            kind,
            requester,
            group,
            state,
            processor,
            reject_reason,
            created_at,
            request_fields(kind, fields, self.texts),
        )


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
