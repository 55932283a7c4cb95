"""The version of the data a SQLite process may keep in memory: the roster (read by every
update to know its sender) and the quick links (read by /standards and the request dialogs).

A process that owns its SQLite file may keep such answers, as long as it forgets them when
the data changes — in this process or in another one on the same file (the
`python -m bot roster import` command, run while the bot runs). So:

- every Session of any process marks itself when it writes one of `CACHED_TABLES` (an ORM
  flush of such an entity, or an INSERT/UPDATE/DELETE on such a table), and when such a
  transaction commits, it bumps the version: `Version.generation` in this process, and a
  new random token in a file next to the database (written after the commit) for the
  others, which map the file into memory: reading it costs no system call;
- a cache reads the version (`Version.current()`) before it looks up and keeps an answer
  only if the version is the same before the query and after it: an answer read before
  another process's commit carries the token of before that commit, which the bump has
  replaced by then.

On PostgreSQL replicas share the database. There the version is the `cache_generation` row,
raised at the commit of every change of `CACHED_TABLES` by the database's own triggers
(migration 0011: also a change made by hand), and read by each update's lock in the same
round trip (db.isolation, `update_generation`): an update keeps and reuses answers read at
the generation it saw. Outside an update (the scheduler's jobs) nothing is kept.
"""

from __future__ import annotations

import asyncio
import mmap
import os
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event, inspect
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import ORMExecuteState, Session, make_transient_to_detached

EntityT = TypeVar("EntityT")
# What `Version.current()` answers: compared for equality only.
Seen = tuple[bytes | int, int]

CACHED_TABLES = frozenset({"employees", "employee_groups", "working_groups", "links"})
_WRITTEN = "cached_tables_written"


def version_file(database_url: str | URL) -> Path | None:
    """The file holding the version token for a SQLite file database (None for PostgreSQL
    and in-memory SQLite, which no other process can open)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(f"{url.database}.cache-version")


TOKEN_SIZE = 16
RECHECK_SECONDS = 1.0  # how often a reader checks that its mapping is still the file's


def _open_token_file(path: Path) -> int:
    """The token file, created (TOKEN_SIZE zero bytes) if it is not there yet."""
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    if os.fstat(descriptor).st_size < TOKEN_SIZE:
        os.ftruncate(descriptor, TOKEN_SIZE)  # two processes doing it at once: the same
    return descriptor


def bump_version(database_url: str | URL) -> None:
    """Tell every process on this database that cached data changed (after the commit).

    The token is written in place (readers map the file): a reader that catches it half
    written sees a token that is neither the old nor the new one, which only makes it read
    again."""
    path = version_file(database_url)
    if path is None:
        return
    descriptor = _open_token_file(path)
    try:
        os.pwrite(descriptor, secrets.token_bytes(TOKEN_SIZE), 0)
    finally:
        os.close(descriptor)


_UPDATE_GENERATION: ContextVar[tuple[asyncio.Task[Any] | None, int] | None] = ContextVar(
    "cache_generation", default=None
)


@contextmanager
def update_generation(value: int | None) -> Iterator[None]:
    """The `cache_generation` that this update's lock read (PostgreSQL), for the update: for
    this task only, not for a task started from it (which gets a copy of the context, and
    may run on long after a change)."""
    token = _UPDATE_GENERATION.set(None if value is None else (_current_task(), value))
    try:
        yield
    finally:
        _UPDATE_GENERATION.reset(token)


def _update_generation() -> int | None:
    read = _UPDATE_GENERATION.get()
    return None if read is None or read[0] is not _current_task() else read[1]


def _current_task() -> asyncio.Task[Any] | None:
    try:
        return asyncio.current_task()
    except RuntimeError:  # no event loop running
        return None


class Version:
    """The version of the cached tables of one database, as one process sees it."""

    # Bumped by every commit of this process that wrote a cached table.
    generation = 0

    def __init__(self, database_url: str | URL | None) -> None:
        self._file = version_file(database_url) if database_url else None
        self._shared = (
            database_url is not None and make_url(database_url).get_backend_name() == "postgresql"
        )
        self._token: mmap.mmap | None = None
        self._inode = 0
        self._checked_at = 0.0

    def current(self) -> Seen | None:
        """The version now, or None when nothing may be kept now (PostgreSQL outside an
        update; in-memory SQLite)."""
        if self._file is None:
            read = _update_generation() if self._shared else None
            return None if read is None else (read, Version.generation)
        now = time.monotonic()
        if now - self._checked_at > RECHECK_SECONDS:
            # A file removed (or replaced) under the mapping would never change again: map
            # the one at the path (a new file's token differs, so what was kept is dropped).
            self._checked_at = now
            try:
                inode = os.stat(self._file).st_ino
            except FileNotFoundError:
                inode = -1
            if inode != self._inode:
                self._map(self._file)
        assert self._token is not None
        return self._token[:TOKEN_SIZE], Version.generation

    def _map(self, path: Path) -> None:
        descriptor = _open_token_file(path)
        try:  # a shared mapping: another process's write is seen at once
            self._token = mmap.mmap(descriptor, TOKEN_SIZE, mmap.MAP_SHARED, mmap.PROT_READ)
            self._inode = os.fstat(descriptor).st_ino
        finally:
            os.close(descriptor)


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _context: Any) -> None:
    touched = (*session.new, *session.dirty, *session.deleted)
    if any(getattr(entity, "__tablename__", None) in CACHED_TABLES for entity in touched):
        session.info[_WRITTEN] = True


@event.listens_for(Session, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in CACHED_TABLES:
            state.session.info[_WRITTEN] = True


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if session.info.pop(_WRITTEN, False):
        Version.generation += 1
        bump_version(session.get_bind().engine.url)


def detached_copy(entity: EntityT) -> EntityT:
    """A copy of a loaded entity's columns that belongs to no session, as if loaded: a cache
    may hand it out (to be read, not changed) after the session that loaded it is closed."""
    mapper = inspect(type(entity))
    copy = type(entity)(
        **{column.key: getattr(entity, column.key) for column in mapper.column_attrs}
    )
    make_transient_to_detached(copy)
    return copy
