"""The quick links kept in memory (db.links.all_links, issue 12 item 1): read once, then until
a link changes: on SQLite in this process or in another one on the same file, on PostgreSQL
in any replica (seen in the generation each update's lock reads)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.services import links
from db import versions
from db.engine import write_transaction
from db.models import Employee, Role
from db.versions import bump_version
from tests.test_roster_cache import count_statements, in_an_update


async def one_link(sessions: async_sessionmaker[AsyncSession]) -> Employee:
    """A CS member and the link «Скрипты» he added; the member."""
    async with sessions() as session, write_transaction(session):
        actor = Employee(full_name="Ольга", role=Role.CS)
        session.add(actor)
    async with sessions() as session:
        await links.add(session, actor, links.LinkDraft("Скрипты", "https://example.com/a"))
    return actor


async def titles(sessions: async_sessionmaker[AsyncSession]) -> list[str]:
    async with in_an_update(sessions), sessions() as session:
        return [link.title for link in await links.all_links(session)]


async def test_links_are_kept_until_one_changes(
    database_url: str, engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    actor = await one_link(sessions)
    statements = count_statements(engine)
    assert await titles(sessions) == ["Скрипты"]
    queried = len(statements)
    assert await titles(sessions) == ["Скрипты"]
    assert len(statements) == queried  # kept: no query at all

    # An edit through the service is seen by the next call.
    async with sessions() as session:
        link = (await links.all_links(session))[0]
        await links.change(session, actor, link.id, links.LinkField.TITLE, "Скрипты звонков")
    assert await titles(sessions) == ["Скрипты звонков"]
    async with sessions() as session:
        await links.add(session, actor, links.LinkDraft("CRM", "https://example.com/b"))
    assert await titles(sessions) == ["Скрипты звонков", "CRM"]
    async with sessions() as session:
        await links.remove(session, actor, link.id)
    assert await titles(sessions) == ["CRM"]


async def test_another_process_change_is_seen_through_the_version_file(
    database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """A write no session of this process saw (plain SQL here) counts once its process
    bumps the version, as every process's sessions do after such a commit (on PostgreSQL
    the database's trigger does it at the commit)."""
    await one_link(sessions)
    assert await titles(sessions) == ["Скрипты"]
    async with sessions() as session:
        await session.execute(text("UPDATE links SET title = 'Другое'"))
        await session.commit()
    bump_version(database_url)
    assert await titles(sessions) == ["Другое"]


async def test_a_version_file_removed_under_the_bot_is_noticed(
    database_url: str,
    sessions: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The bot maps the version file; someone removes it and another process writes a new
    one: the bot maps the new file (it checks RECHECK_SECONDS apart) and drops what it kept."""
    path = versions.version_file(database_url)
    if path is None:
        return  # PostgreSQL: no file (the generation row, tested above, does its job)
    monkeypatch.setattr(versions, "RECHECK_SECONDS", 0.0)
    await one_link(sessions)
    assert await titles(sessions) == ["Скрипты"]
    path.unlink()
    async with sessions() as session:
        await session.execute(text("UPDATE links SET title = 'Другое'"))
        await session.commit()
    bump_version(database_url)
    assert await titles(sessions) == ["Другое"]
