"""World builders of the end-to-end tests: what a test needs in place before the people act,
made through the services (the dialogs that make the same things have their own tests)."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.callbacks import CaseAct
from bot.services import appeals, cases, meetings, requests
from bot.settings import Settings
from bot.texts import Texts
from db.engine import write_transaction
from db.models import (
    Appeal,
    Case,
    CaseCategory,
    CaseSource,
    CaseTab,
    Employee,
    MeetingInvite,
    MonthlyResult,
    RequestKind,
    Role,
    ServiceRequest,
    WorkingGroup,
)
from emulator import BotAPIEmulator
from tests.conftest import make_settings
from tests.e2e.conftest import CS_ID, LEAD_ID, OTHER_MANAGER_ID
from tests.e2e.steps import MOSCOW, today

SUMMARY = "Не представился клиенту, не уточнил потребность. Тел. +7 999 123-45-67"


async def employee(session: AsyncSession, telegram_id: int) -> Employee:
    query = select(Employee).where(Employee.telegram_id == telegram_id)
    return (await session.execute(query)).scalar_one()


async def register_case(
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    category: CaseCategory = CaseCategory.COMMUNICATION,
    summary: str = SUMMARY,
    *,
    manager_telegram_id: int = OTHER_MANAGER_ID,
    source: CaseSource = CaseSource.MEETING,
    link: str | None = None,
    **settings_overrides: Any,
) -> Case:
    """CS registers a case, by default about Мария Козлова (Группа Юг, whose lead is Андрей
    Лидеров), through the service, as /case would; `settings_overrides` as the bot process
    has them (the reminders' due times are set at registration)."""
    settings, texts = services(database_url, **settings_overrides)
    async with sessions() as session:
        author = await employee(session, CS_ID)
        manager = await employee(session, manager_telegram_id)
        return await cases.register(
            session,
            author,
            cases.CaseDraft(
                manager_id=manager.id,
                tab=CaseTab.CASES,
                category=category,
                source=source,
                incident_date=today() - timedelta(days=1),
                summary=summary,
                link=link,
            ),
            settings=settings,
            texts=texts,
            bot_username="cs_test_bot",
        )


def services(database_url: str, **settings_overrides: Any) -> tuple[Settings, Texts]:
    """The settings and texts the bot process has (with `settings_overrides` as its env)."""
    return make_settings(database_url, **settings_overrides), Texts("ru", tz=MOSCOW)


async def act_on_case(
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    case_id: int,
    telegram_id: int,
    act: CaseAct,
    data: cases.ActInput | None = None,
) -> Case:
    """A person does `act` to the case through the service, as its button would."""
    settings, texts = services(database_url)
    async with sessions() as session:
        return await cases.perform(
            session,
            await employee(session, telegram_id),
            case_id,
            act,
            settings=settings,
            texts=texts,
            data=data,
            bot_username="cs_test_bot",
        )


def briefing_tomorrow(database_url: str) -> cases.ActInput:
    """A briefing tomorrow at 11:00 (the input of «Назначить брифинг»)."""
    settings, _ = services(database_url)
    tomorrow = today() + timedelta(days=1)
    return cases.ActInput(briefing_at=cases.briefing_moment(tomorrow, time(11, 0), settings))


def an_analysis() -> cases.ActInput:
    """A process analysis (the input of «Заполнить разбор»)."""
    return cases.ActInput(
        analysis=cases.Analysis(
            process="Выпуск ЭЦП",
            cause="Сбой сервиса",
            measures="Резервный канал",
            measures_due=today() + timedelta(days=3),
        )
    )


async def open_appeal(
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    case_id: int,
    *,
    filer_telegram_id: int = OTHER_MANAGER_ID,
    reason: str = "Я представилась, это есть на записи.",
) -> Appeal:
    """The case's manager files an appeal (CS gets it in the group with its decisions)."""
    settings, texts = services(database_url)
    async with sessions() as session:
        return await appeals.file(
            session,
            await employee(session, filer_telegram_id),
            appeals.AppealDraft(case_id=case_id, reason=reason),
            settings=settings,
            texts=texts,
        )


async def new_request(
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    *,
    telegram_id: int = LEAD_ID,
    kind: RequestKind = RequestKind.BADGE,
    draft: dict[str, Any] | None = None,
) -> ServiceRequest:
    """A lead (or a manager) files a request, by default two audio badges (CS gets it in the
    group with «Взять» / «Отклонить»)."""
    settings, texts = services(database_url)
    fields = draft or {"item": "audio", "quantity": "2", "place": "Шоурум Юг", "recipient": "Мария"}
    async with sessions() as session:
        return await requests.submit(
            session,
            await employee(session, telegram_id),
            kind,
            fields,
            settings=settings,
            texts=texts,
        )


async def meeting_invitation(
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    month: date = date(2026, 10, 1),
    **settings_overrides: Any,
) -> MeetingInvite:
    """What the digest does when it flags every group: the lead is invited to book a meeting
    («Записаться на встречу»); `settings_overrides` as the bot process has them."""
    settings, texts = services(database_url, **settings_overrides)
    async with sessions() as session, write_transaction(session):
        groups = (await session.execute(select(WorkingGroup.id).order_by(WorkingGroup.name))).all()
        (invite,) = await meetings.invite_leads(
            session,
            month=month,
            group_ids=[row[0] for row in groups],
            settings=settings,
            texts=texts,
        )
    return invite


async def month_results(
    sessions: async_sessionmaker[AsyncSession], month: date, scores: dict[str, float]
) -> None:
    """The results of a month, a score per working group (as /import leaves them)."""
    # A write transaction, as the bot's own: the bot may be writing at the same moment.
    async with sessions() as session, write_transaction(session):
        for name, score in scores.items():
            group = (
                await session.execute(select(WorkingGroup).where(WorkingGroup.name == name))
            ).scalar_one()
            session.add(MonthlyResult(month=month, group_id=group.id, score=score, evaluations=20))


async def working_group(sessions: async_sessionmaker[AsyncSession], name: str) -> int:
    """A working group nobody in the roster belongs to (as a roster import leaves one); its id."""
    async with sessions() as session, write_transaction(session):
        group = WorkingGroup(name=name)
        session.add(group)
        await session.flush()
        return group.id


async def manager_results(
    sessions: async_sessionmaker[AsyncSession], month: date, group: str, scores: dict[str, float]
) -> None:
    """A group's results of a month imported per manager: a score per manager's full name."""
    async with sessions() as session, write_transaction(session):
        group_id = (
            await session.execute(select(WorkingGroup.id).where(WorkingGroup.name == group))
        ).scalar_one()
        for name, score in scores.items():
            manager_id = (
                await session.execute(select(Employee.id).where(Employee.full_name == name))
            ).scalar_one()
            session.add(
                MonthlyResult(
                    month=month,
                    group_id=group_id,
                    manager_id=manager_id,
                    score=score,
                    evaluations=20,
                )
            )


async def second_cs_member(
    sessions: async_sessionmaker[AsyncSession],
    emu: BotAPIEmulator,
    telegram_id: int = 1002,
    full_name: str = "Ирина Петрова",
) -> int:
    """A second CS member (the shared roster has one), in the roster and in Telegram; her
    employee id. The bot reads the roster per update, so she may come after it started."""
    first, last = full_name.split(" ", 1)
    emu.add_user(telegram_id, first, last)
    async with sessions() as session, write_transaction(session):
        member = Employee(
            full_name=full_name, role=Role.CS, position="Специалист КС", telegram_id=telegram_id
        )
        session.add(member)
        await session.flush()
        return member.id
