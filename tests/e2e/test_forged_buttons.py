"""End to end: a button whose id is out of every range (forged, garbled, from another bot
version) gets the short «stale button» answer and never reaches the database (defect 12:
OverflowError in the handler and «Что-то пошло не так»)."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import CaseCategory
from emulator import BotAPIEmulator
from tests.conftest import CS_CHAT_ID
from tests.e2e.conftest import CS_ID, LEAD_ID
from tests.e2e.harness import BotProcess
from tests.e2e.steps import THINK, say
from tests.e2e.world import register_case

HUGE = "99999999999999999999"  # beyond a 64-bit integer


FORGED = [
    f"ap:acc:{HUGE}",
    f"mt:{HUGE}",
    f"rq:tk:{HUGE}",
    f"cs:acc:{HUGE}",
    f"ad:p:{HUGE}:1:0",
    f"ad:p:1:{HUGE}:0",
    f"qo:cs:{HUGE}",
    f"qp:c:{HUGE}",
    f"rs:{HUGE}:0",
    f"dg:pub:{HUGE}",
    "cs:acc:-1",
    "cs:acc:0",
]


async def test_a_button_with_an_impossible_id_is_stale(
    emu: BotAPIEmulator,
    bot: BotProcess,
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
):
    mark = emu.mark()
    case = await register_case(sessions, database_url, CaseCategory.COMMUNICATION)
    post = await emu.wait_for_message(CS_CHAT_ID, contains=f"Кейс #{case.id}", after=mark)
    for user, chat, data in [(u, CS_CHAT_ID, d) for d in FORGED for u in (CS_ID, LEAD_ID)]:
        await asyncio.sleep(THINK)
        query = await emu.send_callback(user, chat, post.message_id, data)
        answer = await emu.wait_callback_answer(query)
        assert answer.text is not None
        assert "устарела" in answer.text, answer.text
    assert "Traceback" not in bot.log
    assert "OverflowError" not in bot.log


async def test_a_forged_pick_in_a_dialog_list_is_not_found(emu: BotAPIEmulator, bot: BotProcess):
    listing = await say(emu, CS_ID, "/cases", contains="Кейсы — ")
    assert listing.reply_markup is not None
    any_button = next(
        button["callback_data"]
        for row in listing.reply_markup["inline_keyboard"]
        for button in row
        if "callback_data" in button
    )
    intent = any_button.split("\x1d")[0]
    await asyncio.sleep(THINK)
    query = await emu.send_callback(CS_ID, CS_ID, listing.message_id, f"{intent}\x1dcase:{HUGE}")
    await emu.wait_callback_answer(query)
    shown = await emu.wait_for_edit(CS_ID, listing.message_id, contains="не найден")
    assert "Что-то пошло не так" not in shown.text
    assert "Traceback" not in bot.log
