"""Reminders swept into the outbox: each due one exactly once, cancelled ones never."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services import notify, reminders
from db.engine import write_transaction
from db.models import OutboxMessage, OutboxState, Reminder, ReminderState

NOW = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
CHAT = 5001


async def _schedule(
    sessions: async_sessionmaker[AsyncSession],
    *,
    text: str,
    due_at: datetime,
    subject: str = "",
    chat_id: int = CHAT,
) -> int:
    async with sessions() as session, write_transaction(session):
        reminder = reminders.schedule_notice(
            session, chat_id=chat_id, text=text, due_at=due_at, subject=subject
        )
        await session.flush()
        return reminder.id


async def _reminder(sessions: async_sessionmaker[AsyncSession], reminder_id: int) -> Reminder:
    async with sessions() as session:
        reminder = await session.get(Reminder, reminder_id)
        assert reminder is not None
        return reminder


async def _outbox(sessions: async_sessionmaker[AsyncSession]) -> list[OutboxMessage]:
    async with sessions() as session:
        result = await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))
        return list(result.scalars())


async def test_a_due_reminder_becomes_one_outbox_row_and_is_marked_sent(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    due_id = await _schedule(
        sessions, text="Пора: <b>перепроверка</b>", due_at=NOW - timedelta(days=2), subject="case:1"
    )
    future_id = await _schedule(sessions, text="Позже", due_at=NOW + timedelta(minutes=1))

    delivered = await reminders.sweep(sessions, reminders.ReminderRegistry(), now=NOW)

    assert delivered == 1
    (row,) = await _outbox(sessions)
    assert row.chat_id == CHAT
    assert row.method == "sendMessage"
    assert row.state == OutboxState.PENDING
    assert row.payload["text"] == "Пора: <b>перепроверка</b>"
    assert row.payload["parse_mode"] == "HTML"
    assert row.subject == "case:1"

    due = await _reminder(sessions, due_id)
    assert due.state == ReminderState.SENT
    assert due.fired_at is not None
    future = await _reminder(sessions, future_id)
    assert future.state == ReminderState.PENDING
    assert future.fired_at is None

    # A second sweep finds nothing more to do; the future one goes when its time comes.
    assert await reminders.sweep(sessions, reminders.ReminderRegistry(), now=NOW) == 0
    assert len(await _outbox(sessions)) == 1
    later = NOW + timedelta(minutes=1)
    assert await reminders.sweep(sessions, reminders.ReminderRegistry(), now=later) == 1
    assert [r.payload["text"] for r in await _outbox(sessions)] == [
        "Пора: <b>перепроверка</b>",
        "Позже",
    ]


async def test_a_notice_keeps_its_forum_topic(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, write_transaction(session):
        reminders.schedule_notice(
            session, chat_id=-100123, text="В тему", due_at=NOW, thread_id=77, subject="x"
        )
    assert await reminders.sweep(sessions, reminders.ReminderRegistry(), now=NOW) == 1
    (row,) = await _outbox(sessions)
    assert (row.chat_id, row.payload.get("message_thread_id")) == (-100123, 77)


async def test_concurrent_sweeps_deliver_each_reminder_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    ids = [
        await _schedule(sessions, text=f"№{n}", due_at=NOW - timedelta(seconds=n), chat_id=CHAT + n)
        for n in range(5)
    ]
    registry = reminders.ReminderRegistry()

    counts = await asyncio.gather(
        reminders.sweep(sessions, registry, now=NOW),
        reminders.sweep(sessions, registry, now=NOW),
        reminders.sweep(sessions, registry, now=NOW),
    )

    assert sum(counts) == len(ids)
    rows = await _outbox(sessions)
    assert sorted(row.payload["text"] for row in rows) == sorted(f"№{n}" for n in range(5))
    for reminder_id in ids:
        assert (await _reminder(sessions, reminder_id)).state == ReminderState.SENT


async def test_a_cancelled_reminder_is_never_delivered(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    cancelled_id = await _schedule(sessions, text="отменено", due_at=NOW, subject="case:7")
    kept_id = await _schedule(sessions, text="остаётся", due_at=NOW, subject="case:8")

    async with sessions() as session, write_transaction(session):
        assert await reminders.cancel(session, "case:7") == 1

    assert await reminders.sweep(sessions, reminders.ReminderRegistry(), now=NOW) == 1
    assert [row.payload["text"] for row in await _outbox(sessions)] == ["остаётся"]
    assert (await _reminder(sessions, cancelled_id)).state == ReminderState.CANCELLED
    assert (await _reminder(sessions, kept_id)).state == ReminderState.SENT

    # Cancelling again, or after delivery, touches nothing.
    async with sessions() as session, write_transaction(session):
        assert await reminders.cancel(session, "case:7") == 0
        assert await reminders.cancel(session, "case:8") == 0
    assert (await _reminder(sessions, kept_id)).state == ReminderState.SENT


async def test_cancel_can_be_limited_to_some_kinds(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, write_transaction(session):
        notice = reminders.schedule_notice(
            session, chat_id=CHAT, text="n", due_at=NOW, subject="case:9"
        )
        other = reminders.schedule(session, kind="ack-sla", due_at=NOW, subject="case:9")
        await session.flush()
        assert await reminders.cancel(session, "case:9", {"ack-sla"}) == 1
    assert (await _reminder(sessions, notice.id)).state == ReminderState.PENDING
    assert (await _reminder(sessions, other.id)).state == ReminderState.CANCELLED


async def test_an_unknown_kind_fails_without_blocking_the_others(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, write_transaction(session):
        unknown = reminders.schedule(session, kind="mystery", due_at=NOW - timedelta(hours=1))
        await session.flush()
        unknown_id = unknown.id
    good_id = await _schedule(sessions, text="доставлено", due_at=NOW)

    assert await reminders.sweep(sessions, reminders.ReminderRegistry(), now=NOW) == 1

    failed = await _reminder(sessions, unknown_id)
    assert failed.state == ReminderState.FAILED
    assert failed.fired_at is not None
    assert (await _reminder(sessions, good_id)).state == ReminderState.SENT
    assert [row.payload["text"] for row in await _outbox(sessions)] == ["доставлено"]
    # A failed reminder is not retried on the next sweep.
    assert await reminders.sweep(sessions, reminders.ReminderRegistry(), now=NOW) == 0


async def test_a_renderer_that_raises_leaves_no_half_written_rows(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async def broken(session: AsyncSession, reminder: Reminder) -> None:
        notify.send_message(session, CHAT, "half")
        await session.flush()
        raise RuntimeError("renderer bug")

    registry = reminders.ReminderRegistry()
    registry.register("broken", broken)
    async with sessions() as session, write_transaction(session):
        bad = reminders.schedule(session, kind="broken", due_at=NOW)
        await session.flush()
        bad_id = bad.id
    good_id = await _schedule(sessions, text="цел", due_at=NOW)

    assert await reminders.sweep(sessions, registry, now=NOW) == 1

    assert (await _reminder(sessions, bad_id)).state == ReminderState.FAILED
    assert (await _reminder(sessions, good_id)).state == ReminderState.SENT
    assert [row.payload["text"] for row in await _outbox(sessions)] == ["цел"]
