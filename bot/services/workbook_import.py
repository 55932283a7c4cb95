"""The team's shared workbook import (issue 5, item 6): the cases CS kept in its spreadsheet
become cases in the bot, published exactly as /case publishes them.

The workbook has the sheets «Кейсы», «Зоны роста» and «CSI» (any of them; names matched
without regard to case and spaces), one per case tab. Columns: date (`дата`), manager
(`менеджер`, the full name as in the roster), category (`категория`), source (`источник`),
summary (`суть`) and an optional link (`ссылка`).

Each row gets an `import_key` — a hash of its tab, date, manager and summary — so a row
imported before, or repeated in the same file, is skipped: importing the same workbook
twice publishes nothing the second time. Any bad row and nothing is imported; otherwise
every new row is registered in one write transaction (`cases.register_in_transaction`).
A long import reports its progress through a callback (the handler edits one message).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import cases, tables
from bot.services.errors import Invalid
from bot.services.results_import import check_can_import, render_errors, shown
from bot.services.tables import Cell, RowError
from bot.settings import Settings
from bot.texts import Texts
from db import employees as employees_db
from db import imports as imports_db
from db.engine import lock_name, write_transaction
from db.models import CaseCategory, CaseSource, CaseTab, Employee

SHEETS: dict[str, CaseTab] = {
    "кейсы": CaseTab.CASES,
    "зоны роста": CaseTab.GROWTH,
    "csi": CaseTab.CSI,
}
COLUMNS: dict[str, tuple[str, ...]] = {
    "date": ("дата", "date", "дата ошибки"),
    "manager": ("менеджер", "manager", "сотрудник"),
    "category": ("категория", "category"),
    "source": ("источник", "source"),
    "summary": ("суть", "описание", "summary", "суть ошибки"),
    "link": ("ссылка", "link", "ссылка на запись"),
}
REQUIRED = ("date", "manager", "category", "source", "summary")
COLUMN_TITLES = {
    "date": "дата",
    "manager": "менеджер",
    "category": "категория",
    "source": "источник",
    "summary": "суть",
}
CATEGORIES: dict[str, CaseCategory] = {
    "ошибка в коммуникации": CaseCategory.COMMUNICATION,
    "коммуникация": CaseCategory.COMMUNICATION,
    "communication": CaseCategory.COMMUNICATION,
    "ошибка в процессе": CaseCategory.PROCESS,
    "процесс": CaseCategory.PROCESS,
    "process": CaseCategory.PROCESS,
}
SOURCES: dict[str, CaseSource] = {
    "онлайн-встреча": CaseSource.MEETING,
    "онлайн встреча": CaseSource.MEETING,
    "встреча": CaseSource.MEETING,
    "meeting": CaseSource.MEETING,
    "исходящий звонок": CaseSource.CALL,
    "звонок": CaseSource.CALL,
    "call": CaseSource.CALL,
    "обращение": CaseSource.REQUEST,
    "request": CaseSource.REQUEST,
    "csi": CaseSource.CSI,
}
_DAY = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$")
_ISO_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T].*)?$")
# Progress is reported every this many rows while checking (and the loop gets a breath).
CHECK_STEP = 50

CHECKING = "check"
PUBLISHING = "publish"
# (stage, done, total): the service calls it as it goes; the handler decides how often
# the importer actually sees it.
Progress = Callable[[str, int, int], Awaitable[None]]


@dataclass(frozen=True)
class WorkbookRow:
    sheet: str
    line: int
    tab: CaseTab
    incident_date: date
    manager: str
    category: CaseCategory
    source: CaseSource
    summary: str
    link: str | None


@dataclass(frozen=True)
class ParsedWorkbook:
    rows: list[WorkbookRow]
    errors: list[RowError]


@dataclass(frozen=True)
class WorkbookImported:
    new: int
    skipped: int
    case_ids: list[int]


class WorkbookInvalid(Exception):
    def __init__(
        self, errors: Sequence[RowError], *, new: int = 0, skipped: int = 0, rejected: int = 0
    ) -> None:
        super().__init__(f"{len(errors)} bad rows")
        self.errors = list(errors)
        self.new = new
        self.skipped = skipped
        self.rejected = rejected or len({(error.sheet, error.line) for error in errors})


def import_key(tab: CaseTab, incident_date: date, manager_id: int, summary: str) -> str:
    """The identity of a workbook row: the same error typed again is the same row."""
    text = " ".join(summary.split()).casefold()
    raw = f"{tab}\x1f{incident_date.isoformat()}\x1f{manager_id}\x1f{text}"
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


# --- reading the file (no database; runs in a worker thread) --------------------------------


def is_workbook(data: bytes, filename: str) -> bool:
    """An XLSX with at least one of the workbook's sheets (else it is a results file)."""
    if tables.kind_of(filename) != "xlsx":
        return False
    try:
        names = tables.xlsx_sheet_names(data)
    except tables.Unreadable:
        return False
    return any(tables.normalize(name) in SHEETS for name in names)


def parse_workbook(data: bytes, filename: str, today: date) -> ParsedWorkbook:
    """Every row of the workbook's sheets checked on its own; WorkbookInvalid for a file
    that cannot be read or has none of the sheets."""
    if tables.kind_of(filename) != "xlsx":
        raise WorkbookInvalid([RowError(0, "import-error-format", {"name": shown(filename)})])
    try:
        sheets = tables.xlsx_sheets(data, set(SHEETS), links=True)
    except tables.Unreadable as error:
        raise WorkbookInvalid(
            [RowError(0, "import-error-unreadable", {"error": shown(error)})]
        ) from error
    if not sheets:
        raise WorkbookInvalid([RowError(0, "import-error-no-sheets")])
    rows: list[WorkbookRow] = []
    errors: list[RowError] = []
    for title, raw in sheets:
        tab = SHEETS[tables.normalize(title)]
        if not raw:
            continue
        header = tables.find_header(raw, COLUMNS, REQUIRED)
        columns = tables.header_columns(raw[header], COLUMNS)
        missing = [COLUMN_TITLES[name] for name in REQUIRED if name not in columns]
        body = tables.data_rows(raw, header)
        if missing and body:
            errors.append(
                RowError(
                    header + 1,
                    "import-error-columns",
                    {"columns": ", ".join(missing)},
                    sheet=title,
                )
            )
            continue
        for line, cells in body:
            row = _parse_row(title, line, tab, cells, columns, today, errors)
            if row is not None:
                rows.append(row)
    if not rows and not errors:
        raise WorkbookInvalid([RowError(0, "import-error-empty")])
    return ParsedWorkbook(rows, errors)


def _parse_row(
    sheet: str,
    line: int,
    tab: CaseTab,
    cells: tables.Row,
    columns: dict[str, int],
    today: date,
    errors: list[RowError],
) -> WorkbookRow | None:
    found: list[RowError] = []

    def cell(name: str) -> Cell:
        return tables.cell_at(cells, columns.get(name))

    def refuse(key: str, args: dict[str, object] | None = None) -> None:
        found.append(RowError(line, key, args or {}, sheet=sheet))

    incident = parse_date(cell("date"))
    if incident is None:
        refuse("import-error-date", {"value": shown(cell("date").value) or "—"})
    elif incident > today:
        refuse("import-error-date-future", {"value": f"{incident:%d.%m.%Y}"})
    manager = " ".join(cell("manager").text.split())
    if not manager:
        refuse("import-error-no-manager")
    category = CATEGORIES.get(tables.normalize(cell("category").text))
    if category is None:
        refuse("import-error-category", {"value": shown(cell("category").value) or "—"})
    source = SOURCES.get(tables.normalize(cell("source").text))
    if source is None:
        refuse("import-error-source", {"value": shown(cell("source").value) or "—"})
    summary = cell("summary").text.strip()
    if not summary:
        refuse("import-error-summary-empty")
    elif len(summary) > cases.MAX_SUMMARY:
        refuse("import-error-summary-long", {"max": cases.MAX_SUMMARY, "length": len(summary)})
    link: str | None = None
    # A cell showing a word («Запись») with the address behind it gives the address.
    link_text = (cell("link").link or cell("link").text).strip()
    if link_text:
        try:
            link = cases.clean_link(link_text)
        except Invalid:
            refuse("import-error-link", {"value": shown(link_text)})
    if found:
        errors.extend(found)
        return None
    assert incident is not None
    assert category is not None
    assert source is not None
    return WorkbookRow(sheet, line, tab, incident, manager, category, source, summary, link)


def parse_date(cell: Cell) -> date | None:
    """A date cell, Excel's serial number of a day (a date cell that lost its format), or
    text dd.mm.yyyy (also yyyy-mm-dd), a time after it left out."""
    value = cell.value
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if (day := tables.excel_day(value)) is not None:
        return day
    text = cell.text.strip()
    try:
        if match := _DAY.fullmatch(text):
            return date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
        if match := _ISO_DAY.fullmatch(text):
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None
    return None


# --- matching, then publishing ----------------------------------------------------------------


async def import_workbook(
    session: AsyncSession,
    actor: Employee | None,
    data: bytes,
    filename: str,
    *,
    settings: Settings,
    texts: Texts,
    bot_username: str,
    progress: Progress | None = None,
) -> WorkbookImported:
    """Read the workbook in a worker thread, then check every row and publish the new ones."""
    check_can_import(actor)
    parsed = await asyncio.to_thread(parse_workbook, data, filename, cases.local_today(settings))
    return await apply_workbook(
        session,
        actor,
        parsed,
        settings=settings,
        texts=texts,
        bot_username=bot_username,
        progress=progress,
    )


async def apply_workbook(
    session: AsyncSession,
    actor: Employee | None,
    parsed: ParsedWorkbook,
    *,
    settings: Settings,
    texts: Texts,
    bot_username: str,
    progress: Progress | None = None,
) -> WorkbookImported:
    check_can_import(actor)
    report = progress or _silent
    total = len(parsed.rows)
    async with write_transaction(session):
        # Case registration's lock for the whole file: the rows it skips as known are read
        # under it, so the same file imported twice at once adds its cases once.
        await lock_name(session, "cases:register")
        assert actor is not None
        # Re-read under the write lock: the role may have changed since the file came.
        importer = check_can_import(await employees_db.by_id(session, actor.id))
        people: dict[str, list[Employee]] = {}
        # The dismissed too: a row about one is refused with that reason, not «not found».
        for someone in await imports_db.managers_and_leads(session, active_only=False):
            people.setdefault(tables.normalize(someone.full_name), []).append(someone)

        errors = list(parsed.errors)
        keyed: list[tuple[WorkbookRow, Employee, str]] = []
        for done, row in enumerate(parsed.rows, start=1):
            person = _person(row, people, errors)
            if person is not None:
                keyed.append(
                    (row, person, import_key(row.tab, row.incident_date, person.id, row.summary))
                )
            if done % CHECK_STEP == 0:
                await report(CHECKING, done, total)
        await report(CHECKING, total, total)

        known = await imports_db.existing_import_keys(session, (key for _, _, key in keyed))
        fresh: list[tuple[WorkbookRow, Employee, str]] = []
        seen: set[str] = set()
        for row, person, key in keyed:
            if key not in known and key not in seen:
                fresh.append((row, person, key))
            seen.add(key)
        skipped = len(keyed) - len(fresh)
        if errors:
            raise WorkbookInvalid(
                sorted(errors, key=_order(parsed)), new=len(fresh), skipped=skipped
            )

        case_ids: list[int] = []
        for done, (row, person, key) in enumerate(fresh, start=1):
            case = await cases.register_in_transaction(
                session,
                importer,
                cases.CaseDraft(
                    manager_id=person.id,
                    tab=row.tab,
                    category=row.category,
                    source=row.source,
                    incident_date=row.incident_date,
                    summary=row.summary,
                    link=row.link,
                ),
                settings=settings,
                texts=texts,
                bot_username=bot_username,
                import_key=key,
            )
            case_ids.append(case.id)
            await report(PUBLISHING, done, len(fresh))
    return WorkbookImported(new=len(fresh), skipped=skipped, case_ids=case_ids)


def _person(
    row: WorkbookRow, people: dict[str, list[Employee]], errors: list[RowError]
) -> Employee | None:
    everyone = people.get(tables.normalize(row.manager), [])
    found = [person for person in everyone if person.active]
    if not found:
        key = "import-error-manager-inactive" if everyone else "import-error-manager"
        name = everyone[0].full_name if everyone else shown(row.manager)
        errors.append(RowError(row.line, key, {"name": name}, sheet=row.sheet))
        return None
    if len(found) > 1:
        errors.append(
            RowError(
                row.line,
                "import-error-manager-ambiguous",
                {"name": shown(row.manager), "count": len(found)},
                sheet=row.sheet,
            )
        )
        return None
    person = found[0]
    if not person.groups:
        errors.append(
            RowError(
                row.line,
                "import-error-manager-no-group",
                {"name": person.full_name},
                sheet=row.sheet,
            )
        )
        return None
    return person


def _order(parsed: ParsedWorkbook) -> Callable[[RowError], tuple[int, int]]:
    """Errors sheet by sheet in the workbook's order, then by line."""
    sheets = list(
        dict.fromkeys([row.sheet for row in parsed.rows] + [e.sheet for e in parsed.errors])
    )

    def key(error: RowError) -> tuple[int, int]:
        return (sheets.index(error.sheet) if error.sheet in sheets else 0, error.line)

    return key


async def _silent(stage: str, done: int, total: int) -> None:
    return None


# --- what the importer reads -------------------------------------------------------------------


def render_imported(texts: Texts, result: WorkbookImported) -> str:
    if not result.new:
        return texts("import-workbook-nothing-new", skipped=result.skipped)
    return texts("import-workbook-done", new=result.new, skipped=result.skipped)


def render_rejected(texts: Texts, invalid: WorkbookInvalid) -> str:
    head = texts(
        "import-workbook-rejected",
        rejected=invalid.rejected,
        new=invalid.new,
        skipped=invalid.skipped,
    )
    return f"{head}\n\n{render_errors(texts, invalid.errors)}"


def render_progress(texts: Texts, stage: str, done: int, total: int) -> str:
    key = "import-progress-publish" if stage == PUBLISHING else "import-progress-check"
    return texts(key, done=done, total=total)
