"""Queries of blind calibration sessions and their votes."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import CalibrationSession, CalibrationState, Employee, Role


async def by_id(session: AsyncSession, session_id: int) -> CalibrationSession | None:
    return await session.get(CalibrationSession, session_id)


async def by_id_for_update(session: AsyncSession, session_id: int) -> CalibrationSession | None:
    """The session re-read and locked until the transaction ends (the last two votes arriving
    together: one of them sees the other's and closes the session)."""
    result = await session.execute(
        select(CalibrationSession)
        .where(CalibrationSession.id == session_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    found = result.scalar_one_or_none()
    if found is not None:
        await session.refresh(found, ["votes"])
    return found


async def closed_newest_first(session: AsyncSession, limit: int) -> Sequence[CalibrationSession]:
    result = await session.execute(
        select(CalibrationSession)
        .where(CalibrationSession.state == CalibrationState.CLOSED)
        .order_by(CalibrationSession.closed_at.desc(), CalibrationSession.id.desc())
        .limit(limit)
    )
    return result.scalars().all()


async def possible_participants(session: AsyncSession) -> Sequence[Employee]:
    """The active CS members and leads the bot can write to, CS first, by name."""
    result = await session.execute(
        select(Employee)
        .where(
            Employee.active.is_(True),
            Employee.telegram_id.is_not(None),
            Employee.role.in_((Role.CS, Role.LEAD)),
        )
        .order_by(Employee.role, Employee.full_name)
    )
    return result.scalars().all()
