"""End to end: who hears what around a case (the notification matrix, /tmp/team/matrix-cases.md
→ README): the manager hears every change of his case, with «Обжаловать» and the date the
window closes while it is open; CS hears a briefing set as a reply to the case post; the
re-check reminder in the group carries its buttons; nobody else hears a thing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services import cases
from bot.texts import Texts
from db.models import Case, CaseCategory, CaseState, Employee
from emulator import BotAPIEmulator
from tests.conftest import CS_CHAT_ID, make_settings
from tests.e2e.conftest import CS_ID, LEAD_ID, MANAGER_ID, OTHER_MANAGER_ID, UNKNOWN_ID
from tests.e2e.harness import BotProcess
from tests.e2e.steps import (
    MOSCOW,
    bot_messages_after,
    pick_day_ahead,
    press,
    today,
    url_buttons,
)
from tests.e2e.world import register_case

EVERYONE = [CS_CHAT_ID, CS_ID, LEAD_ID, MANAGER_ID, OTHER_MANAGER_ID, UNKNOWN_ID]


@pytest.fixture
def bot_env(bot_env: dict[str, str]) -> dict[str, str]:
    return {**bot_env, "RECHECK_AFTER": "4", "RECHECK_NOTICE": "2"}


async def closes_of(sessions: async_sessionmaker[AsyncSession], case_id: int) -> str:
    """The day and time the appeal window of the case closes, as the bot shows them."""
    async with sessions() as session:
        case = await session.get(Case, case_id)
        assert case is not None
        closes = case.created_at + timedelta(days=5)
    return f"{closes.astimezone(MOSCOW):%d.%m.%Y %H:%M}"


async def test_the_manager_and_cs_hear_every_step_of_the_communication_track_and_nobody_else(
    emu: BotAPIEmulator,
    bot: BotProcess,
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
):
    mark = emu.mark()
    case = await register_case(sessions, database_url, CaseCategory.COMMUNICATION)
    post = await emu.wait_for_message(CS_CHAT_ID, contains=f"Кейс #{case.id}", after=mark)
    copy = await emu.wait_for_message(LEAD_ID, contains=f"Кейс #{case.id}", after=mark)
    first = await emu.wait_for_message(OTHER_MANAGER_ID, contains="зарегистрирован", after=mark)
    closes = await closes_of(sessions, case.id)
    appeal_url = f"https://t.me/{emu.bot_username}?start=appeal_{case.id}"
    # The first notice says the date the window closes, not only «5 дн.».
    assert f"обжаловать до {closes}" in first.text
    assert first.buttons == [["👁 Ознакомлен"], ["Обжаловать"]]

    # «Беру в работу»: the manager hears it (a reply to his first notice), with the window.
    mark = emu.mark()
    assert (await press(emu, LEAD_ID, copy, "Беру в работу")).text == "Готово."
    taken = await emu.wait_for_message(OTHER_MANAGER_ID, contains="взят в работу", after=mark)
    assert f"Кейс #{case.id} взят в работу. Лидер — Андрей Лидеров." in taken.text
    assert f"Обжаловать кейс можно до {closes}." in taken.text
    assert url_buttons(taken) == {"Обжаловать": appeal_url}
    assert taken.reply_to_message_id == first.message_id
    post = await emu.wait_for_edit(CS_CHAT_ID, post.message_id, contains="в работе —")
    assert set(bot_messages_after(emu, mark, EVERYONE)) == {OTHER_MANAGER_ID}

    # The briefing: a day, then a time. CS hears it as a reply to the case post; the manager
    # hears the day and the time.
    mark = emu.mark()
    await press(emu, LEAD_ID, copy, "Назначить брифинг")
    calendar = await emu.wait_for_message(LEAD_ID, contains="дату брифинга", after=mark)
    tomorrow = today() + timedelta(days=1)
    await pick_day_ahead(emu, LEAD_ID, calendar, tomorrow)
    times = await emu.wait_for_edit(LEAD_ID, calendar.message_id, contains="выберите время")
    await press(emu, LEAD_ID, times, "14:30")
    when = f"{tomorrow:%d.%m.%Y} 14:30"
    await emu.wait_for_message(LEAD_ID, contains=f"назначен: {when}", after=mark)
    told = await emu.wait_for_message(CS_CHAT_ID, contains=f"брифинг — {when}", after=mark)
    assert told.reply_to_message_id == post.message_id
    assert "Лидер — Андрей Лидеров · менеджер — Мария Козлова" in told.text
    briefing = await emu.wait_for_message(OTHER_MANAGER_ID, contains="брифинг", after=mark)
    assert f"Кейс #{case.id}: брифинг — {when}. Лидер — Андрей Лидеров." in briefing.text
    assert f"Обжаловать кейс можно до {closes}." in briefing.text
    assert url_buttons(briefing) == {"Обжаловать": appeal_url}
    assert set(bot_messages_after(emu, mark, EVERYONE)) == {CS_CHAT_ID, LEAD_ID, OTHER_MANAGER_ID}
    assert [m.text for m in bot_messages_after(emu, mark, EVERYONE)[CS_CHAT_ID]] == [told.text]
    async with sessions() as session:
        stored = await session.get(Case, case.id)
        assert stored is not None
        assert stored.briefing_at is not None
        assert f"{stored.briefing_at.astimezone(MOSCOW):%d.%m.%Y %H:%M}" == when

    # Held: the manager hears when the re-check is due.
    mark = emu.mark()
    copy = await emu.wait_for_edit(LEAD_ID, copy.message_id, contains="брифинг назначен")
    assert (await press(emu, LEAD_ID, copy, "Брифинг проведён")).text == "Готово."
    held = await emu.wait_for_message(OTHER_MANAGER_ID, contains="брифинг проведён", after=mark)
    assert "Повторная проверка — до" in held.text
    assert url_buttons(held) == {"Обжаловать": appeal_url}

    # The re-check is due (RECHECK_AFTER is 4 s here): the group's reminder is a reply to the
    # post and carries the result buttons, which work.
    due = await emu.wait_for_message(CS_CHAT_ID, contains="Сегодня повторная проверка", after=mark)
    assert due.reply_to_message_id == post.message_id
    assert due.buttons == [["Проверка пройдена"], ["Ошибка повторилась"]]
    await emu.wait_for_message(LEAD_ID, contains="Сегодня повторная проверка", after=mark)
    assert set(bot_messages_after(emu, mark, EVERYONE)) == {CS_CHAT_ID, LEAD_ID, OTHER_MANAGER_ID}

    mark = emu.mark()
    assert (await press(emu, CS_ID, due, "Проверка пройдена")).text == "Готово."
    passed = await emu.wait_for_message(OTHER_MANAGER_ID, contains="пройдена", after=mark)
    assert f"Кейс #{case.id}: повторная проверка пройдена, кейс закрыт." in passed.text
    # A closed case cannot be appealed: no button, no window.
    assert passed.reply_markup is None
    assert "Обжаловать" not in passed.text
    await emu.wait_for_edit(CS_CHAT_ID, post.message_id, contains="закрыт")
    assert set(bot_messages_after(emu, mark, EVERYONE)) == {OTHER_MANAGER_ID}


async def test_the_manager_hears_a_failed_recheck_and_a_withdrawal(
    emu: BotAPIEmulator,
    bot: BotProcess,
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
):
    settings = make_settings(database_url)
    texts = Texts("ru", tz=MOSCOW)

    async def act(telegram_id: int, case_id: int, what: cases.CaseAct, **data: object) -> Case:
        async with sessions() as session:
            actor = (
                await session.execute(select(Employee).where(Employee.telegram_id == telegram_id))
            ).scalar_one()
            return await cases.perform(
                session,
                actor,
                case_id,
                what,
                settings=settings,
                texts=texts,
                data=cases.ActInput(**data),  # type: ignore[arg-type]
            )

    mark = emu.mark()
    case = await register_case(sessions, database_url, CaseCategory.COMMUNICATION)
    first = await emu.wait_for_message(OTHER_MANAGER_ID, contains="зарегистрирован", after=mark)
    post = await emu.wait_for_message(CS_CHAT_ID, contains=f"Кейс #{case.id}", after=mark)
    await act(LEAD_ID, case.id, cases.CaseAct.ACCEPT)
    briefing = cases.briefing_moment(today() + timedelta(days=1), cases.BRIEFING_FIRST, settings)
    await act(LEAD_ID, case.id, cases.CaseAct.SET_BRIEFING, briefing_at=briefing)
    await act(CS_ID, case.id, cases.CaseAct.BRIEFING_HELD)
    await emu.wait_for_edit(CS_CHAT_ID, post.message_id, contains="повторная проверка до")
    mark = emu.mark()

    # «Ошибка повторилась» pressed in the group: the comment is asked in CS's private chat.
    await press(emu, CS_ID, post, "Ошибка повторилась")
    await emu.wait_for_message(CS_ID, contains="что повторилось", after=mark)
    await emu.send_text(CS_ID, "Снова не представился")
    failed = await emu.wait_for_message(OTHER_MANAGER_ID, contains="повторилась", after=mark)
    assert "Комментарий КС: Снова не представился" in failed.text
    assert failed.reply_to_message_id == first.message_id
    assert failed.reply_markup is None
    assert set(bot_messages_after(emu, mark, EVERYONE)) == {CS_ID, OTHER_MANAGER_ID}

    # Another case, withdrawn (an accepted appeal does it through the service).
    mark = emu.mark()
    other = await register_case(sessions, database_url, CaseCategory.PROCESS)
    first = await emu.wait_for_message(OTHER_MANAGER_ID, contains=f"#{other.id}", after=mark)
    await emu.wait_for_message(CS_CHAT_ID, contains=f"Кейс #{other.id}", after=mark)
    await emu.wait_for_message(LEAD_ID, contains=f"Кейс #{other.id}", after=mark)
    mark = emu.mark()
    async with sessions() as session:
        cs = (
            await session.execute(select(Employee).where(Employee.telegram_id == CS_ID))
        ).scalar_one()
        withdrawn = await cases.withdraw(
            session, cs, other.id, settings=settings, texts=texts, comment="апелляция принята"
        )
    assert withdrawn.state == CaseState.WITHDRAWN
    told = await emu.wait_for_message(OTHER_MANAGER_ID, contains="отозван", after=mark)
    assert f"Кейс #{other.id} отозван." in told.text
    assert "апелляция принята" in told.text
    assert told.reply_to_message_id == first.message_id
    assert told.reply_markup is None
    assert set(bot_messages_after(emu, mark, EVERYONE)) == {OTHER_MANAGER_ID}


async def test_a_case_button_with_an_id_beyond_64_bits_is_stale_not_an_error(
    emu: BotAPIEmulator,
    bot: BotProcess,
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
):
    mark = emu.mark()
    case = await register_case(sessions, database_url, CaseCategory.COMMUNICATION)
    copy = await emu.wait_for_message(LEAD_ID, contains=f"Кейс #{case.id}", after=mark)
    for data in ("cs:acc:99999999999999999999", "cs:brf:0", "cs:acc:-1"):
        query = await emu.send_callback(LEAD_ID, LEAD_ID, copy.message_id, data)
        answer = await emu.wait_callback_answer(query)
        assert answer.text == "Кнопка устарела или недоступна вам.", data
    assert "Traceback" not in bot.log
    assert "OverflowError" not in bot.log
