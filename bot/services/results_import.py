"""The monthly results import (DESIGN §6): CS sends an XLSX or CSV, every row is checked
before anything is written, and each month in the file replaces what was imported for it.

Columns (a header row; Russian or English names, any case): month (`месяц`), working group
(`группа`), score in percent (`оценка`), number of evaluations (`оценок`), and optionally
the manager (`менеджер`) — a group has one total row a month, or one row per manager.

Reading the file (`parse_results`) touches no database and runs in a worker thread, so a
big file does not hold up the bot; matching the rows against the roster and writing them
(`apply_results`) is one write transaction. Only CS may import; the command line imports
as the system (`by_cli=True`), which is the one path without an actor.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import months, tables
from bot.services.errors import Invalid
from bot.services.roles import require_role
from bot.services.tables import Cell, RowError
from bot.texts import Html, Texts
from db import audit
from db import employees as employees_db
from db import imports as imports_db
from db import results as results_db
from db.engine import lock_name, write_transaction
from db.models import Employee, Role

COLUMNS: dict[str, tuple[str, ...]] = {
    "month": ("месяц", "month"),
    "group": ("группа", "рабочая группа", "group", "working group"),
    "score": ("оценка", "балл", "score", "%", "оценка в %", "балл в %"),
    "evaluations": (
        "оценок",
        "количество оценок",
        "кол-во оценок",
        "число оценок",
        "evaluations",
    ),
    "manager": ("менеджер", "manager"),
}
REQUIRED = ("month", "group", "score", "evaluations")
# How a missing column is named in the refusal: the Russian header the team uses.
COLUMN_TITLES = {"month": "месяц", "group": "группа", "score": "оценка", "evaluations": "оценок"}
MAX_EVALUATIONS = 1_000_000
# While matching rows, the event loop gets a turn every this many rows.
YIELD_EVERY = 500
# A value quoted back in a refusal is cut to this length (a cell can hold a novel).
SHOWN_VALUE = 60
# The reply lists the bad rows that fit in this many characters; the count of the rest follows.
ERRORS_BUDGET = 3300


@dataclass(frozen=True)
class ResultRow:
    line: int
    month: date
    group: str
    manager: str | None
    score: float
    evaluations: int


@dataclass(frozen=True)
class ParsedResults:
    rows: list[ResultRow]
    errors: list[RowError]


@dataclass(frozen=True)
class MonthOutcome:
    month: date
    rows: int
    replaced: int  # how many rows the month had before; 0 if it is new


@dataclass(frozen=True)
class ResultsImported:
    months: list[MonthOutcome]

    @property
    def rows(self) -> int:
        return sum(outcome.rows for outcome in self.months)


class ResultsInvalid(Exception):
    def __init__(self, errors: Sequence[RowError]) -> None:
        super().__init__(f"{len(errors)} bad rows")
        self.errors = sorted(errors, key=lambda error: error.line)


def check_can_import(actor: Employee | None) -> Employee:
    """`actor`, if he may import results and workbooks (CS)."""
    return require_role(actor, Role.CS, key="import-refused")


def shown(value: object) -> str:
    text = " ".join(tables.cell_text(value).split())
    return text if len(text) <= SHOWN_VALUE else text[: SHOWN_VALUE - 1] + "…"


# --- reading the file (no database; runs in a worker thread) --------------------------------


def read_rows(data: bytes, filename: str) -> list[tables.Row]:
    """The rows of the file's table; ResultsInvalid if it cannot be read."""
    kind = tables.kind_of(filename)
    if kind is None:
        raise ResultsInvalid([RowError(0, "import-error-format", {"name": shown(filename)})])
    try:
        if kind == "xlsx":
            return tables.xlsx_first_sheet(data)
        return tables.csv_rows(data, text_file=filename.lower().endswith(".txt"))
    except tables.NotATable as error:
        raise ResultsInvalid(
            [RowError(0, "import-error-format", {"name": shown(filename)})]
        ) from error
    except tables.Unreadable as error:
        raise ResultsInvalid(
            [RowError(0, "import-error-unreadable", {"error": shown(error)})]
        ) from error


def parse_results(data: bytes, filename: str) -> ParsedResults:
    """Every row of the file checked on its own (month, score, evaluations, names given);
    ResultsInvalid for a file that cannot be read at all."""
    return parse_table(read_rows(data, filename))


def parse_table(raw: list[tables.Row]) -> ParsedResults:
    if not raw:
        raise ResultsInvalid([RowError(1, "import-error-empty")])
    header = tables.find_header(raw, COLUMNS, REQUIRED)
    columns = tables.header_columns(raw[header], COLUMNS)
    missing = [COLUMN_TITLES[name] for name in REQUIRED if name not in columns]
    if missing:
        raise ResultsInvalid(
            [RowError(header + 1, "import-error-columns", {"columns": ", ".join(missing)})]
        )
    body = tables.data_rows(raw, header)
    if not body:
        raise ResultsInvalid([RowError(1, "import-error-empty")])
    rows: list[ResultRow] = []
    errors: list[RowError] = []
    for line, cells in body:
        row_errors: list[RowError] = []

        def cell(name: str, cells: tables.Row = cells) -> Cell:
            return tables.cell_at(cells, columns.get(name))

        month = _month(cell("month"), line, row_errors)
        group = " ".join(cell("group").text.split())
        if not group:
            row_errors.append(RowError(line, "import-error-no-group"))
        manager = " ".join(cell("manager").text.split()) or None
        score = _score(cell("score"), line, row_errors)
        evaluations = _evaluations(cell("evaluations"), line, row_errors)
        if row_errors:
            errors.extend(row_errors)
            continue
        assert month is not None
        assert score is not None
        assert evaluations is not None
        rows.append(ResultRow(line, month, group, manager, score, evaluations))
    return ParsedResults(rows, errors)


def _month(cell: Cell, line: int, errors: list[RowError]) -> date | None:
    value: object = cell.value if isinstance(cell.value, date) else tables.excel_day(cell.value)
    if value is None and isinstance(cell.value, float):
        # «10.2020» typed in a cell becomes the number 10.202: its four decimals are the year.
        value = f"{cell.value:.4f}"
    elif value is None:
        value = cell.text
    try:
        return months.parse_month(value)
    except Invalid:
        errors.append(RowError(line, "import-error-month", {"value": shown(cell.value) or "—"}))
        return None


def parse_score(cell: Cell) -> float:
    """A percent 0–100: 87.5, «87,5», «87.5%», or 0.875 in a cell formatted as percent."""
    value = cell.value
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int | float):
        number = float(value) * (100 if cell.percent else 1)
    else:
        text = "".join(cell.text.split()).replace(",", ".")
        number = float(text.removesuffix("%"))
    if not math.isfinite(number) or not 0 <= number <= 100:
        raise ValueError(number)
    return round(number, 4)


def _score(cell: Cell, line: int, errors: list[RowError]) -> float | None:
    try:
        return parse_score(cell)
    except ValueError:
        errors.append(RowError(line, "import-error-score", {"value": shown(cell.value) or "—"}))
        return None


def parse_evaluations(cell: Cell) -> int:
    value = cell.value
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise ValueError(value)
        number = int(value)
    else:
        text = "".join(cell.text.split())
        if not text.isdigit():
            raise ValueError(text)
        number = int(text)
    if not 1 <= number <= MAX_EVALUATIONS:
        raise ValueError(number)
    return number


def _evaluations(cell: Cell, line: int, errors: list[RowError]) -> int | None:
    try:
        return parse_evaluations(cell)
    except ValueError:
        errors.append(
            RowError(line, "import-error-evaluations", {"value": shown(cell.value) or "—"})
        )
        return None


# --- matching against the roster and writing --------------------------------------------------


async def import_results(
    session: AsyncSession,
    actor: Employee | None,
    data: bytes,
    filename: str,
    *,
    by_cli: bool = False,
) -> ResultsImported:
    """Read the file in a worker thread, then check it against the roster and write it."""
    if not by_cli:
        check_can_import(actor)
    parsed = await asyncio.to_thread(parse_results, data, filename)
    return await apply_results(session, actor, parsed, by_cli=by_cli)


async def apply_results(
    session: AsyncSession,
    actor: Employee | None,
    parsed: ParsedResults,
    *,
    by_cli: bool = False,
) -> ResultsImported:
    """In one write transaction: every row matched against the roster (any bad row and
    nothing is written), then each month of the file replaced by its rows.

    `by_cli` is the command line importing as the system: then there is no actor."""
    if by_cli:
        if actor is not None:
            raise ValueError("the command line imports as the system, without an actor")
    else:
        check_can_import(actor)
    async with write_transaction(session):
        await lock_name(session, "results:import")  # a month's rows replaced by one at a time
        importer: Employee | None = None
        if not by_cli:
            assert actor is not None
            # Re-read under the write lock: the role may have changed since the file came.
            importer = check_can_import(await employees_db.by_id(session, actor.id))
        records, errors = await _match(session, parsed.rows)
        errors = parsed.errors + errors
        if errors:
            raise ResultsInvalid(errors)
        now = datetime.now(UTC)
        outcomes: list[MonthOutcome] = []
        for month in sorted({record.month for record in records}):
            replaced = await results_db.delete_month(session, month)
            rows = [record for record in records if record.month == month]
            await results_db.add_rows(
                session, rows, imported_at=now, imported_by_id=importer.id if importer else None
            )
            outcomes.append(MonthOutcome(month, len(rows), replaced))
            audit.record(
                session,
                actor_id=importer.id if importer else None,
                entity="monthly_results",
                entity_id=months.code(month),
                action="reimport" if replaced else "import",
                comment=f"{len(rows)} rows" + (f", replaced {replaced}" if replaced else ""),
            )
    return ResultsImported(outcomes)


async def _match(
    session: AsyncSession, rows: list[ResultRow]
) -> tuple[list[results_db.NewResult], list[RowError]]:
    groups = {tables.normalize(g.name): g for g in await imports_db.working_groups(session)}
    people: dict[str, list[Employee]] = {}
    for person in await imports_db.managers_and_leads(session, active_only=False):
        people.setdefault(tables.normalize(person.full_name), []).append(person)

    records: list[results_db.NewResult] = []
    errors: list[RowError] = []
    seen: dict[tuple[date, int, int | None], int] = {}
    # The first line of a group's total row and of its per-manager rows, per month.
    totals: dict[tuple[date, int], int] = {}
    per_manager: dict[tuple[date, int], int] = {}
    for number, row in enumerate(rows, start=1):
        if number % YIELD_EVERY == 0:
            await asyncio.sleep(0)  # a file of thousands of rows: let other updates through
        row_errors: list[RowError] = []
        group = groups.get(tables.normalize(row.group))
        if group is None:
            row_errors.append(RowError(row.line, "import-error-group", {"name": shown(row.group)}))
        manager: Employee | None = None
        if row.manager is not None:
            found = people.get(tables.normalize(row.manager), [])
            # Results may name someone dismissed since; an active namesake comes first.
            candidates = [person for person in found if person.active] or found
            if not candidates:
                row_errors.append(
                    RowError(row.line, "import-error-manager", {"name": shown(row.manager)})
                )
            elif len(candidates) > 1:
                row_errors.append(
                    RowError(
                        row.line,
                        "import-error-manager-ambiguous",
                        {"name": shown(row.manager), "count": len(candidates)},
                    )
                )
            else:
                manager = candidates[0]
                if group is not None and group.id not in manager.group_ids:
                    row_errors.append(
                        RowError(
                            row.line,
                            "import-error-manager-group",
                            {"name": manager.full_name, "group": group.name},
                        )
                    )
        if row_errors or group is None:
            errors.extend(row_errors)
            continue
        manager_id = manager.id if manager else None
        key = (row.month, group.id, manager_id)
        if key in seen:
            errors.append(RowError(row.line, "import-error-duplicate", {"other": seen[key]}))
            continue
        seen[key] = row.line
        month_group = (row.month, group.id)
        same_kind, other_kind = (per_manager, totals) if manager else (totals, per_manager)
        if month_group in other_kind:
            errors.append(
                RowError(
                    row.line,
                    "import-error-mixed",
                    {
                        "group": group.name,
                        "month": f"{row.month:%m.%Y}",
                        "other": other_kind[month_group],
                    },
                )
            )
            continue
        same_kind.setdefault(month_group, row.line)
        records.append(
            results_db.NewResult(
                month=row.month,
                group_id=group.id,
                manager_id=manager_id,
                score=row.score,
                evaluations=row.evaluations,
            )
        )
    return records, errors


# --- what the importer reads -------------------------------------------------------------------


def render_imported(texts: Texts, result: ResultsImported, *, shown_months: int = 40) -> str:
    """What was imported, month by month (a file of many years lists the first
    `shown_months`, so the reply stays one message)."""
    lines = [texts("import-results-done", rows=result.rows, months=len(result.months))]
    for outcome in result.months[:shown_months]:
        month = months.label(texts, outcome.month)
        if outcome.replaced:
            lines.append(
                texts(
                    "import-results-month-replaced",
                    month=month,
                    before=outcome.replaced,
                    rows=outcome.rows,
                )
            )
        else:
            lines.append(texts("import-results-month-new", month=month, rows=outcome.rows))
    if len(result.months) > shown_months:
        lines.append(texts("import-more-months", count=len(result.months) - shown_months))
    return "\n".join(lines)


def render_error(texts: Texts, error: RowError) -> str:
    reason = Html(texts(error.key, **error.args))  # the catalogue escaped the row's values
    if error.sheet and error.line:
        return texts("import-sheet-line", sheet=error.sheet, line=error.line, reason=reason)
    if error.line:
        return texts("import-line", line=error.line, reason=reason)
    return str(reason)


def render_errors(texts: Texts, errors: Sequence[RowError], *, budget: int = ERRORS_BUDGET) -> str:
    """The bad rows, one a line, as many as fit in `budget` characters (a message is at
    most 4,096), then how many more there are."""
    lines: list[str] = []
    used = 0
    for index, error in enumerate(errors):
        line = render_error(texts, error)
        rest = len(errors) - index - 1
        reserve = len(texts("import-more-errors", count=len(errors))) + 1 if rest else 0
        if lines and used + len(line) + 1 + reserve > budget:
            lines.append(texts("import-more-errors", count=len(errors) - index))
            break
        lines.append(line)
        used += len(line) + 1
    return "\n".join(lines)


def render_rejected(texts: Texts, invalid: ResultsInvalid) -> str:
    head = texts("import-results-rejected", count=len(invalid.errors))
    return f"{head}\n\n{render_errors(texts, invalid.errors)}"
