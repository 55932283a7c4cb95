"""Applying the Alembic migrations from code (the CLI, the app start, the tests).

The bot upgrades its database at every start, and almost always finds it at head already.
Alembic (with Mako and Pygments, which it loads) costs about 11 MB and 0.2 s of CPU to
import, and more to read its scripts: so `upgrade` to head first compares the database's
`alembic_version` with the heads named in migrations/versions/ (read as text, not imported)
and loads Alembic only when they differ.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

import migrations

if TYPE_CHECKING:
    from alembic.config import Config

# `__path__` rather than `__file__`: it is set for every kind of package install.
MIGRATIONS_DIR = Path(next(iter(migrations.__path__))).resolve()
# The advisory lock (two int4 keys) that one migration at a time holds on PostgreSQL.
MIGRATIONS_LOCK = (0x43_53, 2)  # beside bot.leader's (0x4353, 1)
VERSION_TABLE = "alembic_version"  # Alembic's default, which migrations/env.py keeps


def alembic_config(database_url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    def action(config: Config) -> None:
        from alembic import command

        command.upgrade(config, revision)

    await _run(engine, action, unless_at_head=revision == "head")


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    def action(config: Config) -> None:
        from alembic import command

        command.downgrade(config, revision)

    await _run(engine, action)


@cache
def head_revisions() -> frozenset[str]:
    """The heads of migrations/versions/: the revisions that no other revises (Alembic's
    `ScriptDirectory.get_heads()`, read from the files' `revision`/`down_revision` lines)."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        for node in ast.parse(path.read_text(encoding="utf-8"), str(path)).body:
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                name, value = node.target.id, node.value
            elif (
                isinstance(node, ast.Assign)
                and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
            ):
                name, value = node.targets[0].id, node.value
            else:
                continue
            if name not in ("revision", "down_revision") or value is None:
                continue
            found = ast.literal_eval(value)
            names = {found} if isinstance(found, str) else set(found or ())
            (revisions if name == "revision" else revised).update(names)
    return frozenset(revisions - revised)


def is_at_head(connection: Connection) -> bool:
    """Whether the database has every head applied and nothing else (then `upgrade` to head
    has nothing to do)."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return False
    applied = connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
    return set(applied) == head_revisions()


async def _run(
    engine: AsyncEngine, action: Callable[[Config], None], *, unless_at_head: bool = False
) -> None:
    url = engine.url.render_as_string(hide_password=False)

    def run(connection: Connection) -> None:
        if unless_at_head and is_at_head(connection):
            return
        config = alembic_config(url)
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
