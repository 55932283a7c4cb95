"""Queries of the monthly digest (DESIGN §6): case and appeal counts of a month, the groups
with repeated errors, and the record of what was posted.

Every figure is an SQL aggregation (GROUP BY / COUNT); nothing loads the month's rows.
Cases belong to the month of their incident (`incident_date`, a local date: the days
`first`..`last`), not of their registration: the team's workbook brings in old rows at once,
and a case registered on the 2nd about the 30th belongs to the month it happened in.
Appeals belong to the month they were decided in, given as UTC bounds [start, end): the
caller turns the local month into them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    Appeal,
    AppealState,
    Case,
    CaseCategory,
    CaseState,
    CaseTab,
    DigestPost,
    Employee,
    Reminder,
    Role,
    WorkingGroup,
    employee_groups,
)


@dataclass(frozen=True)
class LeadOfGroup:
    group_id: int
    full_name: str
    telegram_id: int | None


@dataclass(frozen=True)
class RepeatedGroup:
    group_id: int
    name: str
    count: int


async def cases_by_category(
    session: AsyncSession, first: date, last: date
) -> dict[CaseCategory, int]:
    """Cases with incidents on the days first..last, per category (every category, 0 if
    none)."""
    query = (
        select(Case.category, func.count(Case.id))
        .where(Case.incident_date >= first, Case.incident_date <= last)
        .group_by(Case.category)
    )
    counts = {category: 0 for category in CaseCategory}
    for category, count in await session.execute(query):
        counts[CaseCategory(category)] = int(count)
    return counts


async def publication_and_acknowledgement(
    session: AsyncSession, first: date, last: date
) -> list[tuple[datetime, datetime | None]]:
    """When each case with an incident on the days first..last was published, and when its
    manager tapped «Ознакомлен» (None: not yet)."""
    query = select(Case.created_at, Case.acknowledged_at).where(
        Case.incident_date >= first, Case.incident_date <= last
    )
    return [(created, acknowledged) for created, acknowledged in await session.execute(query)]


async def cases_by_tab(session: AsyncSession, first: date, last: date) -> dict[CaseTab, int]:
    """Cases with incidents on the days first..last, per tab (every tab, 0 if none)."""
    query = (
        select(Case.tab, func.count(Case.id))
        .where(Case.incident_date >= first, Case.incident_date <= last)
        .group_by(Case.tab)
    )
    counts = {tab: 0 for tab in CaseTab}
    for tab, count in await session.execute(query):
        counts[CaseTab(tab)] = int(count)
    return counts


async def repeated_by_group(session: AsyncSession, first: date, last: date) -> list[RepeatedGroup]:
    """Groups with repeated errors among the cases with incidents on the days first..last:
    a case flagged as a repeat when it was registered, or one whose re-check failed; not
    one CS withdrew (an accepted appeal: no error at all). Most first."""
    repeats = func.count(Case.id)
    query = (
        select(Case.group_id, WorkingGroup.name, repeats.label("repeats"))
        .join(WorkingGroup, WorkingGroup.id == Case.group_id)
        .where(
            Case.incident_date >= first,
            Case.incident_date <= last,
            Case.state != CaseState.WITHDRAWN,
            or_(Case.repeated.is_(True), Case.state == CaseState.REPEATED),
        )
        .group_by(Case.group_id, WorkingGroup.name)
        .order_by(repeats.desc(), WorkingGroup.name)
    )
    return [
        RepeatedGroup(int(row.group_id), str(row.name), int(row.repeats))
        for row in await session.execute(query)
    ]


async def appeals_decided(
    session: AsyncSession, start: datetime, end: datetime
) -> dict[AppealState, int]:
    """Appeals decided in [start, end), per decision (accepted, partial, rejected; 0 if none)."""
    decisions = (AppealState.ACCEPTED, AppealState.PARTIAL, AppealState.REJECTED)
    query = (
        select(Appeal.state, func.count(Appeal.id))
        .where(
            Appeal.decided_at.is_not(None),
            Appeal.decided_at >= start,
            Appeal.decided_at < end,
            Appeal.state.in_(decisions),
        )
        .group_by(Appeal.state)
    )
    counts = dict.fromkeys(decisions, 0)
    for state, number in await session.execute(query):
        counts[AppealState(state)] = int(number)
    return counts


async def appeals_decided_timing(
    session: AsyncSession, start: datetime, end: datetime
) -> list[tuple[datetime, datetime, AppealState, CaseCategory]]:
    """Appeals decided in [start, end): filed, decided, the decision and the case's category
    (the working days between filing and decision need the calendar, so the rows; a month
    has tens of decided appeals, not thousands)."""
    query = (
        select(Appeal.created_at, Appeal.decided_at, Appeal.state, Case.category)
        .join(Case, Case.id == Appeal.case_id)
        .where(
            Appeal.decided_at.is_not(None),
            Appeal.decided_at >= start,
            Appeal.decided_at < end,
            Appeal.state != AppealState.NEW,
        )
    )
    return [
        (created, decided, AppealState(state), CaseCategory(category))
        for created, decided, state, category in await session.execute(query)
        if decided is not None
    ]


async def leads_of_groups(
    session: AsyncSession, group_ids: Sequence[int]
) -> dict[int, list[LeadOfGroup]]:
    """The active leads of each of `group_ids` (by name), in one query: a digest may flag
    all 200 groups, and a query per group would be the slowest part of it."""
    leads: dict[int, list[LeadOfGroup]] = {group_id: [] for group_id in group_ids}
    if not group_ids:
        return leads
    query = (
        select(employee_groups.c.group_id, Employee.full_name, Employee.telegram_id)
        .join(Employee, Employee.id == employee_groups.c.employee_id)
        .where(
            employee_groups.c.group_id.in_(list(group_ids)),
            Employee.role == Role.LEAD,
            Employee.active.is_(True),
        )
        .order_by(Employee.full_name, Employee.id)
    )
    for group_id, full_name, telegram_id in await session.execute(query):
        leads[int(group_id)].append(
            LeadOfGroup(int(group_id), str(full_name), int(telegram_id) if telegram_id else None)
        )
    return leads


async def post_of(session: AsyncSession, month: date) -> DigestPost | None:
    """The record of the month's posted digest, if it was posted."""
    result = await session.execute(select(DigestPost).where(DigestPost.month == month))
    return result.scalar_one_or_none()


async def posted_months(session: AsyncSession) -> Sequence[date]:
    result = await session.execute(select(DigestPost.month).order_by(DigestPost.month))
    return list(result.scalars())


async def notice_recorded(session: AsyncSession, subject: str) -> bool:
    """Whether a reminder with this subject was ever written, in any state."""
    result = await session.execute(select(exists().where(Reminder.subject == subject)))
    return bool(result.scalar())
