"""Meetings with the leads of flagged groups at the service level (DESIGN §6), on the real
migrated database: invitations (one per month and lead, their reminders), the booking rules
(the lead only, working days, slots, a taken slot), the CS message, and the reminder
renderer that stays silent once the meeting is booked."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.callbacks import MeetingButton
from bot.services import meetings, reminders, roster, workdays
from bot.services.errors import AlreadyDone, Forbidden, Invalid, NotFound
from bot.settings import Settings
from bot.texts import Texts
from db.engine import write_transaction
from db.models import (
    AuditEntry,
    MeetingInvite,
    MeetingState,
    OutboxMessage,
    Reminder,
    ReminderState,
    Role,
    WorkingGroup,
)
from tests.conftest import CS_CHAT_ID, make_settings, person

MOSCOW = ZoneInfo("Europe/Moscow")
MONTH = date(2026, 10, 1)
CS, LEAD, LEAD2, MANAGER = 1001, 2001, 2002, 3002
ROSTER = """full_name,role,group,position,telegram_id,username
Ольга Смирнова,cs,,Специалист КС,1001,
Андрей Лидеров,lead,Группа Север;Группа Юг,Главный менеджер,2001,
Пётр Главный,lead,Группа Юг,Главный менеджер,2002,
Сергей Безтелеграма,lead,Группа Восток,Лидер шоурума,,sergey_lead
Мария Козлова,manager,Группа Юг,Менеджер по показам,3002,
"""


@pytest.fixture
async def world(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        await roster.import_roster(session, ROSTER.encode(), "roster.csv")


async def group_ids(session: AsyncSession, *names: str) -> list[int]:
    found = await session.execute(select(WorkingGroup).where(WorkingGroup.name.in_(names)))
    by_name = {group.name: group.id for group in found.scalars()}
    return [by_name[name] for name in names]


async def invite(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    texts: Texts,
    *names: str,
    month: date = MONTH,
) -> list[MeetingInvite]:
    async with sessions() as session, write_transaction(session):
        return await meetings.invite_leads(
            session,
            month=month,
            group_ids=await group_ids(session, *names),
            settings=settings,
            texts=texts,
        )


async def outbox_to(session: AsyncSession, chat_id: int) -> list[OutboxMessage]:
    found = await session.execute(
        select(OutboxMessage).where(OutboxMessage.chat_id == chat_id).order_by(OutboxMessage.id)
    )
    return list(found.scalars())


def next_weekday(start: date, weekday: int) -> date:
    """The first day after `start` that is `weekday` (0 Monday … 6 Sunday): a working day
    for Monday to Friday, a day off for Saturday and Sunday (the production calendar has
    holidays on weekdays and, rarely, a working Saturday)."""
    day = start + timedelta(days=1)
    while day.weekday() != weekday or workdays.is_working_day(day) != (weekday < 5):
        day += timedelta(days=1)
    return day


def today() -> date:
    return datetime.now(MOSCOW).date()


def at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=MOSCOW)


async def book(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    texts: Texts,
    actor: int,
    invite_id: int,
    when: datetime,
) -> MeetingInvite:
    async with sessions() as session:
        return await meetings.book(
            session,
            await person(session, actor),
            invite_id,
            when,
            settings=settings,
            texts=texts,
        )


# --- invitations ----------------------------------------------------------------------------


async def test_invite_leads_once_per_month_and_lead_with_the_reminders(
    world: None, sessions: async_sessionmaker[AsyncSession], settings: Settings, texts: Texts
):
    before = datetime.now(UTC)
    invites = await invite(sessions, settings, texts, "Группа Север", "Группа Юг", "Группа Восток")
    assert [item.lead.full_name for item in invites] == [
        "Андрей Лидеров",
        "Пётр Главный",
        "Сергей Безтелеграма",
    ]
    assert invites[0].groups == ["Группа Север", "Группа Юг"]
    assert invites[1].groups == ["Группа Юг"]
    async with sessions() as session:
        to_lead = await outbox_to(session, LEAD)
        assert len(to_lead) == 1
        payload = to_lead[0].payload
        assert "октябрь 2026" in payload["text"]
        assert "Группа Север, Группа Юг" in payload["text"]
        button = payload["reply_markup"]["inline_keyboard"][0][0]
        assert button["text"] == "Записаться на встречу"
        assert MeetingButton.unpack(button["callback_data"]).invite_id == invites[0].id
        assert len(await outbox_to(session, LEAD2)) == 1
        # The lead without a Telegram id: recorded, nothing to send.
        assert invites[2].state == MeetingState.INVITED
        total = await session.scalar(select(func.count(OutboxMessage.id)))
        assert total == 2
        rows = list(
            (
                await session.execute(
                    select(Reminder)
                    .where(Reminder.subject == meetings.subject(invites[0].id))
                    .order_by(Reminder.due_at)
                )
            ).scalars()
        )
        assert [row.kind for row in rows] == [meetings.NOT_BOOKED] * 3
        invited_at = invites[0].invited_at
        assert invited_at >= before
        assert [row.due_at for row in rows] == [
            invited_at + timedelta(days=3),
            invited_at + timedelta(days=4),
            invited_at + timedelta(days=5),
        ]

    # The digest posted again (a retry, a second group flagged): no second invitation.
    again = await invite(sessions, settings, texts, "Группа Юг", "Группа Север")
    assert [item.id for item in again] == [item.id for item in invites[:2]]
    async with sessions() as session:
        assert len(await outbox_to(session, LEAD)) == 1
        assert await session.scalar(select(func.count(MeetingInvite.id))) == 3
        assert await session.scalar(select(func.count(Reminder.id))) == 9
    # Another month is another invitation.
    other = await invite(sessions, settings, texts, "Группа Юг", month=date(2026, 11, 1))
    assert {item.lead_id for item in other} == {invites[0].lead_id, invites[1].lead_id}
    assert all(item.id not in {i.id for i in invites} for item in other)


async def test_an_existing_invitation_gains_newly_flagged_groups(
    world: None, sessions: async_sessionmaker[AsyncSession], settings: Settings, texts: Texts
):
    first = await invite(sessions, settings, texts, "Группа Север")
    assert first[0].groups == ["Группа Север"]
    again = await invite(sessions, settings, texts, "Группа Юг")
    async with sessions() as session:
        stored = await session.get(MeetingInvite, first[0].id)
        assert stored is not None
        assert stored.groups == ["Группа Север", "Группа Юг"]
        assert len(await outbox_to(session, LEAD)) == 1
    assert {item.lead.full_name for item in again} == {"Андрей Лидеров", "Пётр Главный"}


async def test_the_reminder_counts_come_from_the_settings(
    world: None, sessions: async_sessionmaker[AsyncSession], database_url: str, texts: Texts
):
    settings = make_settings(
        database_url, meeting_book_within=2, meeting_remind_every=1, meeting_reminders=2
    )
    invites = await invite(sessions, settings, texts, "Группа Север")
    async with sessions() as session:
        rows = list(
            (
                await session.execute(
                    select(Reminder.due_at)
                    .where(Reminder.subject == meetings.subject(invites[0].id))
                    .order_by(Reminder.due_at)
                )
            ).scalars()
        )
    start = invites[0].invited_at
    assert rows == [start + timedelta(seconds=2), start + timedelta(seconds=3)]


# --- booking --------------------------------------------------------------------------------


async def test_the_lead_books_a_slot_cs_is_told_and_the_reminders_stop(
    world: None, sessions: async_sessionmaker[AsyncSession], settings: Settings, texts: Texts
):
    (lead_invite,) = await invite(sessions, settings, texts, "Группа Север")
    day = next_weekday(today(), 2)  # a Wednesday ahead
    booked = await book(sessions, settings, texts, LEAD, lead_invite.id, at(day, 11))
    assert booked.state == MeetingState.BOOKED
    assert booked.meeting_at == at(day, 11).astimezone(UTC)
    assert booked.booked_at is not None
    async with sessions() as session:
        stored = await session.get(MeetingInvite, lead_invite.id)
        assert stored is not None
        assert stored.meeting_at is not None
        assert stored.meeting_at.utcoffset() == timedelta(0)
        assert stored.meeting_at == at(day, 11).astimezone(UTC)
        states = (
            await session.execute(
                select(Reminder.state).where(Reminder.subject == meetings.subject(lead_invite.id))
            )
        ).scalars()
        assert set(states) == {ReminderState.CANCELLED}
        (to_cs,) = await outbox_to(session, CS_CHAT_ID)
        assert to_cs.payload["text"] == (
            f"📅 Встреча: Андрей Лидеров, {day:%d.%m.%Y} 11:00 — группы: "
            "Группа Север (итоги за октябрь 2026)."
        )
        entry = (
            await session.execute(
                select(AuditEntry).where(
                    AuditEntry.entity == meetings.ENTITY, AuditEntry.action == "book"
                )
            )
        ).scalar_one()
        assert entry.entity_id == lead_invite.id
        assert entry.to_state == MeetingState.BOOKED

    # Booked: the same time again is "already", another time moves it and CS is told.
    with pytest.raises(AlreadyDone):
        await book(sessions, settings, texts, LEAD, lead_invite.id, at(day, 11))
    moved = await book(sessions, settings, texts, LEAD, lead_invite.id, at(day, 15))
    assert moved.meeting_at == at(day, 15).astimezone(UTC)
    async with sessions() as session:
        messages = await outbox_to(session, CS_CHAT_ID)
        assert len(messages) == 2
        assert "Встреча перенесена: Андрей Лидеров" in messages[1].payload["text"]
        assert f"{day:%d.%m.%Y} 15:00 (было {day:%d.%m.%Y} 11:00)" in messages[1].payload["text"]
        # The move replies to the booking it changes; the lead hears nothing more (his dialog
        # says it), nor does anyone else.
        assert messages[0].target_id is None
        assert messages[1].target_id == messages[0].id
        everyone = (await session.execute(select(OutboxMessage))).scalars().all()
        assert {r.chat_id for r in everyone} == {LEAD, CS_CHAT_ID}
        assert len(await outbox_to(session, LEAD)) == 1  # the invitation


async def test_only_the_invited_lead_may_book(
    world: None, sessions: async_sessionmaker[AsyncSession], settings: Settings, texts: Texts
):
    invites = await invite(sessions, settings, texts, "Группа Юг")
    andrey = next(item for item in invites if item.lead.telegram_id == LEAD)
    day = next_weekday(today(), 1)
    for other in (LEAD2, CS, MANAGER):
        with pytest.raises(Forbidden):
            await book(sessions, settings, texts, other, andrey.id, at(day, 10))
    async with sessions() as session:
        with pytest.raises(Forbidden):
            await meetings.book(
                session, None, andrey.id, at(day, 10), settings=settings, texts=texts
            )
        with pytest.raises(NotFound):
            await meetings.book(
                session,
                await person(session, LEAD),
                andrey.id + 100,
                at(day, 10),
                settings=settings,
                texts=texts,
            )
        stored = await session.get(MeetingInvite, andrey.id)
        assert stored is not None
        assert stored.state == MeetingState.INVITED
        assert await outbox_to(session, CS_CHAT_ID) == []


async def test_a_cancelled_invitation_cannot_be_booked(
    world: None, sessions: async_sessionmaker[AsyncSession], settings: Settings, texts: Texts
):
    (lead_invite,) = await invite(sessions, settings, texts, "Группа Север")
    async with sessions() as session, write_transaction(session):
        stored = await session.get(MeetingInvite, lead_invite.id)
        assert stored is not None
        stored.state = MeetingState.CANCELLED
    with pytest.raises(AlreadyDone):
        await book(
            sessions, settings, texts, LEAD, lead_invite.id, at(next_weekday(today(), 0), 10)
        )


@pytest.mark.parametrize(
    ("when", "key"),
    [
        (lambda: at(next_weekday(today(), 5), 11), "meeting-error-weekend"),
        (lambda: at(next_weekday(today(), 6), 11), "meeting-error-weekend"),
        (lambda: at(today() - timedelta(days=7), 11), "meeting-error-past"),
        (lambda: at(next_weekday(today() + timedelta(days=40), 0), 11), "meeting-error-far"),
        (lambda: at(next_weekday(today(), 3), 9), "meeting-error-slot"),
        (lambda: at(next_weekday(today(), 3), 18), "meeting-error-slot"),
        (lambda: at(next_weekday(today(), 3), 11) + timedelta(minutes=30), "meeting-error-slot"),
    ],
)
async def test_a_time_outside_the_slots_is_refused(
    world: None,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    texts: Texts,
    when,
    key: str,
):
    (lead_invite,) = await invite(sessions, settings, texts, "Группа Север")
    with pytest.raises(Invalid) as refused:
        await book(sessions, settings, texts, LEAD, lead_invite.id, when())
    assert refused.value.key == key
    assert texts(refused.value.key, **refused.value.args_)


def test_a_slot_of_today_that_has_passed_is_refused(settings: Settings):
    now = datetime(2026, 11, 11, 9, 30, tzinfo=UTC)  # Wed 11.11 (04.11: a holiday), 12:30 MSK
    with pytest.raises(Invalid) as refused:
        meetings.check_slot(datetime(2026, 11, 11, 11, 0, tzinfo=MOSCOW), settings, now)
    assert refused.value.key == "meeting-error-time-past"
    ahead = meetings.check_slot(datetime(2026, 11, 11, 13, 0, tzinfo=MOSCOW), settings, now)
    assert ahead == datetime(2026, 11, 11, 10, 0, tzinfo=UTC)
    # A naive time is read in TIMEZONE.
    assert meetings.check_slot(datetime(2026, 11, 11, 13, 0), settings, now) == ahead


async def test_a_slot_taken_by_another_lead_is_refused_and_not_offered(
    world: None, sessions: async_sessionmaker[AsyncSession], settings: Settings, texts: Texts
):
    invites = await invite(sessions, settings, texts, "Группа Юг")
    andrey, petr = sorted(invites, key=lambda item: item.lead.telegram_id or 0)
    day = next_weekday(today(), 4)
    await book(sessions, settings, texts, LEAD, andrey.id, at(day, 12))
    with pytest.raises(Invalid) as refused:
        await book(sessions, settings, texts, LEAD2, petr.id, at(day, 12))
    assert refused.value.key == "meeting-error-taken"
    async with sessions() as session:
        offered = await meetings.free_slots(session, petr.id, day, settings=settings)
        assert time(12, 0) not in offered
        assert len(offered) == len(settings.slots) - 1
        # His own slot is still offered to the lead who holds it.
        assert time(12, 0) in await meetings.free_slots(session, andrey.id, day, settings=settings)
        stored = await session.get(MeetingInvite, petr.id)
        assert stored is not None
        assert stored.state == MeetingState.INVITED

    # The unique meeting_at is the last word, also when the check above is passed by.
    async def take_it_anyway() -> None:
        async with sessions() as session, write_transaction(session):
            stored = await session.get(MeetingInvite, petr.id)
            assert stored is not None
            stored.meeting_at = at(day, 12).astimezone(UTC)
            await session.flush()

    with pytest.raises(IntegrityError):
        await take_it_anyway()


async def test_free_slots_of_today_are_those_still_ahead(
    world: None, sessions: async_sessionmaker[AsyncSession], settings: Settings, texts: Texts
):
    (lead_invite,) = await invite(sessions, settings, texts, "Группа Север")
    day = date(2026, 11, 4)
    now = datetime(2026, 11, 4, 11, 30, tzinfo=MOSCOW)
    async with sessions() as session:
        offered = await meetings.free_slots(
            session, lead_invite.id, day, settings=settings, now=now
        )
    assert offered == [time(hour, 0) for hour in range(12, 18)]


# --- the reminder ---------------------------------------------------------------------------


async def test_the_reminder_resends_the_invitation_until_booked(
    world: None, sessions: async_sessionmaker[AsyncSession], settings: Settings, texts: Texts
):
    (lead_invite,) = await invite(sessions, settings, texts, "Группа Север")
    registry = reminders.ReminderRegistry()
    meetings.register_reminders(registry, settings, texts)
    first_due = lead_invite.invited_at + timedelta(days=3, seconds=1)
    assert await reminders.sweep(sessions, registry, now=first_due) == 1
    async with sessions() as session:
        invitation, reminder = await outbox_to(session, LEAD)
        assert reminder.payload["text"].startswith("⏰ Напоминание")
        assert "октябрь 2026" in reminder.payload["text"]
        assert reminder.payload["reply_markup"] == invitation.payload["reply_markup"]
        # A reply to the invitation, with its «Записаться на встречу».
        assert reminder.target_id == invitation.id
        assert await outbox_to(session, CS_CHAT_ID) == []
    await book(sessions, settings, texts, LEAD, lead_invite.id, at(next_weekday(today(), 0), 10))
    # A reminder left pending (say, scheduled by hand) renders nothing for a booked invitation.
    async with sessions() as session, write_transaction(session):
        reminders.schedule(
            session,
            kind=meetings.NOT_BOOKED,
            due_at=datetime.now(UTC),
            subject="other",
            payload={"invite_id": lead_invite.id},
        )
    assert await reminders.sweep(sessions, registry, now=first_due + timedelta(days=5)) == 1
    async with sessions() as session:
        assert len(await outbox_to(session, LEAD)) == 2


async def test_a_lead_who_left_or_changed_role_cannot_book(
    world: None, sessions: async_sessionmaker[AsyncSession], settings: Settings, texts: Texts
):
    (lead_invite,) = await invite(sessions, settings, texts, "Группа Север")
    day = next_weekday(today(), 0)
    async with sessions() as session, write_transaction(session):
        andrey = await person(session, LEAD)
        andrey.active = False
    with pytest.raises(Forbidden) as refused:
        await book(sessions, settings, texts, LEAD, lead_invite.id, at(day, 10))
    assert refused.value.key == "meeting-error-not-lead"


async def test_a_lead_of_many_flagged_groups_gets_messages_within_the_limits(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, texts: Texts
):
    """Group names come from the roster (up to 200 characters, escaped): a lead of 30
    flagged groups still gets his invitation, CS its notice, each under 4,096 characters."""
    names = [f"Группа «Шоурум & Ко» № {n:02d}" + " очень длинное название" * 7 for n in range(30)]
    lines = ["full_name,role,group,position,telegram_id,username"]
    lines.append("Ольга Смирнова,cs,,Специалист КС,1001,")
    lines += [f"Менеджер {n},manager,{name},Менеджер,{5000 + n}," for n, name in enumerate(names)]
    lines.append(f"Андрей Лидеров,lead,{';'.join(names)},Главный менеджер,2001,")
    async with sessions() as session:
        await roster.import_roster(session, "\n".join(lines).encode(), "roster.csv")
    (lead_invite,) = await invite(sessions, settings, texts, *names)
    assert lead_invite.groups == names
    booked = await book(
        sessions, settings, texts, LEAD, lead_invite.id, at(next_weekday(today(), 1), 11)
    )
    assert booked.state == MeetingState.BOOKED
    async with sessions() as session:
        sent = await outbox_to(session, LEAD) + await outbox_to(session, CS_CHAT_ID)
    assert len(sent) == 2
    for message in sent:
        text = message.payload["text"]
        assert len(text) <= 4096
        assert "Шоурум &amp; Ко» № 00" in text  # the first groups are named, escaped
        assert "ещё" in text  # and the rest counted
    assert len(meetings.groups_text(texts, names)) <= 1000


async def test_no_reminder_for_a_lead_who_is_no_longer_a_lead(
    world: None, sessions: async_sessionmaker[AsyncSession], settings: Settings, texts: Texts
):
    """Its button would only refuse him («только действующий лидер»): stay silent."""
    (lead_invite,) = await invite(sessions, settings, texts, "Группа Север")
    async with sessions() as session, write_transaction(session):
        andrey = await person(session, LEAD)
        andrey.role = Role.MANAGER
    registry = reminders.ReminderRegistry()
    meetings.register_reminders(registry, settings, texts)
    due = lead_invite.invited_at + timedelta(days=3, seconds=1)
    assert await reminders.sweep(sessions, registry, now=due) == 1
    async with sessions() as session:
        assert len(await outbox_to(session, LEAD)) == 1  # the invitation only


async def test_a_picked_slot_that_passed_is_called_past_not_taken(
    world: None, sessions: async_sessionmaker[AsyncSession], settings: Settings, texts: Texts
):
    """The slot window was shown at 10:58 and 11:00 was pressed at 11:01: «уже прошло»,
    not «занял другой лидер»."""
    invites = await invite(sessions, settings, texts, "Группа Юг")
    andrey, petr = sorted(invites, key=lambda item: item.lead.telegram_id or 0)
    day = next_weekday(today(), 2)
    await book(sessions, settings, texts, LEAD, andrey.id, at(day, 15))
    now = at(day, 11).astimezone(UTC) + timedelta(minutes=1)
    async with sessions() as session:
        for slot, key in [
            (time(11, 0), "meeting-error-time-past"),
            (time(15, 0), "meeting-error-taken"),
            (time(11, 30), "meeting-error-slot"),
        ]:
            with pytest.raises(Invalid) as refused:
                await meetings.check_free_slot(
                    session, petr.id, day, slot, settings=settings, now=now
                )
            assert refused.value.key == key
        await meetings.check_free_slot(
            session, petr.id, day, time(16, 0), settings=settings, now=now
        )
