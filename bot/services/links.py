"""The team's quick links (DESIGN §8): data, not code; seeded from a file, edited by CS."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.errors import Invalid, NotFound
from bot.services.roles import require_role
from db import audit
from db import links as links_db
from db.engine import lock_name, write_transaction
from db.models import Employee, LinkItem, Role

SEED_FILE = Path(__file__).resolve().parent.parent / "data" / "links.toml"
MAX_TITLE = 60
MAX_NOTE = 100
MAX_URL = 1000
_URL = re.compile(r"^(https?://[^\s/$.?#][^\s]*|tg://\S+|mailto:[^\s@]+@[^\s@]+\.[^\s@]+)$", re.I)


class LinkField(StrEnum):
    TITLE = "title"
    URL = "url"
    NOTE = "note"


@dataclass(frozen=True)
class LinkDraft:
    title: str
    url: str
    note: str = ""


async def seed(session: AsyncSession, path: Path = SEED_FILE) -> int:
    """Add the links of the seed file whose keys the database does not have yet."""
    entries = tomllib.loads(path.read_text(encoding="utf-8")).get("link", [])
    async with write_transaction(session):
        await lock_name(session, "links:add")  # several processes may start at once
        known = await links_db.keys(session)
        position = await links_db.next_position(session)
        added = 0
        for entry in entries:
            if entry["key"] in known:
                continue
            draft = LinkDraft(
                title=clean(LinkField.TITLE, entry["title"]),
                url=clean(LinkField.URL, entry["url"]),
                note=clean(LinkField.NOTE, entry.get("note", "")),
            )
            session.add(
                LinkItem(
                    key=entry["key"],
                    title=draft.title,
                    url=draft.url,
                    note=draft.note,
                    position=position,
                )
            )
            position += 1
            added += 1
    return added


def clean(field: LinkField, value: str) -> str:
    """The value as stored, or Invalid with the text that says what is expected."""
    text = " ".join(value.split())
    if field == LinkField.TITLE:
        if not text:
            raise Invalid("links-error-title-empty")
        if len(text) > MAX_TITLE:
            raise Invalid("links-error-title-long", max=MAX_TITLE)
    elif field == LinkField.URL:
        if len(text) > MAX_URL or not _URL.match(text):
            raise Invalid("links-error-url")
    elif len(text) > MAX_NOTE:
        raise Invalid("links-error-note-long", max=MAX_NOTE)
    return text


async def all_links(session: AsyncSession) -> Sequence[LinkItem]:
    return await links_db.all_links(session)


async def get(session: AsyncSession, link_id: int, *, for_update: bool = False) -> LinkItem:
    """The link (`for_update`: locked, inside the write transaction that changes it)."""
    link = await (links_db.by_id_for_update if for_update else links_db.by_id)(session, link_id)
    if link is None:
        raise NotFound("links-error-gone")
    return link


async def add(session: AsyncSession, actor: Employee | None, draft: LinkDraft) -> LinkItem:
    actor = require_role(actor, Role.CS)
    title = clean(LinkField.TITLE, draft.title)
    url = clean(LinkField.URL, draft.url)
    note = clean(LinkField.NOTE, draft.note)
    async with write_transaction(session):
        await lock_name(session, "links:add")  # the next position is taken once
        link = LinkItem(
            title=title,
            url=url,
            note=note,
            position=await links_db.next_position(session),
            updated_by_id=actor.id,
        )
        session.add(link)
        await session.flush()
        audit.record(
            session, actor_id=actor.id, entity="link", entity_id=link.id, action="add", comment=url
        )
    return link


async def change(
    session: AsyncSession, actor: Employee | None, link_id: int, field: LinkField, value: str
) -> LinkItem:
    actor = require_role(actor, Role.CS)
    text = clean(field, value)
    async with write_transaction(session):
        link = await get(session, link_id, for_update=True)
        old = getattr(link, field.value)
        setattr(link, field.value, text)
        link.updated_at = datetime.now(UTC)
        link.updated_by_id = actor.id
        audit.record(
            session,
            actor_id=actor.id,
            entity="link",
            entity_id=link.id,
            action=f"edit_{field.value}",
            comment=f"{old} → {text}",
        )
    return link


async def remove(session: AsyncSession, actor: Employee | None, link_id: int) -> str:
    actor = require_role(actor, Role.CS)
    async with write_transaction(session):
        link = await get(session, link_id, for_update=True)
        title = link.title
        await session.delete(link)
        audit.record(
            session,
            actor_id=actor.id,
            entity="link",
            entity_id=link_id,
            action="remove",
            comment=title,
        )
    return title
