"""Alembic migrations walk up, down and up again, and match the models exactly."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from db.engine import create_engine
from db.migrate import downgrade, upgrade
from db.models import Base


def _tables(connection: Connection) -> set[str]:
    return {
        name for name in inspect(connection).get_table_names() if not name.startswith("sqlite_")
    }


def _head_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_upgrade_downgrade_upgrade_on_an_empty_file(empty_database_url: str) -> None:
    engine = create_engine(empty_database_url)
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(_tables) == set()

        await upgrade(engine)
        async with engine.connect() as connection:
            after_first = await connection.run_sync(_tables)
            head = await connection.run_sync(_head_revision)
        assert set(Base.metadata.tables) <= after_first
        assert "alembic_version" in after_first
        assert head is not None

        await downgrade(engine, "base")
        async with engine.connect() as connection:
            assert await connection.run_sync(_tables) == {"alembic_version"}
            assert await connection.run_sync(_head_revision) is None

        await upgrade(engine)
        async with engine.connect() as connection:
            assert await connection.run_sync(_tables) == after_first
            assert await connection.run_sync(_head_revision) == head
    finally:
        await engine.dispose()


async def test_models_and_migrations_do_not_drift(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        diff = await connection.run_sync(_diff)
    assert diff == [], f"models differ from migrations: {diff}"


@pytest.mark.sqlite_only(reason="PRAGMAs are SQLite's own")
async def test_session_connection_has_wal_and_foreign_keys(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        journal_mode = await session.scalar(text("PRAGMA journal_mode"))
        foreign_keys = await session.scalar(text("PRAGMA foreign_keys"))
        busy_timeout = await session.scalar(text("PRAGMA busy_timeout"))
    assert str(journal_mode).lower() == "wal"
    assert foreign_keys == 1
    assert busy_timeout is not None
    assert int(busy_timeout) > 0
