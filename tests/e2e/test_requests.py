"""End to end: /request for each kind (a wrong input on every step, «Изменить», sending), the
CS post with «Взять» / «Выполнено» / «Отклонить», the requester's notices, the roster change,
/cancel, a crash mid-dialog, the e-mail copy through a loopback SMTP server, and /my; on
SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.requests import FORWARDING_END
from db.models import (
    AuditEntry,
    Employee,
    Reminder,
    ReminderState,
    RequestState,
    ServiceRequest,
)
from emulator import BotAPIEmulator, StoredMessage
from tests.conftest import CS_CHAT_ID
from tests.e2e.conftest import CS_ID, LEAD_ID, OTHER_MANAGER_ID
from tests.e2e.harness import BotProcess
from tests.e2e.steps import (
    THINK,
    day_label,
    pick_date,
    press,
    say,
    step,
    today,
    url_buttons,
    wait_for_saved_step,
    wrong,
)
from tests.fixtures.mail import Inbox, free_port

MARIA = OTHER_MANAGER_ID

# On PostgreSQL too: there a person's dialog records are read and written on the connection
# that holds his update's lock (db.isolation, DatabaseStorage.held), and these dialogs are the
# longest; a crash mid-dialog shows what the lock's commit kept.
pytestmark = pytest.mark.both_databases


# --- the mail server ----------------------------------------------------------------------


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
    await step(emu, MARIA, calendar, day_label(today()), "Последний день")
    await step(emu, MARIA, calendar, day_label(today()), "Комментарий")
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

    answer = await press(emu, CS_ID, post, "Взять")
    post = await emu.wait_for_edit(CS_CHAT_ID, post.message_id, contains="в работе")
    assert "Исполнитель: Ольга Смирнова" in post.text
    assert post.buttons == [["Выполнено", "Отклонить"]]
    await emu.wait_for_message(MARIA, contains=f"{number} (Переадресация) взят в работу")
    await press(emu, CS_ID, post, "Выполнено")
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
    await step(emu, LEAD_ID, calendar, day_label(today()), "Дата аттестации")
    calendar = await wrong(emu, LEAD_ID, None, "в календаре", "Дата аттестации")
    await step(emu, LEAD_ID, calendar, day_label(today()), "Комментарий")
    review = await step(emu, LEAD_ID, calendar, "Пропустить", "Проверьте запрос")
    assert "ФИО: Пётр Новый" in review.text
    await step(emu, LEAD_ID, review, "Изменить ФИО", "ФИО нового менеджера")
    review = await say(emu, LEAD_ID, "Пётр Новиков", "Проверьте запрос")
    assert "ФИО: Пётр Новиков" in review.text
    assert "Рабочая группа: Группа Юг" in review.text
    mark = emu.mark()
    await step(emu, LEAD_ID, review, "Отправить", "отправлен")
    post = await emu.wait_for_message(CS_CHAT_ID, contains="Состав команды", after=mark)
    await press(emu, CS_ID, post, "Взять")
    post = await emu.wait_for_edit(CS_CHAT_ID, post.message_id, contains="в работе")
    await press(emu, CS_ID, post, "Выполнено")
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

    # A CS member who never pressed «Старт» in the bot: told to open the chat, nothing opens.
    emu.add_user(CS_ID, "Ольга", "Смирнова", started=False)
    answer = await press(emu, CS_ID, post, "Отклонить")
    assert "откройте личный чат" in (answer.text or "")
    emu.add_user(CS_ID, "Ольга", "Смирнова")

    # «Отклонить» in the group asks for the reason in CS's private chat.
    mark = emu.mark()
    answer = await press(emu, CS_ID, post, "Отклонить")
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
    await wait_for_saved_step(sessions, "BadgeSG:place")
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


# --- every step behaves alike (issue 9) -----------------------------------------------------


def labels(message: StoredMessage) -> list[str]:
    return [label for row in message.buttons for label in row]


async def badge_review(emu: BotAPIEmulator, user_id: int, quantity: str = "2") -> StoredMessage:
    """A badge request filled in with no comment: its review."""
    menu = await say(emu, user_id, "/request", "Какой запрос")
    dialog = await step(emu, user_id, menu, "Бейдж", "Что нужно")
    await step(emu, user_id, dialog, "аудиобейдж", "Сколько штук")
    await say(emu, user_id, quantity, "Шоурум")
    await say(emu, user_id, "Шоурум Юг", "Кто получит")
    review = await say(emu, user_id, "Мария Козлова", "Комментарий")
    return await step(emu, user_id, review, "Пропустить", "Проверьте запрос")


async def forwarding_start(emu: BotAPIEmulator) -> StoredMessage:
    """Мария's forwarding up to its first day's calendar."""
    menu = await say(emu, MARIA, "/request", "Какой запрос")
    await step(emu, MARIA, menu, "Переадресация", "Какой номер")
    await say(emu, MARIA, "5555", "На какой номер")
    return await say(emu, MARIA, "6666", "Первый день")


async def test_back_on_every_step_shows_it_as_it_was_answered(
    emu: BotAPIEmulator, bot: BotProcess
) -> None:
    menu = await say(emu, MARIA, "/request", "Какой запрос")
    assert "◀ Назад" not in labels(menu)  # the first step
    assert "Отмена" in labels(menu)
    dialog = await step(emu, MARIA, menu, "Бейдж", "Что нужно")
    await step(emu, MARIA, dialog, "аудиобейдж", "Сколько штук")
    await say(emu, MARIA, "3", "Шоурум или рабочая группа")
    await say(emu, MARIA, "Шоурум Юг", "Кто получит")
    await say(emu, MARIA, "Мария Козлова", "Комментарий")
    review = await say(emu, MARIA, "Срочно", "Проверьте запрос")
    # «◀ Назад» from the review to the choice of the kind, each step with its answer.
    shown = review
    for prompt, answer in (
        ("Комментарий", "Сейчас: Срочно"),
        ("Кто получит", "Сейчас: Мария Козлова"),
        ("Шоурум или рабочая группа", "Сейчас: Шоурум Юг"),
        ("Сколько штук", "Сейчас: 3"),
        ("Что нужно", "Сейчас: аудиобейдж"),
    ):
        assert {"◀ Назад", "Отмена"} <= set(labels(shown)), shown.buttons
        shown = await step(emu, MARIA, shown, "◀ Назад", prompt)
        assert answer in shown.text
    menu = await step(emu, MARIA, shown, "◀ Назад", "Какой запрос")
    # The same kind again continues the draft: «Дальше ▶» keeps each answer.
    shown = await step(emu, MARIA, menu, "Бейдж", "Сейчас: аудиобейдж")
    for prompt in ("Сколько штук", "Шоурум", "Кто получит", "Комментарий", "Проверьте запрос"):
        shown = await step(emu, MARIA, shown, "Дальше ▶", prompt)
    for line in ("Количество: 3", "Шоурум или группа: Шоурум Юг", "Получатель: Мария Козлова"):
        assert line in shown.text
    assert "Комментарий: Срочно" in shown.text
    # An answer changed on the way back is the one sent.
    shown = await step(emu, MARIA, shown, "◀ Назад", "Комментарий")
    shown = await step(emu, MARIA, shown, "◀ Назад", "Кто получит")
    review = await say(emu, MARIA, "Иван Петров", "Комментарий")
    assert "Сейчас: Срочно" in review.text
    review = await step(emu, MARIA, review, "Дальше ▶", "Проверьте запрос")
    assert "Получатель: Иван Петров" in review.text
    assert "Количество: 3" in review.text


async def test_a_lead_goes_back_through_a_forwarding_with_its_calendars(
    emu: BotAPIEmulator, bot: BotProcess
) -> None:
    menu = await say(emu, LEAD_ID, "/request", "Какой запрос")
    dialog = await step(emu, LEAD_ID, menu, "Переадресация", "Для кого настроить")
    dialog = await step(
        emu, LEAD_ID, dialog, "Мария Козлова — Группа Юг", "Какой номер или добавочный"
    )
    await say(emu, LEAD_ID, "5555", "На какой номер")
    calendar = await say(emu, LEAD_ID, "6666", "Первый день")
    calendar = await step(emu, LEAD_ID, calendar, day_label(today()), "Последний день")
    calendar = await step(emu, LEAD_ID, calendar, day_label(today()), "Комментарий")
    shown = await step(emu, LEAD_ID, calendar, "Пропустить", "Проверьте запрос")
    date_shown = f"{today():%d.%m.%Y}"
    for prompt, answer in (
        ("Комментарий", "Сейчас: —"),
        ("Последний день", f"Сейчас: {date_shown}"),
        ("Первый день", f"Сейчас: {date_shown}"),
        ("На какой номер", "Сейчас: 6666"),
        ("Какой номер или добавочный", "Сейчас: 5555"),
        ("Для кого настроить", "Сейчас: Мария Козлова"),
    ):
        shown = await step(emu, LEAD_ID, shown, "◀ Назад", prompt)
        assert answer in shown.text
    await step(emu, LEAD_ID, shown, "◀ Назад", "Какой запрос")


async def test_the_review_offers_only_the_fields_of_its_kind(
    emu: BotAPIEmulator, bot: BotProcess
) -> None:
    # Defect 7: a lead's badge or team change offered «Изменить менеджера», which opened the
    # forwarding step.
    review = await badge_review(emu, LEAD_ID)
    edits = {label for label in labels(review) if label.startswith("Изменить")}
    assert edits == {
        "Изменить что нужно",
        "Изменить количество",
        "Изменить шоурум",
        "Изменить получателя",
        "Изменить комментарий",
    }
    # An edit returns to the review; «◀ Назад» from it too, nothing changed.
    shown = await step(emu, LEAD_ID, review, "Изменить шоурум", "Шоурум или рабочая группа")
    shown = await step(emu, LEAD_ID, shown, "◀ Назад", "Проверьте запрос")
    assert "Шоурум или группа: Шоурум Юг" in shown.text
    shown = await step(emu, LEAD_ID, shown, "Изменить что нужно", "Что нужно")
    shown = await step(emu, LEAD_ID, shown, "крышка для бейджа", "Проверьте запрос")
    assert "Что нужно: крышка для бейджа" in shown.text
    assert "Количество: 2" in shown.text

    await step(emu, LEAD_ID, shown, "Отмена", "ничего не сохранено")
    menu = await say(emu, LEAD_ID, "/request", "Какой запрос")
    dialog = await step(emu, LEAD_ID, menu, "Состав команды", "Что изменилось")
    dialog = await step(emu, LEAD_ID, dialog, "увольнение", "Рабочая группа")
    dialog = await step(emu, LEAD_ID, dialog, "Группа Юг", "Кого касается")
    dialog = await step(emu, LEAD_ID, dialog, "Мария Козлова", "С какой даты")
    dialog = await step(emu, LEAD_ID, dialog, day_label(today()), "Комментарий")
    review = await step(emu, LEAD_ID, dialog, "Пропустить", "Проверьте запрос")
    edits = {label for label in labels(review) if label.startswith("Изменить")}
    assert edits == {
        "Изменить вид",
        "Изменить группу",
        "Изменить сотрудника",
        "Изменить дату",
        "Изменить комментарий",
    }
    # A different kind of change asks what it needs, then comes back to the review.
    shown = await step(emu, LEAD_ID, review, "Изменить вид", "Что изменилось")
    shown = await step(emu, LEAD_ID, shown, "новый менеджер после аттестации", "ФИО нового")
    shown = await say(emu, LEAD_ID, "Пётр Новый", "Дата аттестации")
    shown = await step(emu, LEAD_ID, shown, day_label(today()), "Проверьте запрос")
    assert "ФИО: Пётр Новый" in shown.text
    assert "Изменить ФИО" in labels(shown)
    assert "Изменить менеджера" not in labels(shown)


async def test_the_end_of_a_forwarding_cannot_be_before_its_start(
    emu: BotAPIEmulator, bot: BotProcess
) -> None:
    calendar = await forwarding_start(emu)
    calendar = await wrong(emu, MARIA, "завтра", "Выберите дату в календаре кнопкой", "Первый день")
    start = today() + timedelta(days=1)
    if start.month != today().month:  # the start is in the next month: turn the page
        turn = next(label for label in labels(calendar) if label.endswith(" ▶"))
        calendar = await step(emu, MARIA, calendar, turn, "Первый день")
    await pick_date(emu, MARIA, calendar, start)
    calendar = await emu.wait_for_edit(MARIA, calendar.message_id, contains="Последний день")
    # The end calendar shows the current month: today is before the start, so muted.
    assert f"·{today():%d}·" in labels(calendar)
    answer = await press(emu, MARIA, calendar, f"·{today():%d}·")
    assert "не может быть раньше первого" in (answer.text or "")
    assert "Последний день" in (emu.state.get_message(MARIA, calendar.message_id) or calendar).text
    # Text at a calendar step: a hint, and the calendar again.
    calendar = await wrong(emu, MARIA, "послезавтра", "в календаре кнопкой", "Последний день")
    if start.month != today().month:
        turn = next(label for label in labels(calendar) if label.endswith(" ▶"))
        calendar = await step(emu, MARIA, calendar, turn, "Последний день")
    await pick_date(emu, MARIA, calendar, start)
    await emu.wait_for_edit(MARIA, calendar.message_id, contains="Комментарий")


async def test_send_answers_its_button_once(emu: BotAPIEmulator, bot: BotProcess) -> None:
    review = await badge_review(emu, MARIA, "1")
    await asyncio.sleep(THINK)
    query = await emu.press(MARIA, review, "Отправить")
    await emu.wait_for_edit(MARIA, review.message_id, contains="отправлен в клиентский сервис")
    await emu.wait_callback_answer(query)
    await asyncio.sleep(1)  # a second answer would come right after the first
    answers = [
        call
        for call in emu.calls
        if call.method == "answerCallbackQuery"
        and str(call.params.get("callback_query_id")) == query
    ]
    assert len(answers) == 1, answers
    assert "Cannot answer callback" not in bot.log


# --- the forwarding's last day (issue 9, defect 8) ------------------------------------------


async def reminders_fall_due(sessions: async_sessionmaker[AsyncSession]) -> int:
    """The clock reaches the pending last-day reminders (whatever hour the test runs at)."""
    async with sessions() as session:
        result = await session.execute(
            update(Reminder)
            .where(Reminder.kind == FORWARDING_END, Reminder.state == ReminderState.PENDING)
            .values(due_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        await session.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]


async def forwarding_end_reminders(sessions: async_sessionmaker[AsyncSession]) -> int:
    """The last-day reminders set, whatever their state."""
    async with sessions() as session:
        found = await session.scalars(select(Reminder.id).where(Reminder.kind == FORWARDING_END))
        return len(found.all())


def last_day_notices(emu: BotAPIEmulator) -> list[StoredMessage]:
    return [
        message
        for chat in (CS_CHAT_ID, CS_ID)
        for message in emu.bot_messages(chat)
        if "последний день переадресации" in message.text
    ]


async def test_the_last_day_reminder_waits_until_the_forwarding_is_in_work(
    emu: BotAPIEmulator, bot: BotProcess, sessions: async_sessionmaker[AsyncSession]
) -> None:
    calendar = await forwarding_start(emu)
    calendar = await step(emu, MARIA, calendar, day_label(today()), "Последний день")
    calendar = await step(emu, MARIA, calendar, day_label(today()), "Комментарий")
    review = await step(emu, MARIA, calendar, "Пропустить", "Проверьте запрос")
    mark = emu.mark()
    await step(emu, MARIA, review, "Отправить", "отправлен")
    post = await emu.wait_for_message(CS_CHAT_ID, contains="· Переадресация", after=mark)
    # Still «новый»: nobody set the forwarding up, so there is nothing to switch back.
    await reminders_fall_due(sessions)
    await asyncio.sleep(2)  # several sweeps
    assert last_day_notices(emu) == []
    await press(emu, CS_ID, post, "Взять")
    await emu.wait_for_edit(CS_CHAT_ID, post.message_id, contains="в работе")
    # Taken after FORWARDING_END_HOUR of the last day, the reminder is due at once and the
    # bot's sweep may have sent it already: then there is nothing left to make due.
    await reminders_fall_due(sessions)
    assert await forwarding_end_reminders(sessions) == 1
    # In the group, a reply to the request's post with its buttons, naming the processor.
    notice = await emu.wait_for_message(CS_CHAT_ID, contains="Сегодня последний день переадресации")
    assert "Не забудьте вернуть звонки менеджеру" in notice.text
    assert "Исполнитель — Ольга Смирнова" in notice.text
    assert notice.reply_to_message_id == post.message_id
    assert notice.buttons == [["Выполнено", "Отклонить"]]
    await asyncio.sleep(2)
    assert len(last_day_notices(emu)) == 1


async def test_a_button_with_an_id_beyond_the_database_is_stale(
    emu: BotAPIEmulator, bot: BotProcess
) -> None:
    await asyncio.sleep(THINK)
    for data in ("rq:tk:99999999999999999999", "rq:dn:0", "rq:rj:-5"):
        query = await emu.send_callback(CS_ID, CS_CHAT_ID, 1, data)
        answer = await emu.wait_callback_answer(query)
        assert "Кнопка устарела" in (answer.text or ""), data
    assert "OverflowError" not in bot.log
    assert "Traceback" not in bot.log
