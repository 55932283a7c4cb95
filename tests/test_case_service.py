"""The case service with the real database (DESIGN §2, §3): what registering publishes and
schedules, repeated errors, withdrawal, concurrent presses, the failed re-check, and the
case reminders swept into the outbox."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.callbacks import CaseAct, CaseButton
from bot.services import case_ack, cases, reminders
from bot.services.errors import AlreadyDone, Forbidden, Invalid, NotFound
from bot.settings import Settings
from bot.texts import Html, Texts
from db.engine import write_transaction
from db.models import (
    Appeal,
    AuditEntry,
    Case,
    CaseCategory,
    CaseSource,
    CaseState,
    CaseTab,
    Employee,
    OutboxMessage,
    OutboxState,
    Reminder,
    ReminderState,
    Role,
    WorkingGroup,
)
from tests.conftest import CS_CHAT_ID

CS_TG = 1001
LEAD_BOTH_TG = 2001  # leads «Группа Север» and «Группа Юг»
LEAD_SOUTH_TG = 2002  # leads «Группа Юг»
LEAD_NORTH_TG = 2003  # leads «Группа Север» only: never hears of the manager's cases
LEAD_INACTIVE_TG = 2004  # a former lead of «Группа Юг»
MANAGER_TG = 3002  # «Мария Козлова», «Группа Юг»
SOUTH_LEADS_TG = {LEAD_BOTH_TG, LEAD_SOUTH_TG}

PHONE = "+7 999 123-45-67"
EMAIL = "ivan.petrov@example.com"
SUMMARY = f"Не представился клиенту. Клиент: {PHONE}, {EMAIL}"


@dataclass
class World:
    cs: int
    lead_both: int
    lead_south: int
    lead_no_telegram: int
    lead_north: int
    lead_inactive: int
    manager: int
    other_manager: int


@pytest.fixture
async def world(sessions: async_sessionmaker[AsyncSession]) -> World:
    async with sessions() as session, write_transaction(session):
        north = WorkingGroup(name="Группа Север", active=True)
        south = WorkingGroup(name="Группа Юг", active=True)
        session.add_all([north, south])

        def person(
            name: str,
            role: Role,
            groups: list[WorkingGroup],
            telegram_id: int | None,
            *,
            active: bool = True,
        ) -> Employee:
            employee = Employee(full_name=name, role=role, telegram_id=telegram_id, active=active)
            employee.groups = groups
            session.add(employee)
            return employee

        people = [
            person("Ольга Смирнова", Role.CS, [], CS_TG),
            person("Андрей Лидеров", Role.LEAD, [north, south], LEAD_BOTH_TG),
            person("Борис Южный", Role.LEAD, [south], LEAD_SOUTH_TG),
            person("Виктор Безтелеграмный", Role.LEAD, [south], None),
            person("Григорий Северный", Role.LEAD, [north], LEAD_NORTH_TG),
            person("Дмитрий Бывший", Role.LEAD, [south], LEAD_INACTIVE_TG, active=False),
            person("Мария Козлова", Role.MANAGER, [south], MANAGER_TG),
            person("Павел Новиков", Role.MANAGER, [south], None),
        ]
        await session.flush()
        return World(*(p.id for p in people))


async def _employee(session: AsyncSession, employee_id: int) -> Employee:
    employee = await session.get(Employee, employee_id)
    assert employee is not None
    return employee


async def register(
    sessions: async_sessionmaker[AsyncSession],
    world: World,
    settings: Settings,
    texts: Texts,
    *,
    category: CaseCategory = CaseCategory.COMMUNICATION,
    tab: CaseTab = CaseTab.CASES,
    manager: int | None = None,
    summary: str = SUMMARY,
    incident: date | None = None,
) -> Case:
    async with sessions() as session:
        return await cases.register(
            session,
            await _employee(session, world.cs),
            cases.CaseDraft(
                manager_id=manager or world.manager,
                tab=tab,
                category=category,
                source=CaseSource.CALL,
                incident_date=incident or cases.local_today(settings) - timedelta(days=1),
                summary=summary,
            ),
            settings=settings,
            texts=texts,
            bot_username="cs_test_bot",
        )


async def perform(
    sessions: async_sessionmaker[AsyncSession],
    actor_id: int,
    case_id: int,
    act: CaseAct,
    settings: Settings,
    texts: Texts,
    data: cases.ActInput | None = None,
) -> Case:
    """One user's press, in its own session, as the bot handles one update."""
    async with sessions() as session:
        actor = await _employee(session, actor_id)
        return await cases.perform(
            session, actor, case_id, act, settings=settings, texts=texts, data=data
        )


async def drive_to(
    sessions: async_sessionmaker[AsyncSession],
    world: World,
    settings: Settings,
    texts: Texts,
    state: CaseState,
) -> Case:
    """A fresh case brought to `state` through the service, the way users would."""
    category = CaseCategory.PROCESS if state == CaseState.ANALYSED else CaseCategory.COMMUNICATION
    case = await register(sessions, world, settings, texts, category=category)
    today = cases.local_today(settings)
    briefing = cases.briefing_moment(today + timedelta(days=1), time(10, 0), settings)
    steps: dict[CaseState, list[tuple[int, CaseAct, cases.ActInput | None]]] = {
        CaseState.NEW: [],
        CaseState.ACCEPTED: [(world.lead_both, CaseAct.ACCEPT, None)],
        CaseState.BRIEFING_SET: [
            (world.lead_both, CaseAct.ACCEPT, None),
            (world.lead_both, CaseAct.SET_BRIEFING, cases.ActInput(briefing_at=briefing)),
        ],
        CaseState.RECHECK: [
            (world.lead_both, CaseAct.ACCEPT, None),
            (world.lead_both, CaseAct.SET_BRIEFING, cases.ActInput(briefing_at=briefing)),
            (world.lead_south, CaseAct.BRIEFING_HELD, None),
        ],
        CaseState.ANALYSED: [
            (world.lead_both, CaseAct.ACCEPT, None),
            (
                world.lead_both,
                CaseAct.SUBMIT_ANALYSIS,
                cases.ActInput(
                    analysis=cases.Analysis(
                        process="Выпуск ЭЦП",
                        cause="Нет доступа к сервису",
                        measures="Резервный канал",
                        measures_due=today + timedelta(days=7),
                    )
                ),
            ),
        ],
        CaseState.CLOSED: [
            (world.lead_both, CaseAct.ACCEPT, None),
            (world.lead_both, CaseAct.SET_BRIEFING, cases.ActInput(briefing_at=briefing)),
            (world.cs, CaseAct.BRIEFING_HELD, None),
            (world.cs, CaseAct.RECHECK_PASSED, None),
        ],
        CaseState.REPEATED: [
            (world.lead_both, CaseAct.ACCEPT, None),
            (world.lead_both, CaseAct.SET_BRIEFING, cases.ActInput(briefing_at=briefing)),
            (world.cs, CaseAct.BRIEFING_HELD, None),
            (world.cs, CaseAct.RECHECK_FAILED, cases.ActInput(comment="Снова не представился")),
        ],
        CaseState.WITHDRAWN: [(world.cs, CaseAct.WITHDRAW, cases.ActInput(comment="апелляция"))],
    }
    for actor, act, data in steps[state]:
        case = await perform(sessions, actor, case.id, act, settings, texts, data)
    assert case.state == state
    return case


async def outbox(sessions: async_sessionmaker[AsyncSession], after: int = 0) -> list[OutboxMessage]:
    async with sessions() as session:
        result = await session.execute(
            select(OutboxMessage).where(OutboxMessage.id > after).order_by(OutboxMessage.id)
        )
        return list(result.scalars())


async def last_outbox_id(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.max(OutboxMessage.id))) or 0)


async def case_reminders(
    sessions: async_sessionmaker[AsyncSession], case_id: int
) -> list[Reminder]:
    """The case track's reminders (the manager's «Ознакомлен» ones are test_case_ack's)."""
    async with sessions() as session:
        result = await session.execute(
            select(Reminder)
            .where(Reminder.subject == f"case:{case_id}", Reminder.kind.not_in(case_ack.KINDS))
            .order_by(Reminder.id)
        )
        return list(result.scalars())


async def audit_actions(sessions: async_sessionmaker[AsyncSession], case_id: int) -> list[str]:
    async with sessions() as session:
        result = await session.execute(
            select(AuditEntry.action)
            .where(AuditEntry.entity == "case", AuditEntry.entity_id == case_id)
            .order_by(AuditEntry.id)
        )
        return list(result.scalars())


async def stored_case(sessions: async_sessionmaker[AsyncSession], case_id: int) -> Case:
    async with sessions() as session:
        case = await session.get(Case, case_id)
        assert case is not None
        return case


def registry(settings: Settings, texts: Texts) -> reminders.ReminderRegistry:
    result = reminders.ReminderRegistry()
    cases.register_reminders(result, settings, texts)
    return result


def assert_masked(text: str) -> None:
    assert "123-45" not in text
    assert "9991234567" not in text
    assert "ivan.petrov" not in text
    assert "+• ••• •••-••-67" in text
    assert "•••@example.com" in text


# --- register -------------------------------------------------------------------------------


async def test_register_publishes_one_group_post_a_copy_per_lead_and_a_manager_notice(
    sessions: async_sessionmaker[AsyncSession], world: World, settings: Settings, texts: Texts
) -> None:
    case = await register(sessions, world, settings, texts)

    rows = await outbox(sessions)
    assert all(row.method == "sendMessage" for row in rows)
    assert all(row.state == OutboxState.PENDING for row in rows)
    by_subject = {row.subject: row for row in rows}
    assert len(by_subject) == len(rows), [row.subject for row in rows]

    group = [row for row in rows if row.subject == f"case:{case.id}:group"]
    assert len(group) == 1
    assert group[0].chat_id == CS_CHAT_ID
    accept = CaseButton(act=CaseAct.ACCEPT, case_id=case.id).pack()
    assert group[0].payload["reply_markup"]["inline_keyboard"] == [
        [{"text": texts("case-btn-accept"), "callback_data": accept}]
    ]

    # Active leads of the manager's group that have a Telegram id: not the lead without
    # one, not the former lead, not the lead of the other group.
    copies = [row for row in rows if row.subject.startswith(f"case:{case.id}:lead:")]
    assert sorted(row.chat_id for row in copies) == sorted(SOUTH_LEADS_TG)
    assert {row.subject for row in copies} == {
        f"case:{case.id}:lead:{world.lead_both}",
        f"case:{case.id}:lead:{world.lead_south}",
    }
    for copy in copies:
        assert copy.payload["text"] == group[0].payload["text"]
        assert copy.payload["reply_markup"] == group[0].payload["reply_markup"]

    notices = [row for row in rows if row.subject == f"case:{case.id}:manager"]
    assert len(notices) == 1
    assert notices[0].chat_id == MANAGER_TG
    assert group[0].payload["text"] in notices[0].payload["text"]  # the post, quoted
    acknowledge, appeal = notices[0].payload["reply_markup"]["inline_keyboard"]
    assert [button["text"] for button in acknowledge] == ["👁 Ознакомлен"]
    assert appeal[0]["url"] == f"https://t.me/cs_test_bot?start=appeal_{case.id}"

    assert len(rows) == 1 + len(SOUTH_LEADS_TG) + 1
    for row in rows:
        assert f"Кейс #{case.id}" in row.payload["text"]
        assert_masked(row.payload["text"])

    stored = await stored_case(sessions, case.id)
    assert stored.state == CaseState.NEW
    assert stored.summary == SUMMARY  # masked in posts only, kept whole in the database
    assert stored.repeated is False
    assert await audit_actions(sessions, case.id) == ["register"]


async def test_register_schedules_ack_and_escalation_at_one_and_two_slas(
    sessions: async_sessionmaker[AsyncSession], world: World, settings: Settings, texts: Texts
) -> None:
    before = datetime.now(UTC)
    case = await register(sessions, world, settings, texts)
    after = datetime.now(UTC)

    stored = await stored_case(sessions, case.id)
    assert before <= stored.created_at <= after
    # (The manager's «Ознакомлен» reminders are tests/test_case_ack.py's.)
    scheduled = [r for r in await case_reminders(sessions, case.id) if r.kind in cases.ACK_KINDS]
    assert [(r.kind, r.state) for r in scheduled] == [
        (cases.ACK, ReminderState.PENDING),
        (cases.ESCALATE, ReminderState.PENDING),
    ]
    ack, escalate = scheduled
    assert settings.ack_sla == timedelta(hours=24)
    assert ack.due_at == stored.created_at + settings.ack_sla
    assert escalate.due_at == stored.created_at + 2 * settings.ack_sla
    assert ack.payload == {"case_id": case.id}
    assert escalate.payload == {"case_id": case.id}


async def test_a_second_case_within_the_window_is_repeated_another_tab_or_an_old_one_is_not(
    sessions: async_sessionmaker[AsyncSession], world: World, settings: Settings, texts: Texts
) -> None:
    first = await register(sessions, world, settings, texts)
    assert first.repeated is False
    assert first.repeat_of_id is None

    second = await register(sessions, world, settings, texts)
    assert second.repeated is True
    assert second.repeat_of_id == first.id
    (post,) = [r for r in await outbox(sessions) if r.subject == f"case:{second.id}:group"]
    assert texts("case-post-repeated-of", other=first.id) in post.payload["text"]

    # The latest earlier case is the one referred to.
    third = await register(sessions, world, settings, texts)
    assert third.repeat_of_id == second.id

    other_tab = await register(sessions, world, settings, texts, tab=CaseTab.GROWTH)
    assert other_tab.repeated is False
    assert other_tab.repeat_of_id is None
    other_category = await register(sessions, world, settings, texts, category=CaseCategory.PROCESS)
    assert other_category.repeated is False
    other_manager = await register(sessions, world, settings, texts, manager=world.other_manager)
    assert other_manager.repeated is False

    # Move the incidents of the earlier cases of this manager, category and tab out of the
    # window (it counts incident dates: the new one is yesterday's).
    window = settings.repeat_window
    assert window == timedelta(days=60)
    yesterday = cases.local_today(settings) - timedelta(days=1)
    async with sessions() as session, write_transaction(session):
        await session.execute(
            update(Case)
            .where(Case.id.in_([first.id, second.id, third.id]))
            .values(incident_date=yesterday - window - timedelta(days=1))
        )
    old_ones_only = await register(sessions, world, settings, texts)
    assert old_ones_only.repeated is False
    assert old_ones_only.repeat_of_id is None

    # Just inside the window still counts.
    async with sessions() as session, write_transaction(session):
        await session.execute(
            update(Case).where(Case.id == old_ones_only.id).values(incident_date=yesterday - window)
        )
    inside = await register(sessions, world, settings, texts)
    assert inside.repeated is True
    assert inside.repeat_of_id == old_ones_only.id


async def test_the_window_counts_incident_dates_not_when_cases_were_registered(
    sessions: async_sessionmaker[AsyncSession], world: World, settings: Settings, texts: Texts
) -> None:
    """Old rows of a workbook are registered at once: only incidents close together repeat."""
    today = cases.local_today(settings)
    spring = await register(sessions, world, settings, texts, incident=today - timedelta(days=200))
    summer = await register(sessions, world, settings, texts, incident=today - timedelta(days=100))
    assert (spring.repeated, summer.repeated) == (False, False)
    close = await register(sessions, world, settings, texts, incident=today - timedelta(days=90))
    assert close.repeated is True
    assert close.repeat_of_id == summer.id


async def test_a_withdrawn_case_does_not_make_the_next_one_repeated(
    sessions: async_sessionmaker[AsyncSession], world: World, settings: Settings, texts: Texts
) -> None:
    """An accepted appeal means there was no error to repeat."""
    withdrawn = await drive_to(sessions, world, settings, texts, CaseState.WITHDRAWN)
    assert withdrawn.tab == CaseTab.CASES
    nxt = await register(sessions, world, settings, texts)
    assert nxt.repeated is False


async def test_register_refuses_non_cs_authors_and_unknown_or_groupless_managers(
    sessions: async_sessionmaker[AsyncSession], world: World, settings: Settings, texts: Texts
) -> None:
    async with sessions() as session, write_transaction(session):
        groupless = Employee(full_name="Без группы", role=Role.MANAGER, active=True)
        session.add(groupless)
        await session.flush()
        groupless_id = groupless.id

    async def attempt(author_id: int, manager_id: int) -> Case:
        # A session per attempt: a refused write rolls back and expires what it had loaded.
        async with sessions() as session:
            return await cases.register(
                session,
                await _employee(session, author_id),
                cases.CaseDraft(
                    manager_id=manager_id,
                    tab=CaseTab.CASES,
                    category=CaseCategory.COMMUNICATION,
                    source=CaseSource.MEETING,
                    incident_date=cases.local_today(settings),
                    summary="Текст",
                ),
                settings=settings,
                texts=texts,
                bot_username="cs_test_bot",
            )

    with pytest.raises(Forbidden):
        await attempt(world.lead_both, world.manager)
    with pytest.raises(Forbidden):
        await attempt(world.manager, world.manager)
    with pytest.raises(NotFound):
        await attempt(world.cs, world.lead_inactive)  # not active
    with pytest.raises(NotFound):
        await attempt(world.cs, world.cs)  # CS members are not the subject of cases
    with pytest.raises(NotFound):
        await attempt(world.cs, 10_000)
    with pytest.raises(Invalid):
        await attempt(world.cs, groupless_id)

    assert await outbox(sessions) == []
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Case)) == 0
        assert await session.scalar(select(func.count()).select_from(Reminder)) == 0


async def test_precheck_tells_before_asking_for_input(
    sessions: async_sessionmaker[AsyncSession], world: World, settings: Settings, texts: Texts
) -> None:
    case = await drive_to(sessions, world, settings, texts, CaseState.ACCEPTED)
    async with sessions() as session:
        lead = await _employee(session, world.lead_south)
        north = await _employee(session, world.lead_north)
        found = await cases.precheck(session, lead, case.id, CaseAct.SET_BRIEFING)
        assert found.id == case.id
        with pytest.raises(Forbidden):
            await cases.precheck(session, north, case.id, CaseAct.SET_BRIEFING)
        with pytest.raises(Invalid):
            await cases.precheck(session, lead, case.id, CaseAct.SUBMIT_ANALYSIS)
        with pytest.raises(AlreadyDone):
            await cases.precheck(session, lead, case.id, CaseAct.ACCEPT)
        with pytest.raises(NotFound):
            await cases.precheck(session, lead, case.id + 1000, CaseAct.SET_BRIEFING)
    # precheck changes nothing.
    assert (await stored_case(sessions, case.id)).state == CaseState.ACCEPTED


# --- withdraw -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "state",
    [
        CaseState.NEW,
        CaseState.ACCEPTED,
        CaseState.BRIEFING_SET,
        CaseState.RECHECK,
        CaseState.ANALYSED,
    ],
)
async def test_withdraw_edits_every_post_and_cancels_every_pending_reminder(
    sessions: async_sessionmaker[AsyncSession],
    world: World,
    settings: Settings,
    texts: Texts,
    state: CaseState,
) -> None:
    case = await drive_to(sessions, world, settings, texts, state)
    pending_before = [
        r for r in await case_reminders(sessions, case.id) if r.state == ReminderState.PENDING
    ]
    expected_pending = {
        CaseState.NEW: {cases.ACK, cases.ESCALATE},
        CaseState.ACCEPTED: set(),
        CaseState.BRIEFING_SET: {cases.BRIEFING_DAY},
        CaseState.RECHECK: {cases.RECHECK_NOTICE, cases.RECHECK_DUE},
        CaseState.ANALYSED: {cases.MEASURES_DUE},
    }[state]
    assert {r.kind for r in pending_before} == expected_pending
    sends = [
        row
        for row in await outbox(sessions)
        if row.method == "sendMessage"
        and (
            row.subject == f"case:{case.id}:group"
            or row.subject.startswith(f"case:{case.id}:lead:")
        )
    ]
    assert len(sends) == 1 + len(SOUTH_LEADS_TG)
    mark = await last_outbox_id(sessions)

    async with sessions() as session:
        withdrawn = await cases.withdraw(
            session,
            await _employee(session, world.cs),
            case.id,
            settings=settings,
            texts=texts,
            comment="Апелляция принята",
        )

    assert withdrawn.state == CaseState.WITHDRAWN
    stored = await stored_case(sessions, case.id)
    assert stored.state == CaseState.WITHDRAWN
    assert stored.closed_at is not None

    rows = await outbox(sessions, after=mark)
    # The manager hears it (a reply to his first notice, no «Обжаловать» on a withdrawn case).
    (news,) = [row for row in rows if row.method == "sendMessage"]
    assert news.chat_id == MANAGER_TG
    assert news.payload["text"].startswith(texts("case-manager-withdrawn", id=case.id))
    assert "Апелляция принята" in news.payload["text"]
    assert "reply_markup" not in news.payload
    notice = next(r for r in await outbox(sessions) if r.subject == f"case:{case.id}:manager")
    assert news.target_id == notice.id
    edits = [row for row in rows if row.method != "sendMessage"]
    assert [row.method for row in edits] == ["editMessageText"] * len(sends)
    assert sorted(row.target_id or 0 for row in edits) == sorted(row.id for row in sends)
    for edit in edits:
        target = next(row for row in sends if row.id == edit.target_id)
        assert edit.chat_id == target.chat_id
        assert edit.subject == target.subject
        assert texts("case-status-withdrawn") in edit.payload["text"]
        assert "Апелляция принята" in edit.payload["text"]
        assert "reply_markup" not in edit.payload  # no buttons on a withdrawn case
        assert_masked(edit.payload["text"])

    after = await case_reminders(sessions, case.id)
    assert [r for r in after if r.state == ReminderState.PENDING] == []
    cancelled = {r.id for r in after if r.state == ReminderState.CANCELLED}
    assert {r.id for r in pending_before} <= cancelled

    async with sessions() as session:
        entry = (
            await session.execute(
                select(AuditEntry).where(
                    AuditEntry.entity_id == case.id, AuditEntry.action == "withdraw"
                )
            )
        ).scalar_one()
    assert entry.actor_id == world.cs
    assert (entry.from_state, entry.to_state) == (state, CaseState.WITHDRAWN)


@pytest.mark.parametrize("state", [CaseState.CLOSED, CaseState.REPEATED, CaseState.WITHDRAWN])
async def test_withdraw_of_a_finished_case_is_already_done_and_changes_nothing(
    sessions: async_sessionmaker[AsyncSession],
    world: World,
    settings: Settings,
    texts: Texts,
    state: CaseState,
) -> None:
    case = await drive_to(sessions, world, settings, texts, state)
    mark = await last_outbox_id(sessions)
    actions = await audit_actions(sessions, case.id)

    async with sessions() as session:
        with pytest.raises(AlreadyDone):
            await cases.withdraw(
                session,
                await _employee(session, world.cs),
                case.id,
                settings=settings,
                texts=texts,
            )

    assert (await stored_case(sessions, case.id)).state == state
    assert await outbox(sessions, after=mark) == []
    assert await audit_actions(sessions, case.id) == actions


# --- concurrency ---------------------------------------------------------------------------


@pytest.mark.parametrize("second_lead", ["same", "other"])
async def test_two_concurrent_accepts_make_one_transition_and_one_already_done(
    sessions: async_sessionmaker[AsyncSession],
    world: World,
    settings: Settings,
    texts: Texts,
    second_lead: str,
) -> None:
    case = await register(sessions, world, settings, texts)
    mark = await last_outbox_id(sessions)
    leads = [world.lead_both, world.lead_both if second_lead == "same" else world.lead_south]

    results = await asyncio.gather(
        *(perform(sessions, lead, case.id, CaseAct.ACCEPT, settings, texts) for lead in leads),
        return_exceptions=True,
    )

    done = [r for r in results if isinstance(r, Case)]
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(done) == 1, results
    assert len(refused) == 1, results
    assert isinstance(refused[0], AlreadyDone), repr(refused[0])
    winner = leads[results.index(done[0])]

    stored = await stored_case(sessions, case.id)
    assert stored.state == CaseState.ACCEPTED
    assert stored.accepted_by_id == winner
    assert await audit_actions(sessions, case.id) == ["register", "accept"]
    # One round of edits: the group post and each lead's copy, once; one notice to the manager.
    rows = await outbox(sessions, after=mark)
    assert [row.chat_id for row in rows if row.method == "sendMessage"] == [MANAGER_TG]
    edits = [row for row in rows if row.method != "sendMessage"]
    assert [row.method for row in edits] == ["editMessageText"] * (1 + len(SOUTH_LEADS_TG))
    assert len({row.target_id for row in edits}) == len(edits)
    kinds = {r.kind: r.state for r in await case_reminders(sessions, case.id)}
    assert kinds == {cases.ACK: ReminderState.CANCELLED, cases.ESCALATE: ReminderState.CANCELLED}


# --- the failed re-check -----------------------------------------------------------------------


async def test_a_failed_recheck_needs_a_comment_and_marks_the_case_repeated(
    sessions: async_sessionmaker[AsyncSession], world: World, settings: Settings, texts: Texts
) -> None:
    case = await drive_to(sessions, world, settings, texts, CaseState.RECHECK)
    assert case.repeated is False
    actions = await audit_actions(sessions, case.id)

    for comment in ("", "ab", "  ab  ", "   "):
        with pytest.raises(Invalid):
            await perform(
                sessions,
                world.cs,
                case.id,
                CaseAct.RECHECK_FAILED,
                settings,
                texts,
                cases.ActInput(comment=comment),
            )
    stored = await stored_case(sessions, case.id)
    assert stored.state == CaseState.RECHECK
    assert stored.repeated is False
    assert await audit_actions(sessions, case.id) == actions

    mark = await last_outbox_id(sessions)
    done = await perform(
        sessions,
        world.cs,
        case.id,
        CaseAct.RECHECK_FAILED,
        settings,
        texts,
        cases.ActInput(comment="  Снова не представился  "),
    )
    assert done.state == CaseState.REPEATED
    stored = await stored_case(sessions, case.id)
    assert stored.state == CaseState.REPEATED
    assert stored.repeated is True
    assert stored.last_comment == "Снова не представился"
    assert stored.closed_at is not None
    assert await audit_actions(sessions, case.id) == [*actions, "recheck_failed"]
    # The re-check reminders are cancelled; the posts say so and lose their buttons.
    assert {r.state for r in await case_reminders(sessions, case.id)} <= {
        ReminderState.CANCELLED,
        ReminderState.SENT,
    }
    (group_edit,) = [
        r for r in await outbox(sessions, after=mark) if r.subject == f"case:{case.id}:group"
    ]
    assert texts("case-state-repeated") in group_edit.payload["text"]
    assert "Снова не представился" in group_edit.payload["text"]
    assert "reply_markup" not in group_edit.payload


async def test_three_characters_are_enough_for_a_failed_recheck(
    sessions: async_sessionmaker[AsyncSession], world: World, settings: Settings, texts: Texts
) -> None:
    case = await drive_to(sessions, world, settings, texts, CaseState.RECHECK)
    done = await perform(
        sessions,
        world.cs,
        case.id,
        CaseAct.RECHECK_FAILED,
        settings,
        texts,
        cases.ActInput(comment="нет"),
    )
    assert done.state == CaseState.REPEATED
    assert done.repeated is True


# --- reminders ------------------------------------------------------------------------------


async def test_ack_reminds_each_lead_and_escalation_mentions_them_in_the_cs_group(
    sessions: async_sessionmaker[AsyncSession], world: World, settings: Settings, texts: Texts
) -> None:
    case = await register(sessions, world, settings, texts)
    created = (await stored_case(sessions, case.id)).created_at
    kinds = registry(settings, texts)
    mark = await last_outbox_id(sessions)

    # Not yet due: nothing.
    almost = created + settings.ack_sla - timedelta(seconds=1)
    assert await reminders.sweep(sessions, kinds, now=almost) == 0
    assert await outbox(sessions, after=mark) == []

    assert await reminders.sweep(sessions, kinds, now=created + settings.ack_sla) == 1
    acks = await outbox(sessions, after=mark)
    assert sorted(row.chat_id for row in acks) == sorted(SOUTH_LEADS_TG)
    for row in acks:
        assert row.method == "sendMessage"
        assert row.payload["text"] == texts("case-remind-ack", id=case.id, manager="Мария Козлова")
    mark = await last_outbox_id(sessions)

    escalate_at = created + 2 * settings.ack_sla + timedelta(seconds=1)
    assert await reminders.sweep(sessions, kinds, now=escalate_at) == 1
    (escalation,) = await outbox(sessions, after=mark)
    assert escalation.chat_id == CS_CHAT_ID
    assert escalation.subject == f"case:{case.id}:reminder"
    text = escalation.payload["text"]
    assert f"#{case.id}" in text
    assert "48" in text  # twice the 24-hour SLA
    assert f'<a href="tg://user?id={LEAD_BOTH_TG}">Андрей Лидеров</a>' in text
    assert f'<a href="tg://user?id={LEAD_SOUTH_TG}">Борис Южный</a>' in text
    assert "Виктор Безтелеграмный" in text  # no Telegram id: named without a link
    assert "Григорий Северный" not in text
    assert "Дмитрий Бывший" not in text

    assert {r.state for r in await case_reminders(sessions, case.id)} == {ReminderState.SENT}
    # Nothing is delivered twice.
    assert await reminders.sweep(sessions, kinds, now=escalate_at + timedelta(days=1)) == 0


async def test_a_case_accepted_before_its_ack_is_due_gets_no_reaction_reminders(
    sessions: async_sessionmaker[AsyncSession], world: World, settings: Settings, texts: Texts
) -> None:
    case = await drive_to(sessions, world, settings, texts, CaseState.ACCEPTED)
    created = (await stored_case(sessions, case.id)).created_at
    mark = await last_outbox_id(sessions)

    later = created + 3 * settings.ack_sla
    assert await reminders.sweep(sessions, registry(settings, texts), now=later) == 0
    assert await outbox(sessions, after=mark) == []
    states = {r.kind: r.state for r in await case_reminders(sessions, case.id)}
    assert states == {cases.ACK: ReminderState.CANCELLED, cases.ESCALATE: ReminderState.CANCELLED}


async def test_recheck_notice_goes_to_cs_and_on_the_day_to_cs_and_the_leads(
    sessions: async_sessionmaker[AsyncSession], world: World, settings: Settings, texts: Texts
) -> None:
    case = await drive_to(sessions, world, settings, texts, CaseState.RECHECK)
    stored = await stored_case(sessions, case.id)
    assert stored.briefing_held_at is not None
    assert stored.recheck_due_at == stored.briefing_held_at + settings.recheck_after
    due = stored.recheck_due_at
    scheduled = {
        r.kind: r.due_at
        for r in await case_reminders(sessions, case.id)
        if r.state == ReminderState.PENDING
    }
    assert scheduled == {
        cases.RECHECK_NOTICE: due - settings.recheck_notice,
        cases.RECHECK_DUE: due,
    }
    kinds = registry(settings, texts)
    mark = await last_outbox_id(sessions)

    notice_at = due - settings.recheck_notice + timedelta(seconds=1)
    assert await reminders.sweep(sessions, kinds, now=notice_at) == 1
    (notice,) = await outbox(sessions, after=mark)
    assert notice.chat_id == CS_CHAT_ID
    # Compared with the catalogue: the wording is the texts' business, not this test's.
    assert notice.payload["text"] == texts(
        "case-remind-recheck-soon", id=case.id, manager="Мария Козлова", due=Html(texts.date(due))
    )
    assert texts.date(due) in notice.payload["text"]
    mark = await last_outbox_id(sessions)

    assert await reminders.sweep(sessions, kinds, now=due + timedelta(seconds=1)) == 1
    today = await outbox(sessions, after=mark)
    assert sorted(row.chat_id for row in today) == sorted([CS_CHAT_ID, *SOUTH_LEADS_TG])
    for row in today:
        key = (
            "case-remind-recheck-today"
            if row.chat_id == CS_CHAT_ID
            else "case-remind-recheck-today-lead"
        )
        assert row.payload["text"] == texts(key, id=case.id, manager="Мария Козлова")
    assert {r.state for r in await case_reminders(sessions, case.id)} >= {ReminderState.SENT}


async def test_recheck_reminders_of_a_case_closed_early_are_cancelled(
    sessions: async_sessionmaker[AsyncSession], world: World, settings: Settings, texts: Texts
) -> None:
    case = await drive_to(sessions, world, settings, texts, CaseState.RECHECK)
    await perform(sessions, world.cs, case.id, CaseAct.RECHECK_PASSED, settings, texts)
    mark = await last_outbox_id(sessions)
    later = datetime.now(UTC) + settings.recheck_after + timedelta(days=1)
    assert await reminders.sweep(sessions, registry(settings, texts), now=later) == 0
    assert await outbox(sessions, after=mark) == []
    pending = [
        r for r in await case_reminders(sessions, case.id) if r.state == ReminderState.PENDING
    ]
    assert pending == []


async def test_measures_due_reminds_the_leads_and_cs_on_the_day(
    sessions: async_sessionmaker[AsyncSession], world: World, settings: Settings, texts: Texts
) -> None:
    case = await drive_to(sessions, world, settings, texts, CaseState.ANALYSED)
    stored = await stored_case(sessions, case.id)
    assert stored.measures_due is not None
    (measures,) = [
        r
        for r in await case_reminders(sessions, case.id)
        if r.kind == cases.MEASURES_DUE and r.state == ReminderState.PENDING
    ]
    local_due = datetime.combine(stored.measures_due, time(10, 0), tzinfo=settings.tz)
    assert measures.due_at == local_due
    mark = await last_outbox_id(sessions)

    now = local_due.astimezone(UTC) + timedelta(minutes=1)
    assert await reminders.sweep(sessions, registry(settings, texts), now=now) == 1
    rows = await outbox(sessions, after=mark)
    assert sorted(row.chat_id for row in rows) == sorted([CS_CHAT_ID, *SOUTH_LEADS_TG])
    for row in rows:
        assert row.payload["text"] == texts(
            "case-remind-measures", id=case.id, manager="Мария Козлова"
        )


# --- who hears what (the notification matrix) ----------------------------------------------

# Each act from the state before it: the actor, the input, and who gets a new message besides
# the manager (CS_CHAT_ID: a reply to the case post; the leads: a notice each).
MATRIX: dict[CaseAct, tuple[CaseState, str, set[int]]] = {
    CaseAct.ACCEPT: (CaseState.NEW, "lead_both", set()),
    CaseAct.SET_BRIEFING: (CaseState.ACCEPTED, "lead_both", {CS_CHAT_ID}),
    CaseAct.BRIEFING_HELD: (CaseState.BRIEFING_SET, "cs", set()),
    CaseAct.RECHECK_PASSED: (CaseState.RECHECK, "cs", set()),
    CaseAct.RECHECK_FAILED: (CaseState.RECHECK, "cs", set()),
    CaseAct.SUBMIT_ANALYSIS: (CaseState.ACCEPTED, "lead_south", {CS_CHAT_ID}),
    CaseAct.CONFIRM: (CaseState.ANALYSED, "cs", set()),
    CaseAct.RETURN: (CaseState.ANALYSED, "cs", SOUTH_LEADS_TG),
    CaseAct.WITHDRAW: (CaseState.RECHECK, "cs", set()),
}


def act_input(act: CaseAct, settings: Settings) -> cases.ActInput:
    tomorrow = cases.local_today(settings) + timedelta(days=1)
    if act == CaseAct.SET_BRIEFING:
        return cases.ActInput(briefing_at=cases.briefing_moment(tomorrow, time(14, 30), settings))
    if act == CaseAct.SUBMIT_ANALYSIS:
        analysis = cases.Analysis("Выпуск ЭЦП", "Нет доступа", "Резервный канал", tomorrow)
        return cases.ActInput(analysis=analysis)
    return cases.ActInput(comment="Снова не представился")


def buttons(row: OutboxMessage) -> list[list[str]]:
    markup = row.payload.get("reply_markup") or {"inline_keyboard": []}
    return [[button["text"] for button in line] for line in markup["inline_keyboard"]]


@pytest.mark.parametrize("act", list(MATRIX))
async def test_the_manager_hears_every_act_and_only_the_matrix_hears_more(
    sessions: async_sessionmaker[AsyncSession],
    world: World,
    settings: Settings,
    texts: Texts,
    act: CaseAct,
) -> None:
    before, actor, others = MATRIX[act]
    if act == CaseAct.SUBMIT_ANALYSIS:
        case = await register(sessions, world, settings, texts, category=CaseCategory.PROCESS)
        case = await perform(sessions, world.lead_both, case.id, CaseAct.ACCEPT, settings, texts)
    else:
        case = await drive_to(sessions, world, settings, texts, before)
    assert case.state == before
    notice = next(r for r in await outbox(sessions) if r.subject == f"case:{case.id}:manager")
    mark = await last_outbox_id(sessions)
    async with sessions() as session:
        done = await cases.perform(
            session,
            await _employee(session, getattr(world, actor)),
            case.id,
            act,
            settings=settings,
            texts=texts,
            data=act_input(act, settings),
            bot_username="cs_test_bot",
        )

    sends = [row for row in await outbox(sessions, after=mark) if row.method == "sendMessage"]
    assert sorted(row.chat_id for row in sends) == sorted({MANAGER_TG} | others)
    (news,) = [row for row in sends if row.chat_id == MANAGER_TG]
    assert f"Кейс #{case.id}" in news.payload["text"]
    assert news.target_id == notice.id  # a reply to his first notice
    closes = texts.datetime(done.created_at + settings.appeal_window)
    if done.is_open:
        assert texts("case-manager-appeal-until", closes=Html(closes)) in news.payload["text"]
        assert buttons(news) == [[texts("case-btn-appeal")]]
    else:
        assert closes not in news.payload["text"]
        assert "reply_markup" not in news.payload
    group_post = next(r for r in await outbox(sessions) if r.subject == f"case:{case.id}:group")
    for row in sends:
        if row.chat_id == CS_CHAT_ID:
            assert row.target_id == group_post.id
    if act == CaseAct.SET_BRIEFING:
        (told,) = [row for row in sends if row.chat_id == CS_CHAT_ID]
        assert done.briefing_at is not None
        when = texts.datetime(done.briefing_at)
        assert when.endswith(" 14:30")
        assert when in told.payload["text"]
        assert "Лидер — Андрей Лидеров · менеджер — Мария Козлова" in told.payload["text"]
        assert when in news.payload["text"]
    if act == CaseAct.RETURN:
        for row in sends:
            if row.chat_id in SOUTH_LEADS_TG:
                assert buttons(row) == [[texts("case-btn-submit-analysis")]]
                copy = next(
                    r
                    for r in await outbox(sessions)
                    if r.subject.startswith(f"case:{case.id}:lead:") and r.chat_id == row.chat_id
                )
                assert row.target_id == copy.id


async def test_the_manager_loses_the_appeal_button_once_the_window_closed_or_he_appealed(
    sessions: async_sessionmaker[AsyncSession], world: World, settings: Settings, texts: Texts
) -> None:
    late = await register(sessions, world, settings, texts)
    appealed = await register(sessions, world, settings, texts, tab=CaseTab.GROWTH)
    async with sessions() as session, write_transaction(session):
        await session.execute(
            update(Case)
            .where(Case.id == late.id)
            .values(created_at=datetime.now(UTC) - settings.appeal_window - timedelta(minutes=1))
        )
        session.add(Appeal(case_id=appealed.id, filer_id=world.manager, reason="Не согласна"))
    mark = await last_outbox_id(sessions)
    for case in (late, appealed):
        async with sessions() as session:
            await cases.perform(
                session,
                await _employee(session, world.lead_both),
                case.id,
                CaseAct.ACCEPT,
                settings=settings,
                texts=texts,
                bot_username="cs_test_bot",
            )
    news = [r for r in await outbox(sessions, after=mark) if r.method == "sendMessage"]
    assert [r.chat_id for r in news] == [MANAGER_TG, MANAGER_TG]
    for row in news:
        assert row.payload["text"] == texts(
            "case-manager-accepted", id=row.subject.split(":")[1], who="Андрей Лидеров"
        )
        assert "reply_markup" not in row.payload


async def test_the_first_notice_says_the_day_the_appeal_window_closes(
    sessions: async_sessionmaker[AsyncSession], world: World, settings: Settings, texts: Texts
) -> None:
    case = await register(sessions, world, settings, texts)
    (notice,) = [r for r in await outbox(sessions) if r.subject == f"case:{case.id}:manager"]
    closes = (await stored_case(sessions, case.id)).created_at + settings.appeal_window
    assert f"обжаловать до {texts.datetime(closes)} (5 дн." in notice.payload["text"]


# --- the briefing's day and time -------------------------------------------------------------


async def test_briefing_slots_are_the_half_hours_of_the_working_day_still_ahead(
    settings: Settings,
) -> None:
    day = date(2026, 11, 12)
    morning = datetime(2026, 11, 11, 20, 0, tzinfo=settings.tz)
    slots = cases.briefing_slots(day, settings, morning)
    assert slots[0] == time(9, 0)
    assert slots[-1] == time(18, 0)
    assert len(slots) == 19
    noon = datetime(2026, 11, 12, 12, 0, tzinfo=settings.tz)
    assert cases.briefing_slots(day, settings, noon)[0] == time(12, 30)
    evening = datetime(2026, 11, 12, 18, 0, tzinfo=settings.tz)
    assert cases.briefing_slots(day, settings, evening) == []
    assert cases.briefing_slots(date(2026, 11, 11), settings, noon) == []

    def at(hour: int, minute: int) -> datetime:
        return datetime(2026, 11, 12, hour, minute, tzinfo=settings.tz)

    assert cases.check_briefing(at(12, 30), settings, noon) == at(12, 30).astimezone(UTC)
    for wrong in (at(11, 30), at(12, 0), at(12, 45), at(18, 30), at(8, 30)):
        with pytest.raises(Invalid):
            cases.check_briefing(wrong, settings, noon)
    with pytest.raises(Invalid) as past:
        cases.check_briefing(at(10, 0) - timedelta(days=1), settings, noon)
    assert past.value.key == "case-error-date-past"


async def test_a_briefing_in_the_past_or_off_the_slots_is_refused_and_changes_nothing(
    sessions: async_sessionmaker[AsyncSession], world: World, settings: Settings, texts: Texts
) -> None:
    case = await drive_to(sessions, world, settings, texts, CaseState.ACCEPTED)
    yesterday = cases.local_today(settings) - timedelta(days=1)
    tomorrow = cases.local_today(settings) + timedelta(days=1)
    for moment in (
        cases.briefing_moment(yesterday, time(10, 0), settings),
        cases.briefing_moment(tomorrow, time(10, 10), settings),
        cases.briefing_moment(tomorrow, time(20, 0), settings),
        None,
    ):
        with pytest.raises(Invalid):
            await perform(
                sessions,
                world.lead_both,
                case.id,
                CaseAct.SET_BRIEFING,
                settings,
                texts,
                cases.ActInput(briefing_at=moment),
            )
    stored = await stored_case(sessions, case.id)
    assert stored.state == CaseState.ACCEPTED
    assert stored.briefing_at is None


async def test_on_the_briefing_day_the_lead_and_the_manager_are_reminded(
    sessions: async_sessionmaker[AsyncSession], world: World, settings: Settings, texts: Texts
) -> None:
    case = await drive_to(sessions, world, settings, texts, CaseState.ACCEPTED)
    tomorrow = cases.local_today(settings) + timedelta(days=1)

    async def set_briefing(at: time) -> Case:
        moment = cases.briefing_moment(tomorrow, at, settings)
        return await perform(
            sessions,
            world.lead_south,
            case.id,
            CaseAct.SET_BRIEFING,
            settings,
            texts,
            cases.ActInput(briefing_at=moment),
        )

    await set_briefing(time(11, 0))
    moved = await set_briefing(time(9, 0))  # moved: one reminder, of the new time
    assert moved.briefing_at is not None
    pending = [
        r
        for r in await case_reminders(sessions, case.id)
        if r.kind == cases.BRIEFING_DAY and r.state == ReminderState.PENDING
    ]
    assert [r.due_at for r in pending] == [moved.briefing_at - timedelta(hours=1)]
    cancelled = [
        r
        for r in await case_reminders(sessions, case.id)
        if r.kind == cases.BRIEFING_DAY and r.state == ReminderState.CANCELLED
    ]
    assert [r.due_at for r in cancelled] == [
        datetime.combine(tomorrow, time(9, 0), tzinfo=settings.tz)
    ]

    moved = await set_briefing(time(15, 0))
    assert moved.briefing_at is not None
    (reminder,) = [
        r
        for r in await case_reminders(sessions, case.id)
        if r.kind == cases.BRIEFING_DAY and r.state == ReminderState.PENDING
    ]
    assert reminder.due_at == datetime.combine(tomorrow, time(9, 0), tzinfo=settings.tz)
    mark = await last_outbox_id(sessions)
    kinds = registry(settings, texts)
    assert await reminders.sweep(sessions, kinds, now=reminder.due_at - timedelta(seconds=1)) == 0
    assert await reminders.sweep(sessions, kinds, now=reminder.due_at) == 1
    rows = await outbox(sessions, after=mark)
    assert sorted(row.chat_id for row in rows) == sorted([LEAD_SOUTH_TG, MANAGER_TG])
    when = texts.datetime(moved.briefing_at)
    assert when.endswith(" 15:00")
    (lead,) = [row for row in rows if row.chat_id == LEAD_SOUTH_TG]
    assert lead.payload["text"] == texts(
        "case-remind-briefing-lead", id=case.id, when=moved.briefing_at, manager="Мария Козлова"
    )
    assert buttons(lead) == [[texts("case-btn-briefing-held")]]
    copy = next(
        r for r in await outbox(sessions) if r.subject == f"case:{case.id}:lead:{world.lead_south}"
    )
    assert lead.target_id == copy.id
    (manager,) = [row for row in rows if row.chat_id == MANAGER_TG]
    assert manager.payload["text"] == texts(
        "case-remind-briefing-manager", id=case.id, when=moved.briefing_at, who="Борис Южный"
    )
    notice = next(r for r in await outbox(sessions) if r.subject == f"case:{case.id}:manager")
    assert manager.target_id == notice.id


async def test_a_held_or_withdrawn_briefing_is_not_reminded(
    sessions: async_sessionmaker[AsyncSession], world: World, settings: Settings, texts: Texts
) -> None:
    held = await drive_to(sessions, world, settings, texts, CaseState.RECHECK)
    briefing = await drive_to(sessions, world, settings, texts, CaseState.BRIEFING_SET)
    async with sessions() as session:
        await cases.withdraw(
            session, await _employee(session, world.cs), briefing.id, settings=settings, texts=texts
        )
    for case in (held, briefing):
        states = {
            r.state for r in await case_reminders(sessions, case.id) if r.kind == cases.BRIEFING_DAY
        }
        assert states == {ReminderState.CANCELLED}


# --- reminders can be acted on where they arrive -------------------------------------------


async def test_reminders_carry_their_button_or_reply_to_the_post(
    sessions: async_sessionmaker[AsyncSession], world: World, settings: Settings, texts: Texts
) -> None:
    kinds = registry(settings, texts)
    new = await register(sessions, world, settings, texts)
    created = (await stored_case(sessions, new.id)).created_at
    posts = {r.subject: r for r in await outbox(sessions)}
    group = posts[f"case:{new.id}:group"]
    mark = await last_outbox_id(sessions)
    await reminders.sweep(sessions, kinds, now=created + settings.ack_sla)
    acks = await outbox(sessions, after=mark)
    for row in acks:
        assert buttons(row) == [[texts("case-btn-accept")]]
        assert row.payload["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == (
            CaseButton(act=CaseAct.ACCEPT, case_id=new.id).pack()
        )
        assert row.target_id == posts[f"case:{new.id}:lead:{world.lead_both}"].id or (
            row.target_id == posts[f"case:{new.id}:lead:{world.lead_south}"].id
        )
    mark = await last_outbox_id(sessions)
    await reminders.sweep(sessions, kinds, now=created + 2 * settings.ack_sla)
    (escalation,) = await outbox(sessions, after=mark)
    assert escalation.target_id == group.id

    recheck = await drive_to(sessions, world, settings, texts, CaseState.RECHECK)
    group = next(r for r in await outbox(sessions) if r.subject == f"case:{recheck.id}:group")
    due = (await stored_case(sessions, recheck.id)).recheck_due_at
    assert due is not None
    mark = await last_outbox_id(sessions)
    await reminders.sweep(sessions, kinds, now=due - settings.recheck_notice)
    (soon,) = await outbox(sessions, after=mark)
    assert soon.target_id == group.id
    mark = await last_outbox_id(sessions)
    await reminders.sweep(sessions, kinds, now=due)
    rows = await outbox(sessions, after=mark)
    (in_group,) = [r for r in rows if r.chat_id == CS_CHAT_ID]
    assert in_group.target_id == group.id
    assert buttons(in_group) == [
        [texts("case-btn-recheck-passed")],
        [texts("case-btn-recheck-failed")],
    ]
    for row in rows:
        if row.chat_id != CS_CHAT_ID:
            assert row.target_id is not None  # a reply to the lead's copy

    analysed = await drive_to(sessions, world, settings, texts, CaseState.ANALYSED)
    group = next(r for r in await outbox(sessions) if r.subject == f"case:{analysed.id}:group")
    (measures,) = [
        r
        for r in await case_reminders(sessions, analysed.id)
        if r.kind == cases.MEASURES_DUE and r.state == ReminderState.PENDING
    ]
    mark = await last_outbox_id(sessions)
    await reminders.sweep(sessions, kinds, now=measures.due_at)
    rows = await outbox(sessions, after=mark)
    assert sorted(r.chat_id for r in rows) == sorted([CS_CHAT_ID, *SOUTH_LEADS_TG])
    assert all(r.target_id is not None for r in rows)
    assert next(r for r in rows if r.chat_id == CS_CHAT_ID).target_id == group.id


# --- the case history in Russian --------------------------------------------------------------


async def test_the_history_comments_the_bot_writes_are_russian(
    sessions: async_sessionmaker[AsyncSession], world: World, settings: Settings, texts: Texts
) -> None:
    first = await register(sessions, world, settings, texts)
    second = await drive_to(sessions, world, settings, texts, CaseState.BRIEFING_SET)
    async with sessions() as session:
        comments = {
            (e.entity_id, e.action): e.comment
            for e in (await session.execute(select(AuditEntry))).scalars()
        }
    assert comments[(second.id, "register")] == f"повтор кейса #{first.id}"
    stored = await stored_case(sessions, second.id)
    assert stored.briefing_at is not None
    assert comments[(second.id, "set_briefing")] == texts.datetime(stored.briefing_at)
    assert comments[(second.id, "set_briefing")].endswith(" 10:00")
