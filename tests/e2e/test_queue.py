"""End to end: /queue through the real bot process. CS sees what waits for the team, oldest
first, in the private chat and in the group; a tap opens an item with its action buttons and
pressing one works; a lead sees his; /my for CS is the queue; stale and foreign presses get a
short answer; a page of many long items fits one message."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.callbacks import CaseAct
from bot.services import access
from db.models import (
    AccessRequest,
    Appeal,
    AppealState,
    Case,
    CaseCategory,
    CaseState,
    RequestState,
    ServiceRequest,
)
from emulator import BotAPIEmulator, StoredMessage
from tests.conftest import CS_CHAT_ID
from tests.e2e.conftest import CS_ID, LEAD_ID, OTHER_MANAGER_ID, UNKNOWN_ID
from tests.e2e.harness import BotProcess
from tests.e2e.steps import alert, press, say
from tests.e2e.world import (
    act_on_case,
    an_analysis,
    new_request,
    open_appeal,
    register_case,
    services,
)


async def waiting_world(
    sessions: async_sessionmaker[AsyncSession], database_url: str
) -> dict[str, int]:
    """One of each thing that waits for CS, filed in this order: a request, an appeal, an
    analysis submitted, an access request."""
    request = await new_request(sessions, database_url)
    appealed = await register_case(sessions, database_url, CaseCategory.COMMUNICATION)
    appeal = await open_appeal(sessions, database_url, appealed.id)
    analysed = await register_case(sessions, database_url, CaseCategory.PROCESS)
    await act_on_case(sessions, database_url, analysed.id, LEAD_ID, CaseAct.ACCEPT)
    await act_on_case(
        sessions, database_url, analysed.id, LEAD_ID, CaseAct.SUBMIT_ANALYSIS, an_analysis()
    )
    await asyncio.sleep(0.01)
    settings, texts = services(database_url)
    async with sessions() as session:
        applicant = access.Applicant(telegram_id=UNKNOWN_ID, name="Павел Новиков", username=None)
        asked = await access.request_access(session, applicant, settings=settings, texts=texts)
    return {
        "request": request.id,
        "appeal": appeal.id,
        "appealed": appealed.id,
        "analysed": analysed.id,
        "access": asked.id,
    }


def item_buttons(message: StoredMessage) -> list[str]:
    """The queue's item buttons (every row but the paging one)."""
    return [row[0] for row in message.buttons[:-1]]


async def test_cs_queue_in_private_and_in_the_group_each_item_one_tap_from_its_action(
    emu: BotAPIEmulator,
    bot: BotProcess,
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
):
    ids = await waiting_world(sessions, database_url)
    appeal_post = await emu.wait_for_message(CS_CHAT_ID, contains=f"Апелляция #{ids['appeal']}")
    request_post = await emu.wait_for_message(CS_CHAT_ID, contains=f"З-{ids['request']}")

    shown = await say(emu, CS_ID, "/queue", contains="Очередь клиентского сервиса")
    lines = [
        f"Запрос З-{ids['request']} · Бейдж — Андрей Лидеров · новый",
        f"Апелляция #{ids['appeal']} по кейсу #{ids['appealed']} — Мария Козлова",
        f"Разбор по кейсу #{ids['analysed']} — Мария Козлова",
        f"Запрос доступа №{ids['access']} — Павел Новиков",
    ]
    positions = [shown.text.index(line) for line in lines]
    assert positions == sorted(positions), shown.text  # oldest first
    assert "ждут действий: 4" in shown.text
    assert "⏱ срок " in shown.text
    assert item_buttons(shown) == [
        f"1. Запрос З-{ids['request']} · Андрей Лидеров",
        f"2. Апелляция #{ids['appeal']} · Мария Козлова",
        f"3. Кейс #{ids['analysed']} · Мария Козлова",
        f"4. Доступ №{ids['access']} · Павел Новиков",
    ]
    assert shown.buttons[-1] == ["🔄 Обновить"]

    # The appeal: one tap shows it with the decision buttons; «Отклонить» asks the comment.
    mark = emu.mark()
    await press(emu, CS_ID, shown, "2. Апелляция")
    card = await emu.wait_for_message(CS_ID, contains=f"Апелляция #{ids['appeal']}", after=mark)
    assert card.buttons == [["Принять", "Частично", "Отклонить"]]
    mark = emu.mark()
    await press(emu, CS_ID, card, "Отклонить")
    await emu.wait_for_message(CS_ID, contains="Напишите комментарий", after=mark)
    await say(emu, CS_ID, "Запись не подтверждает", contains="Записано: апелляция")
    await emu.wait_for_edit(CS_CHAT_ID, appeal_post.message_id, contains="Запись не подтверждает")

    # The analysis: the /case card with the buttons of the group post; «Подтвердить» closes it.
    mark = emu.mark()
    await press(emu, CS_ID, shown, "3. Кейс")
    case_card = await emu.wait_for_message(CS_ID, contains=f"Кейс #{ids['analysed']}", after=mark)
    assert "История" in case_card.text
    assert ["Подтвердить"] in case_card.buttons
    assert (await press(emu, CS_ID, case_card, "Подтвердить")).text == "Готово."

    # «Обновить»: the decided appeal and the confirmed analysis are gone.
    answer = await press(emu, CS_ID, shown, "🔄 Обновить")
    assert answer.text == "Очередь обновлена."
    shown = await emu.wait_for_edit(CS_ID, shown.message_id, contains="ждут действий: 2")
    assert f"Апелляция #{ids['appeal']}" not in shown.text
    assert f"Разбор по кейсу #{ids['analysed']}" not in shown.text
    assert await alert(emu, CS_ID, shown, "🔄 Обновить") == "В очереди ничего не изменилось."

    # The same queue in the group; the request opens with its buttons and «Взять» works.
    mark = emu.mark()
    await emu.send_text(CS_ID, "/queue", chat_id=CS_CHAT_ID)
    group_queue = await emu.wait_for_message(
        CS_CHAT_ID, contains="Очередь клиентского сервиса", after=mark
    )
    assert item_buttons(group_queue)[0] == f"1. Запрос З-{ids['request']} · Андрей Лидеров"
    mark = emu.mark()
    await press(emu, CS_ID, group_queue, "1. Запрос")
    request_card = await emu.wait_for_message(
        CS_CHAT_ID, contains=f"З-{ids['request']}", after=mark
    )
    assert request_card.buttons == [["Взять", "Отклонить"]]
    await press(emu, CS_ID, request_card, "Взять")
    await emu.wait_for_edit(CS_CHAT_ID, request_post.message_id, contains="Ольга Смирнова")
    async with sessions() as session:
        request = await session.get(ServiceRequest, ids["request"])
        appeal = await session.get(Appeal, ids["appeal"])
        analysed = await session.get(Case, ids["analysed"])
    assert request is not None
    assert request.state == RequestState.IN_WORK
    assert appeal is not None
    assert appeal.state == AppealState.REJECTED
    assert analysed is not None
    assert analysed.state == CaseState.CLOSED

    # The access request opens with «Выбрать сотрудника» / «Отклонить».
    mark = emu.mark()
    await press(emu, CS_ID, group_queue, "Доступ №")
    access_card = await emu.wait_for_message(CS_CHAT_ID, contains="Запрос доступа", after=mark)
    assert access_card.buttons == [["Выбрать сотрудника", "Отклонить"]]
    await press(emu, CS_ID, access_card, "Отклонить")
    await emu.wait_for_edit(CS_CHAT_ID, access_card.message_id, contains="Запрос отклонён")
    async with sessions() as session:
        asked = await session.get(AccessRequest, ids["access"])
    assert asked is not None
    assert asked.state == "rejected"

    # Only CS pages the group queue; a lead's press, a forged scope, a forged id: short answers.
    assert await alert(emu, LEAD_ID, group_queue, "🔄 Обновить") == (
        "В группе очередь — для сотрудников клиентского сервиса. "
        "Свою очередь откройте в личном чате с ботом: /queue."
    )
    assert (await alert(emu, LEAD_ID, group_queue, "1. Запрос")).startswith("В группе очередь")
    forged = await emu.send_callback(CS_ID, CS_CHAT_ID, group_queue.message_id, "qp:x:0")
    assert (await emu.wait_callback_answer(forged)).text == "Кнопка устарела или недоступна вам."
    forged = await emu.send_callback(CS_ID, CS_CHAT_ID, group_queue.message_id, f"qo:ap:{10**12}")
    answer = await emu.wait_callback_answer(forged)
    assert answer.text == "Этого пункта уже нет в очереди. Нажмите «Обновить»."
    # Beyond a 64-bit id: refused before the database (by the callback data or the service).
    forged = await emu.send_callback(
        CS_ID, CS_CHAT_ID, group_queue.message_id, "qo:ap:99999999999999999999"
    )
    answer = await emu.wait_callback_answer(forged)
    assert answer.text in {
        "Кнопка устарела или недоступна вам.",
        "Этого пункта уже нет в очереди. Нажмите «Обновить».",
    }
    stale = await emu.send_callback(CS_ID, CS_CHAT_ID, group_queue.message_id, "qp:l:0")
    assert (await emu.wait_callback_answer(stale)).text == (
        "Этот список устарел. Отправьте /queue ещё раз."
    )
    decided = await emu.send_callback(
        CS_ID, CS_CHAT_ID, group_queue.message_id, f"qo:ap:{ids['appeal']}"
    )
    assert (await emu.wait_callback_answer(decided)).text.startswith("Уже решено")
    # A lead's /queue in the group: where his queue is.
    mark = emu.mark()
    await emu.send_text(LEAD_ID, "/queue", chat_id=CS_CHAT_ID)
    await emu.wait_for_message(CS_CHAT_ID, contains="Свою очередь откройте", after=mark)

    # /my for CS is the queue.
    mine = await say(emu, CS_ID, "/my", contains="Очередь клиентского сервиса")
    assert f"Запрос З-{ids['request']}" in mine.text
    assert "Traceback" not in bot.log
    assert "OverflowError" not in bot.log


async def test_a_lead_sees_his_cases_and_takes_one_from_the_queue(
    emu: BotAPIEmulator,
    bot: BotProcess,
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
):
    # /queue is in the menus of CS, of a lead and of the group, and in /help.
    await say(emu, LEAD_ID, "/start", contains="Андрей Лидеров")
    await say(emu, CS_ID, "/start", contains="Ольга Смирнова")
    for chat_id in (LEAD_ID, CS_ID, CS_CHAT_ID):
        menu = [c["command"] for c in emu.commands({"type": "chat", "chat_id": chat_id})]
        assert menu[0] == "queue", (chat_id, menu)
    assert "/queue" in (await say(emu, LEAD_ID, "/help")).text
    assert "/queue (или /my)" in (await say(emu, CS_ID, "/help")).text

    case = await register_case(sessions, database_url, CaseCategory.COMMUNICATION)
    post = await emu.wait_for_message(CS_CHAT_ID, contains=f"Кейс #{case.id}")
    await emu.wait_for_message(LEAD_ID, contains=f"Кейс #{case.id}")

    shown = await say(emu, LEAD_ID, "/queue", contains="Ваша очередь")
    assert f"Кейс #{case.id} — Мария Козлова: нажмите «Беру в работу»" in shown.text
    assert item_buttons(shown) == [f"1. Кейс #{case.id} · Мария Козлова"]
    mark = emu.mark()
    await press(emu, LEAD_ID, shown, "1. Кейс")
    card = await emu.wait_for_message(LEAD_ID, contains=f"Кейс #{case.id}", after=mark)
    assert card.buttons == [["Беру в работу"]]
    answer = await press(emu, LEAD_ID, card, "Беру в работу")
    assert answer.text == "Готово."
    await emu.wait_for_edit(CS_CHAT_ID, post.message_id, contains="Андрей Лидеров")
    await press(emu, LEAD_ID, shown, "🔄 Обновить")
    shown = await emu.wait_for_edit(LEAD_ID, shown.message_id, contains="назначьте брифинг")

    # A CS-scoped paging button pressed by the lead (a list from before a role change).
    stale = await emu.send_callback(LEAD_ID, LEAD_ID, shown.message_id, "qp:c:0")
    assert (await emu.wait_callback_answer(stale)).text == (
        "Этот список устарел. Отправьте /queue ещё раз."
    )
    # A lead cannot open CS's items by a forged button.
    forged = await emu.send_callback(LEAD_ID, LEAD_ID, shown.message_id, "qo:rq:1")
    assert (await emu.wait_callback_answer(forged)).text == (
        "Этот пункт открывает только клиентский сервис."
    )

    # A manager is told plainly where his things are.
    reply = await say(emu, OTHER_MANAGER_ID, "/queue")
    assert reply.text == (
        "Очередь — для клиентского сервиса и лидеров групп. "
        "Ваши апелляции и запросы — в /my, ваши кейсы — в /cases."
    )


async def test_a_page_of_many_long_items_fits_one_message(
    emu: BotAPIEmulator,
    bot: BotProcess,
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
):
    long_name = ("Константин <b>&</b> Длиннофамильный-Переименованный " * 10)[:300]
    now = datetime.now(UTC)
    async with sessions() as session:
        for index in range(20):
            session.add(
                AccessRequest(
                    telegram_id=900_000 + index,
                    telegram_name=f"{index} {long_name}",
                    username=None,
                    created_at=now - timedelta(minutes=100 - index),
                )
            )
        await session.commit()
        count = len((await session.execute(select(AccessRequest))).scalars().all())
    assert count == 20

    shown = await say(emu, CS_ID, "/queue", contains="Очередь клиентского сервиса")
    assert len(shown.text) <= 4096
    assert "Страница 1 из 3" in shown.text
    assert "<b>&</b>" in shown.text  # shown as typed: escaped on the wire
    assert shown.buttons[-1] == ["🔄 Обновить", "Дальше ▶"]
    await press(emu, CS_ID, shown, "Дальше ▶")
    shown = await emu.wait_for_edit(CS_ID, shown.message_id, contains="Страница 2 из 3")
    assert shown.buttons[-1] == ["◀ Раньше", "🔄 Обновить", "Дальше ▶"]
    assert shown.text.index("9. ") < shown.text.index("16. ")
    await press(emu, CS_ID, shown, "Дальше ▶")
    shown = await emu.wait_for_edit(CS_ID, shown.message_id, contains="Страница 3 из 3")
    assert item_buttons(shown)[-1].startswith("20. Доступ №")
    assert "Traceback" not in bot.log
