"""aiogram FSM storage in the database, so a half-filled dialog survives a restart.

aiogram-dialog keeps its stacks and contexts in the same storage (under their own
"destiny"), so its dialogs survive restarts too.

Every update reads the storage three times (aiogram's state, aiogram-dialog's stack load
and save). With SQLite one process owns the database, so records are cached in memory and
written through on every change. On PostgreSQL other replicas change the same records, so
nothing is cached: every read is the database's (`cached=False`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, KeyBuilder, StorageKey
from cachetools import LRUCache
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.engine import is_postgres, write_transaction
from db.models import FsmRecord
from db.types import utcnow

StateType = str | State | None


def _upsert_statement(
    session: AsyncSession, key: str, state: str | None, data: dict[str, Any]
) -> Any:
    """INSERT … ON CONFLICT (key) DO UPDATE, in the session's dialect: two first writes of
    one key at once (two processes, say) both succeed, the later one's values kept."""
    # The dialect's module on first use: a bot on SQLite need not load PostgreSQL's (2 MB).
    if is_postgres(session):
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    values = {"state": state, "data": data, "updated_at": utcnow()}
    statement = insert(FsmRecord).values(key=key, **values)
    return statement.on_conflict_do_update(index_elements=[FsmRecord.key], set_=values)


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
        self._cache: LRUCache[str, tuple[str | None, dict[str, Any]]] = LRUCache(cache_size)
        self._cached = cached

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
        return None

    async def _get(self, key: StorageKey) -> tuple[str | None, dict[str, Any]]:
        built = self._keys.build(key)
        cached: tuple[str | None, dict[str, Any]] | None = (
            self._cache.get(built) if self._cached else None
        )
        if cached is None:
            async with self._sessions() as session:
                record = await session.get(FsmRecord, built)
            cached = (record.state, dict(record.data or {})) if record else (None, {})
            if self._cached:
                self._cache[built] = cached
        return cached

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
        async with self._sessions() as session, write_transaction(session):
            if new_state is None and not new_data:
                await session.execute(delete(FsmRecord).where(FsmRecord.key == built))
            else:
                await session.execute(_upsert_statement(session, built, new_state, new_data))
        if self._cached:
            self._cache[built] = (new_state, new_data)

    async def keys_with_state(self) -> list[str]:
        """Keys that hold a dialog state (for diagnostics and tests)."""
        async with self._sessions() as session:
            result = await session.execute(
                select(FsmRecord.key).where(FsmRecord.state.is_not(None))
            )
            return list(result.scalars())
