"""Queries on call analyses and on the monthly reminder about them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import CallAnalysis, Reminder


async def by_id(session: AsyncSession, analysis_id: int) -> CallAnalysis | None:
    return await session.get(CallAnalysis, analysis_id)


async def count_posted_between(session: AsyncSession, start: datetime, end: datetime) -> int:
    """How many analyses were posted in [start, end) (UTC)."""
    result = await session.execute(
        select(func.count(CallAnalysis.id)).where(
            CallAnalysis.created_at >= start, CallAnalysis.created_at < end
        )
    )
    return int(result.scalar_one())


async def reminder_recorded(session: AsyncSession, subject: str) -> bool:
    """Whether a reminder with this subject was ever written, in any state."""
    result = await session.execute(select(exists().where(Reminder.subject == subject)))
    return bool(result.scalar())
