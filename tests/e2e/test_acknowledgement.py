"""End to end: the manager's «Ознакомлен» on the notice of a new case, through the real bot.

He taps it: the group post and the lead's copy show it. A case he leaves unacknowledged
nudges him once, then tells his lead once (the reminders' due times brought forward in the
database, as the passing working days would)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services import case_ack
from db.models import Reminder
from emulator import BotAPIEmulator
from tests.conftest import CS_CHAT_ID
from tests.e2e.conftest import LEAD_ID, OTHER_MANAGER_ID
from tests.e2e.harness import BotProcess
from tests.e2e.steps import THINK
from tests.e2e.world import register_case

ACKNOWLEDGE = "👁 Ознакомлен"


async def bring_forward(
    sessions: async_sessionmaker[AsyncSession], case_id: int, kind: str
) -> None:
    async with sessions() as session:
        await session.execute(
            update(Reminder)
            .where(Reminder.subject == f"case:{case_id}", Reminder.kind == kind)
            .values(due_at=datetime.now(UTC))
        )
        await session.commit()


async def test_the_manager_taps_it_and_the_post_and_the_leads_copy_show_it(
    emu: BotAPIEmulator,
    bot: BotProcess,
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
) -> None:
    mark = emu.mark()
    case = await register_case(sessions, database_url)
    post = await emu.wait_for_message(CS_CHAT_ID, contains=f"Кейс #{case.id}", after=mark)
    copy = await emu.wait_for_message(LEAD_ID, contains=f"Кейс #{case.id}", after=mark)
    notice = await emu.wait_for_message(OTHER_MANAGER_ID, contains="зарегистрирован", after=mark)
    assert notice.buttons == [[ACKNOWLEDGE], ["Обжаловать"]]
    assert "нажмите «Ознакомлен» до" in notice.text

    await asyncio.sleep(THINK)
    answer = await emu.wait_callback_answer(await emu.press(OTHER_MANAGER_ID, notice, ACKNOWLEDGE))
    assert answer.text == f"Отмечено: вы ознакомлены с кейсом #{case.id}."
    for message in (post, copy):
        edited = await emu.wait_for_edit(
            message.chat_id, message.message_id, contains="Менеджер ознакомлен:"
        )
        assert "Беру в работу" in [label for row in edited.buttons for label in row]
    after = await emu.wait_for_edit(OTHER_MANAGER_ID, notice.message_id)
    assert after.buttons == [["Обжаловать"]]

    # Another tap (a forged or an old button): told, nothing changes.
    forged = await emu.send_callback(
        OTHER_MANAGER_ID, OTHER_MANAGER_ID, notice.message_id, f"ck:{case.id}"
    )
    again = await emu.wait_callback_answer(forged)
    assert again.text is not None
    assert again.text.startswith("Вы уже отметили ознакомление")
    # The lead cannot tap it for him.
    forged = await emu.send_callback(LEAD_ID, LEAD_ID, copy.message_id, f"ck:{case.id}")
    refused = await emu.wait_callback_answer(forged)
    assert refused.text == "Отметить ознакомление может только менеджер, по работе которого кейс."


async def test_left_unacknowledged_the_manager_is_nudged_then_the_lead_told_once_each(
    emu: BotAPIEmulator,
    bot: BotProcess,
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
) -> None:
    mark = emu.mark()
    case = await register_case(sessions, database_url)
    notice = await emu.wait_for_message(OTHER_MANAGER_ID, contains="зарегистрирован", after=mark)
    copy = await emu.wait_for_message(LEAD_ID, contains=f"Кейс #{case.id}", after=mark)

    await bring_forward(sessions, case.id, case_ack.NUDGE)
    nudge = await emu.wait_for_message(
        OTHER_MANAGER_ID, contains="ждёт вашего ознакомления", after=mark
    )
    assert nudge.reply_to_message_id == notice.message_id
    assert nudge.buttons == [[ACKNOWLEDGE]]

    await bring_forward(sessions, case.id, case_ack.TELL_LEAD)
    told = await emu.wait_for_message(LEAD_ID, contains="не отмечено", after=mark)
    assert "менеджер — Мария Козлова" in told.text
    assert told.reply_to_message_id == copy.message_id

    await asyncio.sleep(1.5)  # three sweeps: nothing more
    nudges = [m for m in emu.bot_messages(OTHER_MANAGER_ID) if "ждёт вашего ознакомления" in m.text]
    leads = [m for m in emu.bot_messages(LEAD_ID) if "не отмечено" in m.text]
    assert (len(nudges), len(leads)) == (1, 1)

    # The nudge's button works as the notice's does.
    await asyncio.sleep(THINK)
    answer = await emu.wait_callback_answer(await emu.press(OTHER_MANAGER_ID, nudge, ACKNOWLEDGE))
    assert answer.text == f"Отмечено: вы ознакомлены с кейсом #{case.id}."
