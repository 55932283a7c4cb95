"""Queries on the outbox: what is waiting to be sent, and the record of what was."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import BlockedChat, OutboxMessage, OutboxState


async def chat_heads(session: AsyncSession, limit: int) -> Sequence[OutboxMessage]:
    """Each chat's oldest pending message: the next one that chat may receive.

    Taking one row per chat (not the N oldest rows) keeps a long queue for one slow group
    from starving every other chat.
    """
    heads = (
        select(func.min(OutboxMessage.id))
        .where(OutboxMessage.state == OutboxState.PENDING)
        .group_by(OutboxMessage.chat_id)
        .scalar_subquery()
    )
    result = await session.execute(
        select(OutboxMessage)
        .where(OutboxMessage.id.in_(heads))
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    return result.scalars().all()


async def count_pending(session: AsyncSession) -> int:
    query = select(func.count()).where(OutboxMessage.state == OutboxState.PENDING)
    return int(await session.scalar(query) or 0)


async def by_id(session: AsyncSession, outbox_id: int) -> OutboxMessage | None:
    return await session.get(OutboxMessage, outbox_id)


async def latest_for_subject(session: AsyncSession, subject: str) -> OutboxMessage | None:
    """The newest send (not edit) that shows `subject`."""
    result = await session.execute(
        select(OutboxMessage)
        .where(OutboxMessage.subject == subject, OutboxMessage.method.like("send%"))
        .order_by(OutboxMessage.id.desc())
        .limit(1)
    )
    return result.scalar_one_or_none()


async def mark_sent(
    session: AsyncSession, outbox_id: int, *, message_id: int | None, at: datetime
) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == outbox_id)
        .values(
            state=OutboxState.SENT,
            message_id=message_id,
            sent_at=at,
            attempts=OutboxMessage.attempts + 1,
        )
    )


async def mark_failed(session: AsyncSession, outbox_id: int, *, error: str) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == outbox_id)
        .values(
            state=OutboxState.FAILED, last_error=error[:2000], attempts=OutboxMessage.attempts + 1
        )
    )


async def postpone(
    session: AsyncSession, outbox_id: int, *, until: datetime, error: str, count_attempt: bool
) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == outbox_id)
        .values(
            not_before=until,
            last_error=error[:2000],
            attempts=OutboxMessage.attempts + (1 if count_attempt else 0),
        )
    )


async def blocked_chat_ids(session: AsyncSession) -> set[int]:
    result = await session.execute(select(BlockedChat.chat_id))
    return set(result.scalars())


async def block_chat(session: AsyncSession, chat_id: int, reason: str) -> None:
    if await session.get(BlockedChat, chat_id) is None:
        session.add(BlockedChat(chat_id=chat_id, reason=reason[:300]))


async def unblock_chat(session: AsyncSession, chat_id: int) -> bool:
    result = await session.execute(delete(BlockedChat).where(BlockedChat.chat_id == chat_id))
    return bool(getattr(result, "rowcount", 0))


async def sends_with_subject_prefix(session: AsyncSession, prefix: str) -> Sequence[OutboxMessage]:
    """Every send whose subject starts with `prefix` ("case:12:"), oldest first."""
    result = await session.execute(
        select(OutboxMessage)
        .where(
            OutboxMessage.subject.startswith(prefix, autoescape=True),
            OutboxMessage.method.like("send%"),
        )
        .order_by(OutboxMessage.id)
    )
    return result.scalars().all()
