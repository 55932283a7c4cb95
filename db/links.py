"""Queries on the quick links shown by /standards."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import LinkItem


async def all_links(session: AsyncSession) -> Sequence[LinkItem]:
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
