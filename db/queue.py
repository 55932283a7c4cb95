"""Queries behind /queue: what waits for CS, and what waits for a lead.

One query per kind of item, whatever their number (the relationships the lines show are
loaded by selectin, in batches); ordering and paging are the service's, over a few dozen
rows at most.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    AccessRequest,
    AccessRequestState,
    Appeal,
    AppealState,
    Case,
    CaseState,
    RequestState,
    ServiceRequest,
)

OPEN_REQUEST_STATES = (RequestState.NEW, RequestState.IN_WORK)


async def open_appeals(session: AsyncSession) -> Sequence[Appeal]:
    """Appeals not yet decided, oldest first."""
    result = await session.execute(
        select(Appeal).where(Appeal.state == AppealState.NEW).order_by(Appeal.created_at, Appeal.id)
    )
    return result.scalars().all()


async def open_requests(
    session: AsyncSession, *, requester_id: int | None = None
) -> Sequence[ServiceRequest]:
    """Requests new or in work, oldest first; only those filed by `requester_id` if given."""
    conditions: list[ColumnElement[bool]] = [ServiceRequest.state.in_(OPEN_REQUEST_STATES)]
    if requester_id is not None:
        conditions.append(ServiceRequest.requester_id == requester_id)
    result = await session.execute(
        select(ServiceRequest)
        .where(*conditions)
        .order_by(ServiceRequest.created_at, ServiceRequest.id)
    )
    return result.scalars().all()


async def cases_for_cs(session: AsyncSession, *, recheck_before: datetime) -> Sequence[Case]:
    """Cases CS must act on: re-checks due before `recheck_before`, analyses to confirm."""
    result = await session.execute(
        select(Case)
        .where(
            or_(
                and_(Case.state == CaseState.RECHECK, Case.recheck_due_at <= recheck_before),
                Case.state == CaseState.ANALYSED,
            )
        )
        .order_by(Case.id)
    )
    return result.scalars().all()


async def cases_for_lead(
    session: AsyncSession, group_ids: Collection[int], *, briefing_before: datetime, today: date
) -> Sequence[Case]:
    """Cases of `group_ids` a lead must act on: new (take it), accepted (a briefing date or
    the analysis), a briefing whose day has come (mark it held): one before `briefing_before`
    (the end of today), or, set before briefings had a time, dated `today` or earlier."""
    in_groups = Case.group_id.in_(sorted(group_ids)) if group_ids else false()
    result = await session.execute(
        select(Case)
        .where(
            in_groups,
            or_(
                Case.state.in_((CaseState.NEW, CaseState.ACCEPTED)),
                and_(
                    Case.state == CaseState.BRIEFING_SET,
                    or_(
                        Case.briefing_at < briefing_before,
                        and_(Case.briefing_at.is_(None), Case.briefing_date <= today),
                    ),
                ),
            ),
        )
        .order_by(Case.id)
    )
    return result.scalars().all()


async def pending_access_requests(session: AsyncSession) -> Sequence[AccessRequest]:
    result = await session.execute(
        select(AccessRequest)
        .where(AccessRequest.state == AccessRequestState.PENDING)
        .order_by(AccessRequest.created_at, AccessRequest.id)
    )
    return result.scalars().all()
