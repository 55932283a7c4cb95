"""Shared fixtures: a real SQLite file migrated by Alembic, settings, the text catalogue."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.settings import Settings
from bot.texts import Texts
from db import employees as employees_db
from db.engine import create_engine, create_session_factory
from db.migrate import upgrade
from db.models import Employee

TOKEN = "123456:TEST-token_abc"
CS_CHAT_ID = -1001000000001


def make_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "bot_token": TOKEN,
        "cs_chat_id": CS_CHAT_ID,
        "database_url": database_url,
        "timezone": "Europe/Moscow",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


async def person(session: AsyncSession, telegram_id: int) -> Employee:
    """The roster entry with this Telegram id (the tests' worlds always have it)."""
    found = await employees_db.by_telegram_id(session, telegram_id)
    assert found is not None, f"no employee with Telegram id {telegram_id}"
    return found


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    await upgrade(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_session_factory(engine)


@pytest.fixture
def texts() -> Texts:
    return Texts("ru", tz=ZoneInfo("Europe/Moscow"))


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)
