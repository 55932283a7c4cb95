"""What the CLI sub-commands do, on top of the app factory."""

from __future__ import annotations

import html
import logging
import re
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import results_import, roster
from bot.settings import Settings
from bot.texts import Texts
from db.engine import create_engine, create_session_factory
from db.migrate import upgrade

log = logging.getLogger(__name__)


async def run(settings: Settings) -> int:
    # Imported here: aiogram takes seconds to load, and `roster import` / `migrate` need none of it.
    from bot.app import build_app

    if settings.bot_mode == "webhook":
        from bot import webhook

        problem = webhook.settings_problem(settings)
        if problem is not None:
            print(problem, file=sys.stderr)
            return 2
        app = build_app(settings)
        try:
            return await webhook.serve(app)
        finally:
            await app.close()
    app = build_app(settings)
    try:
        await app.dispatcher.start_polling(
            app.bot,
            allowed_updates=app.dispatcher.resolve_used_update_types(),
            handle_signals=True,
        )
    finally:
        await app.close()
    return 0


async def migrate(settings: Settings) -> int:
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    print("Миграции применены / migrations applied")
    return 0


async def import_roster(settings: Settings, path: Path) -> int:
    texts = Texts("ru", tz=settings.tz)
    if not path.is_file():
        print(f"Нет файла / no such file: {path}", file=sys.stderr)
        return 2
    try:
        async with _migrated_session(settings) as session:
            result = await roster.import_roster(session, path.read_bytes(), path.name)
    except roster.RosterInvalid as invalid:
        for error in invalid.errors:
            reason = texts(error.key, **error.args)
            line = texts("roster-line", line=error.line, reason=reason) if error.line else reason
            print(line, file=sys.stderr)
        print(texts("roster-rejected", count=len(invalid.errors)), file=sys.stderr)
        return 1
    print(
        texts(
            "roster-imported",
            created=result.created,
            updated=result.updated,
            unchanged=result.unchanged,
            groups=result.groups_created,
        )
    )
    return 0


async def import_results(settings: Settings, path: Path) -> int:
    """`results import FILE`: as the system (no actor); each month in the file replaces its
    earlier figures. Bad rows are printed with their lines and nothing is written."""
    texts = Texts("ru", tz=settings.tz)
    if not path.is_file():
        print(f"Нет файла / no such file: {path}", file=sys.stderr)
        return 2
    try:
        async with _migrated_session(settings) as session:
            result = await results_import.import_results(
                session, None, path.read_bytes(), path.name, by_cli=True
            )
    except results_import.ResultsInvalid as invalid:
        print(texts("import-results-rejected", count=len(invalid.errors)), file=sys.stderr)
        for error in invalid.errors:
            print(html.unescape(results_import.render_error(texts, error)), file=sys.stderr)
        return 1
    print(html.unescape(_plain(results_import.render_imported(texts, result))))
    return 0


@asynccontextmanager
async def _migrated_session(settings: Settings) -> AsyncIterator[AsyncSession]:
    """A session on the migrated database of `settings`, for one CLI command."""
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        async with create_session_factory(engine)() as session:
            yield session
    finally:
        await engine.dispose()


def _plain(text: str) -> str:
    """A catalogue text without its HTML tags, for the terminal."""
    return re.sub(r"</?[a-z]+>", "", text)
