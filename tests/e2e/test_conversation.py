"""End to end: the conversation kit — a command always leaves whatever dialog or list is open
and runs; no text step takes a command as its answer; wrong input gets a hint."""

from __future__ import annotations

import asyncio

from emulator import BotAPIEmulator
from tests.e2e.conftest import CS_ID, LEAD_ID, OTHER_MANAGER_ID
from tests.e2e.harness import BotProcess
from tests.e2e.steps import THINK, png, say

REQUEST = "Какой запрос отправить"
CASES = "Кейсы — "
RESULTS = "Итогов пока нет"


async def test_a_command_leaves_an_open_list_and_runs(emu: BotAPIEmulator, bot: BotProcess):
    # Defect 1: /cases, then /request re-sent the cases list instead of starting the request.
    listing = await say(emu, LEAD_ID, "/cases", contains=CASES)
    await say(emu, LEAD_ID, "/request", contains=REQUEST)
    # The list's buttons are gone: the dialog it belonged to is closed.
    current = emu.state.get_message(LEAD_ID, listing.message_id)
    assert current is not None
    assert current.reply_markup is None or not current.reply_markup.get("inline_keyboard")
    for command, answer in [
        ("/my", "Апелляции и запросы"),
        ("/results", RESULTS),
        ("/appeal", "Апелляция по кейсу"),
        ("/cases", CASES),
        ("/standards", "Стандарты"),
    ]:
        reply = await say(emu, LEAD_ID, command, contains=answer)
        assert CASES not in reply.text or command == "/cases"


async def test_a_command_at_a_text_step_is_not_taken_as_the_answer(
    emu: BotAPIEmulator, bot: BotProcess
):
    # Defect 2: /results inside /case was searched as a name.
    await say(emu, CS_ID, "/case", contains="Кого касается ошибка")
    before = len(emu.bot_messages(CS_ID))
    reply = await say(emu, CS_ID, "/results", contains=RESULTS)
    assert "Никого не нашлось" not in reply.text
    assert not any("Никого не нашлось" in m.text for m in emu.bot_messages(CS_ID)[before:])
    # The dialog is closed: a name typed now is not searched either.
    reply = await say(emu, CS_ID, "Козлова")
    assert "найдено" not in reply.text


async def test_cancel_after_a_command_left_the_dialog_says_nothing_is_open(
    emu: BotAPIEmulator, bot: BotProcess
):
    await say(emu, CS_ID, "/case", contains="Кого касается ошибка")
    await say(emu, CS_ID, "/cancel", contains="Диалог закрыт")
    await say(emu, CS_ID, "/cancel", contains="нет открытого диалога")


async def test_wrong_input_gets_a_hint_and_the_step_stays(emu: BotAPIEmulator, bot: BotProcess):
    # Text where a button is expected: the list's step says so instead of re-sending itself.
    await say(emu, OTHER_MANAGER_ID, "/cases", contains=CASES)
    mark = emu.mark()
    await say(emu, OTHER_MANAGER_ID, "покажи все", contains="кнопкой под сообщением")
    await emu.wait_for_message(OTHER_MANAGER_ID, contains=CASES, after=mark)
    # A file where a text is expected.
    await say(emu, CS_ID, "/case", contains="Кого касается ошибка")
    await asyncio.sleep(THINK)
    mark = emu.mark()
    await emu.send_photo(CS_ID, png())
    hint = await emu.wait_for_message(CS_ID, after=mark)
    assert "текст" in hint.text.lower()
    await emu.wait_for_message(CS_ID, contains="Кого касается ошибка", after=mark)
