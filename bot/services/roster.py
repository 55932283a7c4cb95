"""The roster import (DESIGN §9): CSV or XLSX in, every row checked before anything is written.

Columns: full_name, role, group, position, telegram_id, username. `role` is cs, lead or
manager; a lead of several groups lists them separated by ";". An employee is matched by
Telegram id, then by username, then by full name, so re-importing a file changes nothing
and a changed row updates the one employee it describes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import tables
from bot.services.tables import RowError
from db import audit
from db import employees as employees_db
from db.engine import lock_name, write_transaction
from db.models import Employee, Role, WorkingGroup

COLUMNS = ("full_name", "role", "group", "position", "telegram_id", "username")
REQUIRED_COLUMNS = ("full_name", "role", "group")
ROLE_ALIASES = {
    "cs": Role.CS,
    "кс": Role.CS,
    "lead": Role.LEAD,
    "лидер": Role.LEAD,
    "manager": Role.MANAGER,
    "менеджер": Role.MANAGER,
}
USERNAME = re.compile(r"^@?[A-Za-z][A-Za-z0-9_]{3,31}$")
MAX_NAME = 200


@dataclass(frozen=True)
class RosterRow:
    line: int
    full_name: str
    role: Role
    groups: tuple[str, ...]
    position: str
    telegram_id: int | None
    username: str | None


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    groups_created: int = 0


class RosterInvalid(Exception):
    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} bad rows")
        self.errors = errors


def read_table(data: bytes, filename: str) -> list[tuple[int, dict[str, str]]]:
    """Rows of a CSV or XLSX file as (line number, {column: text}); raises RosterInvalid."""
    suffix = Path(filename).suffix.lower()
    if suffix == ".xlsx":
        raw_rows = _xlsx_rows(data)
    elif suffix in {".csv", ".txt"}:
        raw_rows = _csv_rows(data)
    else:
        raise RosterInvalid([RowError(0, "roster-error-format", {"name": filename})])
    if not raw_rows:
        raise RosterInvalid([RowError(1, "roster-error-empty")])
    header = [cell.strip().lower() for cell in raw_rows[0]]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise RosterInvalid([RowError(1, "roster-error-columns", {"columns": ", ".join(missing)})])
    rows = []
    for number, cells in enumerate(raw_rows[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        record = {
            name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(header)
        }
        rows.append((number, record))
    return rows


def _csv_rows(data: bytes) -> list[list[str]]:
    try:
        return [[cell.text for cell in row] for row in tables.csv_rows(data)]
    except tables.Unreadable as error:
        raise RosterInvalid(
            [RowError(0, "roster-error-unreadable", {"error": str(error)})]
        ) from error


def _xlsx_rows(data: bytes) -> list[list[str]]:
    try:
        return [[cell.text for cell in row] for row in tables.xlsx_first_sheet(data)]
    except tables.Unreadable as error:
        raise RosterInvalid(
            [RowError(0, "roster-error-unreadable", {"error": str(error)})]
        ) from error


def parse_rows(
    rows: Iterable[tuple[int, dict[str, str]]],
) -> tuple[list[RosterRow], list[RowError]]:
    parsed: list[RosterRow] = []
    errors: list[RowError] = []
    seen_ids: dict[int, int] = {}
    seen_usernames: dict[str, int] = {}
    seen_names: dict[str, int] = {}
    for line, record in rows:
        row_errors: list[RowError] = []
        full_name = " ".join(record.get("full_name", "").split())
        if not full_name:
            row_errors.append(RowError(line, "roster-error-no-name"))
        elif len(full_name) > MAX_NAME:
            row_errors.append(RowError(line, "roster-error-long-name", {"max": MAX_NAME}))
        role_text = record.get("role", "").strip().lower()
        role = ROLE_ALIASES.get(role_text)
        if role is None:
            row_errors.append(RowError(line, "roster-error-role", {"role": role_text or "—"}))
        groups = tuple(
            dict.fromkeys(" ".join(part.split()) for part in record.get("group", "").split(";"))
        )
        groups = tuple(name for name in groups if name)
        if role in {Role.LEAD, Role.MANAGER} and not groups:
            row_errors.append(RowError(line, "roster-error-no-group"))
        if role == Role.MANAGER and len(groups) > 1:
            row_errors.append(RowError(line, "roster-error-manager-groups"))
        if any(len(name) > MAX_NAME for name in groups):
            row_errors.append(RowError(line, "roster-error-long-group", {"max": MAX_NAME}))
        telegram_id: int | None = None
        id_text = record.get("telegram_id", "").strip()
        if id_text:
            if id_text.isdigit() and 0 < int(id_text) < 2**52:
                telegram_id = int(id_text)
            else:
                row_errors.append(RowError(line, "roster-error-telegram-id", {"value": id_text}))
        username: str | None = None
        username_text = record.get("username", "").strip()
        if username_text:
            if USERNAME.match(username_text):
                username = employees_db.normalize_username(username_text)
            else:
                row_errors.append(RowError(line, "roster-error-username", {"value": username_text}))
        if telegram_id is not None and telegram_id in seen_ids:
            row_errors.append(
                RowError(line, "roster-error-duplicate", {"other": seen_ids[telegram_id]})
            )
        if username is not None and username in seen_usernames:
            row_errors.append(
                RowError(line, "roster-error-duplicate", {"other": seen_usernames[username]})
            )
        if telegram_id is None and username is None and full_name.casefold() in seen_names:
            row_errors.append(
                RowError(
                    line, "roster-error-duplicate", {"other": seen_names[full_name.casefold()]}
                )
            )
        if row_errors:
            errors.extend(row_errors)
            continue
        assert role is not None
        if telegram_id is not None:
            seen_ids[telegram_id] = line
        if username is not None:
            seen_usernames[username] = line
        seen_names.setdefault(full_name.casefold(), line)
        parsed.append(
            RosterRow(
                line=line,
                full_name=full_name,
                role=role,
                groups=groups,
                position=" ".join(record.get("position", "").split()),
                telegram_id=telegram_id,
                username=username,
            )
        )
    return parsed, errors


async def import_roster(
    session: AsyncSession, data: bytes, filename: str, *, actor_id: int | None = None
) -> ImportResult:
    """Validate the whole file, then apply it in one transaction; nothing is written on error."""
    rows, errors = parse_rows(read_table(data, filename))
    if errors:
        raise RosterInvalid(errors)
    async with write_transaction(session):
        await lock_name(session, "roster:import")  # the roster read is the one written over
        existing = list(await employees_db.all_employees(session))
        by_id = {e.telegram_id: e for e in existing if e.telegram_id is not None}
        by_username = {e.username: e for e in existing if e.username}
        by_name: dict[str, list[Employee]] = {}
        for employee in existing:
            by_name.setdefault(employee.full_name.casefold(), []).append(employee)

        names = {name for row in rows for name in row.groups}
        groups = await employees_db.groups_by_name(session, names)
        result = ImportResult()
        for name in sorted(names - groups.keys()):
            groups[name] = WorkingGroup(name=name)
            session.add(groups[name])
            result.groups_created += 1

        conflicts: list[RowError] = []
        claimed: set[int] = set()
        for row in rows:
            match = _match(row, by_id, by_username, by_name)
            if match is not None and id(match) in claimed:
                conflicts.append(RowError(row.line, "roster-error-same-employee"))
                continue
            owners = {
                by_id.get(row.telegram_id) if row.telegram_id is not None else None,
                by_username.get(row.username) if row.username is not None else None,
            }
            taken = [owner for owner in owners if owner is not None and owner is not match]
            if taken:
                conflicts.append(
                    RowError(row.line, "roster-error-taken", {"name": taken[0].full_name})
                )
                continue
            if match is None:
                employee = Employee(
                    full_name=row.full_name,
                    role=row.role,
                    position=row.position,
                    telegram_id=row.telegram_id,
                    username=row.username,
                    active=True,
                )
                employee.groups = [groups[name] for name in row.groups]
                session.add(employee)
                claimed.add(id(employee))
                result.created += 1
                continue
            claimed.add(id(match))
            if _apply(match, row, groups):
                result.updated += 1
                audit.record(
                    session,
                    actor_id=actor_id,
                    entity="employee",
                    entity_id=match.id,
                    action="roster_update",
                )
            else:
                result.unchanged += 1
        if conflicts:
            raise RosterInvalid(conflicts)
    return result


def _match(
    row: RosterRow,
    by_id: dict[int, Employee],
    by_username: dict[str, Employee],
    by_name: dict[str, list[Employee]],
) -> Employee | None:
    if row.telegram_id is not None and row.telegram_id in by_id:
        return by_id[row.telegram_id]
    if row.username is not None and row.username in by_username:
        return by_username[row.username]
    same_name = by_name.get(row.full_name.casefold(), [])
    return same_name[0] if len(same_name) == 1 else None


def _apply(employee: Employee, row: RosterRow, groups: dict[str, WorkingGroup]) -> bool:
    """Copy the row onto the employee; True if anything changed.

    An empty telegram_id or username in the file keeps the one already bound (it may have
    come from the user's own /start).
    """
    changed = False
    wanted = {
        "full_name": row.full_name,
        "role": row.role,
        "position": row.position,
        "telegram_id": row.telegram_id if row.telegram_id is not None else employee.telegram_id,
        "username": row.username if row.username is not None else employee.username,
    }
    for name, value in wanted.items():
        if getattr(employee, name) != value:
            setattr(employee, name, value)
            changed = True
    new_groups = [groups[name] for name in row.groups]
    if {g.name for g in employee.groups} != set(row.groups):
        employee.groups = new_groups
        changed = True
    return changed
