"""Shared fixtures: a real database migrated by Alembic, settings, the text catalogue.

Every test that uses a database runs twice: on a SQLite file and on PostgreSQL (a server the
session starts itself, tests/fixtures/postgres.py). The end-to-end tests run on SQLite only,
except those marked `both_databases`; a test marked `sqlite_only` is skipped on PostgreSQL,
one marked `postgres_only` runs there only.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.settings import Settings
from bot.texts import Texts
from db import employees as employees_db
from db.engine import create_engine, create_session_factory
from db.migrate import upgrade
from db.models import Employee
from tests.fixtures.postgres import PostgresServer, find_binaries, unavailable

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


DATABASES = ("sqlite", "postgres")
_PG_BINARIES = find_binaries()
_PG_UNAVAILABLE = unavailable()
_PG_LEFT_OUT = pytest.StashKey[int]()
_PG_NOT_RUN = pytest.StashKey[int]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "both_databases: an end-to-end test that runs on PostgreSQL too"
    )
    config.addinivalue_line(
        "markers", "sqlite_only(reason): a test of SQLite itself, skipped on PostgreSQL"
    )
    config.addinivalue_line(
        "markers", "postgres_only: a test of PostgreSQL's own (replicas' locks), run there only"
    )
    config.addinivalue_line(
        "markers", "slow: a test of a minute or more; parallel workers start it first"
    )


def pytest_report_header(config: pytest.Config) -> str:
    if _PG_UNAVAILABLE is not None:
        return f"postgresql: {_PG_UNAVAILABLE} (CS_BOT_PG_BIN names the binaries' folder)"
    return f"postgresql: {_PG_BINARIES}"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "database_kind" not in metafunc.fixturenames:
        return
    end_to_end = "e2e" in Path(str(metafunc.definition.path)).parts
    if end_to_end and metafunc.definition.get_closest_marker("both_databases") is None:
        return
    if _PG_UNAVAILABLE is not None:  # one line in the summary says so, not one per test
        metafunc.parametrize("database_kind", ["sqlite"], indirect=True, ids=["sqlite"])
        if metafunc.definition.get_closest_marker("postgres_only") is None:
            metafunc.config.stash[_PG_LEFT_OUT] = metafunc.config.stash.get(_PG_LEFT_OUT, 0) + 1
        return
    metafunc.parametrize("database_kind", DATABASES, indirect=True, ids=DATABASES)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A `postgres_only` test runs on PostgreSQL only: its SQLite run is left out, and all of
    it when there is no PostgreSQL (counted in the summary's one line).

    The `slow` tests go first, then the end-to-end ones (each takes seconds where a unit test
    takes milliseconds): parallel workers (pytest-xdist hands tests out in this order) start
    on the long ones and finish together on the short ones."""
    items.sort(
        key=lambda item: (
            item.get_closest_marker("slow") is None,
            "e2e" not in Path(str(item.path)).parts,
        )
    )
    kept, dropped = [], []
    for item in items:
        database = getattr(item, "callspec", None) and item.callspec.params.get("database_kind")
        if item.get_closest_marker("postgres_only") is not None and (
            database != "postgres" or _PG_UNAVAILABLE is not None
        ):
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
        if _PG_UNAVAILABLE is not None:
            config.stash[_PG_NOT_RUN] = len(dropped)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """In a pytest-xdist worker: hand the counts of the summary's line to the controller."""
    output = getattr(session.config, "workeroutput", None)
    if output is not None:
        output["pg_left_out"] = session.config.stash.get(_PG_LEFT_OUT, 0)
        output["pg_not_run"] = session.config.stash.get(_PG_NOT_RUN, 0)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """In the pytest-xdist controller: every worker collected the whole suite, so any one
    worker's counts are the suite's."""
    output = getattr(node, "workeroutput", {})
    if "pg_left_out" in output:
        node.config.stash[_PG_LEFT_OUT] = output["pg_left_out"]
        node.config.stash[_PG_NOT_RUN] = output["pg_not_run"]


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    left_out = config.stash.get(_PG_LEFT_OUT, 0)
    not_run = config.stash.get(_PG_NOT_RUN, 0)
    if left_out or not_run:
        terminalreporter.write_line(
            f"{_PG_UNAVAILABLE} ({left_out} tests run on SQLite only,"
            f" {not_run} PostgreSQL-only tests not run)"
        )


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    if _PG_UNAVAILABLE is not None or _PG_BINARIES is None:
        pytest.skip(_PG_UNAVAILABLE)
    server = PostgresServer(_PG_BINARIES)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def database_kind(request: pytest.FixtureRequest) -> str:
    """ "sqlite" or "postgres" (parametrised by pytest_generate_tests; SQLite if not)."""
    kind: str = getattr(request, "param", "sqlite")
    if kind == "postgres":
        marker = request.node.get_closest_marker("sqlite_only")
        if marker is not None:
            pytest.skip(marker.kwargs.get("reason") or "a test of SQLite itself")
        if _PG_UNAVAILABLE is not None:
            pytest.skip(_PG_UNAVAILABLE)
    return kind


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file Alembic migrated once per session; each test gets a copy (a tenth of a
    second of migrations saved per test, as PostgreSQL's template database does)."""
    path = tmp_path_factory.mktemp("template") / "migrated.db"

    async def migrate() -> None:
        engine = create_engine(f"sqlite+aiosqlite:///{path}")
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()

    asyncio.run(migrate())
    return path


def _database(
    request: pytest.FixtureRequest, kind: str, tmp_path: Path, name: str, *, migrated: bool
) -> Iterator[str]:
    if kind == "sqlite":
        if migrated:
            shutil.copyfile(request.getfixturevalue("sqlite_template"), tmp_path / name)
        yield f"sqlite+aiosqlite:///{tmp_path / name}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    database = server.create_database(migrated=migrated)
    try:
        yield server.url(database)
    finally:
        server.drop_database(database)


@pytest.fixture
def database_url(
    request: pytest.FixtureRequest, database_kind: str, tmp_path: Path
) -> Iterator[str]:
    """A migrated database of the test's own: a SQLite file or a PostgreSQL database."""
    yield from _database(request, database_kind, tmp_path, "bot.db", migrated=True)


@pytest.fixture
def empty_database_url(
    request: pytest.FixtureRequest, database_kind: str, tmp_path: Path
) -> Iterator[str]:
    """A database with no tables at all (for the tests of the migrations themselves)."""
    yield from _database(request, database_kind, tmp_path, "empty.db", migrated=False)


def is_postgres(database_url: str) -> bool:
    return make_url(database_url).get_backend_name() == "postgresql"


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)  # migrated already: a copy of a template
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
