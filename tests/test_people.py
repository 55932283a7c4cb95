"""Whom each dialog may offer when it asks for a person (bot/services/people), and a pick
checked against it on the server."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services import people, roster
from bot.services.errors import NotFound
from bot.services.people import Scope
from db import employees as employees_db
from tests.conftest import person

ROSTER = """full_name,role,group,position,telegram_id,username
Ольга Смирнова,cs,,Специалист КС,1001,
Андрей Лидеров,lead,Группа Север;Группа Юг,Главный менеджер,2001,
Борис Главный,lead,Группа Запад,Главный менеджер,2002,
Иван Петров,manager,Группа Север,Менеджер по продажам,3001,
Мария Козлова,manager,Группа Юг,Менеджер по показам,3002,
Павел Новиков,manager,Группа Запад,Фронт-менеджер,,
"""


@pytest.fixture
async def session(sessions: async_sessionmaker[AsyncSession]) -> AsyncSession:
    async with sessions() as session:
        await roster.import_roster(session, ROSTER.encode(), "roster.csv")
    async with sessions() as session:
        yield session


def names(found: list) -> list[str]:
    return [employee.full_name for employee in found]


async def test_cs_picks_among_managers_and_leads_by_part_of_the_name(session: AsyncSession):
    cs = await person(session, 1001)
    assert names(await people.people_in(session, cs, Scope.STAFF)) == [
        "Андрей Лидеров",
        "Борис Главный",
        "Иван Петров",
        "Мария Козлова",
        "Павел Новиков",
    ]
    assert names(await people.people_in(session, cs, Scope.STAFF, query="КОЗЛ")) == [
        "Мария Козлова"
    ]
    # CS is not whom a case is about; a lead or a manager sees nobody of this scope.
    assert await people.people_in(session, cs, Scope.STAFF, query="Смирн") == []
    for telegram_id in (2001, 3001):
        assert (
            await people.people_in(session, await person(session, telegram_id), Scope.STAFF) == []
        )


async def test_a_lead_picks_only_among_the_managers_of_his_groups(session: AsyncSession):
    lead = await person(session, 2001)
    assert names(await people.people_in(session, lead, Scope.MY_MANAGERS)) == [
        "Иван Петров",
        "Мария Козлова",
    ]
    south = next(group for group in lead.groups if group.name == "Группа Юг")
    assert names(await people.people_in(session, lead, Scope.GROUP, group_id=south.id)) == [
        "Мария Козлова"
    ]
    other = await person(session, 2002)
    west = other.groups[0]
    assert await people.people_in(session, lead, Scope.GROUP, group_id=west.id) == []
    # A manager picks nobody, not even himself, from a lead's scope.
    assert await people.people_in(session, await person(session, 3001), Scope.MY_MANAGERS) == []


async def test_a_pick_outside_the_scope_is_not_found(session: AsyncSession):
    lead = await person(session, 2001)
    maria = await person(session, 3002)
    assert (await people.pick(session, lead, Scope.MY_MANAGERS, maria.id)).full_name == (
        "Мария Козлова"
    )
    pavel = next(e for e in await employees_db.all_employees(session) if e.telegram_id is None)
    for forged in (pavel.id, lead.id, 0, 10**6):
        with pytest.raises(NotFound) as refused:
            await people.pick(session, lead, Scope.MY_MANAGERS, forged)
        assert refused.value.key == "picker-not-found"


async def test_access_offers_the_unbound_entries_to_cs_only(session: AsyncSession):
    cs = await person(session, 1001)
    assert names(await people.people_in(session, cs, Scope.UNBOUND)) == ["Павел Новиков"]
    assert await people.people_in(session, await person(session, 2001), Scope.UNBOUND) == []


def test_a_search_is_folded_and_bounded():
    assert people.clean_query("  Мария   Коз ") == "Мария Коз"
    assert len(people.clean_query("я" * 500)) == people.MAX_QUERY
