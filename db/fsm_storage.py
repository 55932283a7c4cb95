"""aiogram FSM storage in the database, so a half-filled dialog survives a restart.

aiogram-dialog keeps its stacks and contexts in the same storage (under their own
"destiny"), so its dialogs survive restarts too.

Every update reads the storage three times (aiogram's state, aiogram-dialog's stack load
and save) and a dialog step writes it two to four times (its context, its stack, the
context it closes). With SQLite one process owns the database, so records are cached in
memory and their changes written behind: kept as pending (and read from there) until a
flush writes every pending record in one transaction. When an update is done the bot
starts a flush without waiting for it (`flush_soon`, from `bot.middlewares.FlushStorage`):
one flush runs at a time and takes all that is pending when it begins, so the updates that
end while one is writing share the next commit (a dialog step used to pay up to four write
transactions of its own, and most of its time). The reply is sent before the flush either
way; what a crash can lose is the last few milliseconds' steps, as before. A change made
outside an update (a dialog started in the background) is flushed `FLUSH_DELAY` later;
closing the storage flushes what is left. On PostgreSQL other replicas change the same
records, so nothing is cached across updates (`cached=False`). Within one update a person's
records are held (`held`, entered by `db.isolation` once it holds the person's lock, so no
replica can change them meanwhile): each is read once, on the lock's own connection, and the
changes are written there when the update ends, committed with the lock's release. Outside
an update, and for other people's records, every read is the database's and every write is
written at once.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, KeyBuilder, StorageKey
from cachetools import LRUCache
from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from db.engine import begin_write, is_postgres, write_transaction
from db.models import FsmRecord
from db.types import utcnow

StateType = str | State | None
Record = tuple[str | None, dict[str, Any]]

log = logging.getLogger(__name__)

FLUSH_DELAY = 0.5  # seconds after a change that no update's end has flushed


_upserts: dict[bool, Any] = {}
_DELETE = delete(FsmRecord).where(FsmRecord.key.in_(bindparam("keys", expanding=True)))
_READ = select(FsmRecord.key, FsmRecord.state, FsmRecord.data).where(
    FsmRecord.key.in_(bindparam("keys", expanding=True))
)
# Read with the first record an update asks for: the two that nearly every update reads
# (aiogram's state, aiogram-dialog's default stack), in the same round trip.
_READ_TOGETHER = ("default", "aiogd:stack:")


def _upsert_statement(postgres: bool) -> Any:
    """INSERT … ON CONFLICT (key) DO UPDATE, in the dialect, for rows given as parameters
    (key, state, data, updated_at): two first writes of one key at once (two processes, say)
    both succeed, the later one's values kept. Built once per dialect."""
    if postgres not in _upserts:
        # The dialect's module on first use: a bot on SQLite need not load PostgreSQL's (2 MB).
        if postgres:
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
        statement = insert(FsmRecord)
        excluded = statement.excluded
        _upserts[postgres] = statement.on_conflict_do_update(
            index_elements=[FsmRecord.key],
            set_={
                "state": excluded.state,
                "data": excluded.data,
                "updated_at": excluded.updated_at,
            },
        )
    return _upserts[postgres]


async def _write(session: AsyncSession | AsyncConnection, records: Mapping[str, Record]) -> None:
    """Store `records` (a record without state or data is deleted) in the session's (or the
    connection's) write transaction."""
    postgres = (
        session.dialect.name == "postgresql"
        if isinstance(session, AsyncConnection)
        else is_postgres(session)
    )
    gone = [key for key, (state, data) in records.items() if state is None and not data]
    now = utcnow()
    rows = [
        {"key": key, "state": state, "data": data, "updated_at": now}
        for key, (state, data) in records.items()
        if state is not None or data
    ]
    if gone:
        await session.execute(_DELETE, {"keys": gone})
    if rows:
        await session.execute(_upsert_statement(postgres), rows)


def _owner(key: StorageKey) -> tuple[Any, ...]:
    """Whose records a key is: all of it but the destiny (aiogram's state, aiogram-dialog's
    stack and contexts are one person's in one chat)."""
    return (key.bot_id, key.chat_id, key.user_id, key.thread_id, key.business_connection_id)


@dataclass(eq=False)
class _Held:
    """One person's records during one update (see `DatabaseStorage.held`)."""

    storage: DatabaseStorage
    owner: tuple[Any, ...]
    connection: AsyncConnection
    task: asyncio.Task[Any] | None
    records: dict[str, Record] = field(default_factory=dict)
    changed: dict[str, Record] = field(default_factory=dict)


_HELD: ContextVar[_Held | None] = ContextVar("held_dialog_records", default=None)


class DatabaseStorage(BaseStorage):
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        key_builder: KeyBuilder | None = None,
        cache_size: int = 10_000,
        cached: bool = True,
    ) -> None:
        self._sessions = session_factory
        self._keys = key_builder or DefaultKeyBuilder(with_destiny=True, with_bot_id=True)
        self._cache: LRUCache[str, Record] = LRUCache(cache_size)
        self._cached = cached
        # Changed and not yet written (cached mode only): never evicted, read before the cache;
        # then, while a flush writes them, `_writing`.
        self._pending: dict[str, Record] = {}
        self._writing: dict[str, Record] = {}
        # The keys the database holds (cached mode only; loaded on the first miss and kept
        # by the flushes): a key it does not hold, such as a new dialog context's, is known
        # empty without a query.
        self._stored: set[str] | None = None
        self._flushing = asyncio.Lock()
        self._later: asyncio.TimerHandle | None = None
        self._flusher: asyncio.Task[None] | None = None

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        await self._upsert(key, state=value)

    async def get_state(self, key: StorageKey) -> str | None:
        state, _ = await self._get(key)
        return state

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        # Round-trip through JSON now, so a value that cannot be stored fails here, at once,
        # and not later in a flush far from the handler that put it in.
        await self._upsert(key, data=json.loads(json.dumps(dict(data))))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        _, data = await self._get(key)
        copy: dict[str, Any] = json.loads(json.dumps(data))  # the caller may change it
        return copy

    async def close(self) -> None:
        if self._later is not None:
            self._later.cancel()
            self._later = None
        if self._flusher is not None:
            await asyncio.gather(self._flusher, return_exceptions=True)
        await self.flush()

    async def flush(self) -> None:
        """Write every pending change in one transaction; return once the changes pending
        at the call are in the database (written by this call or by one running already).
        On an error the changes stay pending for the next flush, and the error is raised."""
        if not self._pending and not self._flushing.locked():
            return
        async with self._flushing:  # a running flush may hold ours: wait for its end
            if not self._pending:  # the flush we waited for took ours
                return
            records, self._pending = self._pending, {}
            self._writing = records
            try:
                async with self._sessions() as session:
                    await begin_write(session)
                    await _write(session, records)
                    await session.commit()
            except BaseException:
                for key, record in records.items():  # newer changes stay as they are
                    self._pending.setdefault(key, record)
                self._flush_later()
                raise
            finally:
                self._writing = {}
            if self._stored is not None:
                for key, (state, data) in records.items():
                    if state is None and not data:
                        self._stored.discard(key)
                    else:
                        self._stored.add(key)

    def flush_soon(self) -> None:
        """Start writing what is pending, without waiting: one background flush at a time,
        which writes again while changes came meanwhile (an error is logged, and the
        changes are written by a later flush)."""
        if self._pending and (self._flusher is None or self._flusher.done()):
            self._flusher = asyncio.get_running_loop().create_task(self._flush_while_pending())

    async def _flush_while_pending(self) -> None:
        while self._pending:
            try:
                await self.flush()
            except Exception:
                log.exception("dialog state not written yet: tried again in %s s", FLUSH_DELAY)
                return

    def _flush_later(self) -> None:
        """Make sure a change made outside an update is written soon."""
        if self._later is None:
            self._later = asyncio.get_running_loop().call_later(FLUSH_DELAY, self._flush_now)

    def _flush_now(self) -> None:
        self._later = None
        if self._pending:
            task = asyncio.get_running_loop().create_task(self.flush())
            task.add_done_callback(_log_failure)

    @asynccontextmanager
    async def held(self, key: StorageKey, connection: AsyncConnection) -> AsyncIterator[None]:
        """Hold the records of `key`'s person (any destiny) for the update running in this
        task, while the caller holds the person's lock on `connection` (PostgreSQL, shared):
        each is read once, on `connection`, and what the update changed is written on it
        when the update ends, also when it ends in an error (as writing at once would have
        left it). The caller commits. A press that made three reads and three writes, each
        a transaction on a connection of its own, reads twice and writes once; /standards
        reads once.

        Only this task's storage calls are held: a dialog update that aiogram-dialog starts
        in a task of its own (with a copy of this context) reads and writes the database as
        it would outside an update, under its own lock."""
        held = _Held(self, _owner(key), connection, asyncio.current_task())
        token = _HELD.set(held)
        try:
            yield
        finally:
            _HELD.reset(token)
            held.task = None
            if held.changed:
                await _write(connection, held.changed)

    def _held(self, key: StorageKey) -> _Held | None:
        held = _HELD.get()
        if (
            held is None
            or held.storage is not self
            or held.task is not asyncio.current_task()
            or held.owner != _owner(key)
        ):
            return None
        return held

    async def _get(self, key: StorageKey) -> Record:
        built = self._keys.build(key)
        held = None if self._cached else self._held(key)
        if held is not None:
            kept = held.records.get(built)
            if kept is None:
                keys = {built}
                if not held.records:
                    keys.update(self._keys.build(replace(key, destiny=d)) for d in _READ_TOGETHER)
                rows = await held.connection.execute(_READ, {"keys": list(keys)})
                held.records.update({one: (None, {}) for one in keys})  # not stored: empty
                held.records.update({one: (state, dict(data or {})) for one, state, data in rows})
                kept = held.records[built]
            return kept
        cached: Record | None = (
            self._pending.get(built) or self._writing.get(built) or self._cache.get(built)
            if self._cached
            else None
        )
        if cached is None:
            record = None
            if not self._cached or built in await self._stored_keys():
                async with self._sessions() as session:
                    record = await session.get(FsmRecord, built)
            cached = (record.state, dict(record.data or {})) if record else (None, {})
            if self._cached:
                self._cache[built] = cached
        return cached

    async def _stored_keys(self) -> set[str]:
        if self._stored is None:
            async with self._flushing:  # no flush between the query and the set kept
                if self._stored is None:  # another first miss may have loaded them meanwhile
                    async with self._sessions() as session:
                        result = await session.execute(select(FsmRecord.key))
                        self._stored = set(result.scalars())
        return self._stored

    _UNSET: Any = object()

    async def _upsert(self, key: StorageKey, *, state: Any = _UNSET, data: Any = _UNSET) -> None:
        built = self._keys.build(key)
        old_state, old_data = await self._get(key)
        new_state = old_state if state is self._UNSET else state
        new_data = old_data if data is self._UNSET else data
        if (new_state, new_data) == (old_state, old_data):
            # aiogram-dialog saves its stack after every update; most saves change nothing,
            # and skipping them keeps ordinary updates off the write lock.
            return
        if not self._cached:
            held = self._held(key)
            if held is not None:
                held.records[built] = held.changed[built] = (new_state, new_data)
                return
            async with self._sessions() as session, write_transaction(session):
                await _write(session, {built: (new_state, new_data)})
            return
        self._cache[built] = self._pending[built] = (new_state, new_data)
        self._flush_later()

    async def keys_with_state(self) -> list[str]:
        """Keys that hold a dialog state (for diagnostics and tests)."""
        await self.flush()
        async with self._sessions() as session:
            result = await session.execute(
                select(FsmRecord.key).where(FsmRecord.state.is_not(None))
            )
            return list(result.scalars())


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("dialog state not written yet", exc_info=task.exception())
