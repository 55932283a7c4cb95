"""The per-update employee lookup's cache (db.employees.RosterCache, issue 12 item 1): on
SQLite an answer is kept until the roster changes, in this process or in another one on the
same file; on PostgreSQL nothing is kept (replicas share the database)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.services import access
from db.employees import RosterCache
from db.models import Employee, Role, WorkingGroup
from db.versions import bump_version

TELEGRAM_ID = 700_001


def count_statements(engine: AsyncEngine) -> list[str]:
    seen: list[str] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    return seen


async def add_manager(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        group = WorkingGroup(name="Группа кэша")
        session.add(Employee(full_name="Кэш Кэшев", role=Role.MANAGER, telegram_id=TELEGRAM_ID))
        session.add(group)
        await session.flush()
        employee = await access.current(session, TELEGRAM_ID)
        assert employee is not None
        employee.groups.append(group)
        await session.commit()


async def lookup(
    cache: RosterCache, sessions: async_sessionmaker[AsyncSession]
) -> tuple[Employee | None, bool, list[str]]:
    """The answer, whether it belongs to the lookup's session, and its groups' names."""
    async with sessions() as session:
        employee = await cache.employee(session, TELEGRAM_ID, access.current)
        groups = [group.name for group in employee.groups] if employee else []
        return employee, employee is not None and employee in session, groups


async def test_kept_until_the_roster_changes(
    database_url: str, engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await add_manager(sessions)
    cache = RosterCache(database_url)
    statements = count_statements(engine)
    first, in_session, groups = await lookup(cache, sessions)
    assert first is not None
    assert first.role == Role.MANAGER
    assert in_session
    assert groups == ["Группа кэша"]
    queried = len(statements)
    assert queried > 0

    second, in_session, groups = await lookup(cache, sessions)
    assert second is not None
    assert second.id == first.id
    assert in_session
    assert groups == ["Группа кэша"]  # the groups come with it, as the query loads them
    if cache.enabled:
        assert len(statements) == queried  # no query at all
    else:  # PostgreSQL: every update asks the database
        assert "postgresql" in database_url
        assert len(statements) > queried

    # A change of the roster through a session (the app's, the CLI's): the next update sees it.
    async with sessions() as session:
        await session.execute(
            update(Employee).where(Employee.telegram_id == TELEGRAM_ID).values(active=False)
        )
        await session.commit()
    gone, _, _ = await lookup(cache, sessions)
    assert gone is None


async def test_a_role_change_by_the_unit_of_work_is_seen(
    database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await add_manager(sessions)
    cache = RosterCache(database_url)
    before, _, _ = await lookup(cache, sessions)
    assert before is not None
    assert before.role == Role.MANAGER
    async with sessions() as session:
        employee = await access.current(session, TELEGRAM_ID)
        assert employee is not None
        employee.role = Role.LEAD
        await session.commit()
    after, _, _ = await lookup(cache, sessions)
    assert after is not None
    assert after.role == Role.LEAD


async def test_another_process_change_is_seen_through_the_version_file(
    database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """A write no session of this process saw (here plain SQL, which the session events do not
    read) counts once its process bumps the version, as every process's sessions do."""
    await add_manager(sessions)
    cache = RosterCache(database_url)
    before, _, _ = await lookup(cache, sessions)
    assert before is not None
    assert before.full_name == "Кэш Кэшев"
    async with sessions() as session:
        await session.execute(
            text("UPDATE employees SET full_name = 'Другое Имя' WHERE telegram_id = :id"),
            {"id": TELEGRAM_ID},
        )
        await session.commit()
    bump_version(database_url)
    after, _, _ = await lookup(cache, sessions)
    assert after is not None
    assert after.full_name == "Другое Имя"


async def test_an_unknown_user_stays_unknown_until_added(
    database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    cache = RosterCache(database_url)
    nobody, _, _ = await lookup(cache, sessions)
    assert nobody is None
    await add_manager(sessions)
    somebody, _, _ = await lookup(cache, sessions)
    assert somebody is not None
    assert somebody.telegram_id == TELEGRAM_ID
