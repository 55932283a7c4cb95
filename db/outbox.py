"""Queries on the outbox: what is waiting to be sent, and the record of what was."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import BlockedChat, OutboxMessage, OutboxState
from db.types import utcnow

# The methods that put a new message into a chat (the rest edit or delete one).
SEND_METHODS = frozenset({"sendMessage", "sendDocument", "sendPhoto", "sendAudio", "sendVoice"})


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


async def claim(
    session: AsyncSession, leases: Mapping[int, datetime], *, now: datetime
) -> set[int]:
    """Take pending rows, each for one call to Telegram, until its lease ends (`leases`: row
    id → end). Returns the ids taken: not those no longer pending, nor those whose earlier
    claim (another sender's) has not run out yet."""
    by_end: dict[datetime, list[int]] = {}
    for outbox_id, until in leases.items():
        by_end.setdefault(until, []).append(outbox_id)
    taken: set[int] = set()
    for until, ids in by_end.items():
        result = await session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id.in_(ids),
                OutboxMessage.state == OutboxState.PENDING,
                or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until <= now),
            )
            .values(claimed_until=until)
            .returning(OutboxMessage.id)
            .execution_options(synchronize_session=False)
        )
        taken.update(result.scalars())
    return taken


async def mark_sent(session: AsyncSession, sent: Mapping[int, int | None], *, at: datetime) -> None:
    """Record rows as sent (`sent`: row id → the message id Telegram gave, if any), in one
    statement however many there are."""
    if not sent:
        return
    table = cast(Table, OutboxMessage.__table__)
    statement = (
        update(table)
        .where(table.c.id == bindparam("row_id"))
        .values(
            state=OutboxState.SENT,
            message_id=bindparam("telegram_id"),
            sent_at=at,
            attempts=table.c.attempts + 1,
            claimed_until=None,
        )
    )
    await session.execute(
        statement,
        [{"row_id": row_id, "telegram_id": message_id} for row_id, message_id in sent.items()],
    )


async def mark_failed(session: AsyncSession, outbox_id: int, *, error: str) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == outbox_id)
        .values(
            state=OutboxState.FAILED,
            last_error=error[:2000],
            attempts=OutboxMessage.attempts + 1,
            claimed_until=None,
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
            claimed_until=None,
        )
    )


async def blocked_chat_ids(session: AsyncSession) -> set[int]:
    result = await session.execute(select(BlockedChat.chat_id))
    return set(result.scalars())


async def blocked_chat(session: AsyncSession, chat_id: int) -> BlockedChat | None:
    return await session.get(BlockedChat, chat_id)


async def block_chat(session: AsyncSession, chat_id: int, reason: str) -> BlockedChat:
    blocked = await session.get(BlockedChat, chat_id)
    if blocked is None:
        blocked = BlockedChat(chat_id=chat_id, reason=reason[:300])
        session.add(blocked)
        await session.flush()
    return blocked


async def unblock_chat(session: AsyncSession, chat_id: int) -> BlockedChat | None:
    """Forget that the chat refused the bot; the record as it was, or None if there was none."""
    blocked = await session.get(BlockedChat, chat_id)
    if blocked is not None:
        await session.execute(delete(BlockedChat).where(BlockedChat.chat_id == chat_id))
    return blocked


async def mark_undelivered(
    session: AsyncSession, outbox_id: int, *, error: str, count_attempt: bool
) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == outbox_id)
        .values(
            state=OutboxState.UNDELIVERED,
            last_error=error[:2000],
            attempts=OutboxMessage.attempts + (1 if count_attempt else 0),
            claimed_until=None,
        )
    )


async def kept(session: AsyncSession, chat_id: int) -> Sequence[OutboxMessage]:
    """Every message kept for a chat that cannot be reached, oldest first."""
    result = await session.execute(
        select(OutboxMessage)
        .where(OutboxMessage.state == OutboxState.UNDELIVERED, OutboxMessage.chat_id == chat_id)
        .order_by(OutboxMessage.id)
    )
    return result.scalars().all()


async def kept_sends(session: AsyncSession, chat_id: int) -> Sequence[OutboxMessage]:
    """The kept messages themselves (not edits of them), oldest first."""
    return [row for row in await kept(session, chat_id) if row.method in SEND_METHODS]


async def count_kept_messages(session: AsyncSession, chat_id: int) -> int:
    """How many kept messages `release_kept` would queue, before its limit: the kept sends
    less those a kept deletion takes back."""
    rows = await kept(session, chat_id)
    deleted = {row.target_id for row in rows if row.method == "deleteMessage"}
    return sum(1 for row in rows if row.method in SEND_METHODS and row.id not in deleted)


async def latest_text(session: AsyncSession, message: OutboxMessage) -> str:
    """The text `message` shows once every edit queued for it is applied."""
    result = await session.execute(
        select(OutboxMessage.payload)
        .where(OutboxMessage.target_id == message.id, OutboxMessage.method == "editMessageText")
        .order_by(OutboxMessage.id.desc())
        .limit(1)
    )
    payload = result.scalar_one_or_none() or message.payload
    return str(payload.get("text", ""))


async def release_kept(session: AsyncSession, chat_id: int, *, limit: int) -> tuple[int, int]:
    """The person can be reached again: queue what was kept for him, in its original order.

    Each kept row returns to the queue under its own id, so it goes before anything written
    later and the edits and replies that refer to it still find it. An edit or a deletion of
    a kept message is applied to the kept row first (state MERGED): he gets each message once,
    as it reads now, with its current buttons, instead of the old one followed by its edits.
    Only the last `limit` messages go out; older ones are failed as not sent again.

    Returns (messages queued, older messages left out).
    """
    rows = list(await kept(session, chat_id))
    by_id = {row.id: row for row in rows}
    for row in rows:
        target = by_id.get(row.target_id) if row.target_id is not None else None
        if row.method in SEND_METHODS or target is None:
            continue
        if target.state != OutboxState.UNDELIVERED or target.method not in SEND_METHODS:
            continue
        if row.method == "deleteMessage":
            target.state = OutboxState.FAILED
            target.last_error = "deleted before it could be delivered"
        elif row.method == "editMessageText" and target.method == "sendMessage":
            payload = {key: value for key, value in target.payload.items() if key != "reply_markup"}
            target.payload = {**payload, **row.payload}
        elif row.method == "editMessageReplyMarkup":
            payload = {key: value for key, value in target.payload.items() if key != "reply_markup"}
            if "reply_markup" in row.payload:
                payload["reply_markup"] = row.payload["reply_markup"]
            target.payload = payload
        else:
            continue
        row.state = OutboxState.MERGED
    sends = [
        row for row in rows if row.method in SEND_METHODS and row.state == OutboxState.UNDELIVERED
    ]
    left_out = sends[: max(0, len(sends) - limit)]
    for row in left_out:
        row.state = OutboxState.FAILED
        row.last_error = f"not sent again: only the last {limit} kept messages are"
    now = utcnow()
    for row in rows:
        if row.state == OutboxState.UNDELIVERED:
            row.state = OutboxState.PENDING
            row.not_before = now
    await session.flush()
    return len(sends) - len(left_out), len(left_out)


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
