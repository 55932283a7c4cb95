"""Queries on the monthly evaluation results (DESIGN §6).

A group's score for a month is the evaluation-weighted mean of its rows (one total row, or
one row per manager), computed by SQL aggregation: nothing here loads every row into Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Employee, MonthlyResult, WorkingGroup


@dataclass(frozen=True)
class GroupScore:
    group_id: int
    name: str
    score: float  # percent, the evaluation-weighted mean of the group's rows
    evaluations: int


@dataclass(frozen=True)
class ManagerScore:
    manager_id: int
    full_name: str
    score: float
    evaluations: int


async def group_scores(session: AsyncSession, month: date) -> list[GroupScore]:
    """Every group with results in `month`, best first (ties by name)."""
    weighted = func.sum(MonthlyResult.score * MonthlyResult.evaluations) / func.sum(
        MonthlyResult.evaluations
    )
    query = (
        select(
            MonthlyResult.group_id,
            WorkingGroup.name,
            weighted.label("score"),
            func.sum(MonthlyResult.evaluations).label("evaluations"),
        )
        .join(WorkingGroup, WorkingGroup.id == MonthlyResult.group_id)
        .where(MonthlyResult.month == month)
        .group_by(MonthlyResult.group_id, WorkingGroup.name)
        .order_by(weighted.desc(), WorkingGroup.name)
    )
    return [
        GroupScore(int(row.group_id), str(row.name), float(row.score), int(row.evaluations))
        for row in await session.execute(query)
    ]


async def manager_scores(session: AsyncSession, month: date, group_id: int) -> list[ManagerScore]:
    """The per-manager rows of one group in `month`, best first (empty for a total row)."""
    query = (
        select(
            MonthlyResult.manager_id,
            Employee.full_name,
            MonthlyResult.score,
            MonthlyResult.evaluations,
        )
        .join(Employee, Employee.id == MonthlyResult.manager_id)
        .where(MonthlyResult.month == month, MonthlyResult.group_id == group_id)
        .order_by(MonthlyResult.score.desc(), Employee.full_name)
    )
    return [
        ManagerScore(
            int(row.manager_id), str(row.full_name), float(row.score), int(row.evaluations)
        )
        for row in await session.execute(query)
    ]


async def overall_score(session: AsyncSession, month: date) -> tuple[float, int] | None:
    """The month's overall score (weighted by evaluations) and evaluation count; None if
    the month has no results."""
    query = select(
        func.sum(MonthlyResult.score * MonthlyResult.evaluations)
        / func.sum(MonthlyResult.evaluations),
        func.sum(MonthlyResult.evaluations),
    ).where(MonthlyResult.month == month)
    score, evaluations = (await session.execute(query)).one()
    if score is None:
        return None
    return float(score), int(evaluations)


async def months(session: AsyncSession) -> Sequence[date]:
    """Every month with results, latest first."""
    query = select(MonthlyResult.month).distinct().order_by(MonthlyResult.month.desc())
    return list((await session.execute(query)).scalars())


async def latest_month(session: AsyncSession) -> date | None:
    return (await session.execute(select(func.max(MonthlyResult.month)))).scalar()


async def month_before(session: AsyncSession, month: date) -> date | None:
    """The latest month with results before `month`."""
    query = select(func.max(MonthlyResult.month)).where(MonthlyResult.month < month)
    return (await session.execute(query)).scalar()


async def month_after(session: AsyncSession, month: date) -> date | None:
    query = select(func.min(MonthlyResult.month)).where(MonthlyResult.month > month)
    return (await session.execute(query)).scalar()


async def count_rows(session: AsyncSession, month: date) -> int:
    query = select(func.count(MonthlyResult.id)).where(MonthlyResult.month == month)
    return int((await session.execute(query)).scalar_one())


async def delete_month(session: AsyncSession, month: date) -> int:
    """Remove a month's rows (a re-import replaces them); returns how many there were."""
    result = await session.execute(delete(MonthlyResult).where(MonthlyResult.month == month))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class NewResult:
    month: date
    group_id: int
    manager_id: int | None
    score: float
    evaluations: int


async def add_rows(
    session: AsyncSession,
    rows: Sequence[NewResult],
    *,
    imported_at: datetime,
    imported_by_id: int | None,
) -> None:
    """Insert an import's rows in one executemany (a year of per-manager rows is thousands;
    ORM objects one by one would hold up the event loop)."""
    if not rows:
        return
    await session.execute(
        insert(MonthlyResult),
        [
            {
                "month": row.month,
                "group_id": row.group_id,
                "manager_id": row.manager_id,
                "score": row.score,
                "evaluations": row.evaluations,
                "imported_at": imported_at,
                "imported_by_id": imported_by_id,
            }
            for row in rows
        ],
    )


# --- the trends (a series of months) ------------------------------------------------------------


@dataclass(frozen=True)
class MonthGroupScore:
    month: date
    group_id: int
    score: float


async def group_scores_between(
    session: AsyncSession, first: date, last: date, group_ids: Sequence[int] | None = None
) -> list[MonthGroupScore]:
    """Each group's score in each month `first`..`last` (both included) that has its rows,
    of `group_ids` only when given; one aggregation, months in order."""
    weighted = func.sum(MonthlyResult.score * MonthlyResult.evaluations) / func.sum(
        MonthlyResult.evaluations
    )
    query = (
        select(MonthlyResult.month, MonthlyResult.group_id, weighted.label("score"))
        .where(MonthlyResult.month >= first, MonthlyResult.month <= last)
        .group_by(MonthlyResult.month, MonthlyResult.group_id)
        .order_by(MonthlyResult.month, MonthlyResult.group_id)
    )
    if group_ids is not None:
        query = query.where(MonthlyResult.group_id.in_(list(group_ids)))
    return [
        MonthGroupScore(row.month, int(row.group_id), float(row.score))
        for row in await session.execute(query)
    ]


async def overall_scores_between(
    session: AsyncSession, first: date, last: date
) -> dict[date, float]:
    """The overall score of each month `first`..`last` that has results."""
    query = (
        select(
            MonthlyResult.month,
            func.sum(MonthlyResult.score * MonthlyResult.evaluations)
            / func.sum(MonthlyResult.evaluations),
        )
        .where(MonthlyResult.month >= first, MonthlyResult.month <= last)
        .group_by(MonthlyResult.month)
    )
    return {row[0]: float(row[1]) for row in await session.execute(query)}


async def manager_scores_between(
    session: AsyncSession, first: date, last: date, manager_id: int
) -> dict[date, float]:
    """One manager's own score in each month `first`..`last` that has a row of his (only
    groups imported per manager have them)."""
    query = (
        select(
            MonthlyResult.month,
            func.sum(MonthlyResult.score * MonthlyResult.evaluations)
            / func.sum(MonthlyResult.evaluations),
        )
        .where(
            MonthlyResult.month >= first,
            MonthlyResult.month <= last,
            MonthlyResult.manager_id == manager_id,
        )
        .group_by(MonthlyResult.month)
    )
    return {row[0]: float(row[1]) for row in await session.execute(query)}


async def group_names(session: AsyncSession, group_ids: Sequence[int]) -> dict[int, str]:
    """The names of the groups that exist among `group_ids`."""
    if not group_ids:
        return {}
    query = select(WorkingGroup.id, WorkingGroup.name).where(WorkingGroup.id.in_(list(group_ids)))
    return {int(row.id): str(row.name) for row in await session.execute(query)}


async def groups_with_results_between(
    session: AsyncSession, first: date, last: date
) -> list[tuple[int, str]]:
    """Every group with results in `first`..`last`, by name: what CS may pick a chart of."""
    query = (
        select(WorkingGroup.id, WorkingGroup.name)
        .join(MonthlyResult, MonthlyResult.group_id == WorkingGroup.id)
        .where(MonthlyResult.month >= first, MonthlyResult.month <= last)
        .group_by(WorkingGroup.id, WorkingGroup.name)
        .order_by(WorkingGroup.name)
    )
    return [(int(row.id), str(row.name)) for row in await session.execute(query)]
