"""Queries on the roster: employees and working groups."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from cachetools import LRUCache
from sqlalchemy import func, select
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from db.models import Employee, Role, WorkingGroup
from db.versions import Seen, Version, detached_copy


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


# --- the roster cache ----------------------------------------------------------------------------
#
# Every update looks its sender up (two queries: the entry and its groups, then the session's
# rollback). The answers are kept until the roster changes (db.versions): on a SQLite file, a
# change in this process or in another one on the same file; on PostgreSQL, a change by any
# replica, seen in the generation each update's lock reads (outside an update: no cache).


class RosterCache:
    """The answers of the per-update employee lookup, by Telegram id (see above)."""

    def __init__(self, database_url: str | URL | None, size: int = 10_000) -> None:
        self._version = Version(database_url)
        self._answers: LRUCache[int, Employee | None] = LRUCache(size)
        self._seen: Seen | None = None

    async def employee(
        self,
        session: AsyncSession,
        telegram_id: int,
        load: Callable[[AsyncSession, int], Awaitable[Employee | None]],
    ) -> Employee | None:
        """`load(session, telegram_id)`, or its answer kept from an earlier update, merged into
        `session` (no query) as if the session had loaded it."""
        version = self._version.current()
        if version is None:
            return await load(session, telegram_id)
        if version != self._seen:
            self._answers.clear()
            self._seen = version
        if telegram_id in self._answers:
            kept = self._answers[telegram_id]
            return None if kept is None else await session.merge(kept, load=False)
        employee = await load(session, telegram_id)
        if self._version.current() == version:
            self._answers[telegram_id] = None if employee is None else _detached_copy(employee)
        return employee


def _detached_copy(employee: Employee) -> Employee:
    """A copy of a loaded entry and its groups that belongs to no session, as loaded: what
    `Session.merge(copy, load=False)` puts into a session without a query."""
    copy = detached_copy(employee)
    set_committed_value(copy, "groups", [detached_copy(group) for group in employee.groups])
    return copy
