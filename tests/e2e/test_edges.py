"""End to end: the smaller ways people got stuck (issue 9, defect 12) — the group, a first
message before /start, a dismissed employee, a letter sent to /import."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import keyboards
from bot.callbacks import Shortcut
from bot.services import reminders
from bot.texts import Texts
from db.engine import write_transaction
from db.models import Employee
from emulator import BotAPIEmulator
from tests.conftest import CS_CHAT_ID, make_settings
from tests.e2e.conftest import CS_ID, LEAD_ID, MANAGER_ID, OTHER_MANAGER_ID
from tests.e2e.harness import BotProcess
from tests.e2e.steps import MOSCOW, THINK, press, say, url_buttons


async def test_the_group_gets_its_own_help_and_a_way_to_the_private_chat(
    emu: BotAPIEmulator, bot: BotProcess
):
    await asyncio.sleep(THINK)
    mark = emu.mark()
    await emu.send_text(LEAD_ID, "/help", chat_id=CS_CHAT_ID)
    help_reply = await emu.wait_for_message(CS_CHAT_ID, after=mark)
    assert "В группе работают" in help_reply.text
    assert "/request" not in help_reply.text  # a private-chat command is not offered here
    assert url_buttons(help_reply)["Открыть личный чат с ботом"].startswith("https://t.me/")
    # /cases in the group got no answer at all.
    mark = emu.mark()
    await emu.send_text(LEAD_ID, "/cases", chat_id=CS_CHAT_ID)
    reply = await emu.wait_for_message(CS_CHAT_ID, after=mark)
    assert "/cases работает в личном чате" in reply.text
    assert "Открыть личный чат с ботом" in url_buttons(reply)
    # A command of another bot is left alone.
    before = len(emu.bot_messages(CS_CHAT_ID))
    await emu.send_text(LEAD_ID, "/cases@other_bot", chat_id=CS_CHAT_ID)
    await say(emu, CS_ID, "/standards", contains="Стандарты")
    assert len(emu.bot_messages(CS_CHAT_ID)) == before


async def test_a_roster_member_known_by_username_is_served_before_start(
    emu: BotAPIEmulator, bot: BotProcess
):
    # Иван Петров is in the roster by username only; his first message is /results.
    reply = await say(emu, MANAGER_ID, "/results")
    assert "Итогов пока нет" in reply.text
    assert "Запросить доступ" not in reply.text


async def test_a_dismissed_employee_is_not_invited_to_ask_for_access(
    emu: BotAPIEmulator, bot: BotProcess, sessions: async_sessionmaker[AsyncSession]
):
    async with sessions() as session, write_transaction(session):
        await session.execute(
            update(Employee).where(Employee.telegram_id == OTHER_MANAGER_ID).values(active=False)
        )
    reply = await say(emu, OTHER_MANAGER_ID, "/start")
    assert "больше не работаете" in reply.text
    assert reply.buttons == []


async def test_a_letter_sent_to_import_is_called_not_a_table(emu: BotAPIEmulator, bot: BotProcess):
    await say(emu, CS_ID, "/import", contains="Пришлите файл документом")
    await asyncio.sleep(THINK)
    mark = emu.mark()
    letter = "Добрый день!\nВысылаю итоги за октябрь во вложении.\nС уважением, Ольга"
    await emu.send_document(CS_ID, "итоги.txt", letter.encode())
    reply = await emu.wait_for_message(CS_ID, contains="Итоги не загружены", after=mark, timeout=15)
    final = reply.versions[-1] if reply.versions else reply.text
    assert "не XLSX и не CSV" in final
    assert "нет столбцов" not in final


async def test_the_monthly_analysis_notice_opens_the_dialog_it_asks_for(
    emu: BotAPIEmulator,
    bot: BotProcess,
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
):
    settings = make_settings(database_url)
    texts = Texts("ru", tz=MOSCOW)
    mark = emu.mark()
    async with sessions() as session, write_transaction(session):
        reminders.schedule_notice(
            session,
            chat_id=CS_CHAT_ID,
            text=texts("analysis-reminder", month="12.2026"),
            due_at=datetime.now(UTC),
            subject="analysis-month:2026-12",
            keyboard=keyboards.shortcut(Shortcut.ANALYSIS, texts("analysis-btn-open")),
        )
    assert settings.cs_chat_id == CS_CHAT_ID
    notice = await emu.wait_for_message(CS_CHAT_ID, contains="разбора звонка", after=mark)
    assert notice.buttons == [["Опубликовать разбор"]]
    # A lead in the group may not: told so, nothing opens for him.
    refused = await press(emu, LEAD_ID, notice, "Опубликовать разбор")
    assert refused.show_alert
    # CS: the /analysis dialog opens in his private chat.
    mark = emu.mark()
    opened = await press(emu, CS_ID, notice, "Опубликовать разбор")
    assert opened.text == "Продолжите в личном чате с ботом."
    first = await emu.wait_for_message(CS_ID, contains="Разбор звонка", after=mark)
    assert "Чей звонок разбираем" in first.text
