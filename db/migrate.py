"""Applying the Alembic migrations from code (the CLI, the app start, the tests)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

import migrations

# `__path__` rather than `__file__`: it is set for every kind of package install.
MIGRATIONS_DIR = Path(next(iter(migrations.__path__))).resolve()
# The advisory lock (two int4 keys) that one migration at a time holds on PostgreSQL.
MIGRATIONS_LOCK = (0x43_53, 2)  # beside bot.leader's (0x4353, 1)


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    await _run(engine, lambda cfg: command.upgrade(cfg, revision))


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    await _run(engine, lambda cfg: command.downgrade(cfg, revision))


async def _run(engine: AsyncEngine, action: Callable[[Config], None]) -> None:
    config = alembic_config(engine.url.render_as_string(hide_password=False))

    def run(connection: Connection) -> None:
        config.attributes["connection"] = connection
        action(config)

    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Replicas starting at once: one migrates, the others wait and find it done.
            await connection.execute(
                text("SELECT pg_advisory_xact_lock(:namespace, :key)"),
                {"namespace": MIGRATIONS_LOCK[0], "key": MIGRATIONS_LOCK[1]},
            )
        await connection.run_sync(run)
