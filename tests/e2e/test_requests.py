"""End to end: /request for each kind (a wrong input on every step, «Изменить», sending), the
CS post with «Взять» / «Выполнено» / «Отклонить», the requester's notices, the roster change,
/cancel, a crash mid-dialog, the e-mail copy through a loopback SMTP server, and /my."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from datetime import date, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import AuditEntry, Employee, RequestState, ServiceRequest
from emulator import BotAPIEmulator, StoredMessage
from tests.conftest import CS_CHAT_ID
from tests.e2e.conftest import CS_ID, LEAD_ID, OTHER_MANAGER_ID
from tests.e2e.harness import BotProcess
from tests.e2e.test_case_new import png
from tests.e2e.test_links import url_buttons, wait_for_saved_step

MOSCOW = ZoneInfo("Europe/Moscow")
# A person reads each step before answering (the emulator keeps Telegram's 30 calls/s).
THINK = 0.12
MARIA = OTHER_MANAGER_ID


def today() -> date:
    return datetime.now(MOSCOW).date()


async def say(emu: BotAPIEmulator, user: int, text: str, contains: str) -> StoredMessage:
    await asyncio.sleep(THINK)
    mark = emu.mark()
    await emu.send_text(user, text)
    return await emu.wait_for_message(user, contains=contains, after=mark)


async def step(
    emu: BotAPIEmulator, user: int, message: StoredMessage, button: str, contains: str
) -> StoredMessage:
    """Press a button of the dialog's message and wait until it shows the next step."""
    await asyncio.sleep(THINK)
    mark = emu.mark()
    query = await emu.press(user, message, button)

    def shown() -> bool:
        current = emu.state.get_message(user, message.message_id)
        return current is not None and current.edit_seq > mark and contains in current.content

    await emu.wait_until(shown)
    await emu.wait_callback_answer(query)
    current = emu.state.get_message(user, message.message_id)
    assert current is not None
    return current


async def wrong(
    emu: BotAPIEmulator, user: int, text: str | None, error: str, prompt: str
) -> StoredMessage:
    """Wrong input: the bot says what is expected and shows the same step again below."""
    await asyncio.sleep(THINK)
    mark = emu.mark()
    if text is None:
        await emu.send_photo(user, png())
    else:
        await emu.send_text(user, text)
    await emu.wait_for_message(user, contains=error, after=mark)
    return await emu.wait_for_message(user, contains=prompt, after=mark)


async def press_post(emu: BotAPIEmulator, user: int, post: StoredMessage, button: str) -> Any:
    await asyncio.sleep(THINK)
    query = await emu.press(user, post, button)
    return await emu.wait_callback_answer(query)


def day(value: date) -> str:
    return f"[{value:%d}]" if value == today() else f"{value:%d}"


# --- the mail server ----------------------------------------------------------------------


class Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def smtp(bot_env: dict[str, str]) -> AsyncIterator[tuple[Controller, Inbox]]:
    """A loopback SMTP server (not started) and the bot's settings to use it."""
    port = free_port()
    bot_env.update(
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(port),
        SMTP_STARTTLS="false",
        MAIL_RETRY_INTERVAL="1",
        CS_EMAIL="cs@example.com",
    )
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    yield controller, inbox
    with contextlib.suppress(AssertionError):  # never started
        controller.stop()


async def wait_for_mail(inbox: Inbox, count: int = 1, timeout: float = 15) -> None:
    for _ in range(int(timeout / 0.1)):
        if len(inbox.messages) >= count:
            return
        await asyncio.sleep(0.1)
    raise TimeoutError(f"{count} mail(s) expected, got {len(inbox.messages)}")


# --- the tests ----------------------------------------------------------------------------


async def test_a_manager_files_a_forwarding_request_and_cs_does_it(
    emu: BotAPIEmulator,
    smtp: tuple[Controller, Inbox],
    bot: BotProcess,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    controller, inbox = smtp
    controller.start()
    menu = await say(emu, MARIA, "/request", "Какой запрос")
    assert menu.buttons[:2] == [["Переадресация"], ["Бейдж"]]  # team changes are the lead's
    menu = await wrong(emu, MARIA, "Переадресация", "кнопкой", "Какой запрос")
    dialog = await step(emu, MARIA, menu, "Переадресация", "Какой номер или добавочный")
    assert "Переадресация звонков в АТС Мегафон" in url_buttons(dialog)
    await wrong(emu, MARIA, "12", "от 3 до 15 цифр", "Какой номер")
    await say(emu, MARIA, "+7 (999) 123-45-67", "На какой номер")
    await wrong(emu, MARIA, "+79991234567", "должен отличаться", "На какой номер")
    calendar = await say(emu, MARIA, "5555", "Первый день")
    calendar = await wrong(emu, MARIA, "завтра", "Выберите дату в календаре", "Первый день")
    await step(emu, MARIA, calendar, day(today()), "Последний день")
    await step(emu, MARIA, calendar, day(today()), "Комментарий")
    await wrong(emu, MARIA, "х" * 601, "длиннее 600", "Комментарий")
    review = await say(emu, MARIA, "Выходной <в субботу>", "Проверьте запрос")
    assert "Куда переадресовать: 5555" in review.text
    assert "Выходной <в субботу>" in review.text
    await step(emu, MARIA, review, "Изменить куда", "На какой номер")
    review = await say(emu, MARIA, "6666", "Проверьте запрос")
    assert "Куда переадресовать: 6666" in review.text
    mark = emu.mark()
    await step(emu, MARIA, review, "Отправить", "отправлен в клиентский сервис")
    async with sessions() as session:
        [request] = (await session.execute(select(ServiceRequest))).scalars().all()
    number = f"З-{request.id}"
    post = await emu.wait_for_message(CS_CHAT_ID, contains=f"{number} · Переадресация", after=mark)
    assert "От: Мария Козлова" in post.text
    assert post.buttons == [["Взять", "Отклонить"]]

    # A forged press by a lead changes nothing.
    forged = await emu.send_callback(LEAD_ID, CS_CHAT_ID, post.message_id, f"rq:tk:{request.id}")
    answer = await emu.wait_callback_answer(forged)
    assert answer.text is not None
    assert "только команда клиентского сервиса" in answer.text

    answer = await press_post(emu, CS_ID, post, "Взять")
    post = await emu.wait_for_edit(CS_CHAT_ID, post.message_id, contains="в работе")
    assert "Исполнитель: Ольга Смирнова" in post.text
    assert post.buttons == [["Выполнено", "Отклонить"]]
    await emu.wait_for_message(MARIA, contains=f"{number} (Переадресация) взят в работу")
    await press_post(emu, CS_ID, post, "Выполнено")
    post = await emu.wait_for_edit(CS_CHAT_ID, post.message_id, contains="выполнен")
    assert post.buttons == []
    await emu.wait_for_message(MARIA, contains=f"{number} (Переадресация) выполнен")
    again = await emu.send_callback(CS_ID, CS_CHAT_ID, post.message_id, f"rq:dn:{request.id}")
    assert "Уже сделано" in ((await emu.wait_callback_answer(again)).text or "")

    # One mail to the CS mailbox with the number, the kind, the fields and the requester.
    await wait_for_mail(inbox)
    await asyncio.sleep(1)
    [mail] = inbox.messages
    assert mail["To"] == "cs@example.com"
    assert mail["Subject"] == f"Запрос {number}: Переадресация"
    body = mail.get_content()
    for part in ("От: Мария Козлова", "Что переадресовать: +79991234567", "6666", "<в субботу>"):
        assert part in body

    # /my shows it with its state.
    mine = await say(emu, MARIA, "/my", "Мои апелляции и запросы")
    assert f"{number} · Переадресация · ✅ выполнен" in mine.text


async def test_a_lead_adds_a_new_manager_and_the_roster_changes(
    emu: BotAPIEmulator, bot: BotProcess, sessions: async_sessionmaker[AsyncSession]
) -> None:
    menu = await say(emu, LEAD_ID, "/request", "Какой запрос")
    dialog = await step(emu, LEAD_ID, menu, "Состав команды", "Что изменилось")
    assert "Усиление команды / бэк-переводы / увольнение" in url_buttons(dialog)
    dialog = await wrong(emu, LEAD_ID, "новый", "кнопкой", "Что изменилось")
    await step(emu, LEAD_ID, dialog, "новый менеджер после аттестации", "Рабочая группа")
    dialog = await wrong(emu, LEAD_ID, "Юг", "кнопкой", "Рабочая группа")
    await step(emu, LEAD_ID, dialog, "Группа Юг", "ФИО нового менеджера")
    await wrong(emu, LEAD_ID, "Я", "не меньше 2", "ФИО нового менеджера")
    calendar = await say(emu, LEAD_ID, "Пётр Новый", "С какой даты")
    calendar = await wrong(emu, LEAD_ID, "сегодня", "в календаре", "С какой даты")
    await step(emu, LEAD_ID, calendar, day(today()), "Дата аттестации")
    calendar = await wrong(emu, LEAD_ID, None, "в календаре", "Дата аттестации")
    await step(emu, LEAD_ID, calendar, day(today()), "Комментарий")
    review = await step(emu, LEAD_ID, calendar, "Пропустить", "Проверьте запрос")
    assert "ФИО: Пётр Новый" in review.text
    await step(emu, LEAD_ID, review, "Изменить ФИО", "ФИО нового менеджера")
    review = await say(emu, LEAD_ID, "Пётр Новиков", "Проверьте запрос")
    assert "ФИО: Пётр Новиков" in review.text
    assert "Рабочая группа: Группа Юг" in review.text
    mark = emu.mark()
    await step(emu, LEAD_ID, review, "Отправить", "отправлен")
    post = await emu.wait_for_message(CS_CHAT_ID, contains="Состав команды", after=mark)
    await press_post(emu, CS_ID, post, "Взять")
    post = await emu.wait_for_edit(CS_CHAT_ID, post.message_id, contains="в работе")
    await press_post(emu, CS_ID, post, "Выполнено")
    await emu.wait_for_edit(CS_CHAT_ID, post.message_id, contains="выполнен")
    await emu.wait_for_message(LEAD_ID, contains="(Состав команды) выполнен")
    async with sessions() as session:
        [peter] = (
            (await session.execute(select(Employee).where(Employee.full_name == "Пётр Новиков")))
            .scalars()
            .all()
        )
        assert [group.name for group in peter.groups] == ["Группа Юг"]
        added = (
            await session.execute(select(AuditEntry).where(AuditEntry.entity == "employee"))
        ).scalar_one()
    assert added.entity_id == peter.id
    assert added.action == "staffing_add"


async def test_a_badge_request_is_rejected_with_a_reason(
    emu: BotAPIEmulator, bot: BotProcess, sessions: async_sessionmaker[AsyncSession]
) -> None:
    menu = await say(emu, MARIA, "/request", "Какой запрос")
    dialog = await step(emu, MARIA, menu, "Бейдж", "Что нужно")
    assert "Регламент заказа аудиобейджа / крышки" in url_buttons(dialog)
    dialog = await wrong(emu, MARIA, "бейдж", "кнопкой", "Что нужно")
    await step(emu, MARIA, dialog, "аудиобейдж", "Сколько штук")
    await wrong(emu, MARIA, "51", "от 1 до 50", "Сколько штук")
    await say(emu, MARIA, "3", "Шоурум или рабочая группа")
    await wrong(emu, MARIA, None, "Нужен текст", "Шоурум или рабочая группа")
    await say(emu, MARIA, "Шоурум Юг", "Кто получит")
    await wrong(emu, MARIA, "Я", "не меньше 2", "Кто получит")
    await say(emu, MARIA, "Мария Козлова", "Комментарий")
    review = await say(emu, MARIA, "Срочно", "Проверьте запрос")
    await step(emu, MARIA, review, "Изменить количество", "Сколько штук")
    review = await say(emu, MARIA, "5", "Проверьте запрос")
    assert "Количество: 5" in review.text
    mark = emu.mark()
    await step(emu, MARIA, review, "Отправить", "отправлен")
    post = await emu.wait_for_message(CS_CHAT_ID, contains="· Бейдж", after=mark)

    # «Отклонить» in the group asks for the reason in CS's private chat.
    answer = await press_post(emu, CS_ID, post, "Отклонить")
    assert "личном чате" in (answer.text or "")
    await emu.wait_for_message(CS_ID, contains="Почему запрос", after=mark)
    await wrong(emu, CS_ID, "no", "не меньше 3", "Почему запрос")
    await say(emu, CS_ID, "Нет на складе", "отклонён, автор получил причину")
    post = await emu.wait_for_edit(CS_CHAT_ID, post.message_id, contains="Причина отказа")
    assert "Нет на складе" in post.text
    assert post.buttons == []
    notice = await emu.wait_for_message(MARIA, contains="(Бейдж) отклонён")
    assert "Причина: Нет на складе" in notice.text
    async with sessions() as session:
        [request] = (await session.execute(select(ServiceRequest))).scalars().all()
    assert request.state == RequestState.REJECTED
    assert request.fields["quantity"] == 5


async def test_cancel_leaves_and_a_crash_keeps_the_answers(
    emu: BotAPIEmulator, bot: BotProcess, sessions: async_sessionmaker[AsyncSession]
) -> None:
    menu = await say(emu, MARIA, "/request", "Какой запрос")
    await step(emu, MARIA, menu, "Бейдж", "Что нужно")
    await say(emu, MARIA, "/cancel", "Диалог закрыт")
    # A CS member and a stranger do not file requests.
    reply = await say(emu, CS_ID, "/request", "недоступна")
    assert "/request" in reply.text

    menu = await say(emu, MARIA, "/request", "Какой запрос")
    dialog = await step(emu, MARIA, menu, "Бейдж", "Что нужно")
    await step(emu, MARIA, dialog, "крышка для бейджа", "Сколько штук")
    await say(emu, MARIA, "7", "Шоурум или рабочая группа")
    # aiogram-dialog saves the step right after it shows it; kill only once it is saved.
    await wait_for_saved_step(sessions, "RequestSG:bd_place")
    await bot.kill()
    await bot.start()
    await say(emu, MARIA, "Шоурум Север", "Кто получит")
    await say(emu, MARIA, "Иван Петров", "Комментарий")
    review = await say(emu, MARIA, "-", "Проверьте запрос")
    assert "Что нужно: крышка для бейджа" in review.text
    assert "Количество: 7" in review.text
    async with sessions() as session:
        assert (await session.execute(select(ServiceRequest))).first() is None


async def test_with_the_mail_server_down_the_request_still_reaches_cs(
    emu: BotAPIEmulator,
    smtp: tuple[Controller, Inbox],
    bot: BotProcess,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    controller, inbox = smtp
    menu = await say(emu, MARIA, "/request", "Какой запрос")
    dialog = await step(emu, MARIA, menu, "Бейдж", "Что нужно")
    await step(emu, MARIA, dialog, "аудиобейдж", "Сколько штук")
    await say(emu, MARIA, "2", "Шоурум")
    await say(emu, MARIA, "Шоурум Юг", "Кто получит")
    review = await say(emu, MARIA, "Мария Козлова", "Комментарий")
    review = await step(emu, MARIA, review, "Пропустить", "Проверьте запрос")
    mark = emu.mark()
    await step(emu, MARIA, review, "Отправить", "отправлен")
    await emu.wait_for_message(CS_CHAT_ID, contains="· Бейдж", after=mark)
    await asyncio.sleep(2)  # a few attempts fail meanwhile
    assert inbox.messages == []
    assert "not sent" in bot.log
    controller.start()
    await wait_for_mail(inbox)
    await asyncio.sleep(1.5)
    assert len(inbox.messages) == 1
    assert "Количество: 2" in inbox.messages[0].get_content()
