"""Queries on requests to CS (З-N), the roster pieces their dialogs offer, and /my."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Appeal, Case, Employee, Role, ServiceRequest, WorkingGroup, employee_groups


async def by_id(session: AsyncSession, request_id: int) -> ServiceRequest | None:
    return await session.get(ServiceRequest, request_id)


async def by_id_for_update(session: AsyncSession, request_id: int) -> ServiceRequest | None:
    """The request re-read from the database and locked until the transaction ends (inside a
    write transaction: the current state). On PostgreSQL a second decider waits here, then
    reads what the first one wrote; on SQLite BEGIN IMMEDIATE has serialised them already."""
    result = await session.execute(
        select(ServiceRequest)
        .where(ServiceRequest.id == request_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return result.scalar_one_or_none()


async def group_by_id(session: AsyncSession, group_id: int) -> WorkingGroup | None:
    return await session.get(WorkingGroup, group_id)


async def members_of_groups(
    session: AsyncSession, group_ids: Collection[int], *, roles: Collection[Role]
) -> Sequence[Employee]:
    """Active employees with one of `roles` in any of the groups, by name."""
    if not group_ids:
        return []
    result = await session.execute(
        select(Employee)
        .join(employee_groups, employee_groups.c.employee_id == Employee.id)
        .where(
            employee_groups.c.group_id.in_(group_ids),
            Employee.role.in_(roles),
            Employee.active.is_(True),
        )
        .order_by(Employee.full_name, Employee.id)
        .distinct()
    )
    return result.scalars().all()


async def requests_visible_to(
    session: AsyncSession, employee_id: int, group_ids: Collection[int]
) -> Sequence[ServiceRequest]:
    """Requests filed by the employee or about one of `group_ids`, newest first."""
    condition = ServiceRequest.requester_id == employee_id
    if group_ids:
        condition = or_(condition, ServiceRequest.group_id.in_(group_ids))
    result = await session.execute(
        select(ServiceRequest)
        .where(condition)
        .order_by(ServiceRequest.created_at.desc(), ServiceRequest.id.desc())
    )
    return result.scalars().all()


async def appeals_visible_to(
    session: AsyncSession, employee_id: int, group_ids: Collection[int]
) -> Sequence[Appeal]:
    """Appeals filed by the employee or on cases of `group_ids`, newest first."""
    condition = Appeal.filer_id == employee_id
    if group_ids:
        condition = or_(condition, Case.group_id.in_(group_ids))
    result = await session.execute(
        select(Appeal)
        .join(Case, Case.id == Appeal.case_id)
        .where(condition)
        .order_by(Appeal.created_at.desc(), Appeal.id.desc())
    )
    return result.scalars().all()
