"""Queries on cases."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Case, CaseCategory, CaseState, CaseTab, Employee, Role, employee_groups


async def by_id(session: AsyncSession, case_id: int) -> Case | None:
    return await session.get(Case, case_id)


async def by_id_for_update(session: AsyncSession, case_id: int) -> Case | None:
    """The case re-read from the database and locked until the transaction ends (inside a
    write transaction: the current state). On PostgreSQL a second decider waits here, then
    reads what the first one wrote; on SQLite BEGIN IMMEDIATE has serialised them already."""
    result = await session.execute(
        select(Case)
        .where(Case.id == case_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return result.scalar_one_or_none()


async def earlier_same_error(
    session: AsyncSession,
    *,
    manager_id: int,
    category: CaseCategory,
    tab: CaseTab,
    since: date,
    until: date,
) -> Case | None:
    """The latest case of the same manager, category and tab whose incident happened in
    [since, until] (not withdrawn). Incident dates, not registration times: a workbook of
    old rows imported at once must not make every row a repeat of the others."""
    result = await session.execute(
        select(Case)
        .where(
            Case.manager_id == manager_id,
            Case.category == category,
            Case.tab == tab,
            Case.incident_date >= since,
            Case.incident_date <= until,
            Case.state != CaseState.WITHDRAWN,
        )
        .order_by(Case.incident_date.desc(), Case.id.desc())
        .limit(1)
    )
    return result.scalar_one_or_none()


async def leads_of_group(session: AsyncSession, group_id: int) -> Sequence[Employee]:
    result = await session.execute(
        select(Employee)
        .join(employee_groups, employee_groups.c.employee_id == Employee.id)
        .where(
            employee_groups.c.group_id == group_id,
            Employee.role == Role.LEAD,
            Employee.active.is_(True),
        )
        .order_by(Employee.full_name, Employee.id)
    )
    return result.scalars().all()


async def managers_matching(
    session: AsyncSession, text: str, *, limit: int = 200
) -> Sequence[Employee]:
    """Active managers and leads whose full name contains `text` (any case)."""
    result = await session.execute(
        select(Employee)
        .where(Employee.active.is_(True), Employee.role.in_([Role.MANAGER, Role.LEAD]))
        .order_by(Employee.full_name, Employee.id)
    )
    needle = text.casefold().strip()
    return [e for e in result.scalars() if needle in e.full_name.casefold()][:limit]
