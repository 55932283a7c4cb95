"""«Ознакомлен»: the manager's tap on the notice of a new case is recorded once and shown on
the posts; without it he is nudged once, then his lead is told once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services import case_ack, cases, digest, reminders, roster, workdays
from bot.services.errors import AlreadyDone, Forbidden
from bot.settings import Settings
from bot.texts import Texts
from db.models import (
    AuditEntry,
    Case,
    CaseCategory,
    CaseSource,
    CaseTab,
    OutboxMessage,
    Reminder,
    ReminderState,
)
from tests.conftest import make_settings, person

CS_TG, LEAD_TG, MANAGER_TG, OTHER_TG = 1001, 2001, 3002, 3003
ROSTER = """full_name,role,group,position,telegram_id,username
Ольга Смирнова,cs,,Специалист КС,1001,
Андрей Лидеров,lead,Группа Юг,Главный менеджер,2001,
Мария Козлова,manager,Группа Юг,Менеджер по показам,3002,
Павел Новиков,manager,Группа Юг,Фронт-менеджер,3003,
"""


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url, acknowledge_within=2)


@pytest.fixture
async def case(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, texts: Texts
) -> Case:
    async with sessions() as session:
        await roster.import_roster(session, ROSTER.encode(), "roster.csv")
    async with sessions() as session:
        manager = await person(session, MANAGER_TG)
        return await cases.register(
            session,
            await person(session, CS_TG),
            cases.CaseDraft(
                manager_id=manager.id,
                tab=CaseTab.CASES,
                category=CaseCategory.COMMUNICATION,
                source=CaseSource.CALL,
                incident_date=date.today() - timedelta(days=1),
                summary="Не представилась клиенту",
            ),
            settings=settings,
            texts=texts,
            bot_username="cs_test_bot",
        )


async def acknowledge(
    sessions: async_sessionmaker[AsyncSession],
    telegram_id: int,
    case: Case,
    settings: Settings,
    texts: Texts,
) -> Case:
    async with sessions() as session:
        return await case_ack.acknowledge(
            session,
            await person(session, telegram_id),
            case.id,
            settings=settings,
            texts=texts,
            bot_username="cs_test_bot",
        )


async def rows(sessions: async_sessionmaker[AsyncSession], subject: str) -> list[OutboxMessage]:
    async with sessions() as session:
        query = select(OutboxMessage).where(OutboxMessage.subject == subject)
        return list((await session.execute(query.order_by(OutboxMessage.id))).scalars())


def button_texts(row: OutboxMessage) -> list[str]:
    markup = row.payload.get("reply_markup") or {"inline_keyboard": []}
    return [button["text"] for line in markup["inline_keyboard"] for button in line]


async def test_the_notice_asks_for_it_and_the_reminders_wait_for_the_deadline(
    sessions: async_sessionmaker[AsyncSession], case: Case, settings: Settings
) -> None:
    (notice,) = await rows(sessions, f"case:{case.id}:manager")
    assert button_texts(notice) == ["👁 Ознакомлен", "Обжаловать"]
    deadline = case_ack.deadline(case.created_at, settings)
    assert deadline == workdays.add_working_days(case.created_at, 2, settings.tz)
    until = deadline.astimezone(settings.tz).strftime("%d.%m.%Y %H:%M")
    assert f"нажмите «Ознакомлен» до {until}" in notice.payload["text"]
    async with sessions() as session:
        due = {
            r.kind: r.due_at
            for r in (
                await session.execute(select(Reminder).where(Reminder.subject == f"case:{case.id}"))
            ).scalars()
        }
    assert due[case_ack.NUDGE] == deadline
    assert due[case_ack.TELL_LEAD] == workdays.add_working_days(deadline, 1, settings.tz)


async def test_the_manager_acknowledges_once_and_the_posts_show_it(
    sessions: async_sessionmaker[AsyncSession], case: Case, settings: Settings, texts: Texts
) -> None:
    before = datetime.now(UTC)
    done = await acknowledge(sessions, MANAGER_TG, case, settings, texts)
    assert done.acknowledged_at is not None
    assert done.acknowledged_at >= before
    shown = done.acknowledged_at.astimezone(settings.tz).strftime("%d.%m.%Y %H:%M")
    # The group post and the lead's copy are edited to show it; the notice keeps «Обжаловать».
    for subject in (f"case:{case.id}:group", f"case:{case.id}:lead:"):
        async with sessions() as session:
            query = select(OutboxMessage).where(
                OutboxMessage.subject.startswith(subject), OutboxMessage.method == "editMessageText"
            )
            edits = list((await session.execute(query)).scalars())
        assert edits, subject
        assert f"Менеджер ознакомлен: {shown}" in edits[-1].payload["text"]
    notice_edits = [
        row
        for row in await rows(sessions, f"case:{case.id}:manager")
        if row.method == "editMessageText"
    ]
    assert [button_texts(row) for row in notice_edits] == [["Обжаловать"]]
    async with sessions() as session:
        audit = (
            await session.execute(select(AuditEntry).where(AuditEntry.action == "acknowledge"))
        ).scalar_one()
        states = set(
            (
                await session.execute(
                    select(Reminder.state).where(Reminder.kind.in_(case_ack.KINDS))
                )
            ).scalars()
        )
    assert audit.entity_id == case.id
    assert states == {ReminderState.CANCELLED}

    with pytest.raises(AlreadyDone) as again:
        await acknowledge(sessions, MANAGER_TG, case, settings, texts)
    assert texts(again.value.key, **again.value.args_) == f"Вы уже отметили ознакомление: {shown}."


@pytest.mark.parametrize("who", [CS_TG, LEAD_TG, OTHER_TG])
async def test_only_the_manager_may_acknowledge(
    sessions: async_sessionmaker[AsyncSession],
    case: Case,
    settings: Settings,
    texts: Texts,
    who: int,
) -> None:
    with pytest.raises(Forbidden):
        await acknowledge(sessions, who, case, settings, texts)
    async with sessions() as session:
        stored = await session.get(Case, case.id)
        assert stored is not None
        assert stored.acknowledged_at is None


async def test_unacknowledged_the_manager_is_nudged_then_the_lead_told_once_each(
    sessions: async_sessionmaker[AsyncSession], case: Case, settings: Settings, texts: Texts
) -> None:
    registry = reminders.ReminderRegistry()
    case_ack.register_reminders(registry, settings, texts)
    nudge_at = case_ack.deadline(case.created_at, settings)
    # Before the deadline, nothing; at it, the nudge (with the button, a reply to the notice).
    assert await reminders.sweep(sessions, registry, now=nudge_at - timedelta(minutes=1)) == 0
    assert await reminders.sweep(sessions, registry, now=nudge_at) == 1
    assert await reminders.sweep(sessions, registry, now=nudge_at) == 0
    (nudge,) = await rows(sessions, f"case:{case.id}:reminder")
    (notice,) = await rows(sessions, f"case:{case.id}:manager")
    assert nudge.chat_id == MANAGER_TG
    assert nudge.target_id == notice.id
    assert button_texts(nudge) == ["👁 Ознакомлен"]
    assert f"Кейс #{case.id} ждёт вашего ознакомления" in nudge.payload["text"]
    # A working day later, the lead.
    tell_at = workdays.add_working_days(nudge_at, 1, settings.tz)
    assert await reminders.sweep(sessions, registry, now=tell_at) == 1
    _, lead_row = await rows(sessions, f"case:{case.id}:reminder")
    assert lead_row.chat_id == LEAD_TG
    assert f"Ознакомление с кейсом #{case.id} от" in lead_row.payload["text"]
    assert "не отмечено: менеджер — Мария Козлова" in lead_row.payload["text"]
    assert lead_row.target_id is not None  # a reply to the lead's copy of the case
    assert await reminders.sweep(sessions, registry, now=tell_at + timedelta(days=9)) == 0


async def test_a_tap_before_the_deadline_leaves_nobody_reminded(
    sessions: async_sessionmaker[AsyncSession], case: Case, settings: Settings, texts: Texts
) -> None:
    registry = reminders.ReminderRegistry()
    case_ack.register_reminders(registry, settings, texts)
    await acknowledge(sessions, MANAGER_TG, case, settings, texts)
    assert (
        await reminders.sweep(sessions, registry, now=datetime.now(UTC) + timedelta(days=30)) == 0
    )
    assert await rows(sessions, f"case:{case.id}:reminder") == []


async def test_a_withdrawn_case_nudges_nobody(
    sessions: async_sessionmaker[AsyncSession], case: Case, settings: Settings, texts: Texts
) -> None:
    registry = reminders.ReminderRegistry()
    case_ack.register_reminders(registry, settings, texts)
    async with sessions() as session:
        # Withdrawn (an accepted appeal) straight in the table: the renderers must check too.
        await session.execute(update(Case).where(Case.id == case.id).values(state="withdrawn"))
        await session.commit()
    later = datetime.now(UTC) + timedelta(days=30)
    await reminders.sweep(sessions, registry, now=later)
    assert await rows(sessions, f"case:{case.id}:reminder") == []


def test_the_digest_counts_cases_acknowledged_in_time_late_and_never(settings: Settings) -> None:
    published = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday, 12:00 in Moscow
    deadline = case_ack.deadline(published, settings)
    counts = digest.count_acknowledgements(
        [
            (published, published + timedelta(hours=1)),
            (published, deadline),  # the last moment still counts
            (published, deadline + timedelta(seconds=1)),
            (published, None),
            (published, None),
        ],
        settings,
    )
    assert counts == digest.AcknowledgementCounts(in_time=2, late=1, never=2)
