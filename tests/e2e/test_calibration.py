"""End to end: a blind calibration of three participants through the real bot process.

CS starts it with /calibrate (a recording link, a category, Ольга, Ирина and Андрей, a
deadline); each votes from the «Оценить» of his invitation. Until the last vote no message
any participant (or the group) received, earlier texts of edited ones included, shows another
participant's verdict, score or comment; then the group gets them side by side, the spread
and «⚠️ Расхождение». The one who is late is reminded once; a forged «Оценить» and a second
vote are refused."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services import calibration
from db.models import Reminder
from emulator import BotAPIEmulator, StoredMessage
from tests.conftest import CS_CHAT_ID
from tests.e2e.conftest import CS_ID, LEAD_ID, OTHER_MANAGER_ID
from tests.e2e.harness import BotProcess
from tests.e2e.steps import (
    alert,
    open_below,
    pick_day_ahead,
    press_forged,
    say,
    step,
    today,
    wrong,
)
from tests.e2e.world import second_cs_member

IRINA_ID = 1002
VOTE = "🎯 Оценить"
# What each participant votes: a verdict button, a score, a comment no one else could write.
VOTES = {
    CS_ID: ("Ошибка подтверждена", "70", "слышно-альфа"),
    IRINA_ID: ("Частично", "95", "слышно-бета"),
    LEAD_ID: ("Ошибка подтверждена", "81", "слышно-гамма"),
}


def everything_heard(emu: BotAPIEmulator, chat_id: int) -> str:
    """Every text the bot ever showed in a chat: each message and each earlier version."""
    return "\n".join(m.content + "\n" + "\n".join(m.edits) for m in emu.bot_messages(chat_id))


def assert_blind(emu: BotAPIEmulator, voted: list[int]) -> None:
    """No participant, nor the group, has seen a vote of someone else."""
    for reader in (*VOTES, CS_CHAT_ID):
        heard = everything_heard(emu, reader)
        for voter in voted:
            if voter == reader:
                continue
            _, score, comment = VOTES[voter]
            assert comment not in heard, (reader, voter)
            assert f"Оценка: {score}" not in heard, (reader, voter)
        assert "Итоги калибровки" not in heard


async def vote(emu: BotAPIEmulator, voter: int, invitation: StoredMessage) -> None:
    verdict, score, comment = VOTES[voter]
    dialog = await open_below(emu, voter, invitation, VOTE, contains="Ваш вердикт")
    await step(emu, voter, dialog, verdict, "от 0 до 100")
    if voter == CS_ID:  # a score out of range: told, the step stays
        await wrong(emu, voter, "150", "целое число от 0 до 100, например 85", "от 0 до 100")
    await say(emu, voter, score, contains="Комментарий")
    review = await say(emu, voter, comment, contains="Проверьте оценку")
    assert f"Оценка: {score}" in review.text
    await step(emu, voter, review, "Отправить", "принята")


async def test_three_vote_blind_and_the_group_gets_the_spread_and_the_flag(
    emu: BotAPIEmulator,
    bot: BotProcess,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await second_cs_member(sessions, emu, IRINA_ID)

    first = await say(emu, CS_ID, "/calibrate", contains="Слепая калибровка")
    category = await say(emu, CS_ID, "https://records.example/call/7", contains="категорию")
    people = await step(emu, CS_ID, category, "Ошибка в коммуникации", "участников")
    assert first.chat_id == CS_ID
    for count, name in enumerate(("Ольга Смирнова", "Ирина Петрова", "Андрей Лидеров"), 1):
        label = next(b for row in people.buttons for b in row if name in b)
        people = await step(emu, CS_ID, people, label, f"Сейчас выбрано: {count}.")
        assert any(b.startswith(f"✅ {name}") for row in people.buttons for b in row)
    calendar = await step(emu, CS_ID, people, "Далее ▶", "день срока")
    deadline_day = today() + timedelta(days=3)
    await pick_day_ahead(emu, CS_ID, calendar, deadline_day)
    review = await emu.wait_for_edit(CS_ID, calendar.message_id, contains="Проверьте калибровку")
    assert f"до {deadline_day:%d.%m.%Y} 18:00" in review.text
    mark = emu.mark()
    await step(emu, CS_ID, review, "🚀 Запустить", "запущена")

    invitations = {
        voter: await emu.wait_for_message(voter, contains="Слепая калибровка #", after=mark)
        for voter in VOTES
    }
    session_id = int(invitations[CS_ID].text.split("#", 1)[1].split()[0])
    assert invitations[LEAD_ID].buttons == [[VOTE]]

    # A manager's forged «Оценить»: refused, nothing opens.
    answer = await press_forged(emu, OTHER_MANAGER_ID, invitations[LEAD_ID], f"cv:{session_id}")
    assert answer.text == f"Вы не участник калибровки #{session_id}: оценить её нельзя."

    await vote(emu, CS_ID, invitations[CS_ID])
    assert_blind(emu, [CS_ID])
    # A second vote: refused.
    again = await alert(emu, CS_ID, invitations[CS_ID], VOTE)
    assert again == f"Вы уже оценили калибровку #{session_id}: второй голос не принимается."

    await vote(emu, IRINA_ID, invitations[IRINA_ID])
    assert_blind(emu, [CS_ID, IRINA_ID])

    # The lead is late: reminded once (the reminder brought forward, as the days would).
    async with sessions() as session:
        await session.execute(
            update(Reminder)
            .where(Reminder.kind == calibration.REMIND)
            .values(due_at=datetime.now(UTC))
        )
        await session.commit()
    await emu.wait_for_message(LEAD_ID, contains="ещё не получена", after=mark)
    await asyncio.sleep(1.5)  # three sweeps: nothing more
    reminded = {
        chat: [m for m in emu.bot_messages(chat) if "ещё не получена" in m.text] for chat in VOTES
    }
    assert {chat: len(found) for chat, found in reminded.items()} == {
        CS_ID: 0,
        IRINA_ID: 0,
        LEAD_ID: 1,
    }
    assert_blind(emu, [CS_ID, IRINA_ID])

    group_mark = emu.mark()
    await vote(emu, LEAD_ID, invitations[LEAD_ID])
    result = await emu.wait_for_message(CS_CHAT_ID, contains="Итоги калибровки", after=group_mark)
    assert f"Итоги калибровки #{session_id}" in result.text
    for line in (
        "Ольга Смирнова — ошибка подтверждена · 70 · слышно-альфа",
        "Ирина Петрова — частично · 95 · слышно-бета",
        "Андрей Лидеров — ошибка подтверждена · 81 · слышно-гамма",
        "Разброс оценок: 25",
        "⚠️ Расхождение",
    ):
        assert line in result.text

    listed = await say(emu, CS_ID, "/calibrate list", contains="Прошедшие калибровки")
    assert f"#{session_id} · " in listed.text
    assert "разброс 25 · ⚠️ Расхождение" in listed.text
