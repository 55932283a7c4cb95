"""The per-update employee lookup's cache (db.employees.RosterCache, issue 12 item 1): an
answer is kept until the roster changes: on SQLite in this process or in another one on the
same file; on PostgreSQL in any replica (the cache generation, raised by the database's
triggers and read by each update's lock); on PostgreSQL outside an update nothing is kept."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sqlalchemy import event, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.services import access
from db.employees import RosterCache
from db.models import Employee, Role, WorkingGroup
from db.versions import CACHED_TABLES, bump_version, update_generation

TELEGRAM_ID = 700_001


GENERATION = text("SELECT value FROM cache_generation WHERE id = 1")


def count_statements(engine: AsyncEngine) -> list[str]:
    """The statements the engine runs from now on (but `in_an_update`'s own)."""
    seen: list[str] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "cache_generation" not in statement:
            seen.append(statement)

    return seen


@asynccontextmanager
async def in_an_update(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[None]:
    """As an update runs: on PostgreSQL with the cache generation that its lock reads
    (db.isolation)."""
    engine: AsyncEngine = sessions.kw["bind"]
    generation = None
    if engine.dialect.name == "postgresql":
        async with engine.connect() as connection:
            generation = await connection.scalar(GENERATION)
    with update_generation(generation):
        yield


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
    async with in_an_update(sessions), sessions() as session:
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
    assert len(statements) == queried  # no query at all

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
    read) counts once its process bumps the version, as every process's sessions do (on
    PostgreSQL the database's trigger raises the generation at the commit: no bump needed)."""
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


@pytest.mark.postgres_only
async def test_outside_an_update_nothing_is_kept(
    database_url: str, engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """The scheduler's jobs read no generation: every lookup asks the database."""
    await add_manager(sessions)
    cache = RosterCache(database_url)
    statements = count_statements(engine)
    for _ in range(2):
        async with sessions() as session:
            assert await cache.employee(session, TELEGRAM_ID, access.current) is not None
    assert len(statements) == 4  # the entry and its groups, twice


@pytest.mark.postgres_only
async def test_the_generation_rises_when_a_change_of_a_cached_table_commits(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async def generation() -> int:
        async with engine.connect() as connection:
            return int(await connection.scalar(GENERATION))

    before = await generation()
    async with sessions() as session:
        session.add(WorkingGroup(name="Новая группа"))
        await session.flush()
        assert await generation() == before  # not before the commit (another connection)
        await session.commit()
    after_add = await generation()
    assert after_add > before
    async with sessions() as session:  # by hand, as in psql
        await session.execute(text("UPDATE working_groups SET active = active"))
        await session.commit()
    after_by_hand = await generation()
    assert after_by_hand > after_add
    async with sessions() as session:  # other tables leave it as it is
        await session.execute(
            text("INSERT INTO fsm_states (key, data, updated_at) VALUES ('k', '{}', now())")
        )
        await session.commit()
    assert await generation() == after_by_hand


@pytest.mark.postgres_only
async def test_every_cached_table_raises_the_generation(engine: AsyncEngine) -> None:
    """A table added to db.versions.CACHED_TABLES needs its trigger (a migration) too."""
    async with engine.connect() as connection:
        tables = await connection.scalars(
            text(
                "SELECT tgrelid::regclass::text FROM pg_trigger"
                " WHERE tgname LIKE '%_bump_cache_generation'"
            )
        )
        assert set(tables) == CACHED_TABLES
