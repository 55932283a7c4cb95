"""/results «Динамика»: the scores of the last 12 months as a line chart, in the viewer's scope.

The window is the 12 calendar months ending with the latest month that has results. CS sees
the overall score, and beside it any group picked from the list under the chart; a lead his
groups, each a line (or one picked); a manager his groups and his own score. A manager's own
score exists only for months whose results were imported per manager (`MonthlyResult` rows
with his id): where the file had one total row for his group there is no score of his, and
the caption says so rather than draw one. A month without results is a gap, never a zero.

A button names only a group id: the scope is worked out here on every press, so a lead's or
a manager's forged button for another group is refused (`trends-not-your-group`).

The digest's «score fell three months in a row» (`falling_groups`) is computed here too, on
the same series.
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from itertools import pairwise

from aiogram.types import InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards
from bot.services import months, trends_chart
from bot.services.errors import Forbidden, NotFound
from bot.services.results import percent, points
from bot.services.roles import require_role
from bot.texts import Html, Texts
from db import results as results_db
from db.models import Employee, Role

WINDOW = 12  # months on the chart
FALLING_MONTHS = 3  # the digest's «fell three months in a row»: three months, each lower
# than the one before
NAME_LIMIT = 40  # characters of a group name in the caption (a caption holds 1,024)


class SeriesKind(StrEnum):
    OVERALL = "overall"
    GROUP = "group"
    OWN = "own"  # a manager's own score


@dataclass(frozen=True)
class Series:
    kind: SeriesKind
    name: str  # the group's name; empty for the overall and the own score
    values: tuple[float | None, ...]  # one per month of the window; None: no results

    @property
    def has_data(self) -> bool:
        return any(value is not None for value in self.values)


@dataclass(frozen=True)
class Trend:
    viewer_role: Role
    months: tuple[date, ...]  # the window, oldest first
    lines: tuple[Series, ...]
    group_id: int  # the group picked (0: the viewer's whole scope)
    pickable: tuple[tuple[int, str], ...]  # the groups the viewer may pick, by name
    in_scope: int  # the viewer's groups (a lead may have more than a chart has lines)
    no_own_score: bool = False  # a manager without a single per-manager row in the window


# --- the series: plain functions, tested alone ------------------------------------------------


def window(last: date, count: int = WINDOW) -> tuple[date, ...]:
    """The `count` calendar months ending with `last` (a month's first day), oldest first."""
    found = [months.first_day(last)]
    while len(found) < count:
        found.append(months.previous(found[-1]))
    return tuple(reversed(found))


def series(window_months: Sequence[date], scores: Mapping[date, float]) -> tuple[float | None, ...]:
    """The values of `window_months` in order; a month missing from `scores` is None (a gap)."""
    return tuple(scores.get(month) for month in window_months)


def last_and_change(values: Sequence[float | None]) -> tuple[int, float, float | None] | None:
    """The latest value (its index and the value) and its change against the value before it
    (the previous month that has one, as /results compares); None if there is no value."""
    present = [(index, value) for index, value in enumerate(values) if value is not None]
    if not present:
        return None
    index, value = present[-1]
    change = value - present[-2][1] if len(present) > 1 else None
    return index, value, change


def strictly_falling(values: Sequence[float | None]) -> bool:
    """Every month has a value and each is lower than the one before."""
    present = [value for value in values if value is not None]
    if len(values) < 2 or len(present) != len(values):
        return False
    return all(later < earlier for earlier, later in pairwise(present))


def group_series(
    window_months: Sequence[date], rows: Sequence[results_db.MonthGroupScore]
) -> dict[int, tuple[float | None, ...]]:
    """Each group's values over the window, by group id (only groups that have rows)."""
    by_group: dict[int, dict[date, float]] = {}
    for row in rows:
        by_group.setdefault(row.group_id, {})[row.month] = row.score
    return {group_id: series(window_months, scores) for group_id, scores in by_group.items()}


# --- the scope --------------------------------------------------------------------------------


async def trend(session: AsyncSession, viewer: Employee | None, group_id: int = 0) -> Trend:
    """The viewer's chart: his whole scope (`group_id` 0) or one group of it. Forbidden for a
    group outside a lead's or a manager's groups, NotFound for a group that does not exist
    or when there are no results at all."""
    viewer = require_role(viewer, Role.CS, Role.LEAD, Role.MANAGER)
    if group_id and viewer.role != Role.CS and group_id not in viewer.group_ids:
        raise Forbidden("trends-not-your-group")
    latest = await results_db.latest_month(session)
    if latest is None:
        raise NotFound("results-empty")
    window_months = window(latest)
    first, last = window_months[0], window_months[-1]
    if viewer.role == Role.CS:
        pickable = await results_db.groups_with_results_between(session, first, last)
        in_scope: Sequence[int] = [group for group, _ in pickable]
    else:
        names = await results_db.group_names(session, sorted(viewer.group_ids))
        pickable = sorted(names.items(), key=lambda item: (item[1], item[0]))
        in_scope = [group for group, _ in pickable]
    shown: list[int]
    if group_id:
        names = await results_db.group_names(session, [group_id])
        if group_id not in names:
            raise NotFound("trends-group-gone")
        shown = [group_id]
        shown_names = names
    elif viewer.role == Role.CS:
        shown, shown_names = [], {}
    else:  # a manager's chart keeps a line for his own score
        room = trends_chart.MAX_LINES - (1 if viewer.role == Role.MANAGER else 0)
        shown = [group for group, _ in pickable][:room]
        shown_names = dict(pickable)
    rows = await results_db.group_scores_between(session, first, last, shown) if shown else []
    by_group = group_series(window_months, rows)
    lines: list[Series] = []
    if viewer.role == Role.CS:
        overall = await results_db.overall_scores_between(session, first, last)
        lines.append(Series(SeriesKind.OVERALL, "", series(window_months, overall)))
    no_own = False
    if viewer.role == Role.MANAGER:
        own = await results_db.manager_scores_between(session, first, last, viewer.id)
        if own:
            lines.append(Series(SeriesKind.OWN, "", series(window_months, own)))
        no_own = not own
    empty: tuple[float | None, ...] = (None,) * len(window_months)
    lines += [
        Series(SeriesKind.GROUP, shown_names[group], by_group.get(group, empty)) for group in shown
    ]
    return Trend(
        viewer_role=viewer.role,
        months=window_months,
        lines=tuple(lines),
        group_id=group_id,
        # A manager's scope is his own group: nothing to pick; a lead of one group neither.
        pickable=tuple(pickable) if viewer.role == Role.CS or len(pickable) > 1 else (),
        in_scope=len(in_scope),
        no_own_score=no_own,
    )


# --- the texts and the chart ------------------------------------------------------------------


def _short(name: str) -> str:
    return name if len(name) <= NAME_LIMIT else name[: NAME_LIMIT - 1].rstrip() + "…"


def line_name(line: Series, texts: Texts) -> str:
    if line.kind == SeriesKind.OVERALL:
        return texts("trends-line-overall")
    if line.kind == SeriesKind.OWN:
        return texts("trends-line-own")
    return line.name


def scope_text(trend: Trend, texts: Texts) -> Html:
    """What the chart shows, in words (HTML: a group's name escaped)."""
    groups = [line.name for line in trend.lines if line.kind == SeriesKind.GROUP]
    if trend.viewer_role == Role.CS:
        if groups:
            return Html(texts("trends-scope-overall-group", name=_short(groups[0])))
        return Html(texts("trends-scope-overall"))
    if trend.group_id:
        return Html(texts("trends-scope-group", name=_short(groups[0])))
    if trend.viewer_role == Role.LEAD:
        return Html(texts("trends-scope-lead", count=trend.in_scope))
    return Html(texts("trends-scope-manager"))


def caption(trend: Trend, texts: Texts) -> str:
    """The photo's caption: the scope, the period, each line's last value and change."""
    parts = [
        texts("trends-caption-title", scope=scope_text(trend, texts)),
        texts(
            "trends-caption-period",
            first=months.label(texts, trend.months[0]),
            last=months.label(texts, trend.months[-1]),
        ),
    ]
    for line in trend.lines:
        name = _short(line_name(line, texts))
        found = last_and_change(line.values)
        if found is None:
            parts.append(texts("trends-caption-line-none", name=name))
            continue
        index, value, change = found
        parts.append(
            texts(
                "trends-caption-line",
                name=name,
                score=percent(value),
                month=months.label(texts, trend.months[index]),
                change=points(change),
            )
        )
    shown = sum(1 for line in trend.lines if line.kind == SeriesKind.GROUP)
    if trend.viewer_role == Role.LEAD and not trend.group_id and shown < trend.in_scope:
        parts.append(texts("trends-note-more", shown=shown, total=trend.in_scope))
    if trend.no_own_score:
        parts.append(texts("trends-note-no-own"))
    if trend.pickable:
        parts.append(texts("trends-note-pick"))
    return "\n".join(parts)


def chart_lines(trend: Trend, texts: Texts) -> list[trends_chart.Line]:
    return [trends_chart.Line(line_name(line, texts), line.values) for line in trend.lines]


def chart_texts(trend: Trend, texts: Texts) -> trends_chart.ChartTexts:
    # The chart is drawn text, not HTML: the catalogue's escapes undone.
    return trends_chart.ChartTexts(
        title=html.unescape(texts("trends-chart-title", scope=scope_text(trend, texts))),
        months=[
            texts("trends-month-short", month=month.month, year=f"{month.year % 100:02d}")
            for month in trend.months
        ],
        axis=texts("trends-chart-axis"),
    )


def keyboard(trend: Trend, texts: Texts, page: int = 0) -> InlineKeyboardMarkup | None:
    return keyboards.trends_picker(trend.pickable, page, trend.group_id, texts)


@dataclass(frozen=True)
class Chart:
    png: bytes
    caption: str
    keyboard: InlineKeyboardMarkup | None
    filename: str


async def chart(
    session: AsyncSession, viewer: Employee | None, texts: Texts, group_id: int = 0
) -> Chart:
    """What «Динамика» (or a group picked under a chart) sends: the PNG, drawn in a worker
    thread, its caption and the groups to pick."""
    found = await trend(session, viewer, group_id)
    if not any(line.has_data for line in found.lines):
        raise NotFound("trends-none-in-scope")
    png = await asyncio.to_thread(
        trends_chart.render_png, chart_lines(found, texts), chart_texts(found, texts)
    )
    return Chart(
        png=png,
        caption=caption(found, texts),
        keyboard=keyboard(found, texts),
        filename=f"trends-{found.months[-1]:%Y-%m}.png",
    )


async def picker_page(
    session: AsyncSession, viewer: Employee | None, texts: Texts, page: int, group_id: int
) -> InlineKeyboardMarkup | None:
    """Another page of the groups under a chart (the scope checked again)."""
    return keyboard(await trend(session, viewer, group_id), texts, page)


# --- the digest's falling groups --------------------------------------------------------------


async def falling_groups(session: AsyncSession, month: date) -> list[str]:
    """The groups whose score went down month after month over the `FALLING_MONTHS` months
    ending with `month` (each strictly lower than the one before, every month with results),
    by name."""
    window_months = window(month, FALLING_MONTHS)
    rows = await results_db.group_scores_between(session, window_months[0], window_months[-1])
    falling = [
        group_id
        for group_id, values in group_series(window_months, rows).items()
        if strictly_falling(values)
    ]
    names = await results_db.group_names(session, falling)
    return sorted(names.values())
