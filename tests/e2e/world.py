"""World builders of the end-to-end tests: what a test needs in place before the people act,
made through the services (the dialogs that make the same things have their own tests)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services import cases
from bot.texts import Texts
from db.models import Case, CaseCategory, CaseSource, CaseTab, Employee
from tests.conftest import make_settings
from tests.e2e.conftest import CS_ID, OTHER_MANAGER_ID
from tests.e2e.steps import MOSCOW

SUMMARY = "Не представился клиенту, не уточнил потребность. Тел. +7 999 123-45-67"


async def employee(session: AsyncSession, telegram_id: int) -> Employee:
    query = select(Employee).where(Employee.telegram_id == telegram_id)
    return (await session.execute(query)).scalar_one()


async def register_case(
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    category: CaseCategory,
    summary: str = SUMMARY,
    *,
    manager_telegram_id: int = OTHER_MANAGER_ID,
    link: str | None = None,
) -> Case:
    """CS registers a case through the service, as /case would."""
    settings = make_settings(database_url)
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
                source=CaseSource.MEETING,
                incident_date=date.today() - timedelta(days=1),
                summary=summary,
                link=link,
            ),
            settings=settings,
            texts=Texts("ru", tz=MOSCOW),
            bot_username="cs_test_bot",
        )
