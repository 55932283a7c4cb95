"""Queries on appeals (DESIGN §4)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import FINAL_CASE_STATES, Appeal, Case, LinkItem

PROCEDURE_LINK_KEY = "appeals"


async def by_id(session: AsyncSession, appeal_id: int) -> Appeal | None:
    return await session.get(Appeal, appeal_id)


async def by_id_for_update(session: AsyncSession, appeal_id: int) -> Appeal | None:
    """The appeal re-read from the database and locked until the transaction ends (inside a
    write transaction: the current state). On PostgreSQL a second decider waits here, then
    reads what the first one wrote; on SQLite BEGIN IMMEDIATE has serialised them already."""
    result = await session.execute(
        select(Appeal)
        .where(Appeal.id == appeal_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return result.scalar_one_or_none()


async def latest_for_case(session: AsyncSession, case_id: int) -> Appeal | None:
    result = await session.execute(
        select(Appeal)
        .where(Appeal.case_id == case_id)
        .order_by(Appeal.created_at.desc(), Appeal.id.desc())
        .limit(1)
        .execution_options(populate_existing=True)
    )
    return result.scalar_one_or_none()


async def cases_open_for_appeal(
    session: AsyncSession,
    *,
    manager_id: int,
    group_ids: Iterable[int] = (),
    since: datetime,
    limit: int = 200,
) -> Sequence[Case]:
    """Cases of `manager_id` (or of `group_ids`) posted after `since`, not final, not appealed."""
    groups = list(group_ids)
    whose = Case.manager_id == manager_id
    if groups:
        whose = or_(whose, Case.group_id.in_(groups))
    appealed = select(Appeal.case_id)
    result = await session.execute(
        select(Case)
        .where(
            whose,
            Case.created_at > since,
            Case.state.not_in(FINAL_CASE_STATES),
            Case.id.not_in(appealed),
        )
        .order_by(Case.created_at.desc(), Case.id.desc())
        .limit(limit)
    )
    return result.scalars().all()


async def procedure_link(session: AsyncSession) -> LinkItem | None:
    """The link «Процесс подачи апелляции» of /standards, if CS has not removed it."""
    result = await session.execute(select(LinkItem).where(LinkItem.key == PROCEDURE_LINK_KEY))
    return result.scalar_one_or_none()
