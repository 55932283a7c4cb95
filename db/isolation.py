"""One update at a time per person and chat, in every replica.

aiogram handles a person's updates one after another when the dispatcher has an event
isolation: a quick second press must see the dialog state the first one saved. In one process
an asyncio lock per key does it (aiogram's SimpleEventIsolation). Replicas on one PostgreSQL
database add a transaction-level advisory lock on the key, held while the update is handled,
so a press that lands on another replica waits for the first one there too. While it is held,
the person's dialog records are read and written on the lock's connection
(`DatabaseStorage.held`), and their changes are committed with the lock's release; the
lock's statement also reads the generation of the cached tables (db.versions).
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager

from aiogram.fsm.storage.base import BaseEventIsolation, StorageKey
from aiogram.fsm.storage.memory import SimpleEventIsolation
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from db.fsm_storage import DatabaseStorage
from db.versions import update_generation

# The advisory lock's first int4 key: this bot's updates (the leader's lock has its own).
UPDATES_NAMESPACE = 0x43_54
# The lock, and in the same round trip the cache generation (db.versions) that the update
# may use: read as the statement began, so a roster change committed while the lock was
# awaited is seen by the next update (as if this one had come a moment earlier).
_LOCK = text(
    "SELECT pg_advisory_xact_lock(:namespace, :key)"
    ", (SELECT value FROM cache_generation WHERE id = 1)"
)


def lock_key(key: StorageKey) -> int:
    """The second int4 key: a hash of the whole storage key. Two keys that share it only wait
    for each other now and then, which is harmless."""
    name = ":".join(
        str(part)
        for part in (
            key.bot_id,
            key.chat_id,
            key.user_id,
            key.thread_id,
            key.business_connection_id,
            key.destiny,
        )
    )
    digest = hashlib.blake2b(name.encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big", signed=True)


class DatabaseEventIsolation(BaseEventIsolation):
    """The in-process lock first (a process never holds two connections for one key), then,
    when `engine` is a shared database's, its advisory lock until the update is handled, with
    `storage` (the dialog records' storage, on the same database) holding the person's records
    meanwhile."""

    def __init__(self, engine: AsyncEngine | None, storage: DatabaseStorage | None = None) -> None:
        self._local = SimpleEventIsolation()
        self._engine = engine
        self._storage = storage

    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncGenerator[None, None]:
        async with self._local.lock(key):
            if self._engine is None:
                yield
                return
            async with self._engine.connect() as connection:
                await connection.begin()
                locked = await connection.execute(
                    _LOCK, {"namespace": UPDATES_NAMESPACE, "key": lock_key(key)}
                )
                generation = locked.one()[1]
                try:
                    with update_generation(generation):
                        if self._storage is None:
                            yield
                        else:
                            async with self._storage.held(key, connection):
                                yield
                finally:
                    # Also after an error: the dialog records it changed before it stay so.
                    await connection.commit()

    async def close(self) -> None:
        await self._local.close()
