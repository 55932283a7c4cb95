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
