"""End to end: /start for known, username-matched and unknown users; access requests."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.callbacks import AccessDecision, AccessStep
from db.models import AccessRequest, AccessRequestState, Employee
from emulator import BotAPIEmulator
from tests.conftest import CS_CHAT_ID
from tests.e2e.conftest import CS_ID, EVIL_ID, LEAD_ID, MANAGER_ID, OTHER_MANAGER_ID, UNKNOWN_ID
from tests.e2e.harness import BotProcess
from tests.e2e.steps import press, request_access, say


async def test_known_user_is_greeted_and_gets_his_menu(emu: BotAPIEmulator, bot: BotProcess):
    reply = await say(emu, LEAD_ID, "/start", contains="Андрей Лидеров")
    assert "лидер рабочей группы" in reply.text
    assert "Группа Север, Группа Юг" in reply.text
    menu = [c["command"] for c in emu.commands({"type": "chat", "chat_id": LEAD_ID})]
    assert "standards" in menu
    assert "links" not in menu
    cs_menu = await say(emu, CS_ID, "/start", contains="Ольга Смирнова")
    assert "/links" in cs_menu.text
    assert "links" in [c["command"] for c in emu.commands({"type": "chat", "chat_id": CS_ID})]


async def test_username_match_binds_the_telegram_id(
    emu: BotAPIEmulator, bot: BotProcess, sessions: async_sessionmaker[AsyncSession]
):
    reply = await say(emu, MANAGER_ID, "/start", contains="Иван Петров")
    assert "менеджер" in reply.text
    async with sessions() as session:
        ivan = (
            await session.execute(select(Employee).where(Employee.username == "ivan_petrov"))
        ).scalar_one()
    assert ivan.telegram_id == MANAGER_ID
    # From now on he is recognised by id: /standards answers.
    links = await say(emu, MANAGER_ID, "/standards", contains="Стандарты")
    assert links.reply_markup is not None


async def test_unknown_user_asks_and_cs_approves(
    emu: BotAPIEmulator, bot: BotProcess, sessions: async_sessionmaker[AsyncSession]
):
    # An unknown user sees nothing but the way to ask.
    refused = await say(emu, UNKNOWN_ID, "/standards")
    assert "Запросить доступ" in refused.text
    assert refused.reply_markup is None
    post = await request_access(emu, UNKNOWN_ID)
    assert "Павел Новиков" in post.text
    assert post.buttons == [["Выбрать сотрудника", "Отклонить"]]

    # Asking twice does not post twice.
    again = await say(emu, UNKNOWN_ID, "/start", contains="запрос доступа отправлен")
    assert again is not None

    await press(emu, CS_ID, post, "Выбрать сотрудника")
    post = await emu.wait_for_edit(CS_CHAT_ID, post.message_id, contains="Выберите сотрудника")
    # The likeliest entry (same name) comes first.
    assert post.buttons[0][0].startswith("Павел Новиков")

    mark = emu.mark()
    answer = await press(emu, CS_ID, post, "Павел Новиков")
    assert answer.text == "Готово."
    post = await emu.wait_for_edit(CS_CHAT_ID, post.message_id, contains="Доступ открыт")
    assert "Ольга Смирнова" in post.text
    assert post.buttons == []
    notice = await emu.wait_for_message(UNKNOWN_ID, contains="Доступ открыт", after=mark)
    assert "Павел Новиков" in notice.text

    links = await say(emu, UNKNOWN_ID, "/standards", contains="Стандарты")
    assert links.reply_markup is not None
    async with sessions() as session:
        pavel = (
            await session.execute(select(Employee).where(Employee.full_name == "Павел Новиков"))
        ).scalar_one()
        request = (await session.execute(select(AccessRequest))).scalar_one()
    assert pavel.telegram_id == UNKNOWN_ID
    assert request.state == AccessRequestState.APPROVED
    assert len([m for m in emu.bot_messages(CS_CHAT_ID) if "Запрос доступа" in m.text]) == 1


async def test_cs_rejects_and_the_user_is_told(
    emu: BotAPIEmulator, bot: BotProcess, sessions: async_sessionmaker[AsyncSession]
):
    post = await request_access(emu, UNKNOWN_ID)
    mark = emu.mark()
    await press(emu, CS_ID, post, "Отклонить")
    post = await emu.wait_for_edit(CS_CHAT_ID, post.message_id, contains="отклонён")
    notice = await emu.wait_for_message(UNKNOWN_ID, contains="отклонён", after=mark)
    assert notice is not None
    async with sessions() as session:
        request = (await session.execute(select(AccessRequest))).scalar_one()
        pavel = (
            await session.execute(select(Employee).where(Employee.full_name == "Павел Новиков"))
        ).scalar_one()
    assert request.state == AccessRequestState.REJECTED
    assert pavel.telegram_id is None


async def test_forged_callbacks_change_nothing(
    emu: BotAPIEmulator, bot: BotProcess, sessions: async_sessionmaker[AsyncSession]
):
    post = await request_access(emu, UNKNOWN_ID)
    async with sessions() as session:
        request = (await session.execute(select(AccessRequest))).scalar_one()
        pavel = (
            await session.execute(select(Employee).where(Employee.full_name == "Павел Новиков"))
        ).scalar_one()
    forged = AccessDecision(
        step=AccessStep.PICK, request_id=request.id, employee_id=pavel.id
    ).pack()
    # A manager, a lead and the applicant himself press a CS button with valid data.
    for user_id in (OTHER_MANAGER_ID, LEAD_ID, UNKNOWN_ID):
        query = await emu.send_callback(user_id, CS_CHAT_ID, post.message_id, forged)
        answer = await emu.wait_callback_answer(query)
        assert answer.text == "Кнопка устарела или недоступна вам."
    # Data that is not ours at all.
    query = await emu.send_callback(LEAD_ID, CS_CHAT_ID, post.message_id, "ad:p:999:1:0")
    assert (await emu.wait_callback_answer(query)).text
    async with sessions() as session:
        request = (await session.execute(select(AccessRequest))).scalar_one()
        pavel = await session.get(Employee, pavel.id)
    assert request.state == AccessRequestState.PENDING
    assert pavel is not None
    assert pavel.telegram_id is None
    assert "Запрос доступа" in emu.messages(CS_CHAT_ID)[-1].text


async def test_user_text_shows_literally(emu: BotAPIEmulator, bot: BotProcess):
    post = await request_access(emu, EVIL_ID)
    assert "<b>Evil</b> & <script>" in post.text
    assert "@evil_user" in post.text
