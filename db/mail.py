"""Queries on the mail outbox: e-mails to the CS mailbox waiting to be sent."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

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


async def claim(
    session: AsyncSession, mail_id: int, *, now: datetime, lease: timedelta
) -> MailMessage | None:
    """The mail if it is still due, leased to this sender for `lease` (its `not_before`
    moved on, so a concurrent sender passes it by, and a sender that dies mid-send leaves it
    to be sent again once the lease ends); None if it is sent, not due, or being claimed by
    another sender right now (PostgreSQL's SKIP LOCKED; SQLite serialises writers)."""
    result = await session.execute(
        select(MailMessage)
        .where(
            MailMessage.id == mail_id,
            MailMessage.state == MailState.PENDING,
            MailMessage.not_before <= now,
        )
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    row = result.scalar_one_or_none()
    if row is not None:
        row.not_before = now + lease
    return row


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
