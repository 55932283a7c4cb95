"""aiogram FSM storage in the database, so a half-filled dialog survives a restart.

aiogram-dialog keeps its stacks and contexts in the same storage (under their own
"destiny"), so its dialogs survive restarts too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, KeyBuilder, StorageKey
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.engine import write_transaction
from db.models import FsmRecord

StateType = str | State | None


class DatabaseStorage(BaseStorage):
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        key_builder: KeyBuilder | None = None,
    ) -> None:
        self._sessions = session_factory
        self._keys = key_builder or DefaultKeyBuilder(with_destiny=True, with_bot_id=True)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        await self._upsert(key, state=value)

    async def get_state(self, key: StorageKey) -> str | None:
        record = await self._get(key)
        return record.state if record else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        # Round-trip through JSON now, so a value that cannot be stored fails here, at once,
        # and not later in a flush far from the handler that put it in.
        await self._upsert(key, data=json.loads(json.dumps(dict(data))))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        record = await self._get(key)
        return dict(record.data) if record and record.data else {}

    async def close(self) -> None:
        return None

    async def _get(self, key: StorageKey) -> FsmRecord | None:
        async with self._sessions() as session:
            return await session.get(FsmRecord, self._keys.build(key))

    _UNSET: Any = object()

    async def _upsert(self, key: StorageKey, *, state: Any = _UNSET, data: Any = _UNSET) -> None:
        built = self._keys.build(key)
        async with self._sessions() as session, write_transaction(session):
            record = await session.get(FsmRecord, built)
            new_state = (record.state if record else None) if state is self._UNSET else state
            new_data = (record.data if record else {}) if data is self._UNSET else data
            if new_state is None and not new_data:
                if record is not None:
                    await session.delete(record)
            elif record is None:
                session.add(FsmRecord(key=built, state=new_state, data=new_data))
            else:
                record.state = new_state
                record.data = new_data

    async def keys_with_state(self) -> list[str]:
        """Keys that hold a dialog state (for diagnostics and tests)."""
        async with self._sessions() as session:
            result = await session.execute(
                select(FsmRecord.key).where(FsmRecord.state.is_not(None))
            )
            return list(result.scalars())
