"""/results at the service level, on the real migrated database with MonthlyResult rows
inserted directly: ranks, changes and scope per role, the month buttons, and paging that
keeps every page under Telegram's limits."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.callbacks import ResultsPage
from bot.services import results, roster
from bot.services.errors import Forbidden, NotFound
from bot.texts import Texts
from db.models import MonthlyResult, WorkingGroup
from tests.conftest import person

CS, LEAD, MANAGER, OTHER = 1001, 2001, 3002, 3003
ROSTER = """full_name,role,group,position,telegram_id,username
Ольга Смирнова,cs,,Специалист КС,1001,
Андрей Лидеров,lead,Группа Север;Группа Юг,Главный менеджер,2001,
Мария Козлова,manager,Группа Юг,Менеджер по показам,3002,
Павел Новиков,manager,Группа Юг,Фронт-менеджер,3003,
Иван Петров,manager,Группа Запад,Менеджер по продажам,3004,
"""
SEPTEMBER, OCTOBER, NOVEMBER = date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)


@pytest.fixture
async def world(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        await roster.import_roster(session, ROSTER.encode(), "roster.csv")


async def group(session: AsyncSession, name: str) -> WorkingGroup:
    found = await session.execute(select(WorkingGroup).where(WorkingGroup.name == name))
    return found.scalar_one()


async def add_rows(
    session: AsyncSession, month: date, rows: list[tuple[str, int | None, float, int]]
) -> None:
    """(group name, manager's Telegram id or None, score, evaluations)."""
    for name, manager, score, evaluations in rows:
        found = await group(session, name)
        manager_id = (await person(session, manager)).id if manager else None
        session.add(
            MonthlyResult(
                month=month,
                group_id=found.id,
                manager_id=manager_id,
                score=score,
                evaluations=evaluations,
            )
        )
    await session.commit()


@pytest.fixture
async def filled(sessions: async_sessionmaker[AsyncSession], world: None) -> None:
    async with sessions() as session:
        await add_rows(session, SEPTEMBER, [("Группа Север", None, 80.0, 10)])
        await add_rows(
            session,
            OCTOBER,
            [
                ("Группа Север", None, 85.0, 20),  # +5
                # Юг per manager: (90*10 + 70*30) / 40 = 75; no September row
                ("Группа Юг", MANAGER, 90.0, 10),
                ("Группа Юг", OTHER, 70.0, 30),
                ("Группа Запад", None, 95.5, 5),
            ],
        )


async def test_cs_sees_every_group_ranked_with_the_overall_score(
    sessions: async_sessionmaker[AsyncSession], texts: Texts, filled: None
) -> None:
    async with sessions() as session:
        view = await results.view(session, await person(session, CS))
    assert view is not None
    assert (view.month, view.previous, view.following) == (OCTOBER, SEPTEMBER, None)
    assert [(g.name, g.rank, g.evaluations) for g in view.groups] == [
        ("Группа Запад", 1, 5),
        ("Группа Север", 2, 20),
        ("Группа Юг", 3, 40),
    ]
    assert view.groups[0].change is None
    assert view.groups[1].change == pytest.approx(5.0)
    assert view.groups[2].score == pytest.approx(75.0)
    assert view.groups[2].change is None
    assert all(not g.managers for g in view.groups)
    total = 85 * 20 + 90 * 10 + 70 * 30 + 95.5 * 5
    assert view.overall == pytest.approx(total / 65)
    assert view.overall_change == pytest.approx(total / 65 - 80.0)

    (text,) = results.pages(view, texts)
    assert "Итоги за октябрь 2026" in text
    assert "1 из 3. <b>Группа Запад</b> — 95,5 % (—), оценок: 5" in text
    assert "2 из 3. <b>Группа Север</b> — 85,0 % (+5,0 п.п.), оценок: 20" in text
    assert f"Общий балл: <b>{results.percent(total / 65)}</b>" in text
    assert "к итогам за сентябрь 2026" in text


async def test_a_lead_sees_his_groups_and_their_managers_only(
    sessions: async_sessionmaker[AsyncSession], texts: Texts, filled: None
) -> None:
    async with sessions() as session:
        view = await results.view(session, await person(session, LEAD))
    assert view is not None
    assert [(g.name, g.rank) for g in view.groups] == [("Группа Север", 2), ("Группа Юг", 3)]
    assert view.total_groups == 3
    assert view.overall is None
    north, south = view.groups
    assert north.managers == []
    assert [(m.full_name, m.score) for m in south.managers] == [
        ("Мария Козлова", 90.0),
        ("Павел Новиков", 70.0),
    ]
    (text,) = results.pages(view, texts)
    assert "Запад" not in text
    assert "Общий балл" not in text
    assert "3 из 3. <b>Группа Юг</b> — 75,0 % (—), оценок: 40" in text
    assert "· Мария Козлова — 90,0 %, оценок: 10" in text


async def test_a_manager_sees_his_group_and_his_own_score(
    sessions: async_sessionmaker[AsyncSession], texts: Texts, filled: None
) -> None:
    async with sessions() as session:
        view = await results.view(session, await person(session, MANAGER))
        west = await results.view(session, await person(session, 3004))
    assert view is not None
    assert west is not None
    assert [(g.name, g.rank, g.managers) for g in view.groups] == [("Группа Юг", 3, [])]
    assert view.own is not None
    assert (view.own.full_name, view.own.score, view.own.evaluations) == ("Мария Козлова", 90, 10)
    (text,) = results.pages(view, texts)
    assert "Ваша оценка: <b>90,0 %</b>" in text
    assert "Павел Новиков" not in text
    assert "Север" not in text
    # A group with one total row: no own score, just the group.
    assert [g.name for g in west.groups] == ["Группа Запад"]
    assert west.own is None


async def test_earlier_month_and_buttons(
    sessions: async_sessionmaker[AsyncSession], texts: Texts, filled: None
) -> None:
    async with sessions() as session:
        lead = await person(session, LEAD)
        latest = await results.screen(session, lead, texts)
        earlier = await results.screen(session, lead, texts, month=SEPTEMBER)
        september = await results.view(session, lead, SEPTEMBER)
        with pytest.raises(NotFound):
            await results.view(session, lead, NOVEMBER)
    assert latest.keyboard is not None
    buttons, trends = latest.keyboard.inline_keyboard
    assert [b.text for b in buttons] == ["◀ Предыдущий месяц"]
    assert [(b.text, b.callback_data) for b in trends] == [("📈 Динамика", "tr:0")]
    assert buttons[0].callback_data == ResultsPage(month=202609, page=0).pack()
    assert earlier.keyboard is not None
    buttons, _ = earlier.keyboard.inline_keyboard
    assert [b.text for b in buttons] == ["Следующий месяц ▶"]
    assert "Итоги за сентябрь 2026" in earlier.text
    assert "Более ранних итогов нет" in earlier.text
    assert september is not None
    # In September only Север had results: rank 1 of 1; Юг is not shown.
    assert [(g.name, g.rank, g.change) for g in september.groups] == [("Группа Север", 1, None)]


async def test_no_results_and_unknown_users(
    sessions: async_sessionmaker[AsyncSession], texts: Texts, world: None
) -> None:
    async with sessions() as session:
        shown = await results.screen(session, await person(session, CS), texts)
        with pytest.raises(Forbidden):
            await results.view(session, None)
        lead = await person(session, LEAD)
        lead.active = False
        with pytest.raises(Forbidden):
            await results.view(session, lead)
    assert shown.text == texts("results-empty")
    assert shown.keyboard is None


async def test_two_hundred_groups_are_paged_within_the_limits(
    sessions: async_sessionmaker[AsyncSession], texts: Texts, world: None
) -> None:
    async with sessions() as session:
        # Long names (up to the column's 200 characters) make the pages short.
        groups = [
            WorkingGroup(name=(f"Шоурум «{n:03d}» " + "длинное название " * 12)[:200].strip())
            for n in range(200)
        ]
        session.add_all(groups)
        await session.flush()
        for number, found in enumerate(groups):
            for month in (SEPTEMBER, OCTOBER):
                session.add(
                    MonthlyResult(
                        month=month,
                        group_id=found.id,
                        score=50 + (number * 7 + month.month) % 50,
                        evaluations=100,
                    )
                )
        await session.commit()
        cs = await person(session, CS)
        view = await results.view(session, cs)
        assert view is not None
        shown = results.pages(view, texts)
        assert len(shown) > 1
        seen: list[str] = []
        for number, text in enumerate(shown):
            assert len(text) <= 4096
            assert f"Стр. {number + 1}/{len(shown)}" in text
            screen = await results.screen(session, cs, texts, month=OCTOBER, page=number)
            assert screen.text == text
            assert screen.keyboard is not None
            for row in screen.keyboard.inline_keyboard:
                for button in row:
                    assert button.callback_data is not None
                    assert len(button.callback_data.encode()) <= 64
            paging = [b.text for b in screen.keyboard.inline_keyboard[0]]
            assert paging == (
                ["▶"] if number == 0 else ["◀"] if number == len(shown) - 1 else ["◀", "▶"]
            )
            seen += [line for line in text.splitlines() if " из 200. " in line]
        # Every group once, in rank order, across the pages.
        assert [line.split(" из ")[0] for line in seen] == [str(n) for n in range(1, 201)]
        # A page past the end (a stale button) shows the last page.
        last = await results.screen(session, cs, texts, month=OCTOBER, page=99)
        assert last.text == shown[-1]
