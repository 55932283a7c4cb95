"""Engine and session factory.

SQLite is set up for a bot that writes from several tasks at once: WAL (readers never block
the writer), foreign keys on, a busy timeout, and write transactions that BEGIN IMMEDIATE so
that two writers queue on the lock instead of failing with "database is locked" when a
deferred transaction tries to upgrade its read lock.

PostgreSQL runs writers side by side, so a use case that reads a state and changes it locks
what it decides on: the aggregate's row `SELECT … FOR UPDATE` (`with_for_update()`, which
SQLite ignores), a claim `FOR UPDATE SKIP LOCKED`, or `lock_name` for rows still to come.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session

from db import versions  # noqa: F401  (its session events mark every write of a cached table)

SQLITE_BUSY_TIMEOUT_MS = 15_000
_IMMEDIATE = "begin_immediate"


def is_shared(database_url: str) -> bool:
    """Whether other processes may use the database too (PostgreSQL: replicas), so that no
    process may cache what is in it, and locks must be the database's."""
    return make_url(database_url).get_backend_name() == "postgresql"


def create_engine(
    database_url: str,
    *,
    echo: bool = False,
    pool_size: int | None = None,
    max_overflow: int | None = None,
) -> AsyncEngine:
    url = make_url(database_url)
    is_sqlite = url.get_backend_name() == "sqlite"
    connect_args: dict[str, Any] = {}
    if is_sqlite:
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        connect_args["timeout"] = SQLITE_BUSY_TIMEOUT_MS / 1000
    options: dict[str, Any] = {}
    if is_sqlite and url.database not in (None, "", ":memory:"):
        # An update holds one connection while its handler runs; allow many at once.
        options = {"pool_size": 20, "max_overflow": 20}
    elif url.get_backend_name() == "postgresql":
        # The same, counted against the server's max_connections (100 by default) for each
        # process; pre-ping drops connections a restarted or failed-over server has closed.
        # Isolation stays PostgreSQL's default, READ COMMITTED: every statement sees what was
        # committed before it, and a row locked FOR UPDATE is re-read once its lock is free.
        options = {"pool_size": 10, "max_overflow": 20, "pool_pre_ping": True}
    if pool_size is not None and "pool_size" in options:
        options["pool_size"] = pool_size
    if max_overflow is not None and "max_overflow" in options:
        options["max_overflow"] = max_overflow
    engine = create_async_engine(url, echo=echo, connect_args=connect_args, **options)
    if is_sqlite:
        _set_up_sqlite(engine)
    return engine


def _set_up_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when a transaction begins (see on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(_IMMEDIATE):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")


def create_session_factory(
    engine: AsyncEngine, session_class: type[Session] = Session
) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit and flush only when told to."""
    return async_sessionmaker(
        engine, expire_on_commit=False, autoflush=False, sync_session_class=session_class
    )


@asynccontextmanager
async def write_transaction(session: AsyncSession) -> AsyncIterator[AsyncSession]:
    """One write unit of work: begins IMMEDIATE on SQLite, commits on success, undoes on error.

    A read transaction the session may hold (from earlier lookups in the same update) is ended
    first, so the write starts from a fresh snapshot and takes the write lock up front.
    The work runs inside a SAVEPOINT: on error only that is rolled back, so the objects the
    update loaded before (the current employee, say) stay usable for the refusal message;
    a full rollback would expire them all.
    """
    if session.in_transaction():
        await session.commit()
    await session.connection(execution_options={_IMMEDIATE: True})
    savepoint = await session.begin_nested()
    try:
        yield session
    except BaseException:
        try:
            await savepoint.rollback()
            await session.commit()  # nothing is left to write: this only ends the transaction
        except Exception:
            await session.rollback()
        raise
    await session.commit()


async def begin_write(session: AsyncSession) -> None:
    """Begin the write transaction of a fresh session (IMMEDIATE on SQLite), for a writer
    with nothing loaded before to keep: `write_transaction` without its SAVEPOINT. The
    caller commits; closing the session without a commit undoes it."""
    await session.connection(execution_options={_IMMEDIATE: True})


def is_postgres(session: AsyncSession) -> bool:
    bind = session.bind
    return bind is not None and bind.dialect.name == "postgresql"


async def lock_name(session: AsyncSession, *name: str | int) -> None:
    """Hold the lock called `name` until the transaction ends, for a decision on rows that do
    not exist yet (the next number, one pending request per person), where there is no row
    to lock FOR UPDATE. On PostgreSQL a transaction-level advisory lock; on SQLite nothing is
    needed, as write transactions are serialised already (BEGIN IMMEDIATE)."""
    if not is_postgres(session):
        return
    digest = hashlib.blake2b(":".join(map(str, name)).encode(), digest_size=8).digest()
    key = int.from_bytes(digest, "big", signed=True)
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
