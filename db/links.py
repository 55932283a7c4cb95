"""Queries on the quick links shown by /standards."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import LinkItem
from db.versions import Seen, Version, detached_copy


class _Kept:
    """The links as last read from one database, and the version they were read at."""

    def __init__(self, version: Version) -> None:
        self.version = version
        self.links: tuple[LinkItem, ...] = ()
        self.seen: Seen | None = None


_kept: dict[str, _Kept] = {}


async def all_links(session: AsyncSession) -> Sequence[LinkItem]:
    """The links in their order, to be read (not changed). They are kept in memory until a
    link changes (db.versions: on PostgreSQL, within updates only): /standards and the
    request dialogs read them on every update, an edit comes once a month."""
    url = str(session.bind.sync_engine.url) if session.bind is not None else ""
    kept = _kept.get(url) or _kept.setdefault(url, _Kept(Version(url or None)))
    version = kept.version.current()
    if version is None:
        return await _read_links(session)
    if kept.seen == version:
        return kept.links
    links = await _read_links(session)
    if kept.version.current() == version:
        kept.links, kept.seen = tuple(detached_copy(link) for link in links), version
    return links


async def _read_links(session: AsyncSession) -> Sequence[LinkItem]:
    result = await session.execute(select(LinkItem).order_by(LinkItem.position, LinkItem.id))
    return result.scalars().all()


async def by_id(session: AsyncSession, link_id: int) -> LinkItem | None:
    return await session.get(LinkItem, link_id)


async def by_id_for_update(session: AsyncSession, link_id: int) -> LinkItem | None:
    """The link re-read and locked until the transaction ends (see cases.by_id_for_update)."""
    result = await session.execute(
        select(LinkItem)
        .where(LinkItem.id == link_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return result.scalar_one_or_none()


async def keys(session: AsyncSession) -> set[str]:
    result = await session.execute(select(LinkItem.key).where(LinkItem.key.is_not(None)))
    return {key for key in result.scalars() if key}


async def next_position(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.max(LinkItem.position))) or 0) + 1
