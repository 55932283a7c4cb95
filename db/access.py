"""Queries on access requests from unknown users."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AccessRequest, AccessRequestState


async def pending_for(session: AsyncSession, telegram_id: int) -> AccessRequest | None:
    result = await session.execute(
        select(AccessRequest).where(
            AccessRequest.telegram_id == telegram_id,
            AccessRequest.state == AccessRequestState.PENDING,
        )
    )
    return result.scalars().first()


async def by_id(session: AsyncSession, request_id: int) -> AccessRequest | None:
    return await session.get(AccessRequest, request_id)


async def by_id_for_update(session: AsyncSession, request_id: int) -> AccessRequest | None:
    """The request re-read and locked until the transaction ends (see cases.by_id_for_update)."""
    result = await session.execute(
        select(AccessRequest)
        .where(AccessRequest.id == request_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return result.scalar_one_or_none()
