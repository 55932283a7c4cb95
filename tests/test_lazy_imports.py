"""The bot starts without the libraries of its rare features: matplotlib (charts), openpyxl
(workbooks) and numpy and PIL (which those two load) come in with the first chart or
workbook; Alembic (with Mako and Pygments) only when the database is not at head; the
production calendar's `holidays` with the first question about a day; aiosmtplib with the
first mail; PostgreSQL's dialect only on PostgreSQL; babel's locale data (5 MB) not for the
catalogue's texts; jinja2 with the first Jinja text rendered in `python -m bot run` (idle
memory: see bench/start.py)."""

from __future__ import annotations

import json
import subprocess
import sys

from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection

from db.engine import create_engine
from db.migrate import alembic_config, downgrade, head_revisions, is_at_head, upgrade

HEAVY = (
    "matplotlib",
    "numpy",
    "PIL",
    "openpyxl",
    "alembic",
    "mako",
    "pygments",
    "holidays",
    "aiosmtplib",
    "sqlalchemy.dialects.postgresql",
)


def loaded_after(code: str, modules: tuple[str, ...]) -> list[str]:
    """Which of `modules` a fresh interpreter holds after running `code`."""
    show = f"print(json.dumps([m for m in {list(modules)!r} if m in sys.modules]))"
    script = f"import json, sys\n{code}\n{show}"
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


def test_the_app_imports_none_of_the_rare_libraries() -> None:
    assert loaded_after("import bot.app", HEAVY) == []


def test_python_m_bot_run_imports_jinja_with_the_first_jinja_text() -> None:
    deferred = (
        "from bot import jinja_later\n"
        "jinja_later.defer()\n"
        "import bot.app\n"
        "from aiogram import Dispatcher\n"
        "from aiogram_dialog import setup_dialogs\n"
        "setup_dialogs(Dispatcher())"  # makes aiogram_dialog's «about» dialog, a Jinja text
    )
    assert loaded_after(deferred, ("jinja2", "markupsafe")) == []
    code = (
        f"{deferred}\n"
        "import asyncio\n"
        "from types import SimpleNamespace\n"
        "from aiogram_dialog.widgets.text import Jinja\n"
        "manager = SimpleNamespace(middleware_data={})\n"
        "text = asyncio.run(Jinja('<i>{{ name }}</i>').render_text({'name': '<b>'}, manager))\n"
        "assert text == '<i>&lt;b&gt;</i>', text"
    )
    assert loaded_after(code, ("jinja2",)) == ["jinja2"]


def test_the_texts_load_no_locale_data_of_babel() -> None:
    code = (
        "import babel.localedata\n"
        "from bot.texts import Texts\n"
        "texts = Texts('ru')\n"
        "for number in (1, 3, 7, -1, 1234567):\n"
        "    texts('import-results-done', rows=number, months=number)\n"
        "    texts('calendar-month', month=number)\n"
        "print(json.dumps(sorted(babel.localedata._cache)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", f"import json\n{code}"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_the_heads_read_from_the_files_are_alembics() -> None:
    script = ScriptDirectory.from_config(alembic_config(""))
    assert head_revisions() == frozenset(script.get_heads())


def _versions(connection: Connection) -> list[str]:
    return list(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())


async def test_a_database_at_head_is_upgraded_without_loading_alembic(database_url: str) -> None:
    code = (
        "import asyncio\n"
        "from db.engine import create_engine\n"
        "from db.migrate import upgrade\n"
        "async def main():\n"
        f"    engine = create_engine({database_url!r})\n"
        "    await upgrade(engine)\n"
        "    await engine.dispose()\n"
        "asyncio.run(main())"
    )
    assert loaded_after(code, ("alembic",)) == []
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(_versions) == sorted(head_revisions())
    finally:
        await engine.dispose()


async def test_a_database_behind_or_empty_is_migrated_to_head(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        for behind in ("0009", "base"):  # a revision behind; an empty alembic_version
            await downgrade(engine, behind)
            async with engine.connect() as connection:
                assert not await connection.run_sync(is_at_head)
            await upgrade(engine)
            async with engine.connect() as connection:
                assert await connection.run_sync(is_at_head)
                assert await connection.run_sync(_versions) == sorted(head_revisions())
    finally:
        await engine.dispose()


async def test_a_database_without_tables_is_not_at_head(empty_database_url: str) -> None:
    engine = create_engine(empty_database_url)
    try:
        async with engine.connect() as connection:
            assert not await connection.run_sync(is_at_head)
    finally:
        await engine.dispose()
