"""/results «Динамика» at the service level, on the real migrated database: the 12-month
series (gaps, not zeros; the window; the weighted scores), the scope of each role (CS any
group, a lead his groups and no other, a manager his group and his own score, or a note that
there is none), the caption and the PNG; and the digest's line naming the groups whose score
fell three months in a row."""

from __future__ import annotations

import math
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services import digest, roster, trends, trends_chart
from bot.services.errors import Forbidden, NotFound
from bot.services.trends import Series, SeriesKind
from bot.settings import Settings
from bot.texts import Texts
from db.models import MonthlyResult, Role, WorkingGroup
from tests.conftest import person

CS, LEAD, MARIA, PAVEL, IVAN = 1001, 2001, 3002, 3003, 3004
ROSTER = """full_name,role,group,position,telegram_id,username
Ольга Смирнова,cs,,Специалист КС,1001,
Андрей Лидеров,lead,Группа Север;Группа Юг,Главный менеджер,2001,
Мария Козлова,manager,Группа Юг,Менеджер по показам,3002,
Павел Новиков,manager,Группа Юг,Фронт-менеджер,3003,
Иван Петров,manager,Группа Запад,Менеджер по продажам,3004,
"""
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
OCT_2025, NOV_2025, JAN = date(2025, 10, 1), date(2025, 11, 1), date(2026, 1, 1)
AUG, SEP, OCT = date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1)
# The window ending with October 2026: November 2025 … October 2026.
WINDOW = (
    NOV_2025,
    date(2025, 12, 1),
    JAN,
    date(2026, 2, 1),
    date(2026, 3, 1),
    date(2026, 4, 1),
    date(2026, 5, 1),
    date(2026, 6, 1),
    date(2026, 7, 1),
    AUG,
    SEP,
    OCT,
)


def _at(values: dict[date, float]) -> tuple[float | None, ...]:
    """The window's values: those given, a gap (None) in every other month."""
    return tuple(values.get(month) for month in WINDOW)


# --- the series alone -------------------------------------------------------------------------


def test_the_window_is_twelve_calendar_months_across_a_year_end() -> None:
    assert trends.window(OCT) == WINDOW
    assert trends.window(date(2026, 2, 1), 3) == (date(2025, 12, 1), JAN, date(2026, 2, 1))


def test_a_month_without_a_score_is_a_gap_not_a_zero() -> None:
    values = trends.series(WINDOW, {NOV_2025: 81.0, AUG: 0.0, OCT: 77.5})
    assert values[0] == 81.0
    assert values[9] == 0.0  # a real zero stays a zero
    assert values[11] == 77.5
    assert [index for index, value in enumerate(values) if value is None] == [
        1,
        2,
        3,
        4,
        5,
        6,
        7,
        8,
        10,
    ]


def test_the_last_value_and_its_change_skip_the_gaps() -> None:
    assert trends.last_and_change([None, 80.0, None, 83.5, None]) == (3, 83.5, 3.5)
    assert trends.last_and_change([None, 80.0, None]) == (1, 80.0, None)
    assert trends.last_and_change([None, None]) is None


def test_strictly_falling_needs_every_month_and_each_lower() -> None:
    assert trends.strictly_falling([80.0, 75.0, 70.0])
    assert not trends.strictly_falling([80.0, 80.0, 70.0])  # a flat month is no fall
    assert not trends.strictly_falling([80.0, None, 70.0])  # a gap breaks the run
    assert not trends.strictly_falling([70.0, 75.0, 72.0])
    assert not trends.strictly_falling([70.0])


def test_the_chart_draws_gaps_as_breaks_and_writes_each_last_value() -> None:
    values = _at({NOV_2025: 81.0, JAN: 79.5, SEP: 70.0, OCT: 72.5})
    long_name = "Группа $1 и $2 " + "очень длинное название " * 3
    lines = [trends_chart.Line("Общий балл", values), trends_chart.Line(long_name, _at({OCT: 60}))]
    labels = trends_chart.ChartTexts("Динамика", [f"м{n}" for n in range(12)], "Балл, %")
    assert trends_chart.render_png(lines, labels).startswith(PNG_SIGNATURE)
    (axes,) = trends_chart.build_figure(lines, labels).axes
    overall = axes.lines[0].get_ydata()
    assert [index for index, value in enumerate(overall) if not math.isnan(value)] == [0, 2, 10, 11]
    assert [text.get_text() for text in axes.texts] == ["72,5", "60,0"]
    legend = axes.get_legend()
    assert legend is not None
    shown = [text.get_text() for text in legend.get_texts()]
    assert shown[0] == "Общий балл"
    # Cut to 40 characters, and «$» escaped: text, not a formula.
    assert shown[1].startswith(r"Группа \$1 и \$2 очень длинное")
    assert shown[1].endswith("…")
    assert len(shown[1].replace(r"\$", "$")) == 40
    assert [tick.get_text() for tick in axes.get_xticklabels()] == labels.months


# --- the scope, on the database ---------------------------------------------------------------


@pytest.fixture
async def world(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        await roster.import_roster(session, ROSTER.encode(), "roster.csv")


async def add_rows(
    session: AsyncSession, month: date, rows: list[tuple[str, int | None, float, int]]
) -> None:
    """(group name, manager's Telegram id or None, score, evaluations)."""
    for name, manager, score, evaluations in rows:
        found = await session.execute(select(WorkingGroup).where(WorkingGroup.name == name))
        group = found.scalar_one()
        manager_id = (await person(session, manager)).id if manager else None
        session.add(
            MonthlyResult(
                month=month,
                group_id=group.id,
                manager_id=manager_id,
                score=score,
                evaluations=evaluations,
            )
        )
    await session.commit()


@pytest.fixture
async def filled(sessions: async_sessionmaker[AsyncSession], world: None) -> None:
    """Север: one total row a month, falling in August–October; Юг: per-manager rows in
    September and October only; Запад: total rows, up and down; October 2025 is outside the
    window."""
    async with sessions() as session:
        await add_rows(session, OCT_2025, [("Группа Север", None, 99.0, 10)])
        await add_rows(session, JAN, [("Группа Север", None, 90.0, 10)])
        await add_rows(
            session, AUG, [("Группа Север", None, 80.0, 10), ("Группа Запад", None, 60.0, 30)]
        )
        await add_rows(
            session,
            SEP,
            [
                ("Группа Север", None, 75.0, 10),
                ("Группа Юг", MARIA, 80.0, 10),
                ("Группа Юг", PAVEL, 80.0, 10),
                ("Группа Запад", None, 70.0, 20),
            ],
        )
        await add_rows(
            session,
            OCT,
            [
                ("Группа Север", None, 70.0, 20),
                # Юг: (90*10 + 70*30) / 40 = 75
                ("Группа Юг", MARIA, 90.0, 10),
                ("Группа Юг", PAVEL, 70.0, 30),
                ("Группа Запад", None, 65.0, 20),
            ],
        )


def _lines(trend: trends.Trend) -> list[tuple[SeriesKind, str, tuple[float | None, ...]]]:
    return [(line.kind, line.name, line.values) for line in trend.lines]


async def test_cs_sees_the_overall_score_with_gaps_and_any_group_picked(
    sessions: async_sessionmaker[AsyncSession], filled: None
) -> None:
    async with sessions() as session:
        cs = await person(session, CS)
        overview = await trends.trend(session, cs)
        west = (
            await session.execute(select(WorkingGroup).where(WorkingGroup.name == "Группа Запад"))
        ).scalar_one()
        picked = await trends.trend(session, cs, west.id)
        with pytest.raises(NotFound) as gone:
            await trends.trend(session, cs, west.id + 1000)
    assert overview.months == WINDOW
    # Overall, weighted by evaluations: Aug (80*10 + 60*30) / 40 = 65; Sep (750 + 800 + 800
    # + 1400) / 50 = 75; Oct (1400 + 900 + 2100 + 1300) / 80 = 71.25; October 2025 left out.
    assert _lines(overview) == [
        (SeriesKind.OVERALL, "", _at({JAN: 90.0, AUG: 65.0, SEP: 75.0, OCT: 71.25}))
    ]
    assert [name for _, name in overview.pickable] == ["Группа Запад", "Группа Север", "Группа Юг"]
    assert _lines(picked)[1] == (
        SeriesKind.GROUP,
        "Группа Запад",
        _at({AUG: 60.0, SEP: 70.0, OCT: 65.0}),
    )
    assert gone.value.key == "trends-group-gone"


async def test_a_lead_sees_his_groups_and_is_refused_another(
    sessions: async_sessionmaker[AsyncSession], filled: None
) -> None:
    async with sessions() as session:
        lead = await person(session, LEAD)
        overview = await trends.trend(session, lead)
        ids = {g.name: g.id for g in (await session.execute(select(WorkingGroup))).scalars()}
        south = await trends.trend(session, lead, ids["Группа Юг"])
        with pytest.raises(Forbidden) as refused:
            await trends.trend(session, lead, ids["Группа Запад"])
    assert _lines(overview) == [
        (SeriesKind.GROUP, "Группа Север", _at({JAN: 90.0, AUG: 80.0, SEP: 75.0, OCT: 70.0})),
        (SeriesKind.GROUP, "Группа Юг", _at({SEP: 80.0, OCT: 75.0})),
    ]
    assert [name for _, name in overview.pickable] == ["Группа Север", "Группа Юг"]
    assert _lines(south) == [(SeriesKind.GROUP, "Группа Юг", _at({SEP: 80.0, OCT: 75.0}))]
    assert refused.value.key == "trends-not-your-group"


async def test_a_manager_sees_his_own_score_and_his_group_or_is_told_he_has_none(
    sessions: async_sessionmaker[AsyncSession], texts: Texts, filled: None
) -> None:
    async with sessions() as session:
        maria = await person(session, MARIA)
        ivan = await person(session, IVAN)
        hers = await trends.trend(session, maria)
        his = await trends.trend(session, ivan)
        north = (
            await session.execute(select(WorkingGroup).where(WorkingGroup.name == "Группа Север"))
        ).scalar_one()
        with pytest.raises(Forbidden):
            await trends.trend(session, maria, north.id)
    assert _lines(hers) == [
        (SeriesKind.OWN, "", _at({SEP: 80.0, OCT: 90.0})),
        (SeriesKind.GROUP, "Группа Юг", _at({SEP: 80.0, OCT: 75.0})),
    ]
    assert hers.pickable == ()
    assert not hers.no_own_score
    # Запад was imported as one total row a month: there is no score of Иван's own.
    assert _lines(his) == [
        (SeriesKind.GROUP, "Группа Запад", _at({AUG: 60.0, SEP: 70.0, OCT: 65.0}))
    ]
    assert his.no_own_score
    assert "Вашего личного балла в итогах нет" in trends.caption(his, texts)
    assert "Вашего личного балла" not in trends.caption(hers, texts)


async def test_the_chart_is_a_png_with_a_caption_of_the_scope_period_and_last_values(
    sessions: async_sessionmaker[AsyncSession], texts: Texts, filled: None
) -> None:
    async with sessions() as session:
        lead = await person(session, LEAD)
        chart = await trends.chart(session, lead, texts)
    assert chart.png.startswith(PNG_SIGNATURE)
    assert chart.filename == "trends-2026-10.png"
    assert chart.caption.splitlines()[:4] == [
        "📈 <b>Динамика: ваши группы</b>",
        "ноябрь 2025 — октябрь 2026 (12 месяцев; месяц без итогов — разрыв линии)",
        "· Группа Север: <b>70,0 %</b> за октябрь 2026 (−5,0 п.п.)",
        "· Группа Юг: <b>75,0 %</b> за октябрь 2026 (−5,0 п.п.)",
    ]
    assert len(chart.caption) <= 1024
    assert chart.keyboard is not None
    assert [[b.text for b in row] for row in chart.keyboard.inline_keyboard] == [
        ["Группа Север"],
        ["Группа Юг"],
    ]


async def test_no_results_in_the_scope_is_said_not_drawn(
    sessions: async_sessionmaker[AsyncSession], texts: Texts, world: None
) -> None:
    async with sessions() as session:
        lead = await person(session, LEAD)
        with pytest.raises(NotFound) as empty:
            await trends.chart(session, lead, texts)
        await add_rows(session, OCT, [("Группа Запад", None, 65.0, 20)])
        with pytest.raises(NotFound) as none_of_his:
            await trends.chart(session, lead, texts)
    assert empty.value.key == "results-empty"
    assert none_of_his.value.key == "trends-none-in-scope"
    assert "нет итогов по вашим группам" in texts(none_of_his.value.key)


async def test_many_groups_to_pick_are_paged(
    sessions: async_sessionmaker[AsyncSession], texts: Texts, world: None
) -> None:
    async with sessions() as session:
        for number in range(20):
            session.add(WorkingGroup(name=f"Группа {number:02d}"))
        await session.commit()
        await add_rows(session, OCT, [(f"Группа {n:02d}", None, 70.0 + n, 10) for n in range(20)])
        cs = await person(session, CS)
        first = await trends.picker_page(session, cs, texts, 0, 0)
        last = await trends.picker_page(session, cs, texts, 2, 0)
    assert first is not None
    assert last is not None
    assert [row[0].text for row in first.inline_keyboard[:8]] == [
        f"Группа {n:02d}" for n in range(8)
    ]
    assert [b.text for b in first.inline_keyboard[8]] == ["1/3", "▶"]
    assert [row[0].text for row in last.inline_keyboard[:4]] == [
        f"Группа {n:02d}" for n in range(16, 20)
    ]
    assert [b.text for b in last.inline_keyboard[4]] == ["◀", "3/3"]
    for row in first.inline_keyboard + last.inline_keyboard:
        for button in row:
            assert button.callback_data is not None
            assert len(button.callback_data.encode()) <= 64


def test_a_group_name_is_escaped_in_the_caption_and_plain_on_the_chart(texts: Texts) -> None:
    trend = trends.Trend(
        viewer_role=Role.CS,
        months=WINDOW,
        lines=(
            Series(SeriesKind.OVERALL, "", _at({OCT: 80.0})),
            Series(SeriesKind.GROUP, "Шоурум <Центр> & Ко", _at({SEP: 70.0, OCT: 72.5})),
        ),
        group_id=5,
        pickable=((5, "Шоурум <Центр> & Ко"),),
        in_scope=1,
    )
    caption = trends.caption(trend, texts)
    assert "Динамика: общий балл и Шоурум &lt;Центр&gt; &amp; Ко" in caption
    assert "· Шоурум &lt;Центр&gt; &amp; Ко: <b>72,5 %</b> за октябрь 2026 (+2,5 п.п.)" in caption
    assert "· Общий балл: <b>80,0 %</b> за октябрь 2026 (—)" in caption
    labels = trends.chart_texts(trend, texts)
    assert labels.title == "Динамика: общий балл и Шоурум <Центр> & Ко"
    assert labels.months[0] == "ноя 25"
    assert labels.months[-1] == "окт 26"


# --- the digest -------------------------------------------------------------------------------


async def test_the_digest_names_the_groups_that_fell_three_months_in_a_row(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, texts: Texts, filled: None
) -> None:
    async with sessions() as session:
        assert await trends.falling_groups(session, OCT) == ["Группа Север"]
        # September's three months (July–September): Север has no July, so no run.
        assert await trends.falling_groups(session, SEP) == []
        october = await digest.compute(session, OCT, settings=settings)
        september = await digest.compute(session, SEP, settings=settings)
    assert october is not None
    assert september is not None
    assert october.falling == ("Группа Север",)
    text = "\n".join(digest.messages(october, texts))
    assert "📉 Балл снижается три месяца подряд: Группа Север\n" in text + "\n"
    assert "снижается три месяца подряд" not in "\n".join(digest.messages(september, texts))


def test_the_falling_line_names_twenty_groups_and_counts_the_rest(texts: Texts) -> None:
    names = tuple(f"Группа {n:02d}" for n in range(23))
    (line,) = digest.falling_lines(_digest_with(names), texts)
    assert line.startswith("📉 Балл снижается три месяца подряд: Группа 00, Группа 01,")
    assert line.endswith("Группа 19 и ещё 3")
    assert digest.falling_lines(_digest_with(()), texts) == []


def _digest_with(falling: tuple[str, ...]) -> digest.Digest:
    return digest.Digest(
        month=OCT,
        previous=None,
        overall=80.0,
        evaluations=10,
        previous_overall=None,
        groups=(),
        lowest=(),
        repeated=(),
        by_category={},
        by_tab={},
        appeals=digest.AppealCounts(0, 0, 0),
        falling=falling,
    )
