"""SQLite under concurrent writers, and the FSM storage that keeps dialogs across restarts."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import DefaultKeyBuilder, StorageKey
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.engine import create_engine, create_session_factory, write_transaction
from db.fsm_storage import DatabaseStorage
from db.migrate import upgrade
from db.models import FsmRecord

COUNTER = "test:counter"


async def _make_counter(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, write_transaction(session):
        session.add(FsmRecord(key=COUNTER, state=None, data={"n": 0}))


async def _counter(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        record = await session.get(FsmRecord, COUNTER)
        assert record is not None
        return int(record.data["n"])


async def _increment(session: AsyncSession) -> None:
    """Read, then write what was read plus one: a lost update shows as a short count.

    The read locks the row, as every read-then-write use case does (a no-op on SQLite, whose
    write transactions are serialised already; on PostgreSQL the others wait for it)."""
    record = await session.get(FsmRecord, COUNTER, populate_existing=True, with_for_update=True)
    assert record is not None
    value = int(record.data["n"])
    await asyncio.sleep(0)  # let the other writers run between the read and the write
    record.data = {"n": value + 1}


@pytest.mark.parametrize("writers", [2, 10])
async def test_concurrent_read_then_write_transactions_all_succeed(
    sessions: async_sessionmaker[AsyncSession], writers: int
) -> None:
    await _make_counter(sessions)

    async def writer() -> None:
        async with sessions() as session:
            await session.get(FsmRecord, COUNTER)  # an earlier read in the same update
            async with write_transaction(session):
                await _increment(session)

    results = await asyncio.gather(*(writer() for _ in range(writers)), return_exceptions=True)

    assert [r for r in results if isinstance(r, BaseException)] == []
    assert await _counter(sessions) == writers


async def test_a_write_transaction_waits_for_the_one_in_progress(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """The interleaving that breaks deferred transactions (below) is safe with IMMEDIATE."""
    await _make_counter(sessions)
    first_read = asyncio.Event()
    first_may_commit = asyncio.Event()

    async def first() -> None:
        async with sessions() as session, write_transaction(session):
            await _increment(session)
            first_read.set()
            await first_may_commit.wait()

    async def second() -> None:
        await first_read.wait()
        async with sessions() as session, write_transaction(session):
            await _increment(session)

    first_task = asyncio.create_task(first())
    second_task = asyncio.create_task(second())
    await first_read.wait()
    first_may_commit.set()
    await asyncio.gather(first_task, second_task)

    assert await _counter(sessions) == 2


@pytest.mark.sqlite_only(reason="SQLITE_BUSY_SNAPSHOT is SQLite's own")
async def test_deferred_read_then_write_fails_with_database_is_locked(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Why write_transaction exists: a read snapshot cannot be upgraded after another commit."""
    await _make_counter(sessions)
    async with sessions() as a, sessions() as b:
        await _increment(a)  # BEGIN (deferred) + read 0
        await _increment(b)  # BEGIN (deferred) + read 0
        await a.commit()  # writes 1
        with pytest.raises(OperationalError, match="database is locked"):
            await b.commit()  # its snapshot is stale: SQLITE_BUSY_SNAPSHOT, no waiting helps
        await b.rollback()
    assert await _counter(sessions) == 1


async def test_write_transaction_rolls_back_on_error(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await _make_counter(sessions)

    async def fail_after_writing() -> None:
        async with sessions() as session, write_transaction(session):
            await _increment(session)
            await session.flush()  # the UPDATE has reached the database
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await fail_after_writing()
    assert await _counter(sessions) == 0


# --- FSM storage ----------------------------------------------------------------------------


class Form(StatesGroup):
    name = State()
    phone = State()


def _key(user_id: int = 42, destiny: str = "default", chat_id: int | None = None) -> StorageKey:
    return StorageKey(
        bot_id=7,
        chat_id=chat_id if chat_id is not None else user_id,
        user_id=user_id,
        destiny=destiny,
    )


async def _rows(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(FsmRecord)) or 0)


async def test_state_and_data_round_trip(sessions: async_sessionmaker[AsyncSession]) -> None:
    storage = DatabaseStorage(sessions)
    key = _key()
    assert await storage.get_state(key) is None
    assert await storage.get_data(key) == {}

    await storage.set_state(key, Form.name)
    data: dict[str, Any] = {"name": "Анна <b>", "n": 3, "nested": {"ids": [1, 2]}, "ok": True}
    await storage.set_data(key, data)

    assert await storage.get_state(key) == "Form:name"
    assert await storage.get_data(key) == data
    await storage.set_state(key, "Form:phone")  # a plain string works too
    assert await storage.get_state(key) == Form.phone.state
    assert await storage.get_data(key) == data  # the state change kept the data

    merged = await storage.update_data(key, {"phone": "+7 900"})
    assert merged == {**data, "phone": "+7 900"}
    assert await storage.get_data(key) == merged
    built = DefaultKeyBuilder(with_destiny=True, with_bot_id=True).build(key)
    assert await storage.keys_with_state() == [built]


async def test_state_and_data_survive_a_restart(database_url: str) -> None:
    key = _key()
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        storage = DatabaseStorage(create_session_factory(engine))
        await storage.set_state(key, Form.phone)
        await storage.set_data(key, {"name": "Пётр"})
        await storage.close()
    finally:
        await engine.dispose()

    engine = create_engine(database_url)  # a new process: new engine, new storage
    try:
        storage = DatabaseStorage(create_session_factory(engine))
        assert await storage.get_state(key) == "Form:phone"
        assert await storage.get_data(key) == {"name": "Пётр"}
    finally:
        await engine.dispose()


async def test_keys_are_separate_per_user_chat_and_destiny(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    storage = DatabaseStorage(sessions)
    await storage.set_state(_key(), Form.name)
    await storage.set_data(_key(destiny="aiogram_dialog"), {"stack": ["x"]})

    assert await storage.get_state(_key(destiny="aiogram_dialog")) is None
    assert await storage.get_data(_key(destiny="aiogram_dialog")) == {"stack": ["x"]}
    assert await storage.get_data(_key()) == {}
    assert await storage.get_state(_key(user_id=43)) is None
    assert await storage.get_state(_key(chat_id=-100)) is None
    await storage.flush()
    assert await _rows(sessions) == 2


async def test_clearing_state_and_data_removes_the_row(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    storage = DatabaseStorage(sessions)
    key = _key()
    await storage.set_state(key, Form.name)
    await storage.set_data(key, {"a": 1})
    other = _key(destiny="aiogram_dialog")
    await storage.set_data(other, {"b": 2})
    await storage.flush()
    assert await _rows(sessions) == 2

    await storage.set_state(key, None)
    await storage.flush()
    assert await _rows(sessions) == 2  # the data is still there
    assert await storage.get_data(key) == {"a": 1}
    await storage.set_data(key, {})
    await storage.flush()
    assert await _rows(sessions) == 1
    assert await storage.get_state(key) is None
    assert await storage.get_data(other) == {"b": 2}  # only that key went

    # Clearing what is not there is not an error and leaves nothing behind.
    await storage.set_state(_key(user_id=99), None)
    await storage.set_data(_key(user_id=99), {})
    await storage.flush()
    assert await _rows(sessions) == 1


async def test_data_that_cannot_be_stored_fails_at_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    storage = DatabaseStorage(sessions)
    with pytest.raises(TypeError):
        await storage.set_data(_key(), {"when": object()})
    assert await _rows(sessions) == 0


async def test_concurrent_updates_of_different_users_all_land(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    storage = DatabaseStorage(sessions)
    users = range(100, 110)
    await asyncio.gather(*(storage.set_data(_key(user), {"user": user}) for user in users))
    for user in users:
        assert await storage.get_data(_key(user)) == {"user": user}


async def test_two_processes_saving_one_new_key_at_once_both_succeed(
    sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two storages (two processes behind a webhook: nothing cached, nothing held back) save
    the first state of one key at once: neither fails on the other's row, and one of the two
    values is kept whole."""
    first, second = DatabaseStorage(sessions, cached=False), DatabaseStorage(sessions, cached=False)
    get = AsyncSession.get

    async def slow_get(self: AsyncSession, *args: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(0.05)  # both look for the row before either has written it
        return await get(self, *args, **kwargs)

    monkeypatch.setattr(AsyncSession, "get", slow_get)
    await asyncio.gather(
        first.set_data(_key(), {"by": "first"}), second.set_data(_key(), {"by": "second"})
    )
    assert await DatabaseStorage(sessions).get_data(_key()) in ({"by": "first"}, {"by": "second"})
    assert await _rows(sessions) == 1


async def test_objects_loaded_before_a_failed_write_stay_usable(sessions) -> None:
    from db.models import Employee, Role

    async with sessions() as session, write_transaction(session):
        session.add(Employee(full_name="Ольга", role=Role.CS))
    async with sessions() as session:
        actor = (await session.execute(select(Employee))).scalar_one()

        async def refused_write() -> None:
            async with write_transaction(session):
                session.add(Employee(full_name="Лишний", role=Role.MANAGER))
                await session.flush()
                raise RuntimeError("refused")

        with pytest.raises(RuntimeError):
            await refused_write()
        # A refusal message still needs the actor's fields: no lazy load, no error.
        assert actor.full_name == "Ольга"
        assert actor.active is True
        names = (await session.execute(select(Employee.full_name))).scalars().all()
    assert names == ["Ольга"]
