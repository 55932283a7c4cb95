"""End to end: the reminders of a case nobody reacted to can be acted on where they arrive —
the lead's «⏰ … ждёт реакции» carries «Беру в работу» (and it works), the group's
«⚠️ … без реакции» is a reply to the case post."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import Case, CaseCategory, CaseState
from emulator import BotAPIEmulator
from tests.conftest import CS_CHAT_ID
from tests.e2e.conftest import CS_ID, LEAD_ID, MANAGER_ID, OTHER_MANAGER_ID, UNKNOWN_ID
from tests.e2e.harness import BotProcess
from tests.e2e.steps import bot_messages_after, press
from tests.e2e.world import register_case

EVERYONE = [CS_CHAT_ID, CS_ID, LEAD_ID, MANAGER_ID, OTHER_MANAGER_ID, UNKNOWN_ID]


@pytest.fixture
def bot_env(bot_env: dict[str, str]) -> dict[str, str]:
    # The lead is reminded after 3 s, the group after 6 s.
    return {**bot_env, "ACK_SLA": "3"}


async def test_the_leads_reminder_takes_the_case_and_the_escalation_replies_to_the_post(
    emu: BotAPIEmulator,
    bot: BotProcess,
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
):
    mark = emu.mark()
    case = await register_case(
        sessions, database_url, CaseCategory.COMMUNICATION, ack_sla=timedelta(seconds=3)
    )
    post = await emu.wait_for_message(CS_CHAT_ID, contains=f"Кейс #{case.id}", after=mark)
    copy = await emu.wait_for_message(LEAD_ID, contains=f"Кейс #{case.id}", after=mark)
    await emu.wait_for_message(OTHER_MANAGER_ID, contains="зарегистрирован", after=mark)
    mark = emu.mark()

    remind = await emu.wait_for_message(LEAD_ID, contains="ждёт реакции", after=mark)
    assert f"Кейс #{case.id} (Мария Козлова)" in remind.text
    assert remind.buttons == [["Беру в работу"]]
    assert remind.reply_to_message_id == copy.message_id
    escalation = await emu.wait_for_message(CS_CHAT_ID, contains="без реакции", after=mark)
    assert escalation.reply_to_message_id == post.message_id
    assert "Андрей Лидеров" in escalation.text
    # The manager and everybody else hear nothing of it.
    assert set(bot_messages_after(emu, mark, EVERYONE)) == {LEAD_ID, CS_CHAT_ID}

    # The reminder's button takes the case (the handler checks role, group and state).
    assert (await press(emu, LEAD_ID, remind, "Беру в работу")).text == "Готово."
    await emu.wait_for_edit(CS_CHAT_ID, post.message_id, contains="в работе — Андрей Лидеров")
    await emu.wait_for_message(OTHER_MANAGER_ID, contains="взят в работу", after=mark)
    again = await press(emu, LEAD_ID, remind, "Беру в работу")
    assert "Уже сделано" in (again.text or "")
    async with sessions() as session:
        stored = await session.get(Case, case.id)
    assert stored is not None
    assert stored.state == CaseState.ACCEPTED
