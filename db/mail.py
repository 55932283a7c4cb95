"""Queries on the mail outbox: e-mails to the CS mailbox waiting to be sent."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import MailMessage, MailState


async def due(session: AsyncSession, now: datetime, limit: int = 50) -> Sequence[MailMessage]:
    result = await session.execute(
        select(MailMessage)
        .where(MailMessage.state == MailState.PENDING, MailMessage.not_before <= now)
        .order_by(MailMessage.id)
        .limit(limit)
    )
    return result.scalars().all()


async def mark_sent(session: AsyncSession, mail_id: int, *, at: datetime) -> None:
    await session.execute(
        update(MailMessage)
        .where(MailMessage.id == mail_id)
        .values(state=MailState.SENT, sent_at=at, attempts=MailMessage.attempts + 1)
    )


async def postpone(session: AsyncSession, mail_id: int, *, until: datetime, error: str) -> None:
    await session.execute(
        update(MailMessage)
        .where(MailMessage.id == mail_id)
        .values(not_before=until, last_error=error[:2000], attempts=MailMessage.attempts + 1)
    )
