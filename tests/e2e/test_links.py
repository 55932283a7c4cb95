"""End to end: /standards for everyone known, /links for CS only."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import AuditEntry, LinkItem
from emulator import BotAPIEmulator
from tests.e2e.conftest import CS_ID, LEAD_ID, OTHER_MANAGER_ID
from tests.e2e.harness import BotProcess
from tests.e2e.steps import press, say, url_buttons, wait_for_saved_step


async def test_standards_shows_the_seeded_links(emu: BotAPIEmulator, bot: BotProcess):
    reply = await say(emu, OTHER_MANAGER_ID, "/standards", contains="Стандарты работы")
    buttons = url_buttons(reply)
    assert buttons["Стандарты команды Ретейл"].startswith("https://")
    assert "Результаты оценки клиентского сервиса" in buttons
    # The results link says which month it is for; every link says when it changed.
    assert "за октябрь 2026" in reply.text
    assert "обновлено" in reply.text
    # The mailbox is a line of text (Telegram buttons cannot open mailto:).
    assert "client_service@example.com" in reply.text


async def test_links_is_refused_to_a_manager_and_a_lead(
    emu: BotAPIEmulator, bot: BotProcess, sessions: async_sessionmaker[AsyncSession]
):
    for user_id in (OTHER_MANAGER_ID, LEAD_ID):
        reply = await say(emu, user_id, "/links")
        assert "недоступна" in reply.text
    async with sessions() as session:
        assert (await session.execute(select(AuditEntry))).first() is None


async def test_cs_adds_edits_and_removes_a_link(
    emu: BotAPIEmulator, bot: BotProcess, sessions: async_sessionmaker[AsyncSession]
):
    menu = await say(emu, CS_ID, "/links", contains="Ссылки /standards")
    await press(emu, CS_ID, menu, "Добавить ссылку")
    await emu.wait_for_edit(CS_ID, menu.message_id, contains="Введите название")

    # Title with markup-like text, then a wrong address (the step stays), then a right one.
    await say(emu, CS_ID, "Памятка <b>новичку</b> & co", contains="Введите адрес")
    error = await say(emu, CS_ID, "not a url", contains="Это не адрес")
    assert error is not None
    step = await say(emu, CS_ID, "https://example.com/memo", contains="пометку")
    await press(emu, CS_ID, step, "Пропустить")
    review = await emu.wait_for_edit(CS_ID, step.message_id, contains="Новая ссылка")
    assert "Памятка <b>новичку</b> & co" in review.text

    # «Изменить» on the review screen comes back to the review.
    await press(emu, CS_ID, review, "Изменить адрес")
    await emu.wait_for_edit(CS_ID, review.message_id, contains="Введите адрес")
    review = await say(emu, CS_ID, "https://example.com/memo-v2", contains="Новая ссылка")
    assert "memo-v2" in review.text
    await press(emu, CS_ID, review, "Сохранить")
    await emu.wait_for_edit(CS_ID, review.message_id, contains="Выберите ссылку")

    standards = await say(emu, CS_ID, "/standards", contains="Стандарты работы")
    assert url_buttons(standards)["Памятка <b>новичку</b> & co"] == "https://example.com/memo-v2"

    # Edit the title of the new link, then remove it.
    menu = await say(emu, CS_ID, "/links", contains="Ссылки /standards")
    await press(emu, CS_ID, menu, "Памятка")
    card = await emu.wait_for_edit(CS_ID, menu.message_id, contains="Адрес:")
    await press(emu, CS_ID, card, "Изменить название")
    await emu.wait_for_edit(CS_ID, card.message_id, contains="Новое значение")
    too_long = await say(emu, CS_ID, "Я" * 61, contains="длиннее")
    assert too_long is not None
    mark = emu.mark()
    await emu.send_text(CS_ID, "Памятка <b>новая</b> & ссылка")
    await emu.wait_for_message(CS_ID, contains="Сохранено", after=mark)
    card = await emu.wait_for_message(CS_ID, contains="Памятка <b>новая</b> & ссылка", after=mark)
    assert "Адрес: https://example.com/memo-v2" in card.text
    await press(emu, CS_ID, card, "Удалить")
    confirm = await emu.wait_for_edit(CS_ID, card.message_id, contains="Удалить ссылку")
    answer = await press(emu, CS_ID, confirm, "Да, удалить")
    # A toast is plain text: the title as typed, not «&lt;b&gt;» (defect 10).
    assert answer.text == "Ссылка «Памятка <b>новая</b> & ссылка» удалена."

    async with sessions() as session:
        titles = [link.title for link in (await session.execute(select(LinkItem))).scalars()]
        actions = [e.action for e in (await session.execute(select(AuditEntry))).scalars()]
    assert not any(title.startswith("Памятка") for title in titles)
    assert actions == ["add", "edit_title", "remove"]


async def test_cancel_leaves_the_links_dialog(emu: BotAPIEmulator, bot: BotProcess):
    menu = await say(emu, CS_ID, "/links", contains="Ссылки /standards")
    await press(emu, CS_ID, menu, "Добавить ссылку")
    await emu.wait_for_edit(CS_ID, menu.message_id, contains="Введите название")
    reply = await say(emu, CS_ID, "/cancel", contains="Диалог закрыт")
    assert reply is not None
    # The text after /cancel is not taken as a title.
    reply = await say(emu, CS_ID, "Новая ссылка")
    assert "Не понял" in reply.text


async def test_a_half_filled_dialog_survives_a_crash(
    emu: BotAPIEmulator, bot: BotProcess, sessions: async_sessionmaker[AsyncSession]
):
    menu = await say(emu, CS_ID, "/links", contains="Ссылки /standards")
    await press(emu, CS_ID, menu, "Добавить ссылку")
    await emu.wait_for_edit(CS_ID, menu.message_id, contains="Введите название")
    await say(emu, CS_ID, "Регламент выходных", contains="Введите адрес")
    # aiogram-dialog saves the step right after it shows it; kill only once it is saved.
    await wait_for_saved_step(sessions, "LinksSG:add_url")

    await bot.kill()
    await bot.start()

    # The dialog goes on from the address step, with the title typed before the crash.
    step = await say(emu, CS_ID, "https://example.com/weekend", contains="пометку")
    await press(emu, CS_ID, step, "Пропустить")
    review = await emu.wait_for_edit(CS_ID, step.message_id, contains="Новая ссылка")
    assert "Регламент выходных" in review.text
    assert "https://example.com/weekend" in review.text
