"""Looking cases up: scope (CS all, a lead his groups', a manager his own), filters, pages
newest first, and a case's card with its history — on a real migrated SQLite."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.callbacks import CaseAct, CaseButton
from bot.services import case_lookup, cases, longtext
from bot.services.errors import Forbidden, NotFound
from bot.texts import Texts
from db.engine import write_transaction
from db.models import (
    AuditEntry,
    Case,
    CaseCategory,
    CaseSource,
    CaseState,
    CaseTab,
    Employee,
    Role,
    WorkingGroup,
)
from handlers import cases_list

START = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


@dataclass
class World:
    cs: int
    lead_ns: int  # lead of North and South
    lead_w: int  # lead of West
    man_n: int
    man_s: int
    man_w: int
    groups: dict[str, int]


async def _world(sessions: async_sessionmaker[AsyncSession]) -> World:
    async with sessions() as session, write_transaction(session):
        north, south, west = (WorkingGroup(name=name) for name in ("Север", "Юг", "Запад"))
        session.add_all([north, south, west])

        def person(name: str, role: Role, *groups: WorkingGroup) -> Employee:
            employee = Employee(full_name=name, role=role, groups=list(groups))
            session.add(employee)
            return employee

        people = [
            person("Ольга Смирнова", Role.CS),
            person("Андрей Лидеров", Role.LEAD, north, south),
            person("Виктор Западов", Role.LEAD, west),
            person("Иван Петров", Role.MANAGER, north),
            person("Мария Козлова", Role.MANAGER, south),
            person("Пётр Западный", Role.MANAGER, west),
        ]
        await session.flush()
        return World(
            *(p.id for p in people),
            groups={g.name: g.id for g in (north, south, west)},
        )


async def _case(
    sessions: async_sessionmaker[AsyncSession],
    manager_id: int,
    *,
    created_at: datetime,
    state: CaseState = CaseState.NEW,
    category: CaseCategory = CaseCategory.COMMUNICATION,
    summary: str = "Не назвал сроки доставки",
) -> int:
    async with sessions() as session, write_transaction(session):
        manager = await session.get(Employee, manager_id)
        assert manager is not None
        case = Case(
            tab=CaseTab.CASES,
            category=category,
            source=CaseSource.CALL,
            manager_id=manager.id,
            group_id=manager.groups[0].id,
            incident_date=date(2026, 10, 30),
            summary=summary,
            state=state,
            created_at=created_at,
        )
        session.add(case)
        await session.flush()
        return case.id


async def _viewer(session: AsyncSession, employee_id: int) -> Employee:
    employee = await session.get(Employee, employee_id)
    assert employee is not None
    return employee


async def _ids(
    sessions: async_sessionmaker[AsyncSession], viewer_id: int | None, **filters: Any
) -> list[int]:
    async with sessions() as session:
        viewer = await _viewer(session, viewer_id) if viewer_id is not None else None
        page = await case_lookup.list_for(session, viewer, page_size=100, **filters)
        return [case.id for case in page.items]


@pytest.fixture
async def world(sessions: async_sessionmaker[AsyncSession]) -> World:
    return await _world(sessions)


@pytest.fixture
async def spread(sessions: async_sessionmaker[AsyncSession], world: World) -> dict[str, int]:
    """One case per manager and a few states; the later a name in the dict, the newer."""
    made: dict[str, int] = {}
    specs = [
        ("north_new", world.man_n, CaseState.NEW, CaseCategory.COMMUNICATION),
        ("south_accepted", world.man_s, CaseState.ACCEPTED, CaseCategory.PROCESS),
        ("west_new", world.man_w, CaseState.NEW, CaseCategory.PROCESS),
        ("north_closed", world.man_n, CaseState.CLOSED, CaseCategory.COMMUNICATION),
        ("south_withdrawn", world.man_s, CaseState.WITHDRAWN, CaseCategory.COMMUNICATION),
        ("north_recheck", world.man_n, CaseState.RECHECK, CaseCategory.COMMUNICATION),
        ("west_repeated", world.man_w, CaseState.REPEATED, CaseCategory.COMMUNICATION),
    ]
    for minutes, (name, manager_id, state, category) in enumerate(specs):
        made[name] = await _case(
            sessions,
            manager_id,
            created_at=START + timedelta(minutes=minutes),
            state=state,
            category=category,
        )
    return made


def _newest_first(spread: dict[str, int], *names: str) -> list[int]:
    order = list(spread)
    return [spread[name] for name in sorted(names, key=order.index, reverse=True)]


# --- scope ------------------------------------------------------------------------------


async def test_cs_sees_every_case(
    sessions: async_sessionmaker[AsyncSession], world: World, spread: dict[str, int]
) -> None:
    assert await _ids(sessions, world.cs, scope_filter="all") == _newest_first(spread, *spread)


async def test_a_lead_sees_only_the_cases_of_his_groups(
    sessions: async_sessionmaker[AsyncSession], world: World, spread: dict[str, int]
) -> None:
    north_south = [name for name in spread if not name.startswith("west")]
    assert await _ids(sessions, world.lead_ns, scope_filter="all") == _newest_first(
        spread, *north_south
    )
    west = [name for name in spread if name.startswith("west")]
    assert await _ids(sessions, world.lead_w, scope_filter="all") == _newest_first(spread, *west)


async def test_a_manager_sees_only_his_own_cases(
    sessions: async_sessionmaker[AsyncSession], world: World, spread: dict[str, int]
) -> None:
    mine = [name for name in spread if name.startswith("north")]
    assert await _ids(sessions, world.man_n, scope_filter="all") == _newest_first(spread, *mine)
    # A manager of a group with cases of somebody else's: still only his own.
    assert await _ids(sessions, world.man_s, scope_filter="all") == _newest_first(
        spread, "south_accepted", "south_withdrawn"
    )


async def test_a_lead_who_is_the_manager_of_a_case_sees_it_like_can_see_says(
    sessions: async_sessionmaker[AsyncSession], world: World, spread: dict[str, int]
) -> None:
    # A case registered on the West lead while it is filed under the North group.
    async with sessions() as session, write_transaction(session):
        session.add(
            Case(
                tab=CaseTab.GROWTH,
                category=CaseCategory.COMMUNICATION,
                source=CaseSource.MEETING,
                manager_id=world.lead_w,
                group_id=world.groups["Север"],
                incident_date=date(2026, 10, 1),
                summary="x",
                created_at=START + timedelta(days=1),
            )
        )
    async with sessions() as session:
        everything = (await case_lookup.list_for(session, await _viewer(session, world.cs))).items
        for viewer_id in (world.cs, world.lead_ns, world.lead_w, world.man_n, world.man_w):
            viewer = await _viewer(session, viewer_id)
            page = await case_lookup.list_for(session, viewer, page_size=100)
            expected = [case.id for case in everything if cases.can_see(viewer, case)]
            assert [case.id for case in page.items] == expected, viewer.full_name


async def test_an_unknown_or_deactivated_viewer_is_refused(
    sessions: async_sessionmaker[AsyncSession], world: World, spread: dict[str, int]
) -> None:
    async with sessions() as session:
        with pytest.raises(Forbidden):
            await case_lookup.list_for(session, None)
        lead = await _viewer(session, world.lead_ns)
        lead.active = False
        with pytest.raises(Forbidden):
            await case_lookup.list_for(session, lead)


async def test_the_scope_is_applied_by_the_query(
    sessions: async_sessionmaker[AsyncSession],
    engine: AsyncEngine,
    world: World,
    spread: dict[str, int],
) -> None:
    statements: list[str] = []

    def remember(conn: Any, cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", remember)
    try:
        async with sessions() as session:
            viewer = await _viewer(session, world.lead_w)
            statements.clear()
            page = await case_lookup.list_for(session, viewer, page_size=8)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", remember)
    assert [case.id for case in page.items] == [spread["west_new"]]
    listing = [s for s in statements if s.lstrip().startswith("SELECT cases.")]
    assert len(listing) == 1
    sql = " ".join(listing[0].split())
    assert "cases.group_id IN" in sql
    assert "cases.manager_id =" in sql
    assert "cases.state IN" in sql
    assert "ORDER BY cases.created_at DESC, cases.id DESC" in sql
    assert "LIMIT" in sql


# --- filters ----------------------------------------------------------------------------


async def test_open_cases_by_default_and_all_on_request(
    sessions: async_sessionmaker[AsyncSession], world: World, spread: dict[str, int]
) -> None:
    open_cases = _newest_first(spread, "north_new", "south_accepted", "west_new", "north_recheck")
    assert await _ids(sessions, world.cs) == open_cases
    assert len(await _ids(sessions, world.cs, scope_filter="all")) == len(spread)


async def test_filter_by_state_and_by_category(
    sessions: async_sessionmaker[AsyncSession], world: World, spread: dict[str, int]
) -> None:
    assert await _ids(sessions, world.cs, state=CaseState.CLOSED) == [spread["north_closed"]]
    # A final state can be asked for even though the default shows open cases only.
    assert await _ids(sessions, world.cs, scope_filter="open", state=CaseState.WITHDRAWN) == [
        spread["south_withdrawn"]
    ]
    assert await _ids(sessions, world.cs, category=CaseCategory.PROCESS) == _newest_first(
        spread, "south_accepted", "west_new"
    )
    assert await _ids(
        sessions, world.cs, scope_filter="all", category=CaseCategory.COMMUNICATION
    ) == _newest_first(
        spread, "north_new", "north_closed", "south_withdrawn", "north_recheck", "west_repeated"
    )
    # Filters narrow the scope, never widen it.
    assert await _ids(sessions, world.lead_ns, state=CaseState.REPEATED) == []
    assert await _ids(sessions, world.lead_w, category=CaseCategory.COMMUNICATION) == []


# --- pages ------------------------------------------------------------------------------


async def test_twenty_cases_make_three_pages_of_8_8_4_newest_first(
    sessions: async_sessionmaker[AsyncSession], world: World
) -> None:
    made = [
        await _case(sessions, world.man_s, created_at=START + timedelta(hours=n)) for n in range(20)
    ]
    newest_first = list(reversed(made))
    async with sessions() as session:
        viewer = await _viewer(session, world.lead_ns)
        pages = [await case_lookup.list_for(session, viewer, page=n) for n in range(3)]
        beyond = await case_lookup.list_for(session, viewer, page=7)
    assert [len(p.items) for p in pages] == [8, 8, 4]
    assert [(p.page, p.number, p.pages, p.total) for p in pages] == [
        (0, 1, 3, 20),
        (1, 2, 3, 20),
        (2, 3, 3, 20),
    ]
    assert [case.id for p in pages for case in p.items] == newest_first
    # A page past the end (cases closed meanwhile) gives the last one.
    assert (beyond.page, [c.id for c in beyond.items]) == (2, newest_first[16:])


async def test_equal_creation_times_page_by_id(
    sessions: async_sessionmaker[AsyncSession], world: World
) -> None:
    made = [await _case(sessions, world.man_n, created_at=START) for _ in range(5)]
    async with sessions() as session:
        viewer = await _viewer(session, world.cs)
        first = await case_lookup.list_for(session, viewer, page=0, page_size=3)
        second = await case_lookup.list_for(session, viewer, page=1, page_size=3)
    assert [c.id for c in (*first.items, *second.items)] == list(reversed(made))


async def test_an_empty_list_is_one_empty_page(
    sessions: async_sessionmaker[AsyncSession], world: World, spread: dict[str, int]
) -> None:
    async with sessions() as session:
        page = await case_lookup.list_for(
            session, await _viewer(session, world.lead_w), state=CaseState.ANALYSED
        )
    assert (list(page.items), page.page, page.pages, page.total) == ([], 0, 1, 0)


# --- the card ---------------------------------------------------------------------------


async def _history(sessions: async_sessionmaker[AsyncSession], case_id: int, world: World) -> None:
    async with sessions() as session, write_transaction(session):
        session.add_all(
            [
                # Written out of order: the card sorts by time, then by id.
                AuditEntry(
                    at=START + timedelta(hours=2),
                    actor_id=world.lead_ns,
                    entity="case",
                    entity_id=case_id,
                    action="set_briefing",
                    from_state=CaseState.ACCEPTED,
                    to_state=CaseState.BRIEFING_SET,
                    comment="2026-11-20",
                ),
                AuditEntry(
                    at=START,
                    actor_id=world.cs,
                    entity="case",
                    entity_id=case_id,
                    action="register",
                    to_state=CaseState.NEW,
                ),
                AuditEntry(
                    at=START + timedelta(hours=1),
                    actor_id=world.lead_ns,
                    entity="case",
                    entity_id=case_id,
                    action="accept",
                    from_state=CaseState.NEW,
                    to_state=CaseState.ACCEPTED,
                ),
                AuditEntry(
                    at=START + timedelta(hours=3),
                    actor_id=None,
                    entity="case",
                    entity_id=case_id,
                    action="note",
                    comment="<b>звонок</b> клиенту +7 999 123-45-67",
                ),
                # Another case's entry must not leak in.
                AuditEntry(
                    at=START,
                    actor_id=world.cs,
                    entity="case",
                    entity_id=case_id + 1000,
                    action="register",
                    to_state=CaseState.NEW,
                ),
            ]
        )


async def test_the_card_has_the_history_in_order_with_names(
    sessions: async_sessionmaker[AsyncSession], world: World, texts: Texts
) -> None:
    case_id = await _case(sessions, world.man_n, created_at=START, state=CaseState.BRIEFING_SET)
    await _history(sessions, case_id, world)
    async with sessions() as session:
        card = await case_lookup.card(session, await _viewer(session, world.man_n), case_id)
    assert card.case.id == case_id
    assert [(e.action, e.actor_name, e.from_state, e.to_state) for e in card.history] == [
        ("register", "Ольга Смирнова", None, CaseState.NEW),
        ("accept", "Андрей Лидеров", CaseState.NEW, CaseState.ACCEPTED),
        ("set_briefing", "Андрей Лидеров", CaseState.ACCEPTED, CaseState.BRIEFING_SET),
        ("note", None, None, None),
    ]
    # Client phone numbers are masked in comments as everywhere else.
    assert "123-45-67" not in card.history[-1].comment

    text = cases_list.card_text(card, texts)
    assert f"Кейс #{case_id}" in text
    assert "01.11.2026 12:00 · Ольга Смирнова: зарегистрирован — новый" in text
    assert "Андрей Лидеров: новый → в работе" in text
    assert "в работе → брифинг назначен — «20.11.2026»" in text
    assert "бот: заметка — «&lt;b&gt;звонок&lt;/b&gt;" in text
    assert "<b>звонок</b>" not in text
    assert text.index("зарегистрирован") < text.index("→ в работе") < text.index("заметка")


async def test_a_long_history_keeps_its_newest_lines(
    sessions: async_sessionmaker[AsyncSession], world: World, texts: Texts
) -> None:
    case_id = await _case(sessions, world.man_n, created_at=START)
    async with sessions() as session, write_transaction(session):
        session.add_all(
            AuditEntry(
                at=START + timedelta(minutes=n),
                actor_id=world.cs,
                entity="case",
                entity_id=case_id,
                action="note",
                comment=f"запись {n:03d} " + "x" * 80,
            )
            for n in range(100)
        )
    async with sessions() as session:
        card = await case_lookup.card(session, await _viewer(session, world.cs), case_id)
    text = cases_list.card_text(card, texts)
    assert longtext.visible_length(text) <= cases_list.MAX_CARD_TEXT
    assert "запись 099" in text
    assert "запись 000" not in text
    assert "более ранних записей" in text


async def test_a_case_out_of_scope_reads_as_missing(
    sessions: async_sessionmaker[AsyncSession], world: World, spread: dict[str, int]
) -> None:
    async with sessions() as session:
        lead_w = await _viewer(session, world.lead_w)
        man_s = await _viewer(session, world.man_s)
        for viewer, case_id in [
            (lead_w, spread["north_new"]),
            (man_s, spread["north_new"]),
            (None, spread["north_new"]),
            (lead_w, 999_999),
            (lead_w, 10**30),
        ]:
            with pytest.raises(NotFound) as refused:
                await case_lookup.card(session, viewer, case_id)
            assert refused.value.key == "case-error-missing"
        assert (await case_lookup.card(session, lead_w, spread["west_new"])).case.id == spread[
            "west_new"
        ]


# --- the buttons of /case N -------------------------------------------------------------


def _acts(markup: Any) -> list[CaseAct]:
    if markup is None:
        return []
    return [CaseButton.unpack(b.callback_data).act for row in markup.inline_keyboard for b in row]


async def test_the_buttons_are_those_the_viewer_may_press(
    sessions: async_sessionmaker[AsyncSession], world: World, texts: Texts
) -> None:
    new = await _case(sessions, world.man_n, created_at=START)
    recheck = await _case(sessions, world.man_n, created_at=START, state=CaseState.RECHECK)
    async with sessions() as session:
        cs = await _viewer(session, world.cs)
        lead = await _viewer(session, world.lead_ns)
        other_lead = await _viewer(session, world.lead_w)
        manager = await _viewer(session, world.man_n)
        new_case = await session.get(Case, new)
        recheck_case = await session.get(Case, recheck)
    assert new_case is not None
    assert recheck_case is not None
    assert _acts(case_lookup.actions_keyboard(new_case, lead, texts)) == [CaseAct.ACCEPT]
    # «Беру в работу» is the lead's: CS is not offered it.
    assert _acts(case_lookup.actions_keyboard(new_case, cs, texts)) == []
    assert _acts(case_lookup.actions_keyboard(recheck_case, cs, texts)) == [
        CaseAct.RECHECK_PASSED,
        CaseAct.RECHECK_FAILED,
    ]
    assert _acts(case_lookup.actions_keyboard(recheck_case, lead, texts)) == []
    assert case_lookup.actions_keyboard(new_case, other_lead, texts) is None
    assert case_lookup.actions_keyboard(new_case, manager, texts) is None


# --- list rows --------------------------------------------------------------------------


async def test_a_row_reads_number_name_state_and_date(
    sessions: async_sessionmaker[AsyncSession], world: World, texts: Texts
) -> None:
    case_id = await _case(
        sessions,
        world.man_n,
        created_at=datetime(2026, 11, 19, 22, 30, tzinfo=UTC),  # 20.11 in Moscow
        state=CaseState.ACCEPTED,
    )
    async with sessions() as session:
        case = await session.get(Case, case_id)
        assert case is not None
        label = cases_list.row_label(case, texts)
    assert label == f"#{case_id} · Иван Петров · в работе · 20.11"


def test_every_state_and_category_has_a_name(texts: Texts) -> None:
    for state in CaseState:
        assert cases_list.state_name(state, texts).strip()
    for category in CaseCategory:
        assert cases_list.category_name(category, texts).strip()
