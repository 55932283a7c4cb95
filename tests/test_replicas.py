"""Several replicas on one database: one leader at a time and a quick takeover, one update at a
time per person across processes, no FSM record served from a stale cache, a person's records
held for his update on the lock's connection, and the cache generation each update's lock reads.

Each "replica" here is a Leadership, an event isolation or a storage with engines of its own,
as a process would have; on SQLite there is one process, which always leads.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiogram.fsm.storage.base import StorageKey
from alembic.script import ScriptDirectory
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.leader import Leadership
from db.engine import create_engine, create_session_factory
from db.fsm_storage import DatabaseStorage
from db.isolation import DatabaseEventIsolation
from db.migrate import alembic_config, upgrade
from db.models import WorkingGroup
from db.versions import Version

FAST = {"retry": 0.2, "check": 0.2}


class Replica:
    """A Leadership that records what it was told to do."""

    def __init__(self, database_url: str) -> None:
        self.events: list[str] = []
        self.leadership = Leadership(database_url, on_gain=self.gain, on_lose=self.lose, **FAST)

    async def gain(self) -> None:
        self.events.append("lead")

    async def lose(self) -> None:
        self.events.append("follow")


async def wait_for(condition: object, timeout: float = 10.0) -> float:
    """Seconds until `condition()` held."""
    started = time.monotonic()
    while not condition():  # type: ignore[operator]
        if time.monotonic() - started > timeout:
            raise TimeoutError("condition not met")
        await asyncio.sleep(0.02)
    return time.monotonic() - started


@pytest.fixture
async def replicas(database_url: str) -> AsyncIterator[list[Replica]]:
    made: list[Replica] = []
    yield made
    for replica in made:
        await replica.leadership.stop()


@pytest.mark.sqlite_only(reason="PostgreSQL elects; see the tests below")
async def test_sqlite_has_one_process_and_it_leads_at_once(
    database_url: str, replicas: list[Replica]
) -> None:
    replica = Replica(database_url)
    replicas.append(replica)
    await replica.leadership.start()
    assert replica.leadership.is_leader
    assert replica.events == ["lead"]


@pytest.mark.postgres_only
async def test_one_leader_among_three_and_a_takeover_when_it_dies(
    database_url: str, replicas: list[Replica]
) -> None:
    for _ in range(3):
        replicas.append(Replica(database_url))
        await replicas[-1].leadership.start()
    first, second, third = replicas
    assert [r.leadership.is_leader for r in replicas] == [True, False, False]
    await asyncio.sleep(1.0)  # followers keep trying; nobody else takes it meanwhile
    assert [r.events for r in replicas] == [["lead"], [], []]

    # The leader's process dies: its connection is gone, and so is the lock.
    engine = create_engine(database_url)
    try:
        async with engine.connect() as admin:
            await admin.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks"
                    " WHERE locktype = 'advisory' AND classid = 17235 AND objid = 1"
                )
            )
    finally:
        await engine.dispose()
    took = await wait_for(lambda: second.leadership.is_leader or third.leadership.is_leader)
    print(f"takeover after the leader's connection died: {took:.2f} s")
    assert took < 1.0  # one follower's retry period (0.2 s) and a little
    await wait_for(lambda: not first.leadership.is_leader)
    assert first.events == ["lead", "follow"]
    await asyncio.sleep(0.6)
    assert sum(r.leadership.is_leader for r in replicas) == 1

    # The first comes back (a restart): it follows the new leader.
    await first.leadership.stop()
    await first.leadership.start()
    assert not first.leadership.is_leader


@pytest.mark.postgres_only
async def test_a_stopping_leader_hands_over(database_url: str, replicas: list[Replica]) -> None:
    replicas += [Replica(database_url), Replica(database_url)]
    for replica in replicas:
        await replica.leadership.start()
    await replicas[0].leadership.stop()  # a deploy stops it
    assert replicas[0].events == ["lead", "follow"]
    took = await wait_for(lambda: replicas[1].leadership.is_leader)
    assert took < 1.0


KEY = StorageKey(bot_id=1, chat_id=10, user_id=10)
OTHER = StorageKey(bot_id=1, chat_id=11, user_id=11)


@pytest.mark.postgres_only
async def test_one_update_at_a_time_per_person_across_processes(database_url: str) -> None:
    engines = [create_engine(database_url), create_engine(database_url)]
    first, second = (DatabaseEventIsolation(engine) for engine in engines)
    order: list[str] = []
    try:
        holding = asyncio.Event()

        async def first_update() -> None:
            async with first.lock(KEY):
                order.append("first in")
                holding.set()
                await asyncio.sleep(0.5)
                order.append("first out")

        async def second_update(key: StorageKey, name: str) -> None:
            await holding.wait()
            async with second.lock(key):
                order.append(f"{name} in")

        await asyncio.gather(
            first_update(), second_update(KEY, "same person"), second_update(OTHER, "other")
        )
        # Another person is not held up; the same person's update waits for the first.
        assert order == ["first in", "other in", "first out", "same person in"]
    finally:
        for engine in engines:
            await engine.dispose()


@pytest.mark.postgres_only
async def test_a_record_saved_by_one_replica_is_what_another_reads(database_url: str) -> None:
    engines = [create_engine(database_url), create_engine(database_url)]
    first, second = (
        DatabaseStorage(create_session_factory(engine), cached=False) for engine in engines
    )
    try:
        await first.set_data(KEY, {"step": 1})
        assert await second.get_data(KEY) == {"step": 1}
        await second.set_data(KEY, {"step": 2})  # the next press landed on the other replica
        # A cache (as with SQLite's one process) would still answer {"step": 1} here.
        assert await first.get_data(KEY) == {"step": 2}
    finally:
        for engine in engines:
            await engine.dispose()


@pytest.mark.postgres_only
async def test_replicas_starting_at_once_migrate_the_database_once(
    empty_database_url: str,
) -> None:
    engines = [create_engine(empty_database_url) for _ in range(3)]
    try:
        # Without the lock the three run at once, and fail.
        await asyncio.gather(*(upgrade(engine) for engine in engines))
        async with engines[0].connect() as connection:
            versions = (
                await connection.execute(text("SELECT version_num FROM alembic_version"))
            ).all()
        assert len(versions) == 1
        assert versions[0][0] == ScriptDirectory.from_config(alembic_config("")).get_current_head()
    finally:
        for engine in engines:
            await engine.dispose()


class Statements:
    """The statements an engine runs that read or write the dialog records."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.seen: list[str] = []
        event.listen(engine.sync_engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "fsm_states" in statement:
            self.seen.append(statement.split()[0])


@asynccontextmanager
async def replica(database_url: str) -> AsyncIterator[tuple[DatabaseEventIsolation, Statements]]:
    """A replica's event isolation with its storage, as `build_app` wires them."""
    engines = [create_engine(database_url), create_engine(database_url)]
    storage = DatabaseStorage(create_session_factory(engines[0]), cached=False)
    statements = Statements(engines[1])
    try:
        yield DatabaseEventIsolation(engines[1], storage), statements
    finally:
        for engine in engines:
            await engine.dispose()


STACK = StorageKey(bot_id=1, chat_id=10, user_id=10, destiny="aiogd:stack:")  # the default stack
CONTEXT = StorageKey(bot_id=1, chat_id=10, user_id=10, destiny="aiogd:context:abc")


@pytest.mark.postgres_only
async def test_an_update_reads_a_persons_records_once_and_writes_them_with_the_lock(
    database_url: str,
) -> None:
    async with replica(database_url) as (first, seen), replica(database_url) as (second, _):
        storage = first._storage
        assert storage is not None
        async with first.lock(KEY):
            assert await storage.get_state(KEY) is None
            await storage.set_state(KEY, "Form:name")
            await storage.set_data(STACK, {"intents": ["abc"]})
            assert await storage.get_data(CONTEXT) == {}
            await storage.set_data(CONTEXT, {"step": 1})
            assert await storage.get_state(KEY) == "Form:name"
            assert await storage.get_data(STACK) == {"intents": ["abc"]}
            assert await storage.get_data(CONTEXT) == {"step": 1}
            # Nothing is written yet, and the other replica waits for this update to end.
            assert await DatabaseStorage(storage._sessions, cached=False).get_data(STACK) == {}
            reading = asyncio.create_task(_read_under_lock(second, STACK))
            await asyncio.sleep(0.2)
            assert not reading.done()
        # On the lock's connection: aiogram's state read with the default stack, then the
        # context, once each; the three written in one statement.
        assert seen.seen == ["SELECT", "SELECT", "INSERT"]
        assert await reading == {"intents": ["abc"]}


async def _read_under_lock(isolation: DatabaseEventIsolation, key: StorageKey) -> dict[str, Any]:
    assert isolation._storage is not None
    async with isolation.lock(KEY):
        return await isolation._storage.get_data(key)


@pytest.mark.postgres_only
async def test_an_update_that_fails_keeps_the_records_it_changed(database_url: str) -> None:
    async with replica(database_url) as (isolation, _):
        storage = isolation._storage
        assert storage is not None

        async def failing_update() -> None:
            async with isolation.lock(KEY):
                await storage.set_data(KEY, {"step": 2})
                raise RuntimeError("the handler failed")

        with pytest.raises(RuntimeError):
            await failing_update()
        assert await DatabaseStorage(storage._sessions, cached=False).get_data(KEY) == {"step": 2}


@pytest.mark.postgres_only
async def test_other_peoples_records_and_other_tasks_are_not_held(database_url: str) -> None:
    async with replica(database_url) as (isolation, seen):
        storage = isolation._storage
        assert storage is not None
        fresh = DatabaseStorage(storage._sessions, cached=False)
        async with isolation.lock(KEY):
            await storage.set_data(OTHER, {"by": "a CS member"})  # another person: at once
            assert await fresh.get_data(OTHER) == {"by": "a CS member"}
            # A task started here (aiogram-dialog's background update) has a copy of this
            # context, but not this update's held records: it writes at once too.
            await asyncio.create_task(storage.set_data(KEY, {"by": "background"}))
            assert await fresh.get_data(KEY) == {"by": "background"}
        assert seen.seen == []  # neither went through the lock's connection


async def _current(version: Version) -> object:
    return version.current()


@pytest.mark.postgres_only
async def test_an_updates_lock_reads_the_cache_generation(database_url: str) -> None:
    """What the roster and links caches may keep within an update (db.versions): the
    generation read with the lock, and a newer one once another replica changed the roster."""
    version = Version(database_url)
    assert version.current() is None  # outside an update nothing is kept
    async with replica(database_url) as (isolation, _):
        async with isolation.lock(KEY):
            before = version.current()
            # A task started by the update (which may run on after a change) keeps nothing.
            assert await asyncio.create_task(_current(version)) is None
        assert before is not None
        engine = create_engine(database_url)  # another replica changes a working group
        try:
            async with create_session_factory(engine)() as session:
                session.add(WorkingGroup(name="Группа другой реплики"))
                await session.commit()
        finally:
            await engine.dispose()
        async with isolation.lock(KEY):
            after = version.current()
        assert after is not None
        assert after != before
        assert version.current() is None
