"""Queries on the meeting invitations of the flagged leads (DESIGN §6)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Employee, MeetingInvite, MeetingState, Role, WorkingGroup, employee_groups


async def by_id(session: AsyncSession, invite_id: int) -> MeetingInvite | None:
    return await session.get(MeetingInvite, invite_id)


async def by_id_for_update(session: AsyncSession, invite_id: int) -> MeetingInvite | None:
    """The invitation re-read and locked until the transaction ends (see
    cases.by_id_for_update)."""
    result = await session.execute(
        select(MeetingInvite)
        .where(MeetingInvite.id == invite_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return result.scalar_one_or_none()


async def of_lead(session: AsyncSession, month: date, lead_id: int) -> MeetingInvite | None:
    """The invitation of `lead_id` for `month` (one per month and lead), if any."""
    result = await session.execute(
        select(MeetingInvite).where(MeetingInvite.month == month, MeetingInvite.lead_id == lead_id)
    )
    return result.scalar_one_or_none()


async def leads_of_groups(
    session: AsyncSession, group_ids: Sequence[int]
) -> list[tuple[Employee, str]]:
    """The active leads of `group_ids` with the name of each group they lead, in one query
    (a lead of two of the groups comes twice), in the order of `group_ids`."""
    if not group_ids:
        return []
    query = (
        select(Employee, WorkingGroup.id, WorkingGroup.name)
        .join(employee_groups, employee_groups.c.employee_id == Employee.id)
        .join(WorkingGroup, WorkingGroup.id == employee_groups.c.group_id)
        .where(
            WorkingGroup.id.in_(list(group_ids)),
            Employee.role == Role.LEAD,
            Employee.active.is_(True),
        )
    )
    order = {group_id: index for index, group_id in enumerate(dict.fromkeys(group_ids))}
    rows = sorted(await session.execute(query), key=lambda row: (order[row[1]], row[0].id))
    return [(lead, str(name)) for lead, _, name in rows]


async def of_month(session: AsyncSession, month: date) -> Sequence[MeetingInvite]:
    result = await session.execute(
        select(MeetingInvite).where(MeetingInvite.month == month).order_by(MeetingInvite.id)
    )
    return result.scalars().all()


async def booked_between(
    session: AsyncSession, start: datetime, end: datetime, *, except_id: int | None = None
) -> Sequence[datetime]:
    """The meeting times (UTC) booked in [start, end), other than invitation `except_id`'s."""
    query = select(MeetingInvite.meeting_at).where(
        MeetingInvite.state == MeetingState.BOOKED,
        MeetingInvite.meeting_at.is_not(None),
        MeetingInvite.meeting_at >= start,
        MeetingInvite.meeting_at < end,
    )
    if except_id is not None:
        query = query.where(MeetingInvite.id != except_id)
    result = await session.execute(query.order_by(MeetingInvite.meeting_at))
    return [moment for moment in result.scalars().all() if moment is not None]


async def taken_by(session: AsyncSession, meeting_at: datetime) -> MeetingInvite | None:
    """The invitation that holds the slot `meeting_at` (UTC), if any."""
    result = await session.execute(
        select(MeetingInvite).where(MeetingInvite.meeting_at == meeting_at)
    )
    return result.scalar_one_or_none()
