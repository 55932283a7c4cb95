"""Queries on the roster: employees and working groups."""

from __future__ import annotations

import os
import secrets
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from cachetools import LRUCache
from sqlalchemy import event, func, inspect, select
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from db.models import Employee, Role, WorkingGroup

EntityT = TypeVar("EntityT", Employee, WorkingGroup)


async def by_telegram_id(session: AsyncSession, telegram_id: int) -> Employee | None:
    result = await session.execute(select(Employee).where(Employee.telegram_id == telegram_id))
    return result.scalar_one_or_none()


async def by_username(session: AsyncSession, username: str) -> Employee | None:
    name = normalize_username(username)
    result = await session.execute(select(Employee).where(Employee.username == name))
    return result.scalar_one_or_none()


async def by_id(session: AsyncSession, employee_id: int) -> Employee | None:
    return await session.get(Employee, employee_id)


async def by_id_for_update(session: AsyncSession, employee_id: int) -> Employee | None:
    """The entry re-read and locked until the transaction ends (see cases.by_id_for_update)."""
    result = await session.execute(
        select(Employee)
        .where(Employee.id == employee_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return result.scalar_one_or_none()


async def all_employees(session: AsyncSession) -> Sequence[Employee]:
    result = await session.execute(select(Employee).order_by(Employee.full_name, Employee.id))
    return result.scalars().all()


async def unbound_active(session: AsyncSession) -> Sequence[Employee]:
    """Active roster entries that no Telegram account is bound to yet."""
    result = await session.execute(
        select(Employee)
        .where(Employee.active.is_(True), Employee.telegram_id.is_(None))
        .order_by(Employee.full_name, Employee.id)
    )
    return result.scalars().all()


async def active_with_role(session: AsyncSession, role: Role) -> Sequence[Employee]:
    result = await session.execute(
        select(Employee).where(Employee.active.is_(True), Employee.role == role)
    )
    return result.scalars().all()


async def groups_by_name(session: AsyncSession, names: set[str]) -> dict[str, WorkingGroup]:
    if not names:
        return {}
    result = await session.execute(select(WorkingGroup).where(WorkingGroup.name.in_(names)))
    return {group.name: group for group in result.scalars()}


async def count_employees(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Employee)) or 0)


def normalize_username(username: str) -> str:
    return username.strip().lstrip("@").lower()


# --- the roster cache (SQLite) ------------------------------------------------------------------
#
# Every update looks its sender up (two queries: the entry and its groups, then the session's
# rollback). A process that owns its SQLite file may keep the answers, as long as it forgets
# them when the roster changes — in this process or in another one on the same file (the
# `python -m bot roster import` command, run while the bot runs). So:
#
# - every Session of any process marks itself when it writes the roster's tables (an ORM
#   flush of an Employee or a WorkingGroup, or an INSERT/UPDATE/DELETE on one of them), and
#   when such a transaction commits, it bumps the roster's version: a new random token in a
#   file next to the database (written after the commit, atomically, by rename);
# - the cache reads that token before each lookup and keeps an answer only if the token is
#   the same before the query and after it: an answer read before another process's commit
#   carries the token of before that commit, which the bump has replaced by then.
#
# On PostgreSQL replicas share the database and nothing is cached (`RosterCache(None)`): the
# lookup is one round trip there anyway, and the same query with a version row would be one too.

ROSTER_TABLES = frozenset({"employees", "employee_groups", "working_groups"})
_ROSTER_WRITTEN = "roster_written"


def version_file(database_url: str | URL) -> Path | None:
    """The file holding the roster's version token for a SQLite file database (None for
    PostgreSQL and in-memory SQLite, which no other process can open)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(f"{url.database}.roster-version")


def _read_token(path: Path) -> bytes:
    try:  # os.open, not Path.read_bytes: 3 µs instead of 14, on every update
        descriptor = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return b""
    try:
        return os.read(descriptor, 64)
    finally:
        os.close(descriptor)


def bump_roster_version(database_url: str | URL) -> None:
    """Tell every process on this database that the roster changed (after the commit)."""
    path = version_file(database_url)
    if path is None:
        return
    temporary = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    temporary.write_bytes(secrets.token_bytes(16))
    os.replace(temporary, path)


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _context: Any) -> None:
    touched = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(entity, Employee | WorkingGroup) for entity in touched):
        session.info[_ROSTER_WRITTEN] = True


@event.listens_for(Session, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in ROSTER_TABLES:
            state.session.info[_ROSTER_WRITTEN] = True


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if session.info.pop(_ROSTER_WRITTEN, False):
        RosterCache.generation += 1
        bump_roster_version(session.get_bind().engine.url)


class RosterCache:
    """The answers of the per-update employee lookup, by Telegram id (see above)."""

    # Bumped by every roster commit of this process: an answer read across it is not kept.
    generation = 0

    def __init__(self, database_url: str | URL | None, size: int = 10_000) -> None:
        self._file = version_file(database_url) if database_url else None
        self._answers: LRUCache[int, Employee | None] = LRUCache(size)
        self._token = b""
        self._generation = RosterCache.generation

    @property
    def enabled(self) -> bool:
        return self._file is not None

    async def employee(
        self,
        session: AsyncSession,
        telegram_id: int,
        load: Callable[[AsyncSession, int], Awaitable[Employee | None]],
    ) -> Employee | None:
        """`load(session, telegram_id)`, or its answer kept from an earlier update, merged into
        `session` (no query) as if the session had loaded it."""
        if self._file is None:
            return await load(session, telegram_id)
        token, generation = _read_token(self._file), RosterCache.generation
        if (token, generation) != (self._token, self._generation):
            self._answers.clear()
            self._token, self._generation = token, generation
        if telegram_id in self._answers:
            kept = self._answers[telegram_id]
            return None if kept is None else await session.merge(kept, load=False)
        employee = await load(session, telegram_id)
        if (_read_token(self._file), RosterCache.generation) == (token, generation):
            self._answers[telegram_id] = None if employee is None else _detached_copy(employee)
        return employee


def _detached_copy(employee: Employee) -> Employee:
    """A copy of a loaded entry and its groups that belongs to no session, as loaded: what
    `Session.merge(copy, load=False)` puts into a session without a query."""
    copy = _copy_columns(employee)
    set_committed_value(copy, "groups", [_copy_columns(group) for group in employee.groups])
    return copy


def _copy_columns(entity: EntityT) -> EntityT:
    mapper = inspect(type(entity))
    copy = type(entity)(
        **{column.key: getattr(entity, column.key) for column in mapper.column_attrs}
    )
    make_transient_to_detached(copy)
    return copy
