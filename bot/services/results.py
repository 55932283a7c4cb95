"""/results (DESIGN §6): a month's evaluation results as the viewer may see them.

CS sees every group ranked and the overall score; a lead his groups (and, where a group
has per-manager rows, his managers); a manager his group and his own score. The rank is a
group's place among all groups of the month (1 = best), the change is its score minus its
score in the previous month with results, in percentage points. The scope is computed here
for every request (a button only names the month and the page), and the text is paged so
no message passes Telegram's 4,096 characters.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from aiogram.types import InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards
from bot.services import months
from bot.services.errors import NotFound
from bot.services.roles import require_role
from bot.texts import Texts
from db import results as results_db
from db.models import Employee, Role

# A page stays well under Telegram's 4,096 characters, and short enough to read.
PAGE_BUDGET = 3600
PAGE_LINES = 40


# --- numbers as the team writes them ---------------------------------------------------------


def percent(value: float) -> str:
    """A score: «87,5 %» (one decimal, Russian decimal comma)."""
    return f"{value:.1f}".replace(".", ",").replace("-", "−") + " %"


def points(delta: float | None) -> str:
    """A change in percentage points: «+2,1 п.п.», «−0,4 п.п.», «±0,0 п.п.»; «—» if none.
    The digest shows its figures with these too."""
    if delta is None:
        return "—"
    shown = round(delta, 1)
    if shown == 0:
        return "±0,0 п.п."
    sign = "+" if shown > 0 else "−"
    return f"{sign}{abs(shown):.1f}".replace(".", ",") + " п.п."


# --- what the viewer sees ---------------------------------------------------------------------


@dataclass(frozen=True)
class ManagerLine:
    full_name: str
    score: float
    evaluations: int


@dataclass(frozen=True)
class GroupLine:
    group_id: int
    name: str
    rank: int
    score: float
    evaluations: int
    change: float | None  # percentage points against the previous month with results
    managers: list[ManagerLine] = field(default_factory=list)


@dataclass(frozen=True)
class ResultsView:
    viewer_role: Role
    month: date
    previous: date | None  # the months with results before and after, for the buttons
    following: date | None
    total_groups: int
    groups: list[GroupLine]
    overall: float | None = None  # CS only
    overall_evaluations: int = 0
    overall_change: float | None = None
    own: ManagerLine | None = None  # a manager's own row, if there is one


async def view(
    session: AsyncSession, viewer: Employee | None, month: date | None = None
) -> ResultsView | None:
    """The results of `month` (the latest month with results if None) in the viewer's scope;
    None when there are no results at all. A month without results (a stale button after
    its rows were removed) is NotFound."""
    viewer = require_role(viewer, Role.CS, Role.LEAD, Role.MANAGER)
    if month is None:
        month = await results_db.latest_month(session)
        if month is None:
            return None
    ranked = await results_db.group_scores(session, month)
    if not ranked:
        raise NotFound("results-month-gone")
    before = await results_db.month_before(session, month)
    after = await results_db.month_after(session, month)
    earlier = (
        {score.group_id: score.score for score in await results_db.group_scores(session, before)}
        if before is not None
        else {}
    )
    visible = None if viewer.role == Role.CS else viewer.group_ids
    groups: list[GroupLine] = []
    own: ManagerLine | None = None
    for rank, score in enumerate(ranked, start=1):
        if visible is not None and score.group_id not in visible:
            continue
        managers: list[ManagerLine] = []
        if viewer.role != Role.CS:
            rows = await results_db.manager_scores(session, month, score.group_id)
            if viewer.role == Role.LEAD:
                managers = [ManagerLine(r.full_name, r.score, r.evaluations) for r in rows]
            else:
                mine = next((r for r in rows if r.manager_id == viewer.id), None)
                if mine is not None and own is None:
                    own = ManagerLine(mine.full_name, mine.score, mine.evaluations)
        previous_score = earlier.get(score.group_id)
        groups.append(
            GroupLine(
                group_id=score.group_id,
                name=score.name,
                rank=rank,
                score=score.score,
                evaluations=score.evaluations,
                change=None if previous_score is None else score.score - previous_score,
                managers=managers,
            )
        )
    result = ResultsView(
        viewer_role=viewer.role,
        month=month,
        previous=before,
        following=after,
        total_groups=len(ranked),
        groups=groups,
        own=own,
    )
    if viewer.role != Role.CS:
        return result
    overall = await results_db.overall_score(session, month)
    earlier_overall = (
        await results_db.overall_score(session, before) if before is not None else None
    )
    assert overall is not None
    return replace(
        result,
        overall=overall[0],
        overall_evaluations=overall[1],
        overall_change=overall[0] - earlier_overall[0] if earlier_overall is not None else None,
    )


# --- rendering ------------------------------------------------------------------------------


def _lines(result: ResultsView, texts: Texts) -> list[str]:
    """The body lines, one per group and one per manager under it."""
    lines: list[str] = []
    for group in result.groups:
        lines.append(
            texts(
                "results-group-line",
                rank=group.rank,
                total=result.total_groups,
                name=group.name,
                score=percent(group.score),
                change=points(group.change),
                evaluations=group.evaluations,
            )
        )
        lines.extend(
            texts(
                "results-manager-line",
                name=manager.full_name,
                score=percent(manager.score),
                evaluations=manager.evaluations,
            )
            for manager in group.managers
        )
    return lines


def _head(result: ResultsView, texts: Texts) -> str:
    month = months.label(texts, result.month)
    parts = [texts("results-title", month=month)]
    if result.overall is not None:
        parts.append(
            texts(
                "results-overall",
                score=percent(result.overall),
                change=points(result.overall_change),
                evaluations=result.overall_evaluations,
                groups=result.total_groups,
            )
        )
    if result.previous is not None:
        parts.append(texts("results-change-note", month=months.label(texts, result.previous)))
    else:
        parts.append(texts("results-no-previous"))
    if result.own is not None:
        parts.append(
            texts(
                "results-own",
                score=percent(result.own.score),
                evaluations=result.own.evaluations,
            )
        )
    return "\n".join(parts)


def pages(result: ResultsView, texts: Texts) -> list[str]:
    """The message texts, one per page; every one fits a Telegram message."""
    head = _head(result, texts)
    lines = _lines(result, texts)
    if not lines:
        return [head + "\n\n" + texts("results-none-in-scope")]
    chunks: list[list[str]] = [[]]
    size = 0
    for line in lines:
        if chunks[-1] and (len(chunks[-1]) >= PAGE_LINES or size + len(line) + 1 > PAGE_BUDGET):
            chunks.append([])
            size = 0
        chunks[-1].append(line)
        size += len(line) + 1
    if len(chunks) == 1:
        return [head + "\n\n" + "\n".join(chunks[0])]
    return [
        head
        + "\n\n"
        + "\n".join(chunk)
        + "\n\n"
        + texts("results-page", page=number, pages=len(chunks))
        for number, chunk in enumerate(chunks, start=1)
    ]


def keyboard(result: ResultsView, page: int, page_count: int, texts: Texts) -> InlineKeyboardMarkup:
    """◀ ▶ between pages, then the months before and after (only where they exist), then
    «Динамика» (the 12-month chart, `bot/services/trends.py`)."""
    pages_and_months = keyboards.results_pages(
        months.code(result.month),
        page,
        page_count,
        previous=months.code(result.previous) if result.previous is not None else None,
        following=months.code(result.following) if result.following is not None else None,
        texts=texts,
    )
    return keyboards.with_trends_button(pages_and_months, texts)


@dataclass(frozen=True)
class Screen:
    text: str
    keyboard: InlineKeyboardMarkup | None


async def screen(
    session: AsyncSession,
    viewer: Employee | None,
    texts: Texts,
    *,
    month: date | None = None,
    page: int = 0,
) -> Screen:
    """What /results or one of its buttons shows: the page (clamped to the pages there
    are) and its buttons; «no results yet» when there are none."""
    result = await view(session, viewer, month)
    if result is None:
        return Screen(texts("results-empty"), None)
    shown = pages(result, texts)
    page = max(0, min(page, len(shown) - 1))
    return Screen(shown[page], keyboard(result, page, len(shown), texts))
