"""The monthly digest at the service level (DESIGN §6) with the real migrated database: the
figures against the same rows counted here in plain Python, the texts and their splitting,
the chart, publishing once, and the schedule (the previous month, the missing-results notice
said once, the catch-up run at start)."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services import charts, digest, digest_chart, longtext, months, results, roster
from bot.services.errors import AlreadyDone, Forbidden, NotFound
from bot.settings import Settings
from bot.texts import Texts
from db import cases as cases_db
from db.models import (
    Appeal,
    AppealState,
    Case,
    CaseCategory,
    CaseSource,
    CaseState,
    CaseTab,
    DigestPost,
    Employee,
    MeetingInvite,
    MonthlyResult,
    OutboxMessage,
    Reminder,
    WorkingGroup,
)
from emulator.html import parse_html, utf16_len
from tests.conftest import CS_CHAT_ID, make_settings, person

MOSCOW = ZoneInfo("Europe/Moscow")
CS, LEAD_NORTH, LEAD_SOUTH, MANAGER = 1001, 2001, 2002, 3001
GROUPS = ["Группа Север", "Группа Юг", "Группа Восток", "Группа Запад", "Шоурум <Центр> & Ко"]
ROSTER = """full_name,role,group,position,telegram_id,username
Ольга Смирнова,cs,,Специалист КС,1001,
Андрей Лидеров,lead,Группа Север;Группа Юг,Главный менеджер,2001,
Борис <Главный> Южный,lead,Группа Юг,Главный менеджер,2002,
Вера Безтелеграма,lead,Шоурум <Центр> & Ко,Лидер шоурума,,
Иван Петров,manager,Группа Север,Менеджер по продажам,3001,
Мария Козлова,manager,Группа Юг,Менеджер по показам,3002,
Пётр Восточный,manager,Группа Восток,Менеджер по продажам,3003,
Сергей Западный,manager,Группа Запад,Фронт-менеджер,3004,
Анна Центральная,manager,Шоурум <Центр> & Ко,Бэк-менеджер,3005,
"""
AUG, SEP, OCT = date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1)


@dataclass
class Rows:
    """What the test put into the database, to count it again in plain Python."""

    results: list[tuple[date, str, float, int]]
    cases: list[tuple[datetime, str, CaseCategory, CaseTab, bool, CaseState]]
    appeals: list[tuple[datetime | None, AppealState]]


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=MOSCOW)  # type: ignore[misc]


@pytest.fixture
async def world(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        await roster.import_roster(session, ROSTER.encode(), "roster.csv")


async def group_ids(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(WorkingGroup.name, WorkingGroup.id))
    return {name: group_id for name, group_id in rows}


async def fill(sessions: async_sessionmaker[AsyncSession], seed: int = 7) -> Rows:
    """Three months of results (one group per manager rows, one missing in September),
    cases around the month's edges in Moscow time, appeals decided in and out of October."""
    chance = random.Random(seed)
    rows = Rows([], [], [])
    async with sessions() as session:
        ids = await group_ids(session)
        managers = {
            name: (await session.execute(select(Employee.id).where(Employee.full_name == who)))
            .scalars()
            .one()
            for name, who in zip(
                GROUPS,
                [
                    "Иван Петров",
                    "Мария Козлова",
                    "Пётр Восточный",
                    "Сергей Западный",
                    "Анна Центральная",
                ],
                strict=True,
            )
        }
        for month in (AUG, SEP, OCT):
            for name in GROUPS:
                if month == SEP and name == "Группа Запад":
                    continue  # no September figures: its change is «—»
                parts = 3 if name == "Группа Юг" else 1  # rows per manager, weighted
                for _ in range(parts):
                    score = round(chance.uniform(55, 98), 1)
                    evaluations = chance.randint(5, 60)
                    rows.results.append((month, name, score, evaluations))
                    session.add(
                        MonthlyResult(
                            month=month,
                            group_id=ids[name],
                            manager_id=managers[name] if parts > 1 else None,
                            score=score,
                            evaluations=evaluations,
                        )
                    )
        # Cases: inside October (Moscow), and just outside it on both sides.
        moments = [
            local(2026, 10, 1, 0, 30),  # 30.09 21:30 UTC: October in Moscow
            local(2026, 9, 30, 23, 30),  # September
            local(2026, 10, 31, 23, 59),  # October
            local(2026, 11, 1, 0, 1),  # November
        ] + [local(2026, 10, chance.randint(1, 31), chance.randint(0, 23)) for _ in range(40)]
        for number, moment in enumerate(moments):
            name = chance.choice(GROUPS)
            category = chance.choice(list(CaseCategory))
            tab = chance.choice(list(CaseTab))
            repeated = chance.random() < 0.25
            state = CaseState.REPEATED if chance.random() < 0.15 else CaseState.NEW
            rows.cases.append((moment, name, category, tab, repeated, state))
            session.add(
                Case(
                    tab=tab,
                    category=category,
                    source=CaseSource.CALL,
                    manager_id=managers[name],
                    group_id=ids[name],
                    incident_date=moment.date(),
                    summary=f"Кейс {number}",
                    state=state,
                    repeated=repeated,
                    created_at=moment,
                )
            )
        await session.flush()
        case_id = (await session.execute(select(func.min(Case.id)))).scalar_one()
        decided = [
            local(2026, 10, 1, 0, 5),
            local(2026, 9, 30, 23, 55),
            local(2026, 11, 1, 0, 0),
        ] + [local(2026, 10, chance.randint(1, 31), 12) for _ in range(20)]
        states = [AppealState.ACCEPTED, AppealState.PARTIAL, AppealState.REJECTED]
        for moment in decided:
            state = chance.choice(states)
            rows.appeals.append((moment, state))
            session.add(
                Appeal(
                    case_id=case_id,
                    filer_id=managers["Группа Север"],
                    reason="Не согласен",
                    state=state,
                    decided_at=moment,
                )
            )
        for _ in range(3):  # still open: not decided
            rows.appeals.append((None, AppealState.NEW))
            session.add(Appeal(case_id=case_id, filer_id=managers["Группа Север"], reason="x"))
        await session.commit()
    return rows


def in_month(moment: datetime | None, month: date) -> bool:
    if moment is None:
        return False
    shown = moment.astimezone(MOSCOW)
    return (shown.year, shown.month) == (month.year, month.month)


def expected_scores(rows: Rows, month: date) -> dict[str, float]:
    sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for row_month, name, score, evaluations in rows.results:
        if row_month == month:
            sums[name][0] += score * evaluations
            sums[name][1] += evaluations
    return {name: total / weight for name, (total, weight) in sums.items()}


def expected_overall(rows: Rows, month: date) -> float:
    chosen = [(score, n) for m, _, score, n in rows.results if m == month]
    return sum(score * n for score, n in chosen) / sum(n for _, n in chosen)


async def test_the_figures_equal_the_rows_counted_independently(
    world: None, sessions: async_sessionmaker[AsyncSession], settings: Settings
):
    rows = await fill(sessions)
    async with sessions() as session:
        found = await digest.compute(session, OCT, settings=settings)
    assert found is not None

    scores = expected_scores(rows, OCT)
    before = expected_scores(rows, SEP)
    ranking = sorted(scores, key=lambda name: (-scores[name], name))
    assert [(line.rank, line.name) for line in found.groups] == [
        (rank, name) for rank, name in enumerate(ranking, start=1)
    ]
    for line in found.groups:
        assert line.score == pytest.approx(scores[line.name])
        if line.name in before:
            assert line.change == pytest.approx(scores[line.name] - before[line.name])
        else:
            assert line.change is None
    assert found.previous == SEP
    assert found.overall == pytest.approx(expected_overall(rows, OCT))
    assert found.overall_change == pytest.approx(
        expected_overall(rows, OCT) - expected_overall(rows, SEP)
    )
    assert found.evaluations == sum(n for m, _, _, n in rows.results if m == OCT)

    assert [line.name for line in found.lowest] == list(reversed(ranking))[:3]

    october = [case for case in rows.cases if in_month(case[0], OCT)]
    assert len(october) == 42  # both edge cases inside, both outside not
    repeats = Counter(
        name for _, name, _, _, repeated, state in october if repeated or state == "repeated"
    )
    assert {item.name: item.count for item in found.repeated} == dict(repeats)
    assert [item.count for item in found.repeated] == sorted(repeats.values(), reverse=True)
    assert found.by_category == {
        category: sum(1 for case in october if case[2] == category) for category in CaseCategory
    }
    assert found.by_tab == {tab: sum(1 for case in october if case[3] == tab) for tab in CaseTab}

    decided = Counter(state for moment, state in rows.appeals if in_month(moment, OCT))
    assert found.appeals.accepted == decided[AppealState.ACCEPTED]
    assert found.appeals.partial == decided[AppealState.PARTIAL]
    assert found.appeals.rejected == decided[AppealState.REJECTED]
    assert found.appeals.decided == sum(decided.values())

    flagged = list(dict.fromkeys([line.name for line in found.lowest] + list(repeats)))
    names = found.flagged_names()
    assert [names[group_id] for group_id in found.flagged_ids] == flagged
    async with sessions() as session:
        for group_id in found.flagged_ids:
            leads = await cases_db.leads_of_group(session, group_id)
            assert found.leads[group_id] == tuple(
                digest.Lead(lead.full_name, lead.telegram_id) for lead in leads
            )


async def test_the_first_month_has_nothing_to_compare_with(
    world: None, sessions: async_sessionmaker[AsyncSession], settings: Settings, texts: Texts
):
    rows = await fill(sessions)
    async with sessions() as session:
        found = await digest.compute(session, AUG, settings=settings)
        assert await digest.compute(session, date(2026, 7, 1), settings=settings) is None
    assert found is not None
    assert found.previous is None
    assert found.overall_change is None
    assert all(line.change is None for line in found.groups)
    assert found.overall == pytest.approx(expected_overall(rows, AUG))
    text = "\n".join(digest.messages(found, texts))
    assert "сравнить не с чем" in text
    assert "Группа Север — " in text


async def test_the_text_shows_the_figures_and_mentions_the_flagged_leads(
    world: None, sessions: async_sessionmaker[AsyncSession], settings: Settings, texts: Texts
):
    rows = await fill(sessions)
    async with sessions() as session:
        found = await digest.compute(session, OCT, settings=settings)
    assert found is not None
    (text,) = digest.messages(found, texts)
    parse_html(text)  # Telegram's HTML: no broken or unknown tags, & escaped
    assert "<b>Итоги месяца: октябрь 2026</b>" in text
    overall = expected_overall(rows, OCT)
    assert f"Общая оценка: <b>{overall:.1f} %</b>".replace(".", ",") in text
    assert "сентябрь 2026" in text
    first = found.groups[0]
    assert f"1. {first.name} — {results.percent(first.score)}" in text.replace("&amp;", "&")
    assert "Группа Запад — " in text
    assert "(—)" in text
    # The flagged leads: mentioned by id, names escaped; a lead without Telegram by name.
    flagged = found.flagged_names().values()
    if "Группа Юг" in flagged:
        assert '<a href="tg://user?id=2002">Борис &lt;Главный&gt; Южный</a>' in text
    if "Шоурум <Центр> & Ко" in flagged:
        assert "Шоурум &lt;Центр&gt; &amp; Ко: Вера Безтелеграма" in text
    if "Группа Север" in flagged:
        assert '<a href="tg://user?id=2001">Андрей Лидеров</a>' in text
    assert "Записаться на встречу" in text
    assert "<Центр>" not in text
    caption = digest.caption(found, texts)
    assert len(caption) <= longtext.CAPTION_LIMIT
    parse_html(caption)


def test_points_and_percent_are_shown_the_russian_way():
    assert results.percent(87.44) == "87,4 %"
    assert results.points(1.26) == "+1,3 п.п."
    assert results.points(-0.5) == "−0,5 п.п."
    assert results.points(0.01) == "±0,0 п.п."
    assert results.points(None) == "—"


def test_long_digests_are_split_on_line_boundaries_into_valid_messages(texts: Texts):
    groups = tuple(
        digest.GroupLine(
            rank=rank,
            group_id=rank,
            name=f"Группа «{'<Очень длинное> & название ' * 6}» №{rank}",
            score=100 - rank / 3,
            evaluations=10,
            change=0.5 if rank % 2 else None,
        )
        for rank in range(1, 201)
    )
    lead = digest.Lead("Лидер <b>" + "Имя " * 40, 5000)
    big = digest.Digest(
        month=OCT,
        previous=SEP,
        overall=80.0,
        evaluations=2000,
        previous_overall=79.0,
        groups=groups,
        lowest=tuple(reversed(groups[-3:])),
        repeated=(),
        by_category=dict.fromkeys(CaseCategory, 1),
        by_tab=dict.fromkeys(CaseTab, 1),
        appeals=digest.AppealCounts(1, 2, 3),
        leads={line.group_id: (lead,) * 30 for line in groups[-3:]},  # a very long line
    )
    parts = digest.messages(big, texts, footer=texts("digest-preview-note"))
    assert len(parts) > 5
    for part in parts:
        assert utf16_len(part) <= longtext.TEXT_LIMIT
        parse_html(part)
        assert part == part.strip()
    joined = "\n".join(parts)
    for line in groups:
        assert f"— {results.percent(line.score)}" in joined
        assert f"\n{line.rank}. Группа" in "\n" + joined
    assert joined.count('<a href="tg://user?id=5000">') == 90  # none lost in the cut
    assert parts[-1].endswith(texts("digest-preview-note"))


def test_a_message_carries_at_most_100_entities(texts: Texts):
    """Telegram shows the elements after the 100th as plain text: with 150 flagged groups,
    the leads named late in a message would not be mentioned."""
    groups = tuple(
        digest.GroupLine(rank, rank, f"Г{rank}", 100 - rank / 3, 10, None) for rank in range(1, 151)
    )
    big = digest.Digest(
        month=OCT,
        previous=None,
        overall=80.0,
        evaluations=1500,
        previous_overall=None,
        groups=groups,
        lowest=tuple(reversed(groups)),
        repeated=(),
        by_category=dict.fromkeys(CaseCategory, 1),
        by_tab=dict.fromkeys(CaseTab, 1),
        appeals=digest.AppealCounts(1, 2, 3),
        leads={
            line.group_id: tuple(digest.Lead("Ли", 7000 + line.rank * 3 + n) for n in range(3))
            for line in groups
        },
    )
    parts = digest.messages(big, texts)
    joined = "\n".join(parts)
    assert joined.count('<a href="tg://user?id=') == 450
    for part in parts:
        assert utf16_len(part) <= longtext.TEXT_LIMIT
        assert part.count("<a ") + part.count("<b>") + part.count("<i>") <= 100
        parse_html(part)


def test_split_keeps_a_section_whole_when_it_fits_a_message():
    first = ["a" * 3000]
    second = ["<b>Раздел</b>", "b" * 2000]
    assert longtext.split_messages([first, second]) == ["a" * 3000, "<b>Раздел</b>\n" + "b" * 2000]
    assert longtext.split_messages([["x"], ["y"]]) == ["x\n\ny"]


def test_the_chart_is_a_png_with_the_lowest_groups_highlighted():
    bars = [
        digest_chart.Bar(f"Группа №{number} — Юг", 100 - number * 0.4, lowest=number >= 197)
        for number in range(200)
    ]
    labels = digest_chart.ChartTexts("Итоги: октябрь 2026", "ниже всех", "остальные")
    png = digest_chart.render_png(bars, labels)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert 20_000 < len(png) < 5_000_000
    width = int.from_bytes(png[16:20], "big")
    height = int.from_bytes(png[20:24], "big")
    assert (width, height) == (800, 4000)  # the cap: within Telegram's photo limits

    figure = digest_chart.build_figure(bars, labels)
    (axes,) = figure.axes
    (drawn,) = axes.collections  # the bars, one rectangle each, the first on top
    colours = [tuple(colour) for colour in drawn.get_facecolors()]
    assert len(colours) == 200
    highlighted = [number for number, colour in enumerate(colours) if colour != colours[0]]
    assert highlighted == [197, 198, 199]
    for row in (0, 199):  # from 0 to the score, centred on the row
        corners = drawn.get_paths()[row].get_extents()
        assert (corners.x0, corners.x1) == pytest.approx((0, 100 - row * 0.4))
        assert (corners.y0 + corners.y1) / 2 == pytest.approx(row)
    assert axes.yaxis_inverted()
    # Each name beside its bar's row, and the score at the bar's end.
    beside = {(text.get_text(), text.get_position()[1]) for text in axes.texts}
    assert ("Группа №0 — Юг", 0) in beside
    assert ("Группа №199 — Юг", 199) in beside
    assert ("100,0", 0) in beside
    assert ("20,4", 199) in beside
    assert len(axes.texts) == 400
    assert figure.get_suptitle() == "Итоги: октябрь 2026"
    small = digest_chart.render_png(bars[:3], labels)
    assert small.startswith(b"\x89PNG")
    assert int.from_bytes(small[20:24], "big") == 300


def test_group_names_with_dollar_signs_are_drawn_as_they_are():
    """Names come from the roster: «$…$» is not matplotlib's mathtext (a bad formula raised
    and failed the digest; a good one was drawn as a formula)."""
    bars = [
        digest_chart.Bar("Шоурум $_^$ VIP", 61.5, lowest=True),
        digest_chart.Bar("Группа $1 и $2", 80.0),
    ]
    labels = digest_chart.ChartTexts("Итоги: октябрь 2026", "ниже всех", "остальные")
    assert digest_chart.render_png(bars, labels).startswith(b"\x89PNG")
    (axes,) = digest_chart.build_figure(bars, labels).axes
    names = [text for text in axes.texts if "$" in text.get_text()]
    assert [name.get_text() for name in names] == ["Шоурум $_^$ VIP", "Группа $1 и $2"]
    assert not any(name.get_parse_math() for name in names)


def test_the_png_holds_the_pixels_matplotlib_would_write():
    """charts.png writes the PNG itself (RGB, unfiltered rows): it decodes, in PIL as any
    reader, to the pixels of savefig's PNG of the same figure, for both charts."""
    import io

    import numpy as np
    from PIL import Image

    from bot.services import trends_chart

    figures = [
        digest_chart.build_figure(
            [digest_chart.Bar(f"Группа {n}", 50 + n, lowest=n < 2) for n in range(30)],
            digest_chart.ChartTexts("Итоги: октябрь 2026", "ниже всех", "остальные"),
        ),
        trends_chart.build_figure(
            [trends_chart.Line("Группа 1", [70.0, None, 72.5, 74.0])],
            trends_chart.ChartTexts("Динамика", ["авг", "сен", "окт", "ноя"], "Балл, %"),
        ),
    ]
    for figure in figures:
        ours = Image.open(io.BytesIO(charts.png(figure)))
        saved = io.BytesIO()
        figure.savefig(saved, format="png", dpi=charts.DPI)
        theirs = np.asarray(Image.open(saved))
        assert (ours.format, ours.mode) == ("PNG", "RGB")
        assert (theirs[..., 3] == 255).all()  # opaque: nothing lost without the alpha
        assert np.array_equal(np.asarray(ours), theirs[..., :3])


def _drawn_texts(own_canvas: bool) -> tuple[list[tuple[int, int, int, int]], object]:
    """A figure of the texts the charts draw, drawn on charts' canvas or on matplotlib's own:
    each text's box in pixels (top, bottom, left, right; rows from the top) and the pixels."""
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    figure = charts.new_figure(4, 3)
    if not own_canvas:
        FigureCanvasAgg(figure)
    placed = [
        figure.text(0.5, 0.9, "Итоги: ноябрь 2026 · оценка", ha="center", va="top", fontsize=12),
        figure.text(0.45, 0.7, "Группа 001 «Шоурум»", ha="right", va="center_baseline", fontsize=6),
        figure.text(0.55, 0.7, "87,5", va="center", fontsize=6),
        figure.text(0.55, 0.5, "87,5", va="center", fontsize=12, color="#dd5144"),
        figure.text(0.1, 0.5, "Балл, %", rotation=90, va="center", fontsize=9),
        figure.text(0.3, 0.3, "$x^2$", fontsize=10),
        figure.text(0.6, 0.2, "ниже всех", fontsize=9, parse_math=False),
        figure.text(0.1, 0.05, "fi office", fontsize=9),
    ]
    placed[-1].set_fontfeatures(["-liga"])  # its own OpenType features
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    height = figure.canvas.get_width_height()[1]
    boxes = []
    for text in placed:
        box = text.get_window_extent(renderer)
        boxes.append(
            (height - int(box.y1) - 2, height - int(box.y0) + 2, int(box.x0) - 2, int(box.x1) + 2)
        )
    return boxes, np.asarray(figure.canvas.buffer_rgba()).copy()


def test_the_charts_draw_each_text_where_and_as_matplotlib_draws_it():
    """The charts' canvas draws a line of text as one image, laid out once
    (charts._canvas_class), where matplotlib 3.11 draws it glyph by glyph: each text has the
    box matplotlib gives it and the same ink in it, at most a pixel away (the line stands on a
    whole pixel); a string drawn at two sizes is drawn at each; rotated text, mathtext and text
    with OpenType features of its own are matplotlib's own pixels."""
    import numpy as np

    own_boxes, own = _drawn_texts(own_canvas=True)
    boxes, theirs = _drawn_texts(own_canvas=False)
    assert own_boxes == boxes
    for number, (top, bottom, left, right) in enumerate(boxes):
        mine, matplotlibs = (
            255 - image[top:bottom, left:right, :3].astype(float).mean(axis=2)
            for image in (own, theirs)
        )
        if number in (4, 5, 7):  # rotated, mathtext, its own features: drawn by matplotlib
            assert np.array_equal(mine, matplotlibs)
            continue
        assert mine.sum() == pytest.approx(matplotlibs.sum(), rel=0.03)
        for axis in (0, 1):
            place = np.arange(mine.shape[axis])
            assert np.average(place, weights=mine.sum(axis=1 - axis)) == pytest.approx(
                np.average(place, weights=matplotlibs.sum(axis=1 - axis)), abs=1.0
            )
    # The same string at 6 and 12 points, each at its size; the red one red.
    small, large = boxes[2], boxes[3]
    assert (large[1] - large[0]) > 1.5 * (small[1] - small[0])
    top, bottom, left, right = large
    red = own[top:bottom, left:right]
    assert (red[..., 0].astype(int) - red[..., 2]).max() > 100


FIRST_CHART = """
import gc, json, os, threading
from bot.services import digest_chart
bars = [digest_chart.Bar("Группа", 80.0)]
start = threading.Barrier(2)
drawn = []
def draw():
    start.wait()
    png = digest_chart.render_png(bars, digest_chart.ChartTexts("Итоги", "ниже", "остальные"))
    drawn.append(png[:4])
threads = [threading.Thread(target=draw) for _ in range(2)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
from matplotlib.artist import Artist
from matplotlib.lines import Line2D
from matplotlib.text import Text
text = Text(0, 0, "a")
text.set(fontsize=9, c="red", ha="right")
line = Line2D([0], [0])
line.set(lw=3, linestyle="--")
class Later(Artist):
    pass
print(json.dumps({
    "drawn": [png.decode("latin-1") for png in drawn],
    "text": [text.get_fontsize(), text.get_color(), text.get_horizontalalignment()],
    "line": [line.get_linewidth(), line.get_linestyle()],
    "own set": len({Artist.set, Text.set, Line2D.set, Later.set}),
    "later documented": "Supported properties" in Later.set.__doc__,
    "frozen": gc.get_freeze_count() > 0,
    "collecting": gc.isenabled(),
    "threads": len(os.listdir("/proc/self/task")),
    "blas variable": os.environ.get("OPENBLAS_NUM_THREADS"),
}))
"""


def test_the_first_chart_leaves_matplotlib_working_as_before():
    """The first chart in a process imports matplotlib without writing each Artist class's
    `set()` docstring, and freezes the import's objects (charts._import_matplotlib): in a
    fresh interpreter whose first two charts are drawn at once in two threads, `set()` still
    takes properties and aliases, each class has its own, a class made afterwards is
    documented again, and the collector runs; numpy's OpenBLAS started no thread of its own
    (once the two are done, the process has one thread) and OPENBLAS_NUM_THREADS, set while
    numpy loaded, is gone."""
    done = subprocess.run(
        [sys.executable, "-c", FIRST_CHART], capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {
        "drawn": ["\x89PNG", "\x89PNG"],
        "text": [9.0, "red", "right"],
        "line": [3.0, "--"],
        "own set": 4,
        "later documented": True,
        "frozen": True,
        "collecting": True,
        "threads": 1,
        "blas variable": None,
    }


# --- publishing ------------------------------------------------------------------------------


async def publish(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    texts: Texts,
    actor: int = CS,
    month: date = OCT,
) -> digest.Published:
    async with sessions() as session:
        return await digest.publish(
            session, await person(session, actor), month, settings=settings, texts=texts
        )


async def outbox(sessions: async_sessionmaker[AsyncSession]) -> list[OutboxMessage]:
    async with sessions() as session:
        return list(
            (await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars()
        )


async def test_cs_publishes_once_and_the_group_gets_the_chart_then_the_text(
    world: None, sessions: async_sessionmaker[AsyncSession], database_url: str, texts: Texts
):
    await fill(sessions)
    settings = make_settings(database_url, cs_digest_thread_id=77)
    published = await publish(sessions, settings, texts)
    sent = await outbox(sessions)
    assert [row.method for row in sent[:2]] == ["sendPhoto", "sendMessage"]
    photo, text = sent[0], sent[1]
    assert (photo.chat_id, text.chat_id) == (CS_CHAT_ID, CS_CHAT_ID)
    assert {row.chat_id for row in sent} <= {CS_CHAT_ID, LEAD_NORTH, LEAD_SOUTH}
    assert photo.file_data is not None
    assert photo.file_data.startswith(b"\x89PNG")
    assert photo.payload["filename"] == "digest-2026-10.png"
    assert "октябрь 2026" in photo.payload["caption"]
    assert photo.payload["message_thread_id"] == 77
    assert text.payload["message_thread_id"] == 77
    assert "Рейтинг групп" in text.payload["text"]
    async with sessions() as session:
        post = (await session.execute(select(DigestPost))).scalar_one()
        cs = await person(session, CS)
    assert (post.month, post.posted_by_id) == (OCT, cs.id)
    assert published.post.id == post.id

    # The flagged groups' leads are invited in the same transaction, once per lead.
    leads_of = {
        "Группа Север": {"Андрей Лидеров"},
        "Группа Юг": {"Андрей Лидеров", "Борис <Главный> Южный"},
        "Шоурум <Центр> & Ко": {"Вера Безтелеграма"},
    }
    flagged = published.digest.flagged_names().values()
    expected = set().union(*(leads_of.get(name, set()) for name in flagged))
    async with sessions() as session:
        invites = (await session.execute(select(MeetingInvite))).scalars().all()
        invited = {invite.lead.full_name for invite in invites}
    assert invited == expected
    assert published.invited == len(expected)
    assert {invite.month for invite in invites} == {OCT}
    private = [row for row in sent if row.chat_id in (LEAD_NORTH, LEAD_SOUTH)]
    with_telegram = expected - {"Вера Безтелеграма"}
    assert len([row for row in private if "Записаться" in str(row.payload)]) == len(with_telegram)

    with pytest.raises(AlreadyDone) as refused:
        await publish(sessions, settings, texts)
    assert refused.value.key == "digest-already-posted"
    shown = texts(refused.value.key, **refused.value.args_)
    assert shown.startswith("Итоги за октябрь 2026 уже опубликованы ")
    assert len(await outbox(sessions)) == len(sent)

    # The preview of a posted month says so.
    async with sessions() as session:
        preview = await digest.preview(
            session, await person(session, CS), "10.2026", settings=settings, texts=texts
        )
    assert preview.posted is not None
    assert "уже опубликованы" in preview.messages[-1]


async def test_only_cs_previews_and_publishes(
    world: None, sessions: async_sessionmaker[AsyncSession], settings: Settings, texts: Texts
):
    await fill(sessions)
    for who in (LEAD_NORTH, MANAGER):
        with pytest.raises(Forbidden):
            await publish(sessions, settings, texts, actor=who)
        async with sessions() as session:
            with pytest.raises(Forbidden):
                await digest.preview(
                    session, await person(session, who), None, settings=settings, texts=texts
                )
    assert await outbox(sessions) == []


async def test_preview_chooses_the_latest_month_or_the_one_named(
    world: None, sessions: async_sessionmaker[AsyncSession], settings: Settings, texts: Texts
):
    async with sessions() as session:
        cs = await person(session, CS)
        with pytest.raises(NotFound) as none:
            await digest.preview(session, cs, None, settings=settings, texts=texts)
        assert none.value.key == "digest-no-results"
    await fill(sessions)
    async with sessions() as session:
        latest = await digest.preview(session, cs, None, settings=settings, texts=texts)
        named = await digest.preview(session, cs, "2026-09", settings=settings, texts=texts)
        with pytest.raises(NotFound) as missing:
            await digest.preview(session, cs, "11.2026", settings=settings, texts=texts)
    assert (latest.digest.month, named.digest.month) == (OCT, SEP)
    assert latest.png.startswith(b"\x89PNG")
    assert texts(missing.value.key, **missing.value.args_).startswith("Итогов за ноябрь 2026 нет")
    assert "предпросмотр" in latest.messages[-1]


# --- the appeal clock ------------------------------------------------------------------------


def test_the_appeal_clock_counts_working_days_by_the_production_calendar(settings: Settings):
    assert settings.appeal_decide_within == 3
    comm, proc = CaseCategory.COMMUNICATION, CaseCategory.PROCESS
    rows = [
        # Filed Wed 30.12.2026, due Wed 13.01.2027 (31.12 and 1–10.01 are days off): decided
        # on the first working day after filing, in time.
        (local(2026, 12, 30, 10, 0), local(2027, 1, 11, 9, 0), AppealState.ACCEPTED, comm),
        # Filed Mon 02.11.2026, due Fri 06.11 10:00 (04.11 a holiday): decided at 12:00, late.
        (local(2026, 11, 2, 10, 0), local(2026, 11, 6, 12, 0), AppealState.REJECTED, comm),
        # Decided on the day of filing.
        (local(2026, 11, 10, 15, 0), local(2026, 11, 10, 17, 0), AppealState.ACCEPTED, proc),
    ]
    clock = digest.time_appeals(rows, settings)
    assert (clock.in_time, clock.late) == (2, 1)
    assert clock.average_days == pytest.approx((1 + 3 + 0) / 3)
    assert clock.accepted_by_category == ((comm, 1, 2), (proc, 1, 1))
    assert digest.time_appeals([], settings) == digest.AppealClock()


async def test_the_digest_reports_the_appeal_clock(
    world: None, sessions: async_sessionmaker[AsyncSession], settings: Settings, texts: Texts
):
    await fill(sessions)
    async with sessions() as session:
        found = await digest.compute(session, OCT, settings=settings)
        await session.execute(update(Appeal).values(created_at=local(2026, 10, 1, 9, 0)))
        await session.commit()
        later = await digest.compute(session, OCT, settings=settings)
    assert found is not None
    assert later is not None
    clock = found.appeal_clock
    # The fill files its appeals after they were decided: every one in time, 0 days.
    assert (clock.in_time, clock.late) == (found.appeals.decided, 0)
    assert clock.average_days == 0
    assert sum(accepted for _, accepted, _ in clock.accepted_by_category) == found.appeals.accepted
    assert sum(decided for _, _, decided in clock.accepted_by_category) == found.appeals.decided
    # Filed on 01.10.2026: due 06.10 09:00; the ones decided later are late.
    assert later.appeal_clock.late > 0
    assert later.appeal_clock.in_time + later.appeal_clock.late == found.appeals.decided
    text = "\n".join(digest.messages(later, texts))
    assert (
        f"• решено в срок: {later.appeal_clock.in_time}, с опозданием: {later.appeal_clock.late}"
    ) in text
    assert "раб. дн." in text
    assert "Доля принятых по категориям:" in text
    category, accepted, decided = later.appeal_clock.accepted_by_category[0]
    assert f"• {texts(f'case-category-{category}')}: принято {accepted} из {decided}" in text


# --- the schedule ----------------------------------------------------------------------------


async def test_the_schedule_posts_the_previous_month_once(
    world: None, sessions: async_sessionmaker[AsyncSession], settings: Settings, texts: Texts
):
    await fill(sessions)
    run = local(2026, 11, 2, 10, 0)
    assert await digest.post_scheduled(sessions, settings, texts, now=run) == "posted"
    assert await digest.post_scheduled(sessions, settings, texts, now=run) == "posted before"
    async with sessions() as session:
        post = (await session.execute(select(DigestPost))).scalar_one()
    assert (post.month, post.posted_by_id) == (OCT, None)
    photos = [row for row in await outbox(sessions) if row.method == "sendPhoto"]
    assert len(photos) == 1
    # CS pressing «Опубликовать» afterwards publishes nothing.
    with pytest.raises(AlreadyDone):
        await publish(sessions, settings, texts)


async def test_without_results_cs_is_told_once_that_the_digest_waits(
    world: None, sessions: async_sessionmaker[AsyncSession], settings: Settings, texts: Texts
):
    await fill(sessions)
    run = local(2026, 12, 1, 10, 0)  # November has no results
    assert await digest.post_scheduled(sessions, settings, texts, now=run) == "missing"
    later = run + timedelta(days=1)
    assert await digest.post_scheduled(sessions, settings, texts, now=later) == "missing, told"
    async with sessions() as session:
        (notice,) = (await session.execute(select(Reminder))).scalars().all()
        assert await session.scalar(select(func.count(DigestPost.id))) == 0
    assert notice.subject == "digest-missing:2026-11"
    assert notice.payload["chat_id"] == CS_CHAT_ID
    assert "Итогов за ноябрь 2026 ещё нет" in notice.payload["text"]
    assert "/import" in notice.payload["text"]
    assert "/digest" in notice.payload["text"]
    assert notice.payload["keyboard"]["inline_keyboard"][0][0]["callback_data"] == "od:im"
    assert notice.due_at == run.astimezone(UTC)


@pytest.mark.parametrize(
    ("now", "outcome"),
    [
        # DIGEST_CRON by default: 10:00 on the first working day. 1.11.2026 is a Sunday, so
        # November's first run is Monday 2.11 at 10:00.
        (local(2026, 11, 2, 9, 59), "not due"),
        (local(2026, 11, 2, 10, 3), "posted"),  # restarted a few minutes after the time
        (local(2026, 11, 6, 18, 0), "posted"),  # down for days: posted at start
        (local(2026, 11, 9, 10, 1), "not due"),  # a week later: CS decides with /digest
    ],
)
async def test_the_catch_up_at_start_posts_a_missed_digest(
    world: None,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    texts: Texts,
    now: datetime,
    outcome: str,
):
    await fill(sessions)
    assert await digest.catch_up(sessions, settings, texts, now=now) == outcome
    if outcome == "posted":
        assert await digest.catch_up(sessions, settings, texts, now=now) == "posted before"


def test_the_first_run_of_a_month_follows_the_cron_in_the_timezone(settings: Settings):
    from bot.settings import cron_trigger

    trigger = cron_trigger("0 10 1-3 * mon-fri", settings.tz)
    first = digest.first_run_of_month(trigger, local(2026, 11, 20, 12, 0))
    assert first == local(2026, 11, 2, 10, 0)
    assert digest.first_run_of_month(trigger, local(2026, 10, 5, 0, 0)) == local(2026, 10, 1, 10)
    assert digest.due_month(local(2026, 1, 2, 10, 0)) == date(2025, 12, 1)
    start, end = months.month_bounds(OCT, MOSCOW)
    assert (start, end) == (
        datetime(2026, 9, 30, 21, 0, tzinfo=UTC),
        datetime(2026, 10, 31, 21, 0, tzinfo=UTC),
    )


def test_by_default_the_digest_goes_out_on_the_first_working_day(settings: Settings):
    assert settings.digest_cron == "first-working-day 10:00"
    # January 2027: 1–10 are days off; May 2026: 1–3; November 2026: the 1st is a Sunday.
    for now, first in (
        (local(2027, 1, 20, 12, 0), local(2027, 1, 11, 10, 0)),
        (local(2026, 5, 1, 0, 0), local(2026, 5, 4, 10, 0)),
        (local(2026, 11, 30, 0, 0), local(2026, 11, 2, 10, 0)),
        (local(2026, 12, 1, 0, 0), local(2026, 12, 1, 10, 0)),
    ):
        assert digest.first_run(settings, now) == first
    # The job fires at 10:00 every day; the run keeps to the first working day.
    trigger = digest.schedule_trigger(settings)
    fire = trigger.get_next_fire_time(None, local(2026, 12, 30, 11, 0))
    assert fire == local(2026, 12, 31, 10, 0)
    at_nine = make_settings(settings.database_url, digest_cron="First-Working-Day 9:30")
    assert at_nine.digest_cron == "first-working-day 09:30"
    assert digest.first_run(at_nine, local(2027, 1, 2, 0, 0)) == local(2027, 1, 11, 9, 30)
    with pytest.raises(ValueError, match="not a time"):
        make_settings(settings.database_url, digest_cron="first-working-day 25:00")
    # A crontab line keeps its own days.
    cron = make_settings(settings.database_url, digest_cron="0 9 5 * *")
    assert digest.first_run(cron, local(2027, 1, 20, 0, 0)) == local(2027, 1, 5, 9, 0)


async def test_the_scheduled_run_posts_on_the_first_working_day_only(
    world: None, sessions: async_sessionmaker[AsyncSession], settings: Settings, texts: Texts
):
    await fill(sessions)
    for holiday in (local(2026, 11, 1, 10, 0), local(2026, 11, 3, 10, 0)):
        outcome = await digest.run_schedule(sessions, settings, texts, now=holiday)
        assert outcome == "not the first working day"
    async with sessions() as session:
        assert await session.scalar(select(func.count(DigestPost.id))) == 0
    first = local(2026, 11, 2, 10, 0)
    assert await digest.run_schedule(sessions, settings, texts, now=first) == "posted"
    assert await digest.run_schedule(sessions, settings, texts, now=first) == "posted before"
    # A crontab line posts whenever it fires (here on a Sunday).
    cron = settings.model_copy(update={"digest_cron": "0 10 1 * *"})
    assert await digest.run_schedule(sessions, cron, texts, now=local(2026, 11, 1, 10)) == (
        "posted before"
    )


def test_digest_cron_off_schedules_nothing(
    database_url: str, sessions: async_sessionmaker[AsyncSession], texts: Texts
):
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    scheduled = AsyncIOScheduler(timezone=MOSCOW)
    digest.schedule_digest(scheduled, make_settings(database_url), sessions, texts)
    assert {job.id for job in scheduled.get_jobs()} == {digest.JOB_ID, digest.CATCH_UP_JOB_ID}

    off = AsyncIOScheduler(timezone=MOSCOW)
    settings = make_settings(database_url, digest_cron=" OFF ")
    assert settings.digest_cron == "off"
    digest.schedule_digest(off, settings, sessions, texts)
    assert off.get_jobs() == []
    with pytest.raises(ValueError, match="5 or 6 fields"):
        make_settings(database_url, digest_cron="0 10 1")


async def test_cases_count_in_the_month_of_their_incident_and_withdrawn_ones_are_no_repeats(
    world: None, sessions: async_sessionmaker[AsyncSession], settings: Settings
):
    """A workbook of October rows imported in November counts in October (not in the
    month it was imported); a repeat that CS withdrew (an accepted appeal) flags nobody."""
    await fill(sessions)
    async with sessions() as session:
        before = await digest.compute(session, OCT, settings=settings)
    assert before is not None
    async with sessions() as session:
        ids = await group_ids(session)
        manager = await person(session, 3004)  # Группа Запад
        common = {
            "source": CaseSource.CALL,
            "manager_id": manager.id,
            "group_id": ids["Группа Запад"],
            "summary": "Из книги",
        }
        # An October incident imported on 15.11: October's case.
        session.add(
            Case(
                tab=CaseTab.CASES,
                category=CaseCategory.PROCESS,
                incident_date=date(2026, 10, 20),
                repeated=True,
                created_at=local(2026, 11, 15, 12),
                **common,
            )
        )
        # A September incident registered in October: September's case.
        session.add(
            Case(
                tab=CaseTab.CSI,
                category=CaseCategory.PROCESS,
                incident_date=date(2026, 9, 29),
                repeated=True,
                created_at=local(2026, 10, 2, 12),
                **common,
            )
        )
        # An October repeat withdrawn after an accepted appeal: a case, but no error.
        session.add(
            Case(
                tab=CaseTab.CASES,
                category=CaseCategory.PROCESS,
                incident_date=date(2026, 10, 5),
                repeated=True,
                state=CaseState.WITHDRAWN,
                created_at=local(2026, 10, 5, 12),
                **common,
            )
        )
        await session.commit()
    async with sessions() as session:
        after = await digest.compute(session, OCT, settings=settings)
    assert after is not None
    assert after.by_category[CaseCategory.PROCESS] == before.by_category[CaseCategory.PROCESS] + 2
    assert after.by_tab[CaseTab.CASES] == before.by_tab[CaseTab.CASES] + 2
    assert after.by_tab[CaseTab.CSI] == before.by_tab[CaseTab.CSI]
    repeats_before = {item.name: item.count for item in before.repeated}
    repeats_after = {item.name: item.count for item in after.repeated}
    assert repeats_after["Группа Запад"] == repeats_before.get("Группа Запад", 0) + 1
