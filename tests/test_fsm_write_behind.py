"""The FSM storage's changes held back and written together (db.fsm_storage, issue 12 item
1): nothing is lost or read stale while held, one flush writes them all in one commit, a
flush that fails keeps them, and an update's changes are in the database when it is done."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from aiogram import Bot, Dispatcher
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import DefaultKeyBuilder, StorageKey
from aiogram.types import Update
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.middlewares import FlushStorage
from db import fsm_storage
from db.fsm_storage import DatabaseStorage
from db.models import FsmRecord


def _key(user_id: int) -> StorageKey:
    return StorageKey(bot_id=7, chat_id=user_id, user_id=user_id, destiny="aiogram_dialog")


async def _stored(sessions: async_sessionmaker[AsyncSession]) -> dict[str, Any]:
    """What the database holds: data by key."""
    async with sessions() as session:
        records = (await session.execute(select(FsmRecord))).scalars().all()
    return {record.key: record.data for record in records}


def held_writes(monkeypatch: pytest.MonkeyPatch) -> tuple[asyncio.Event, asyncio.Event]:
    """Flushes wait before they write: (set once one waits, set to let them write)."""
    writing, release = asyncio.Event(), asyncio.Event()
    write = fsm_storage._write

    async def held_write(session: AsyncSession, records: Any) -> None:
        writing.set()
        await release.wait()
        await write(session, records)

    monkeypatch.setattr(fsm_storage, "_write", held_write)
    return writing, release


@pytest.fixture
def commits(engine: AsyncEngine) -> Iterator[list[None]]:
    """One entry per transaction committed on the engine."""
    seen: list[None] = []

    def on_commit(_connection: Any) -> None:
        seen.append(None)

    event.listen(engine.sync_engine, "commit", on_commit)
    yield seen
    event.remove(engine.sync_engine, "commit", on_commit)


async def test_changes_wait_for_the_flush_and_go_in_one_commit(
    sessions: async_sessionmaker[AsyncSession], commits: list[None]
) -> None:
    storage = DatabaseStorage(sessions)
    for user in range(10):
        await storage.set_state(_key(user), "Dialog:step")
        await storage.set_data(_key(user), {"user": user})
    await storage.set_data(_key(3), {})  # a change of a change: only the last one is written
    await storage.set_state(_key(3), None)
    assert await _stored(sessions) == {}
    assert await storage.get_data(_key(5)) == {"user": 5}  # read back before the flush

    before = len(commits)
    await asyncio.gather(*(storage.flush() for _ in range(5)))  # five updates ending together
    assert len(commits) - before == 1
    stored = await _stored(sessions)
    assert sorted(data["user"] for data in stored.values()) == [0, 1, 2, 4, 5, 6, 7, 8, 9]
    fresh = DatabaseStorage(sessions)  # a restart reads what was flushed
    assert await fresh.get_state(_key(9)) == "Dialog:step"
    assert await fresh.get_data(_key(3)) == {}

    await storage.set_data(_key(4), {})  # a removal held back, then written
    await storage.set_state(_key(4), None)
    await storage.flush()
    assert len(await _stored(sessions)) == 8
    before = len(commits)
    await storage.flush()  # nothing held: no transaction at all
    assert len(commits) == before


async def test_a_held_change_is_read_back_after_the_cache_let_it_go(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    storage = DatabaseStorage(sessions, cache_size=1)
    await storage.set_data(_key(1), {"step": 1})
    await storage.set_data(_key(2), {"step": 2})  # the cache now holds only key 2
    assert await storage.get_data(_key(1)) == {"step": 1}
    await storage.flush()
    assert len(await _stored(sessions)) == 2


async def test_a_flush_waits_for_the_running_one_that_took_its_change(
    sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Update A's flush is writing B's change too when B ends: B's flush returns only once
    that write is committed."""
    storage = DatabaseStorage(sessions)
    writing, release = held_writes(monkeypatch)
    await storage.set_data(_key(1), {"by": "A"})
    await storage.set_data(_key(2), {"by": "B"})
    first = asyncio.create_task(storage.flush())
    await writing.wait()
    second = asyncio.create_task(storage.flush())
    await asyncio.sleep(0.05)
    assert not second.done()  # B's change is not in the database yet
    release.set()
    await asyncio.gather(first, second)
    assert len(await _stored(sessions)) == 2


async def test_a_failed_flush_keeps_the_changes_for_the_next(
    sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = DatabaseStorage(sessions)
    write = fsm_storage._write

    async def failing_write(session: AsyncSession, records: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(fsm_storage, "_write", failing_write)
    await storage.set_data(_key(1), {"step": 1})
    await storage.set_data(_key(2), {"step": 1})
    with pytest.raises(OSError, match="disk full"):
        await storage.flush()
    assert await _stored(sessions) == {}
    await storage.set_data(_key(2), {"step": 2})  # changed again meanwhile: the newer one wins
    assert await storage.get_data(_key(1)) == {"step": 1}

    monkeypatch.setattr(fsm_storage, "_write", write)
    await storage.flush()
    stored = await _stored(sessions)
    assert sorted(stored.values(), key=str) == [{"step": 1}, {"step": 2}]
    await storage.close()


async def test_a_change_outside_an_update_is_written_soon(
    sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A dialog started in the background changes the storage with no update to flush it."""
    monkeypatch.setattr(fsm_storage, "FLUSH_DELAY", 0.05)
    storage = DatabaseStorage(sessions)
    await storage.set_data(_key(1), {"started": "in the background"})
    for _ in range(200):
        if await _stored(sessions):
            break
        await asyncio.sleep(0.05)
    assert list((await _stored(sessions)).values()) == [{"started": "in the background"}]


async def test_close_writes_what_is_held(sessions: async_sessionmaker[AsyncSession]) -> None:
    storage = DatabaseStorage(sessions)
    await storage.set_data(_key(1), {"step": 1})
    await storage.close()
    assert len(await _stored(sessions)) == 1


async def test_an_update_s_state_is_stored_when_the_update_is_done(
    sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through a dispatcher as the bot's: FlushStorage starts writing what the handler
    changed when the update is done (nobody calls flush here)."""
    monkeypatch.setattr(fsm_storage, "FLUSH_DELAY", 600.0)  # only the update's flush can do it
    storage = DatabaseStorage(sessions)
    dispatcher = Dispatcher(storage=storage)
    dispatcher.update.outer_middleware(FlushStorage(storage))
    seen: list[str] = []

    @dispatcher.message()
    async def remember(message: Any, state: FSMContext) -> None:
        await state.set_state("Form:name")
        await state.update_data(text=message.text)
        seen.append(message.text)

    update = Update.model_validate(
        {
            "update_id": 1,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": 42, "type": "private"},
                "from": {"id": 42, "is_bot": False, "first_name": "A"},
                "text": "Анна",
            },
        }
    )
    bot = Bot("42:TEST")
    await dispatcher.feed_update(bot, update)
    await bot.session.close()
    assert seen == ["Анна"]
    for _ in range(200):
        if await _stored(sessions):
            break
        await asyncio.sleep(0.05)
    async with sessions() as session:
        count = await session.scalar(select(func.count()).select_from(FsmRecord))
        record = (await session.execute(select(FsmRecord))).scalar_one()
    assert count == 1
    assert (record.state, record.data) == ("Form:name", {"text": "Анна"})
    await storage.close()


async def test_a_background_flush_that_fails_is_logged_and_tried_again(
    sessions: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(fsm_storage, "FLUSH_DELAY", 0.05)
    storage = DatabaseStorage(sessions)
    write = fsm_storage._write
    failures: list[None] = []

    async def failing_once(session: AsyncSession, records: Any) -> None:
        if not failures:
            failures.append(None)
            raise OSError("disk full")
        await write(session, records)

    monkeypatch.setattr(fsm_storage, "_write", failing_once)
    await storage.set_data(_key(1), {"step": 1})
    storage.flush_soon()
    for _ in range(200):
        if await _stored(sessions):
            break
        await asyncio.sleep(0.05)
    assert list((await _stored(sessions)).values()) == [{"step": 1}]
    assert failures == [None]
    assert "dialog state not written yet" in caplog.text
    await storage.close()


async def test_a_key_the_database_does_not_hold_costs_no_query(
    sessions: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> None:
    """A new dialog context's key is read before its first save: the storage knows the keys
    the database holds, so it needs no query for one it does not; a key it holds is read."""
    old = _key(1000)
    built = DefaultKeyBuilder(with_destiny=True, with_bot_id=True).build(old)
    async with sessions() as session:  # a record from before a restart
        session.add(FsmRecord(key=built, state="Old:step", data={"n": 1}))
        await session.commit()
    storage = DatabaseStorage(sessions, cache_size=2)
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    try:
        assert await storage.get_data(_key(1)) == {}  # the first miss loads the keys
        loaded = len(statements)
        for user in range(2, 7):
            assert await storage.get_state(_key(user)) is None
        assert len(statements) == loaded  # no query for keys the database does not hold
        assert await storage.get_state(old) == "Old:step"
        assert len(statements) > loaded

        await storage.set_data(_key(8), {"kept": True})
        await storage.set_data(_key(9), {"kept": True})
        await storage.flush()
        await storage.set_data(_key(9), {})
        await storage.flush()
        for user in range(10, 13):  # the small cache lets keys 8 and 9 go
            await storage.get_state(_key(user))
        assert await storage.get_data(_key(8)) == {"kept": True}  # held: read back
        before = len(statements)
        assert await storage.get_data(_key(9)) == {}  # removed: known empty, no query
        assert len(statements) == before
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", seen)


async def test_a_change_being_written_is_read_back_though_the_cache_let_it_go(
    sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = DatabaseStorage(sessions, cache_size=1)
    await storage.set_data(_key(1), {"step": "old"})
    await storage.flush()
    writing, release = held_writes(monkeypatch)
    await storage.set_data(_key(1), {"step": "new"})
    flushing = asyncio.create_task(storage.flush())
    await writing.wait()
    await storage.get_data(_key(2))  # the small cache lets key 1 go while it is written
    assert await storage.get_data(_key(1)) == {"step": "new"}  # not the database's "old"
    release.set()
    await flushing
    assert await storage.get_data(_key(1)) == {"step": "new"}
