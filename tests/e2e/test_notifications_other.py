"""End to end: who hears what around everything that is not a case (the notification matrix,
/tmp/team/matrix-other.md → README): appeals, requests, meetings, access. At each step every
chat that got a new message is listed, and nobody else heard a thing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services import appeals, meetings, requests
from db.models import CaseCategory, Employee, Reminder, ReminderState, RequestKind
from emulator import BotAPIEmulator, StoredMessage
from emulator.control import Mark
from tests.conftest import CS_CHAT_ID
from tests.e2e.conftest import CS_ID, EVIL_ID, LEAD_ID, MANAGER_ID, OTHER_MANAGER_ID, UNKNOWN_ID
from tests.e2e.harness import BotProcess
from tests.e2e.steps import (
    alert,
    book_meeting,
    bot_messages_after,
    decide_in_group,
    next_working_day,
    press,
    say,
    step,
    today,
)
from tests.e2e.world import meeting_invitation, new_request, open_appeal, register_case

EVERYONE = [CS_CHAT_ID, CS_ID, LEAD_ID, MANAGER_ID, OTHER_MANAGER_ID, UNKNOWN_ID, EVIL_ID]
# Long enough for a message the bot should not send to have been sent.
QUIET = 1.5


async def heard(emu: BotAPIEmulator, mark: Mark) -> set[int]:
    """The chats that got a new message since `mark`, after a moment of quiet."""
    await asyncio.sleep(QUIET)
    return set(bot_messages_after(emu, mark, EVERYONE))


async def fall_due(sessions: async_sessionmaker[AsyncSession], subject: str, kind: str) -> None:
    """The clock reaches the pending reminder of `subject` (whatever its delay)."""
    async with sessions() as session:
        result = await session.execute(
            update(Reminder)
            .where(
                Reminder.subject == subject,
                Reminder.kind == kind,
                Reminder.state == ReminderState.PENDING,
            )
            .values(due_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        await session.commit()
    assert result.rowcount >= 1  # type: ignore[attr-defined]


# --- appeals --------------------------------------------------------------------------------


async def test_an_appeal_is_heard_by_the_filer_the_manager_the_leads_and_cs(
    emu: BotAPIEmulator,
    bot: BotProcess,
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
):
    mark = emu.mark()
    case = await register_case(sessions, database_url, CaseCategory.COMMUNICATION)
    case_post = await emu.wait_for_message(CS_CHAT_ID, contains=f"Кейс #{case.id}", after=mark)
    copy = await emu.wait_for_message(LEAD_ID, contains=f"Кейс #{case.id}", after=mark)
    first = await emu.wait_for_message(OTHER_MANAGER_ID, contains="зарегистрирован", after=mark)
    await asyncio.sleep(QUIET)

    # Filed by the manager through the «Обжаловать» link: the dialog says until when.
    reason = await say(emu, OTHER_MANAGER_ID, f"/start appeal_{case.id}", "Напишите, почему")
    assert "Подать апелляцию можно до " in reason.text
    evidence = await say(
        emu, OTHER_MANAGER_ID, "Я представилась, это есть на записи звонка.", "доказательства"
    )
    review = await step(emu, OTHER_MANAGER_ID, evidence, "Пропустить", "Проверьте апелляцию")
    assert "Подать апелляцию можно до " in review.text
    mark = emu.mark()
    await step(emu, OTHER_MANAGER_ID, review, "Отправить", "отправлена команде")
    post = await emu.wait_for_message(CS_CHAT_ID, contains="Апелляция #", after=mark)
    assert post.buttons == [["Принять", "Частично", "Отклонить"]]
    # The lead of the group hears it, as a reply to his copy of the case post.
    told = await emu.wait_for_message(LEAD_ID, contains="передана команде", after=mark)
    assert told.reply_to_message_id == copy.message_id
    assert "Подал(а): Мария Козлова" in told.text
    assert await heard(emu, mark) == {CS_CHAT_ID, LEAD_ID}  # (the filer: his dialog, edited)

    # «Частично»: the filer-manager and the lead hear it as replies; CS's member his «Записано».
    mark = emu.mark()
    await decide_in_group(emu, post, "Частично", "Частично подтвердилось")
    decision = await emu.wait_for_message(OTHER_MANAGER_ID, contains="Решение по", after=mark)
    assert "принята частично" in decision.text
    assert decision.reply_to_message_id == first.message_id
    to_lead = await emu.wait_for_message(LEAD_ID, contains="Решение по", after=mark)
    assert to_lead.reply_to_message_id == copy.message_id
    assert await heard(emu, mark) == {CS_ID, OTHER_MANAGER_ID, LEAD_ID}
    # The case stays: its post is not edited by this decision.
    current = emu.state.get_message(CS_CHAT_ID, case_post.message_id)
    assert current is not None
    assert "отозван" not in current.content

    # Another case, appealed by the lead for the manager: the manager hears of it; «Принять»
    # withdraws the case and the manager hears that once.
    mark = emu.mark()
    other = await register_case(sessions, database_url, CaseCategory.COMMUNICATION)
    first = await emu.wait_for_message(OTHER_MANAGER_ID, contains=f"#{other.id}", after=mark)
    copy = await emu.wait_for_message(LEAD_ID, contains=f"Кейс #{other.id}", after=mark)
    await asyncio.sleep(QUIET)
    mark = emu.mark()
    appeal = await open_appeal(sessions, database_url, other.id, filer_telegram_id=LEAD_ID)
    post = await emu.wait_for_message(CS_CHAT_ID, contains=f"Апелляция #{appeal.id}", after=mark)
    told = await emu.wait_for_message(OTHER_MANAGER_ID, contains="передана команде", after=mark)
    assert told.reply_to_message_id == first.message_id
    assert "Подал(а): Андрей Лидеров" in told.text
    assert await heard(emu, mark) == {CS_CHAT_ID, OTHER_MANAGER_ID}

    mark = emu.mark()
    await decide_in_group(emu, post, "Принять", "Проверили запись, вы правы")
    withdrawn = await emu.wait_for_message(OTHER_MANAGER_ID, contains="отозван", after=mark)
    assert f"Кейс #{other.id} отозван." in withdrawn.text
    assert f"апелляция #{appeal.id} принята: Проверили запись, вы правы" in withdrawn.text
    assert withdrawn.reply_to_message_id == first.message_id
    to_lead = await emu.wait_for_message(LEAD_ID, contains="Решение по", after=mark)
    assert "Кейс отозван" in to_lead.text
    assert to_lead.reply_to_message_id == copy.message_id
    news = await heard(emu, mark)
    assert news == {CS_ID, OTHER_MANAGER_ID, LEAD_ID}
    # One message to the manager, not two.
    assert len(bot_messages_after(emu, mark, [OTHER_MANAGER_ID])[OTHER_MANAGER_ID]) == 1


async def test_the_appeal_sla_reminder_replies_to_the_post_with_its_buttons(
    emu: BotAPIEmulator,
    bot: BotProcess,
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
):
    mark = emu.mark()
    case = await register_case(sessions, database_url, CaseCategory.COMMUNICATION)
    await emu.wait_for_message(OTHER_MANAGER_ID, contains="зарегистрирован", after=mark)
    await asyncio.sleep(QUIET)
    mark = emu.mark()
    appeal = await open_appeal(sessions, database_url, case.id)
    post = await emu.wait_for_message(CS_CHAT_ID, contains=f"Апелляция #{appeal.id}", after=mark)
    await fall_due(sessions, f"appeal:{appeal.id}", appeals.SLA)
    due = await emu.wait_for_message(CS_CHAT_ID, contains="ждёт решения", after=mark)
    assert due.reply_to_message_id == post.message_id
    assert due.buttons == [["Принять", "Частично", "Отклонить"]]
    assert await heard(emu, mark) == {CS_CHAT_ID, LEAD_ID}  # the lead: the appeal filed
    # Its button works like the post's.
    assert await alert(emu, CS_ID, due, "Отклонить") == "Продолжите в личном чате с ботом."


# --- requests -------------------------------------------------------------------------------


async def maria_id(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        query = select(Employee.id).where(Employee.telegram_id == OTHER_MANAGER_ID)
        return int((await session.execute(query)).scalar_one())


async def test_a_request_is_heard_by_its_requester_and_the_manager_it_is_for(
    emu: BotAPIEmulator,
    bot: BotProcess,
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
):
    # The lead asks a forwarding for Мария Козлова: CS gets the post (and nobody else hears).
    mark = emu.mark()
    start = today() + timedelta(days=1)
    request = await new_request(
        sessions,
        database_url,
        kind=RequestKind.FORWARDING,
        draft={
            "manager_id": await maria_id(sessions),
            "from_number": "5555",
            "to_number": "6666",
            "date_from": start.isoformat(),
            "date_to": (start + timedelta(days=1)).isoformat(),
            "comment": "",
        },
    )
    post = await emu.wait_for_message(CS_CHAT_ID, contains=f"З-{request.id}", after=mark)
    assert post.buttons == [["Взять", "Отклонить"]]
    assert await heard(emu, mark) == {CS_CHAT_ID}

    # «Взять»: the requester hears it; the manager does not yet.
    mark = emu.mark()
    assert (await press(emu, CS_ID, post, "Взять")).text == "Запрос взят в работу."
    taken = await emu.wait_for_message(LEAD_ID, contains="взят в работу", after=mark)
    assert "исполнитель — Ольга Смирнова" in taken.text
    assert await heard(emu, mark) == {LEAD_ID}

    # «Выполнено»: the requester (a reply to the last notice) and the manager hear it.
    post = await emu.wait_for_edit(CS_CHAT_ID, post.message_id, contains="в работе")
    mark = emu.mark()
    assert (await press(emu, CS_ID, post, "Выполнено")).text == "Запрос выполнен."
    done = await emu.wait_for_message(LEAD_ID, contains="выполнен", after=mark)
    assert done.reply_to_message_id == taken.message_id
    told = await emu.wait_for_message(OTHER_MANAGER_ID, contains="Переадресация настроена")
    assert "с номера 5555 переадресуются на 6666" in told.text
    assert await heard(emu, mark) == {LEAD_ID, OTHER_MANAGER_ID}

    # A badge of the manager's own, rejected: she hears the reason; CS's member his answer.
    mark = emu.mark()
    badge = await new_request(sessions, database_url, telegram_id=OTHER_MANAGER_ID)
    post = await emu.wait_for_message(CS_CHAT_ID, contains=f"З-{badge.id}", after=mark)
    assert await heard(emu, mark) == {CS_CHAT_ID}
    mark = emu.mark()
    await alert(emu, CS_ID, post, "Отклонить")
    await emu.wait_for_message(CS_ID, contains="причину", after=mark)
    await say(emu, CS_ID, "Нет на складе", contains="отклонён, автор получил причину")
    rejected = await emu.wait_for_message(OTHER_MANAGER_ID, contains="отклонён", after=mark)
    assert "Причина: Нет на складе" in rejected.text
    assert await heard(emu, mark) == {CS_ID, OTHER_MANAGER_ID}


async def test_the_request_sla_reminder_replies_to_the_post_with_its_buttons(
    emu: BotAPIEmulator,
    bot: BotProcess,
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
):
    mark = emu.mark()
    request = await new_request(sessions, database_url)
    post = await emu.wait_for_message(CS_CHAT_ID, contains=f"З-{request.id}", after=mark)
    await fall_due(sessions, f"request:{request.id}", requests.SLA)
    due = await emu.wait_for_message(CS_CHAT_ID, contains="никто не взял", after=mark)
    assert due.reply_to_message_id == post.message_id
    assert due.buttons == [["Взять", "Отклонить"]]
    assert await heard(emu, mark) == {CS_CHAT_ID}
    # «Взять» on the reminder takes the request.
    mark = emu.mark()
    assert (await press(emu, CS_ID, due, "Взять")).text == "Запрос взят в работу."
    await emu.wait_for_edit(CS_CHAT_ID, post.message_id, contains="в работе")
    await emu.wait_for_message(LEAD_ID, contains="взят в работу", after=mark)


# --- meetings -------------------------------------------------------------------------------


async def test_a_meeting_booked_and_moved_is_told_to_cs_the_move_as_a_reply(
    emu: BotAPIEmulator,
    bot: BotProcess,
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
):
    mark = emu.mark()
    await meeting_invitation(sessions, database_url)
    invitation = await emu.wait_for_message(LEAD_ID, contains="Запишитесь", after=mark)
    assert invitation.buttons == [["Записаться на встречу"]]
    assert await heard(emu, mark) == {LEAD_ID}

    day = next_working_day(today())

    mark = emu.mark()
    await book_meeting(emu, LEAD_ID, invitation, day, "11:00")
    booked = await emu.wait_for_message(CS_CHAT_ID, contains="📅 Встреча: ", after=mark)
    assert f"Андрей Лидеров, {day:%d.%m.%Y} 11:00" in booked.text
    assert await heard(emu, mark) == {LEAD_ID, CS_CHAT_ID}  # the lead: his dialog

    mark = emu.mark()
    await book_meeting(emu, LEAD_ID, invitation, day, "12:00")
    moved = await emu.wait_for_message(CS_CHAT_ID, contains="Встреча перенесена", after=mark)
    assert moved.reply_to_message_id == booked.message_id
    assert await heard(emu, mark) == {LEAD_ID, CS_CHAT_ID}


async def test_the_not_booked_reminder_replies_to_the_invitation_with_its_button(
    emu: BotAPIEmulator,
    bot: BotProcess,
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
):
    mark = emu.mark()
    invite = await meeting_invitation(sessions, database_url)
    invitation = await emu.wait_for_message(LEAD_ID, contains="Запишитесь", after=mark)
    await asyncio.sleep(QUIET)
    mark = emu.mark()
    async with sessions() as session:
        first = (
            await session.execute(
                select(Reminder)
                .where(Reminder.subject == meetings.subject(invite.id))
                .order_by(Reminder.due_at)
                .limit(1)
            )
        ).scalar_one()
        first.due_at = datetime.now(UTC) - timedelta(seconds=1)
        await session.commit()
    reminder = await emu.wait_for_message(LEAD_ID, contains="Напоминание", after=mark)
    assert reminder.reply_to_message_id == invitation.message_id
    assert reminder.buttons == [["Записаться на встречу"]]
    assert await heard(emu, mark) == {LEAD_ID}


# --- access ---------------------------------------------------------------------------------


async def ask_access(emu: BotAPIEmulator, user_id: int) -> StoredMessage:
    greeting = await say(emu, user_id, "/start", contains="Запросить доступ")
    mark = emu.mark()
    await press(emu, user_id, greeting, "Запросить доступ")
    await emu.wait_for_edit(user_id, greeting.message_id, contains="Запрос доступа отправлен")
    post = await emu.wait_for_message(CS_CHAT_ID, contains="Запрос доступа", after=mark)
    assert post.buttons == [["Выбрать сотрудника", "Отклонить"]]
    assert await heard(emu, mark) == {CS_CHAT_ID}
    return post


async def test_access_asked_approved_and_rejected_is_heard_by_the_applicant_only(
    emu: BotAPIEmulator, bot: BotProcess
):
    post = await ask_access(emu, UNKNOWN_ID)
    mark = emu.mark()
    await press(emu, CS_ID, post, "Выбрать сотрудника")
    post = await emu.wait_for_edit(CS_CHAT_ID, post.message_id, contains="Выберите сотрудника")
    await press(emu, CS_ID, post, "Павел Новиков")
    await emu.wait_for_edit(CS_CHAT_ID, post.message_id, contains="Доступ открыт")
    notice = await emu.wait_for_message(UNKNOWN_ID, contains="Доступ открыт", after=mark)
    assert "Павел Новиков" in notice.text
    assert await heard(emu, mark) == {UNKNOWN_ID}

    post = await ask_access(emu, EVIL_ID)
    mark = emu.mark()
    await press(emu, CS_ID, post, "Отклонить")
    await emu.wait_for_edit(CS_CHAT_ID, post.message_id, contains="отклонён")
    await emu.wait_for_message(EVIL_ID, contains="отклонён", after=mark)
    assert await heard(emu, mark) == {EVIL_ID}
