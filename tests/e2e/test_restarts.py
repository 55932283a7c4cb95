"""End to end: nothing is lost or doubled across a crash, a restart or a Telegram outage."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services import notify, reminders
from db.engine import write_transaction
from db.models import OutboxState, Reminder, ReminderState
from emulator import BotAPIEmulator
from tests.conftest import CS_CHAT_ID
from tests.e2e.conftest import CS_ID, LEAD_ID, OTHER_MANAGER_ID, UNKNOWN_ID
from tests.e2e.harness import BotProcess
from tests.e2e.steps import outbox_rows, wait_until

LEASE = 3.0  # the outbox's claim of a row: a call in flight when the bot dies, then sent again


BURST_TO = (CS_ID, LEAD_ID, OTHER_MANAGER_ID, UNKNOWN_ID)
TAG = re.compile(r"\[row (\d+)\]")


@pytest.fixture
def bot_env(bot_env: dict[str, str]) -> dict[str, str]:
    # Ten a second into one chat (the emulator does not enforce that pace): the burst below
    # is held back by the global 30 a second, as a workbook import's would be.
    return {**bot_env, "OUTBOX_LEASE": str(int(LEASE)), "OUTBOX_CHAT_PER_SECOND": "10"}


async def test_sigkill_in_a_burst_repeats_no_recorded_row_and_keeps_every_chat_in_order(
    emu: BotAPIEmulator, bot: BotProcess, sessions: async_sessionmaker[AsyncSession]
):
    async with sessions() as session, write_transaction(session):
        queued = [notify.send_message(session, chat, "…") for _ in range(15) for chat in BURST_TO]
        await session.flush()
        for row in queued:
            row.payload = {**row.payload, "text": f"Уведомление [row {row.id}]"}
    ids = {chat: [row.id for row in queued if row.chat_id == chat] for chat in BURST_TO}

    def received() -> dict[int, list[int]]:
        return {
            chat: [
                int(found.group(1))
                for message in emu.bot_messages(chat)
                if (found := TAG.search(message.text)) is not None
            ]
            for chat in BURST_TO
        }

    async def a_third_arrived() -> bool:
        return sum(len(got) for got in received().values()) >= len(queued) // 3

    await wait_until(a_third_arrived)
    await bot.kill()
    killed_at = datetime.now(UTC)
    at_kill = {row.id: row for row in await outbox_rows(sessions)}
    recorded = {row_id for row_id, row in at_kill.items() if row.state == OutboxState.SENT}
    in_flight = {
        row_id
        for row_id, row in at_kill.items()
        if row.state == OutboxState.PENDING
        and row.claimed_until is not None
        and row.claimed_until > killed_at
    }
    assert recorded
    assert len(in_flight) <= 16  # the sender's concurrency

    await bot.start()

    async def all_sent() -> bool:
        return {row.state for row in await outbox_rows(sessions)} == {OutboxState.SENT}

    await wait_until(all_sent, timeout=30)
    await asyncio.sleep(1.0)  # a repeat would come now
    got = received()
    copies = [row_id for chat in BURST_TO for row_id in got[chat]]
    repeated = {row_id for row_id in copies if copies.count(row_id) > 1}
    print(
        f"burst of {len(queued)}: {len(recorded)} recorded at the kill, {len(in_flight)} in "
        f"flight, {len(copies) - len(set(copies))} repeated"
    )
    # Nothing lost; nothing whose sending was recorded sent again; a repeat only of a row that
    # was in flight (claimed, no result) when the process died, at most once.
    assert set(copies) == {row.id for row in queued}
    assert not repeated & recorded
    assert repeated <= in_flight
    assert all(copies.count(row_id) <= 2 for row_id in repeated)
    # Every chat got its messages in the order they were written (a repeat right after itself).
    for chat in BURST_TO:
        in_order = [
            row_id for n, row_id in enumerate(got[chat]) if got[chat][n - 1 : n] != [row_id]
        ]
        assert in_order == ids[chat]


async def test_sigkill_between_writing_and_sending_delivers_once_after_restart(
    emu: BotAPIEmulator, bot: BotProcess, sessions: async_sessionmaker[AsyncSession]
):
    mark = emu.mark()
    await emu.send_text(UNKNOWN_ID, "/start")
    greeting = await emu.wait_for_message(UNKNOWN_ID, contains="Запросить доступ", after=mark)
    # The next sendMessage (the outbox's post to the CS group) hangs inside "Telegram".
    emu.inject_faults("stall", count=1, methods={"sendMessage"})
    query = await emu.press(UNKNOWN_ID, greeting, "Запросить доступ")
    await emu.wait_callback_answer(query)

    async def stalled() -> bool:
        return emu.stalled_count() == 1

    await wait_until(stalled)
    rows = await outbox_rows(sessions)
    assert [(row.chat_id, row.state) for row in rows] == [(CS_CHAT_ID, OutboxState.PENDING)]
    # Claimed by the sender that is calling Telegram with it.
    claimed_until = rows[0].claimed_until
    assert claimed_until is not None

    await bot.kill()
    emu.release_stalled()  # the held request is dropped unprocessed: nothing reached the chat
    assert not [m for m in emu.bot_messages(CS_CHAT_ID) if "Запрос доступа" in m.text]

    await bot.start()
    await emu.wait_for_message(CS_CHAT_ID, contains="Запрос доступа", after=mark)
    # Sent again only once the dead sender's claim had run out (nothing said it was sent).
    calls = [
        call
        for call in emu.calls
        if call.method == "sendMessage" and str(call.params.get("chat_id")) == str(CS_CHAT_ID)
    ]
    assert len(calls) == 2
    assert calls[1].at >= claimed_until.timestamp()

    async def all_sent() -> bool:
        return all(row.state == OutboxState.SENT for row in await outbox_rows(sessions))

    await wait_until(all_sent)
    posts = [m for m in emu.bot_messages(CS_CHAT_ID) if "Запрос доступа" in m.text]
    assert len(posts) == 1
    row = (await outbox_rows(sessions))[0]
    assert row.message_id == posts[0].message_id


async def test_reminder_due_while_stopped_is_delivered_once_after_start(
    emu: BotAPIEmulator, bot_process: BotProcess, sessions: async_sessionmaker[AsyncSession]
):
    async with sessions() as session, write_transaction(session):
        reminders.schedule_notice(
            session,
            chat_id=LEAD_ID,
            text="⏰ Повторная проверка сегодня",
            due_at=datetime.now(UTC) - timedelta(hours=2),
            subject="test:1",
        )
        reminders.schedule_notice(
            session,
            chat_id=LEAD_ID,
            text="Это ещё не пора",
            due_at=datetime.now(UTC) + timedelta(days=1),
            subject="test:2",
        )
    # This test starts the bot as an operator does, `python -m bot run` exec'd each time, not
    # forked from the tests' zygote: the command itself stays covered.
    bot_process.zygote = None
    await bot_process.start()
    await emu.wait_for_message(LEAD_ID, contains="Повторная проверка")

    async def swept_and_sent() -> bool:
        rows = await outbox_rows(sessions)
        return len(rows) == 1 and rows[0].state == OutboxState.SENT

    await wait_until(swept_and_sent)
    # Restart: the sweep at start must not deliver it again.
    await bot_process.stop()
    await bot_process.start()
    await asyncio.sleep(1.5)  # three sweep intervals of the bot under test
    assert len([m for m in emu.bot_messages(LEAD_ID) if "Повторная проверка" in m.text]) == 1
    assert not [m for m in emu.bot_messages(LEAD_ID) if "ещё не пора" in m.text]
    async with sessions() as session:
        states = {r.subject: r.state for r in (await session.execute(select(Reminder))).scalars()}
    assert states == {"test:1": ReminderState.SENT, "test:2": ReminderState.PENDING}
