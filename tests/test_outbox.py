"""The outbox sender against the loopback emulator: order, faults, permanent errors, edits,
and people the bot cannot reach (kept messages, CS told once, sent on /start)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.outbox import OutboxSender, send_pace
from bot.ratelimit import SendLimiter
from bot.services import notify, unreachable
from bot.settings import Settings
from bot.texts import Texts
from db import outbox as outbox_db
from db.engine import write_transaction
from db.models import BlockedChat, Employee, OutboxMessage, OutboxState, Role, WorkingGroup
from emulator import BotAPIEmulator, EmulatorLimits
from tests.conftest import TOKEN

GROUP = -1001000000001
ALICE = 501
BOB = 502
CAROL = 503
PETR = 504  # never pressed «Старт»


@pytest.fixture
async def emu() -> AsyncIterator[BotAPIEmulator]:
    emulator = BotAPIEmulator(token=TOKEN, limits=EmulatorLimits())
    await emulator.start()
    emulator.add_group(GROUP, "Клиентский сервис")
    for user_id, name in ((ALICE, "Алиса"), (BOB, "Борис"), (CAROL, "Карина")):
        emulator.add_user(user_id, name)
    emulator.add_user(PETR, "Пётр", "Лидеров", started=False)
    yield emulator
    await emulator.stop()


@pytest.fixture
async def sender(
    emu: BotAPIEmulator,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    texts: Texts,
) -> AsyncIterator[OutboxSender]:
    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(emu.base_url)))
    limiter = SendLimiter(global_per_second=30, group_per_minute=20, chat_per_second=10)
    outbox = OutboxSender(
        bot,
        sessions,
        limiter,
        poll_interval=timedelta(seconds=0.05),
        max_backoff=timedelta(seconds=0.2),
        on_unreachable=unreachable.reporter(settings, texts),
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


async def test_permanent_errors_are_recorded_and_do_not_hold_the_chat_up(
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
    # A person who blocked the bot: his messages are kept for his next /start.
    assert states[2][1] == states[3][1] == OutboxState.UNDELIVERED
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


async def add_lead(sessions: async_sessionmaker[AsyncSession], telegram_id: int) -> None:
    async with sessions() as session, write_transaction(session):
        north = WorkingGroup(name="Группа <Север>")
        session.add(
            Employee(
                full_name="Пётр Лидеров",
                role=Role.LEAD,
                telegram_id=telegram_id,
                username="petr_l",
                groups=[north],
            )
        )


def lead_copy(session: AsyncSession, case_id: int) -> OutboxMessage:
    keyboard = {
        "inline_keyboard": [[{"text": "Беру в работу", "callback_data": f"cs:acc:{case_id}"}]]
    }
    row = notify.send_message(
        session, PETR, f"📋 Кейс #{case_id}: новый", subject=f"case:{case_id}:lead:1"
    )
    row.payload = {**row.payload, "reply_markup": keyboard}
    return row


def notices(emu: BotAPIEmulator) -> list[str]:
    return [m.text for m in emu.bot_messages(GROUP) if "Не удаётся доставить" in m.text]


async def test_a_person_who_never_started_the_bot_is_reported_once_and_gets_all_on_start(
    emu: BotAPIEmulator,
    sender: OutboxSender,
    sessions: async_sessionmaker[AsyncSession],
    texts: Texts,
):
    await add_lead(sessions, PETR)
    async with sessions() as session, write_transaction(session):
        first = lead_copy(session, 12)
        notify.send_message(session, PETR, "⏰ Кейс #12 ждёт реакции", subject="case:12:reminder")
    sender.start()
    await settle(sessions)

    # Telegram was asked once; CS got one message naming him and what he misses.
    calls = [c for c in emu.calls if c.params.get("chat_id") == str(PETR)]
    assert len(calls) == 1
    assert notices(emu) == [
        "📵 Не удаётся доставить сообщения\n"
        "Кому: Пётр Лидеров — лидер рабочей группы, Группа <Север>, @petr_l\n"
        "Не доставлено: кейс #12, напоминание по кейсу #12\n"
        "Бот не может написать первым, пока человек не откроет бота (или не разблокирует его).\n"
        "Попросите его открыть бота и нажать «Старт» — всё, что ждёт, придёт сразу."
    ]
    notice_id = emu.bot_messages(GROUP)[0].message_id

    # More for him while he is unreachable: kept, the CS message edited, nobody notified.
    async with sessions() as session, write_transaction(session):
        target = await outbox_db.by_id(session, first.id)
        assert target is not None
        keyboard = {
            "inline_keyboard": [[{"text": "Назначить брифинг", "callback_data": "cs:br:12"}]]
        }
        edit = notify.edit_message(session, target, "📋 Кейс #12: в работе")
        edit.payload = {**edit.payload, "reply_markup": keyboard}
        notify.send_message(session, PETR, "↩️ Разбор вернули", subject="case:13:lead:1")
    sender.wake()
    await settle(sessions)
    assert len(notices(emu)) == 1
    assert "кейс #12, напоминание по кейсу #12, кейс #13" in notices(emu)[0]
    assert len([c for c in emu.calls if c.params.get("chat_id") == str(PETR)]) == 1
    async with sessions() as session:
        states = [(row.chat_id, row.state) for row in await rows(sessions) if row.chat_id == PETR]
        assert {state for _, state in states} == {OutboxState.UNDELIVERED}
        assert await access_waiting(session) == unreachable.Waiting(count=3, more=0)

    # He presses «Старт»: the three come in their order, the first as it reads now.
    await emu.send_text(PETR, "/start")
    async with sessions() as session, write_transaction(session):
        assert await unreachable.release(session, PETR, texts=texts) == unreachable.Waiting(3, 0)
    await settle(sessions)
    received = emu.bot_messages(PETR)
    assert [m.text for m in received] == [
        "📋 Кейс #12: в работе",
        "⏰ Кейс #12 ждёт реакции",
        "↩️ Разбор вернули",
    ]
    assert received[0].buttons == [["Назначить брифинг"]]
    assert not [
        c
        for c in emu.calls
        if c.method == "editMessageText" and c.params.get("chat_id") == str(PETR)
    ]
    states = {row.id: row.state for row in await rows(sessions)}
    assert states[first.id] == OutboxState.SENT
    assert states[edit.id] == OutboxState.MERGED
    # CS's message now says he is reached; CS was not written to again.
    assert len(notices(emu)) == 0
    resolved = emu.state.get_message(GROUP, notice_id)
    assert resolved is not None
    assert "✅ Сообщения доставлены" in resolved.text
    assert "отправлены: 3" in resolved.text
    assert len(emu.bot_messages(GROUP)) == 1
    async with sessions() as session:
        assert await session.get(BlockedChat, PETR) is None

    # Later messages go out as usual, and the edits of the re-sent ones find them.
    async with sessions() as session, write_transaction(session):
        target = await outbox_db.by_id(session, first.id)
        assert target is not None
        notify.edit_message(session, target, "📋 Кейс #12: брифинг назначен")
        notify.send_message(session, PETR, "Новое")
    sender.wake()
    await settle(sessions)
    assert [m.text for m in emu.bot_messages(PETR)][-1] == "Новое"
    assert emu.bot_messages(PETR)[0].text == "📋 Кейс #12: брифинг назначен"

    # He blocks the bot later: CS is told again, once.
    emu.block_bot(PETR)
    async with sessions() as session, write_transaction(session):
        notify.send_message(session, PETR, "После блокировки", subject="request:7:requester")
        notify.send_message(session, PETR, "И ещё одно", subject="request:7:reminder")
    sender.wake()
    await settle(sessions)
    assert len(notices(emu)) == 1
    assert "Не доставлено: запрос З-7, напоминание по запросу З-7" in notices(emu)[0]


async def access_waiting(session: AsyncSession) -> unreachable.Waiting:
    return await unreachable.waiting(session, PETR)


async def test_start_sends_the_last_twenty_kept_messages_and_says_how_many_are_left_out(
    emu: BotAPIEmulator,
    sender: OutboxSender,
    sessions: async_sessionmaker[AsyncSession],
    texts: Texts,
):
    emu.block_bot(BOB)
    async with sessions() as session, write_transaction(session):
        for n in range(1, 24):
            notify.send_message(session, BOB, f"Сообщение {n}")
        gone = notify.send_message(session, BOB, "Удалено до доставки")
        notify.send_message(session, BOB, "Последнее")
    sender.start()
    await settle(sessions)
    async with sessions() as session, write_transaction(session):
        target = await outbox_db.by_id(session, gone.id)
        assert target is not None
        session.add(OutboxMessage(chat_id=BOB, method="deleteMessage", payload={}, target=target))
    sender.wake()
    await settle(sessions)
    # A stranger to the roster is named by his id.
    assert "пользователь не из списка сотрудников (ID 502)" in notices(emu)[0]
    assert "Сообщение 1, Сообщение 2" in notices(emu)[0]
    assert "и ещё" in notices(emu)[0]

    async with sessions() as session:
        assert await unreachable.waiting(session, BOB) == unreachable.Waiting(count=20, more=4)
    emu.unblock_bot(BOB)
    async with sessions() as session, write_transaction(session):
        assert await unreachable.release(session, BOB, texts=texts) == unreachable.Waiting(20, 4)
    await settle(sessions)
    texts_received = [m.text for m in emu.bot_messages(BOB)]
    assert texts_received == [f"Сообщение {n}" for n in range(5, 24)] + ["Последнее"]
    assert not [c for c in emu.calls if c.method == "deleteMessage"]


async def test_a_row_read_as_blocked_goes_out_if_he_pressed_start_meanwhile(
    emu: BotAPIEmulator, sender: OutboxSender, sessions: async_sessionmaker[AsyncSession]
):
    async with sessions() as session, write_transaction(session):
        row = notify.send_message(session, ALICE, "Привет")
    # The sender read the chat as blocked, but /start released it before the row was kept.
    await sender._keep(row, "the person cannot be reached")
    assert [r.state for r in await rows(sessions)] == [OutboxState.PENDING]
    sender.start()
    await settle(sessions)
    assert [m.text for m in emu.bot_messages(ALICE)] == ["Привет"]


# --- claims: one sender per row, a crashed sender's row sent again after its lease ----------


def another_sender(
    emu: BotAPIEmulator, sessions: async_sessionmaker[AsyncSession], *, lease: float = 15.0
) -> tuple[Bot, OutboxSender]:
    """A second sender on the same database (a replica, or a restart beside a hung process)."""
    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(emu.base_url)))
    limiter = SendLimiter(global_per_second=30, group_per_minute=20, chat_per_second=10)
    outbox = OutboxSender(
        bot,
        sessions,
        limiter,
        poll_interval=timedelta(seconds=0.05),
        max_backoff=timedelta(seconds=0.2),
        lease=timedelta(seconds=lease),
    )
    return bot, outbox


async def test_a_row_another_live_sender_is_sending_is_not_taken_nor_the_chat_after_it(
    emu: BotAPIEmulator, sender: OutboxSender, sessions: async_sessionmaker[AsyncSession]
):
    async with sessions() as session, write_transaction(session):
        notify.send_message(session, ALICE, "Первое")
        notify.send_message(session, ALICE, "Второе")
        notify.send_message(session, BOB, "Борису")
    # The first sender's call with «Первое» hangs inside "Telegram".
    emu.inject_faults("stall", count=1, methods={"sendMessage"})
    sender.start()
    await emu.wait_stalled(1)
    [first, *_] = await rows(sessions)
    assert first.state == OutboxState.PENDING
    assert first.claimed_until is not None

    bot, other = another_sender(emu, sessions)
    try:
        other.start()
        await asyncio.sleep(0.5)  # ten polls of the second sender
        # It sent Bob's, but neither the claimed row nor Alice's next one (her order holds).
        assert [m.text for m in emu.bot_messages(BOB)] == ["Борису"]
        assert emu.bot_messages(ALICE) == []
        assert [row.state for row in await rows(sessions)][:2] == [OutboxState.PENDING] * 2

        emu.release_stalled(process=True)  # Telegram answers the first sender at last
        await settle(sessions)
    finally:
        await other.stop()
        await bot.session.close()
    assert [m.text for m in emu.bot_messages(ALICE)] == ["Первое", "Второе"]
    stored = {row.id: row for row in await rows(sessions)}
    assert stored[first.id].message_id == emu.bot_messages(ALICE)[0].message_id
    assert all(row.claimed_until is None for row in stored.values())


async def test_a_row_claimed_by_a_sender_that_died_goes_again_once_its_lease_ran_out(
    emu: BotAPIEmulator, sender: OutboxSender, sessions: async_sessionmaker[AsyncSession]
):
    async with sessions() as session, write_transaction(session):
        lost = notify.send_message(session, ALICE, "В полёте, когда процесс убили")
        notify.send_message(session, ALICE, "Следующее")
        notify.send_message(session, BOB, "Борису")
    async with sessions() as session, write_transaction(session):
        now = datetime.now(UTC)
        # A sender claimed it for 1.5 s and was killed before any result was recorded.
        assert await outbox_db.claim(session, {lost.id: now + timedelta(seconds=1.5)}, now=now)
        # A claim that has not run out is not taken again, even by the same query.
        assert not await outbox_db.claim(session, {lost.id: now + timedelta(seconds=9)}, now=now)
    started = asyncio.get_running_loop().time()
    sender.start()
    await emu.wait_for_message(BOB, contains="Борису")
    assert emu.bot_messages(ALICE) == []
    first = await emu.wait_for_message(ALICE, contains="В полёте")
    waited = asyncio.get_running_loop().time() - started
    await settle(sessions)
    assert waited >= 1.2
    assert [m.text for m in emu.bot_messages(ALICE)] == [first.text, "Следующее"]
    assert {row.state for row in await rows(sessions)} == {OutboxState.SENT}


async def test_a_call_that_hangs_is_cut_off_before_its_lease_ends_and_tried_again(
    emu: BotAPIEmulator, sessions: async_sessionmaker[AsyncSession]
):
    bot, sender = another_sender(emu, sessions, lease=1.5)
    assert sender.call_timeout(OutboxMessage(file_data=None)) == 1.0
    assert sender.lease_for(OutboxMessage(file_data=None)) == 1.5
    async with sessions() as session, write_transaction(session):
        notify.send_message(session, ALICE, "Привет")
    emu.inject_faults("stall", count=1, methods={"sendMessage"})
    try:
        sender.start()
        await emu.wait_stalled(1)
        claimed = (await rows(sessions))[0].claimed_until
        assert claimed is not None
        await emu.wait_for_message(ALICE, contains="Привет", timeout=5)
        await settle(sessions)
    finally:
        await sender.stop()
        await bot.session.close()
        emu.release_stalled()
    [row] = await rows(sessions)
    assert row.state == OutboxState.SENT
    assert row.claimed_until is None
    assert row.attempts == 2
    assert "timeout" in (row.last_error or "").lower()
    assert sender.stats.retried == 1
    # The retry went out after the cut-off, before the first claim would have run out.
    [first_call, second_call] = [c for c in emu.calls if c.method == "sendMessage"]
    assert 1.0 <= second_call.at - first_call.at < 1.5 + 0.5


async def test_every_result_is_recorded_without_waiting_for_the_others(
    emu: BotAPIEmulator, sender: OutboxSender, sessions: async_sessionmaker[AsyncSession]
):
    async with sessions() as session, write_transaction(session):
        for n in range(30):
            notify.send_message(session, [ALICE, BOB, CAROL][n % 3], f"Уведомление {n}")
    sender.start()
    await settle(sessions)
    assert {row.state for row in await rows(sessions)} == {OutboxState.SENT}
    assert sender.stats.sent == 30
    # Results that came while a transaction was committing went into the next one together,
    # instead of each queueing on the write lock: fewer commits than writes (30 claims, 30
    # results).
    assert sender.stats.recorded == 60
    assert sender.stats.commits < 60


async def test_a_stop_right_after_a_wake_stops_the_sender(sender: OutboxSender) -> None:
    """A wake (a commit's NOTIFY, a call answered) in the same turn of the event loop as the
    stop: Python 3.11's asyncio.wait_for returned the finished wait and dropped the
    cancellation, so the idle sender went on and stop() waited for it for good (a test hung
    120 s; a leader stopping for a deploy would have hung until systemd killed it)."""
    for _ in range(5):
        sender.start()
        await asyncio.sleep(0.1)  # idle: asleep until a wake or the next poll
        sender.wake()
        stopping = asyncio.ensure_future(sender.stop())
        await asyncio.wait({stopping}, timeout=5)
        assert stopping.done()
        running = [task for task in asyncio.all_tasks() if task.get_name() == "outbox-sender"]
        assert running == [], "the sender went on after stop()"


@pytest.fixture
async def slow_emu() -> AsyncIterator[BotAPIEmulator]:
    """Telegram with a global limit of 3 calls a second, so the pacing shows in a few calls."""
    emulator = BotAPIEmulator(token=TOKEN, limits=EmulatorLimits(global_per_second=3))
    await emulator.start()
    for user_id in range(601, 611):
        emulator.add_user(user_id, f"Сотрудник {user_id}")
    yield emulator
    await emulator.stop()


def paced_sender(
    emu: BotAPIEmulator, sessions: async_sessionmaker[AsyncSession]
) -> tuple[Bot, OutboxSender]:
    """A sender that keeps the slow emulator's limit, paced as the bot's is."""
    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(emu.base_url)))
    limiter = SendLimiter(global_per_second=3, group_per_minute=20, chat_per_second=1)
    outbox = OutboxSender(
        bot,
        sessions,
        limiter,
        poll_interval=timedelta(seconds=0.05),
        max_backoff=timedelta(seconds=0.2),
        pace=send_pace(3),
    )
    return bot, outbox


def sent_texts(emu: BotAPIEmulator) -> list[str]:
    """The texts Telegram accepted, in the order it accepted them, across all chats."""
    return [c.params["text"] for c in emu.calls if c.method == "sendMessage" and c.ok]


async def test_the_sender_keeps_the_global_limit_with_no_margin_and_the_oldest_goes_first(
    slow_emu: BotAPIEmulator, sessions: async_sessionmaker[AsyncSession]
):
    texts = [f"Уведомление {n}" for n in range(10)]
    async with sessions() as session, write_transaction(session):
        for n, text in enumerate(texts):
            notify.send_message(session, 601 + n, text)
    bot, sender = paced_sender(slow_emu, sessions)
    try:
        await sender.drain(timeout=30)
    finally:
        await bot.session.close()
    # Ten calls at Telegram's 3 a second, each counted from its answer: not one refused.
    assert slow_emu.stats.rate_limited == 0
    assert sender.stats.sent == 10
    # Rows waiting for the same global turn go in the order they were written.
    assert sent_texts(slow_emu) == texts


async def test_after_a_429_from_calls_the_sender_did_not_see_no_other_chat_is_refused(
    slow_emu: BotAPIEmulator, sessions: async_sessionmaker[AsyncSession]
):
    bot, sender = paced_sender(slow_emu, sessions)
    try:
        # The bot's own answers (not through the outbox) fill Telegram's window for a second.
        for n in range(3):
            await bot.send_message(610, f"Ответ {n}")
        texts = [f"Уведомление {n}" for n in range(6)]
        async with sessions() as session, write_transaction(session):
            for n, text in enumerate(texts):
                notify.send_message(session, 601 + n, text)
        await sender.drain(timeout=30)
    finally:
        await bot.session.close()
    # The first call is refused; its retry_after holds every chat (it may have been the
    # global limit), so nothing after it is refused, and every row arrives once.
    assert slow_emu.stats.rate_limited == 1
    assert sender.stats.rate_limited == 1
    assert sorted(t for t in sent_texts(slow_emu) if t.startswith("Уведомление")) == texts
    assert {row.state for row in await rows(sessions)} == {OutboxState.SENT}
