"""The outbox sender against the loopback emulator: order, faults, permanent errors, edits."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.outbox import OutboxSender
from bot.ratelimit import SendLimiter
from bot.services import notify
from db.engine import write_transaction
from db.models import BlockedChat, OutboxMessage, OutboxState
from emulator import BotAPIEmulator, EmulatorLimits
from tests.conftest import TOKEN

GROUP = -1001000000001
ALICE = 501
BOB = 502
CAROL = 503


@pytest.fixture
async def emu() -> AsyncIterator[BotAPIEmulator]:
    emulator = BotAPIEmulator(token=TOKEN, limits=EmulatorLimits())
    await emulator.start()
    emulator.add_group(GROUP, "Клиентский сервис")
    for user_id, name in ((ALICE, "Алиса"), (BOB, "Борис"), (CAROL, "Карина")):
        emulator.add_user(user_id, name)
    yield emulator
    await emulator.stop()


@pytest.fixture
async def sender(
    emu: BotAPIEmulator, sessions: async_sessionmaker[AsyncSession]
) -> AsyncIterator[OutboxSender]:
    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(emu.base_url)))
    limiter = SendLimiter(global_per_second=30, group_per_minute=20, chat_per_second=10)
    outbox = OutboxSender(
        bot,
        sessions,
        limiter,
        poll_interval=timedelta(seconds=0.05),
        max_backoff=timedelta(seconds=0.2),
    )
    yield outbox
    await outbox.stop()
    await bot.session.close()


async def rows(sessions: async_sessionmaker[AsyncSession]) -> list[OutboxMessage]:
    async with sessions() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        return list((await session.execute(query)).scalars())


async def settle(sessions: async_sessionmaker[AsyncSession], timeout: float = 20.0) -> None:
    """Wait until no row is pending."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while any(row.state == OutboxState.PENDING for row in await rows(sessions)):
        if loop.time() > deadline:
            raise TimeoutError([(r.id, r.state, r.last_error) for r in await rows(sessions)])
        await asyncio.sleep(0.05)


async def test_every_message_arrives_once_and_in_order_through_429_5xx_and_drops(
    emu: BotAPIEmulator, sender: OutboxSender, sessions: async_sessionmaker[AsyncSession]
):
    expected: dict[int, list[str]] = {GROUP: [], ALICE: [], BOB: []}
    async with sessions() as session, write_transaction(session):
        for n in range(8):
            for chat_id in expected:
                text = f"Уведомление {n} для {chat_id}"
                notify.send_message(session, chat_id, text)
                expected[chat_id].append(text)
    emu.inject_faults("429", count=3, retry_after=1)
    emu.inject_faults("5xx", count=3)
    emu.inject_faults("drop", count=2)
    sender.start()
    await settle(sessions)

    for chat_id, texts in expected.items():
        assert [m.text for m in emu.bot_messages(chat_id)] == texts
    assert {row.state for row in await rows(sessions)} == {OutboxState.SENT}
    assert sender.stats.rate_limited == 3
    assert sender.stats.retried >= 5
    # Each row knows the message id Telegram gave it.
    sent_ids = {row.message_id for row in await rows(sessions) if row.chat_id == ALICE}
    assert sent_ids == {m.message_id for m in emu.bot_messages(ALICE)}


async def test_permanent_errors_are_recorded_and_do_not_block_the_chat(
    emu: BotAPIEmulator, sender: OutboxSender, sessions: async_sessionmaker[AsyncSession]
):
    emu.block_bot(CAROL)
    async with sessions() as session, write_transaction(session):
        notify.send_message(session, ALICE, "<b>не закрыт")  # bad HTML: Telegram refuses
        notify.send_message(session, ALICE, "после ошибки")
        notify.send_message(session, CAROL, "первое")
        notify.send_message(session, CAROL, "второе")
        notify.send_message(session, -100999, "в неизвестный чат")
    sender.start()
    await settle(sessions)

    states = [(row.chat_id, row.state, row.last_error or "") for row in await rows(sessions)]
    assert states[0][1] == OutboxState.FAILED
    assert "can't parse entities" in states[0][2]
    assert states[1][1] == OutboxState.SENT
    assert [m.text for m in emu.bot_messages(ALICE)] == ["после ошибки"]
    assert states[2][1] == states[3][1] == OutboxState.FAILED
    assert "blocked" in states[2][2]
    assert "chat not found" in states[4][2]
    # After the first refusal the blocked user is not asked again.
    calls_to_carol = [
        c for c in emu.calls if c.method == "sendMessage" and c.params.get("chat_id") == str(CAROL)
    ]
    assert len(calls_to_carol) == 1
    async with sessions() as session:
        assert await session.get(BlockedChat, CAROL) is not None


async def test_edits_find_the_sent_message(
    emu: BotAPIEmulator, sender: OutboxSender, sessions: async_sessionmaker[AsyncSession]
):
    async with sessions() as session, write_transaction(session):
        post = notify.send_message(session, GROUP, "Кейс #1: новый", subject="case:1:group")
        notify.edit_message(session, post, "Кейс #1: в работе")
        notify.edit_message(session, post, "Кейс #1: в работе")  # «not modified» is fine
        reply = notify.send_message(session, GROUP, "Разбор", reply_to=post)
    sender.start()
    await settle(sessions)

    messages = emu.bot_messages(GROUP)
    assert [m.text for m in messages] == ["Кейс #1: в работе", "Разбор"]
    assert messages[1].reply_to_message_id == messages[0].message_id
    assert {row.state for row in await rows(sessions)} == {OutboxState.SENT}
    assert reply.id is not None


async def test_files_are_sent(
    emu: BotAPIEmulator, sender: OutboxSender, sessions: async_sessionmaker[AsyncSession]
):
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 100
    async with sessions() as session, write_transaction(session):
        notify.send_file(
            session, GROUP, method="sendDocument", data=png, filename="chart.png", caption="Итоги"
        )
    sender.start()
    await settle(sessions)
    message = emu.bot_messages(GROUP)[0]
    assert message.caption == "Итоги"
    assert message.file_bytes == png
