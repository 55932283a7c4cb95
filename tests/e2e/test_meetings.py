"""End to end: a flagged lead gets «Записаться на встречу», books a day and a slot, and CS is
told in the group; another user pressing his button is refused; a lead who does not book is
reminded, and once booked is reminded no more."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services import meetings, reminders
from db.engine import write_transaction
from db.models import (
    MeetingInvite,
    MeetingState,
    OutboxMessage,
    Reminder,
    ReminderState,
)
from emulator import BotAPIEmulator
from tests.conftest import CS_CHAT_ID
from tests.e2e.conftest import CS_ID, LEAD_ID, OTHER_MANAGER_ID
from tests.e2e.harness import BotProcess
from tests.e2e.steps import (
    MOSCOW,
    book_meeting,
    callback_data,
    next_working_day,
    open_below,
    pick_any_day,
    press,
    say,
    step,
    today,
    wait_until,
)
from tests.e2e.world import meeting_invitation

MONTH = date(2026, 10, 1)
INVITED = "отмечены в итогах месяца"
BUTTON = "Записаться на встречу"


def next_saturday(start: date) -> date:
    return start + timedelta(days=(5 - start.weekday()) % 7 or 7)


async def test_the_lead_books_a_meeting_and_cs_is_told(
    emu: BotAPIEmulator,
    bot_process: BotProcess,
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
):
    lead_invite = await meeting_invitation(sessions, database_url, MONTH)
    await bot_process.start()
    invitation = await emu.wait_for_message(LEAD_ID, contains=INVITED)
    assert "Итоги за октябрь 2026" in invitation.text
    assert "Группа Север, Группа Юг" in invitation.text
    assert invitation.buttons == [[BUTTON]]

    # A forwarded button pressed by someone else: refused, nothing opens.
    data = callback_data(invitation, BUTTON)
    for other in (OTHER_MANAGER_ID, CS_ID):
        mark = emu.mark()
        query = await emu.send_callback(other, other, 1, data)
        answer = await emu.wait_callback_answer(query)
        assert answer.text == "Это приглашение адресовано другому сотруднику."
        assert not [m for m in emu.bot_messages(other) if m.created_seq > mark]

    calendar = await open_below(emu, LEAD_ID, invitation, BUTTON)
    assert "шаг 1 из 3" in calendar.text
    assert "Группы: Группа Север, Группа Юг" in calendar.text
    # Only what can be chosen is offered: a weekend is shown muted, and a tap on it says why.
    saturday = next_saturday(today())
    if saturday.month == today().month:
        assert f"·{saturday:%d}·" in [label for row in calendar.buttons for label in row]
        answer = await press(emu, LEAD_ID, calendar, f"·{saturday:%d}·")
        assert answer.show_alert
        assert "В выходные встреч нет" in (answer.text or "")
    # A forged press of a weekend and a past day: a clear answer, and the calendar stays.
    answer = await pick_any_day(emu, LEAD_ID, calendar, next_saturday(today()))
    assert answer.show_alert
    assert answer.text is not None
    assert "В выходные встреч нет" in answer.text
    answer = await pick_any_day(emu, LEAD_ID, calendar, today() - timedelta(days=1))
    assert answer.text is not None
    assert "уже прошёл" in answer.text
    current = emu.state.get_message(LEAD_ID, calendar.message_id)
    assert current is not None
    assert "шаг 1 из 3" in current.content

    day = next_working_day(today())
    await pick_any_day(emu, LEAD_ID, calendar, day)
    slots = await emu.wait_for_edit(LEAD_ID, calendar.message_id, contains="выберите время")
    assert ["10:00", "11:00", "12:00", "13:00"] in slots.buttons
    await step(emu, LEAD_ID, calendar, "Изменить дату", "шаг 1 из 3")
    await pick_any_day(emu, LEAD_ID, calendar, day)
    await emu.wait_for_edit(LEAD_ID, calendar.message_id, contains="выберите время")
    await step(emu, LEAD_ID, calendar, "11:00", "шаг 3 из 3")
    review = emu.state.get_message(LEAD_ID, calendar.message_id)
    assert review is not None
    assert f"{day:%d.%m.%Y} в 11:00" in review.content
    await step(emu, LEAD_ID, calendar, "Записаться", "Вы записаны")
    done = emu.state.get_message(LEAD_ID, calendar.message_id)
    assert done is not None
    assert f"✅ Вы записаны на встречу с клиентским сервисом {day:%d.%m.%Y} в 11:00" in done.content
    assert done.buttons == []

    told = await emu.wait_for_message(CS_CHAT_ID, contains="📅 Встреча: ")
    assert told.text == (
        f"📅 Встреча: Андрей Лидеров, {day:%d.%m.%Y} 11:00 — группы: "
        "Группа Север, Группа Юг (итоги за октябрь 2026)."
    )
    async with sessions() as session:
        stored = await session.get(MeetingInvite, lead_invite.id)
        assert stored is not None
        assert stored.state == MeetingState.BOOKED
        assert stored.meeting_at == datetime(day.year, day.month, day.day, 11, tzinfo=MOSCOW)

    # Pressed again: he sees his time and may move it; CS is told the new time.
    calendar = await open_below(emu, LEAD_ID, invitation, BUTTON)
    assert f"Сейчас вы записаны на {day:%d.%m.%Y} в 11:00" in calendar.text
    await pick_any_day(emu, LEAD_ID, calendar, day)
    await emu.wait_for_edit(LEAD_ID, calendar.message_id, contains="выберите время")
    await step(emu, LEAD_ID, calendar, "12:00", "шаг 3 из 3")
    await step(emu, LEAD_ID, calendar, "Записаться", "Вы записаны")
    moved = await emu.wait_for_message(CS_CHAT_ID, contains="Встреча перенесена")
    assert f"{day:%d.%m.%Y} 12:00 (было {day:%d.%m.%Y} 11:00)" in moved.text

    # /cancel leaves the dialog.
    calendar = await open_below(emu, LEAD_ID, invitation, BUTTON)
    assert "Сейчас вы записаны" in calendar.text
    await say(emu, LEAD_ID, "/cancel", contains="Диалог закрыт")
    assert "ERROR" not in bot_process.log


async def test_a_lead_who_has_not_booked_is_reminded_until_he_books(
    emu: BotAPIEmulator,
    bot_env: dict[str, str],
    bot_process: BotProcess,
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
):
    short = {"meeting_book_within": 2, "meeting_remind_every": 1, "meeting_reminders": 2}
    bot_env.update({key.upper(): str(value) for key, value in short.items()})
    lead_invite = await meeting_invitation(sessions, database_url, MONTH, **short)
    await bot_process.start()
    await emu.wait_for_message(LEAD_ID, contains=INVITED)
    reminder = await emu.wait_for_message(LEAD_ID, contains="Напоминание")
    assert "вы ещё не записались на встречу" in reminder.text
    assert INVITED in reminder.text
    assert reminder.buttons == [[BUTTON]]

    # The reminder's own button opens the booking.
    await book_meeting(emu, LEAD_ID, reminder, next_working_day(today()), "12:00")
    await emu.wait_for_message(CS_CHAT_ID, contains="📅 Встреча: ")

    subject = meetings.subject(lead_invite.id)
    async with sessions() as session:
        booked = await session.get(MeetingInvite, lead_invite.id)
        assert booked is not None
        assert booked.booked_at is not None
        states = list(
            (await session.execute(select(Reminder.state).where(Reminder.subject == subject)))
            .scalars()
            .all()
        )
        reminded = list(
            (
                await session.execute(
                    select(OutboxMessage.created_at).where(
                        OutboxMessage.subject == f"{subject}:reminder"
                    )
                )
            )
            .scalars()
            .all()
        )
    # Booking cancelled the reminder still pending; one due later would render nothing.
    assert len(states) == 2
    assert ReminderState.PENDING not in states
    # No reminder was written after the booking, and each one written reached the lead.
    assert 1 <= len(reminded) <= 2
    assert all(moment <= booked.booked_at for moment in reminded)
    await emu.wait_until(
        lambda: (
            len([m for m in emu.bot_messages(LEAD_ID) if "Напоминание" in m.text]) == len(reminded)
        )
    )

    # A reminder that is due anyway (say, it slipped past the cancel) stays silent now.
    async with sessions() as session, write_transaction(session):
        late = reminders.schedule(
            session,
            kind=meetings.NOT_BOOKED,
            due_at=datetime.now(MOSCOW),
            subject=subject,
            payload={"invite_id": lead_invite.id},
        )
        await session.flush()
        late_id = late.id

    async def swept() -> bool:
        async with sessions() as session:
            row = await session.get(Reminder, late_id)
            return row is not None and row.state == ReminderState.SENT

    await wait_until(swept, timeout=10)
    async with sessions() as session:
        written = await session.scalar(
            select(func.count(OutboxMessage.id)).where(
                OutboxMessage.subject == f"{subject}:reminder"
            )
        )
    assert written == len(reminded)
    assert "ERROR" not in bot_process.log
