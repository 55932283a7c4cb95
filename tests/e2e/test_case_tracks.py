"""End to end: both case tracks from the first post to closing, through the real bot."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import (
    AuditEntry,
    Case,
    CaseCategory,
    CaseState,
    Reminder,
    ReminderState,
)
from emulator import BotAPIEmulator
from tests.conftest import CS_CHAT_ID
from tests.e2e.conftest import CS_ID, LEAD_ID, OTHER_MANAGER_ID, UNKNOWN_ID
from tests.e2e.harness import BotProcess
from tests.e2e.steps import pick_day_ahead, press, today
from tests.e2e.world import register_case


@pytest.fixture
def bot_env(bot_env: dict[str, str]) -> dict[str, str]:
    return {**bot_env, "RECHECK_AFTER": "4", "RECHECK_NOTICE": "2"}


async def test_communication_track_from_post_to_closed(
    emu: BotAPIEmulator,
    bot: BotProcess,
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
):
    mark = emu.mark()
    case = await register_case(sessions, database_url, CaseCategory.COMMUNICATION)
    post = await emu.wait_for_message(CS_CHAT_ID, contains=f"Кейс #{case.id}", after=mark)
    copy = await emu.wait_for_message(LEAD_ID, contains=f"Кейс #{case.id}", after=mark)
    notice = await emu.wait_for_message(OTHER_MANAGER_ID, contains="обжаловать", after=mark)
    assert "+• ••• •••-••-67" in post.text
    assert "123-45" not in post.text + copy.text + notice.text
    assert post.buttons == [["Беру в работу"]]
    assert notice.reply_markup is not None
    appeal = notice.reply_markup["inline_keyboard"][-1][0]
    assert appeal["url"] == f"https://t.me/cs_test_bot?start=appeal_{case.id}"

    # A manager and the lead's wrong moves are refused and change nothing.
    forged = await emu.send_callback(
        OTHER_MANAGER_ID, CS_CHAT_ID, post.message_id, f"cs:acc:{case.id}"
    )
    assert (await emu.wait_callback_answer(forged)).text == "Кнопка устарела или недоступна вам."
    stranger = await emu.send_callback(UNKNOWN_ID, CS_CHAT_ID, post.message_id, f"cs:acc:{case.id}")
    assert (await emu.wait_callback_answer(stranger)).text == "Кнопка устарела или недоступна вам."
    answer = await press(emu, CS_ID, post, "Беру в работу")
    assert answer.text == "Это действие вам недоступно."

    answer = await press(emu, LEAD_ID, copy, "Беру в работу")
    assert answer.text == "Готово."
    post = await emu.wait_for_edit(
        CS_CHAT_ID, post.message_id, contains="в работе — Андрей Лидеров"
    )
    copy = await emu.wait_for_edit(LEAD_ID, copy.message_id, contains="в работе —")
    assert copy.buttons == [["Назначить брифинг"]]
    # The second press of the same button: already done.
    again = await emu.send_callback(LEAD_ID, LEAD_ID, copy.message_id, f"cs:acc:{case.id}")
    assert "Уже сделано" in (await emu.wait_callback_answer(again)).text

    mark = emu.mark()
    await press(emu, LEAD_ID, copy, "Назначить брифинг")
    calendar = await emu.wait_for_message(LEAD_ID, contains="выберите дату брифинга", after=mark)
    # A day, then a time of it (tomorrow: all its times are ahead).
    tomorrow = today() + timedelta(days=1)
    await pick_day_ahead(emu, LEAD_ID, calendar, tomorrow)
    times = await emu.wait_for_edit(LEAD_ID, calendar.message_id, contains="выберите время")
    assert ["09:00", "09:30", "10:00", "10:30"] in times.buttons
    assert ["◀ Назад", "Отмена"] in times.buttons
    mark = emu.mark()
    await press(emu, LEAD_ID, times, "11:00")
    when = f"{tomorrow:%d.%m.%Y} 11:00"
    await emu.wait_for_message(LEAD_ID, contains=f"назначен: {when}", after=mark)
    post = await emu.wait_for_edit(
        CS_CHAT_ID, post.message_id, contains=f"брифинг назначен: {when}"
    )

    copy = await emu.wait_for_edit(LEAD_ID, copy.message_id, contains="брифинг назначен")
    mark = emu.mark()
    await press(emu, LEAD_ID, copy, "Брифинг проведён")
    post = await emu.wait_for_edit(CS_CHAT_ID, post.message_id, contains="повторная проверка до")
    assert f"✅ Брифинг {today():%d.%m.%Y}" in post.text
    assert post.buttons == [["Проверка пройдена"], ["Ошибка повторилась"]]

    # RECHECK_AFTER is 4 s here: the notice (2 s before) and the due reminder arrive.
    soon = await emu.wait_for_message(CS_CHAT_ID, contains="Скоро повторная проверка", after=mark)
    due = await emu.wait_for_message(CS_CHAT_ID, contains="Сегодня повторная проверка", after=mark)
    lead_due = await emu.wait_for_message(
        LEAD_ID, contains="Сегодня повторная проверка", after=mark
    )
    assert soon.message_id < due.message_id
    assert lead_due is not None

    answer = await press(emu, CS_ID, post, "Проверка пройдена")
    assert answer.text == "Готово."
    post = await emu.wait_for_edit(CS_CHAT_ID, post.message_id, contains="закрыт")
    assert post.buttons == []

    async with sessions() as session:
        stored = await session.get(Case, case.id)
        actions = [
            e.action
            for e in (await session.execute(select(AuditEntry).where(AuditEntry.entity == "case")))
            .scalars()
            .all()
        ]
        pending = (
            await session.execute(select(Reminder).where(Reminder.state == ReminderState.PENDING))
        ).all()
    assert stored is not None
    assert stored.state == CaseState.CLOSED
    assert stored.accepted_by_id is not None
    assert actions == ["register", "accept", "set_briefing", "briefing_held", "recheck_passed"]
    assert pending == []


async def test_process_track_with_return_and_confirmation(
    emu: BotAPIEmulator,
    bot: BotProcess,
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
):
    mark = emu.mark()
    case = await register_case(
        sessions, database_url, CaseCategory.PROCESS, summary="Не выпустили ЭЦП вовремя"
    )
    post = await emu.wait_for_message(CS_CHAT_ID, contains=f"Кейс #{case.id}", after=mark)
    await press(emu, LEAD_ID, post, "Беру в работу")
    post = await emu.wait_for_edit(CS_CHAT_ID, post.message_id, contains="в работе —")
    assert post.buttons == [["Заполнить разбор"]]

    async def fill_analysis(process: str) -> None:
        mark = emu.mark()
        answer = await press(emu, LEAD_ID, post, "Заполнить разбор")
        assert answer.text == "Продолжите в личном чате с ботом."
        await emu.wait_for_message(LEAD_ID, contains="разбор (1/4)", after=mark)
        mark = emu.mark()
        await emu.send_text(LEAD_ID, "Я")
        await emu.wait_for_message(LEAD_ID, contains="Слишком коротко", after=mark)
        for text, prompt in (
            (process, "(2/4)"),
            ("Нет доступа к сервису <УЦ> & сбой", "(3/4)"),
            ("Настроили резервный канал", "(4/4)"),
        ):
            mark = emu.mark()
            await emu.send_text(LEAD_ID, text)
            calendar_or_prompt = await emu.wait_for_message(LEAD_ID, contains=prompt, after=mark)
        calendar = calendar_or_prompt
        tomorrow = today() + timedelta(days=1)
        await pick_day_ahead(emu, LEAD_ID, calendar, tomorrow)
        review = await emu.wait_for_edit(LEAD_ID, calendar.message_id, contains="Разбор по кейсу")
        assert "Нет доступа к сервису <УЦ> & сбой" in review.text
        await press(emu, LEAD_ID, review, "Отправить разбор")

    mark = emu.mark()
    await fill_analysis("Выпуск ЭЦП")
    reply = await emu.wait_for_message(CS_CHAT_ID, contains="Разбор по кейсу", after=mark)
    assert reply.reply_to_message_id == post.message_id
    post = await emu.wait_for_edit(CS_CHAT_ID, post.message_id, contains="разбор получен")
    assert post.buttons == [["Подтвердить"], ["Вернуть на доработку"]]

    # CS returns it with a comment (the form opens in the CS member's private chat).
    mark = emu.mark()
    await press(emu, CS_ID, post, "Вернуть на доработку")
    await emu.wait_for_message(CS_ID, contains="что нужно доработать", after=mark)
    await emu.send_text(CS_ID, "Укажите сроки по каждому шагу")
    await emu.wait_for_message(LEAD_ID, contains="вернули на доработку", after=mark)
    post = await emu.wait_for_edit(CS_CHAT_ID, post.message_id, contains="Укажите сроки")
    assert post.buttons == [["Заполнить разбор"]]

    await fill_analysis("Выпуск ЭЦП, шаги со сроками")
    post = await emu.wait_for_edit(CS_CHAT_ID, post.message_id, contains="шаги со сроками")
    answer = await press(emu, CS_ID, post, "Подтвердить")
    assert answer.text == "Готово."
    await emu.wait_for_edit(CS_CHAT_ID, post.message_id, contains="закрыт")
    async with sessions() as session:
        stored = await session.get(Case, case.id)
    assert stored is not None
    assert stored.state == CaseState.CLOSED
    assert stored.analysis_process == "Выпуск ЭЦП, шаги со сроками"
