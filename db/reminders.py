"""Queries on reminders: rows with a due time, swept into the outbox when due."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Reminder, ReminderState


async def due(session: AsyncSession, now: datetime, limit: int = 500) -> Sequence[Reminder]:
    result = await session.execute(
        select(Reminder)
        .where(Reminder.state == ReminderState.PENDING, Reminder.due_at <= now)
        .order_by(Reminder.due_at, Reminder.id)
        .limit(limit)
    )
    return result.scalars().all()


async def claim(session: AsyncSession, reminder_id: int) -> Reminder | None:
    """The reminder if it is still pending, locked until the transaction ends; None if it is
    gone, no longer pending, or being delivered by a concurrent sweep right now (PostgreSQL's
    SKIP LOCKED: that sweep delivers it; on SQLite writers are serialised already)."""
    result = await session.execute(
        select(Reminder)
        .where(Reminder.id == reminder_id, Reminder.state == ReminderState.PENDING)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    return result.scalar_one_or_none()


async def upcoming(
    session: AsyncSession, *, subject_prefix: str = "", limit: int = 50
) -> Sequence[Reminder]:
    query = select(Reminder).where(Reminder.state == ReminderState.PENDING)
    if subject_prefix:
        query = query.where(Reminder.subject.startswith(subject_prefix, autoescape=True))
    result = await session.execute(query.order_by(Reminder.due_at, Reminder.id).limit(limit))
    return result.scalars().all()


async def cancel_for_subject(
    session: AsyncSession, subject: str, kinds: set[str] | None = None
) -> int:
    query = (
        update(Reminder)
        .where(Reminder.subject == subject, Reminder.state == ReminderState.PENDING)
        .values(state=ReminderState.CANCELLED)
    )
    if kinds:
        query = query.where(Reminder.kind.in_(kinds))
    result = await session.execute(query)
    return int(getattr(result, "rowcount", 0))
