"""Queries on the roster: employees and working groups."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Employee, Role, WorkingGroup


async def by_telegram_id(session: AsyncSession, telegram_id: int) -> Employee | None:
    result = await session.execute(select(Employee).where(Employee.telegram_id == telegram_id))
    return result.scalar_one_or_none()


async def by_username(session: AsyncSession, username: str) -> Employee | None:
    name = normalize_username(username)
    result = await session.execute(select(Employee).where(Employee.username == name))
    return result.scalar_one_or_none()


async def by_id(session: AsyncSession, employee_id: int) -> Employee | None:
    return await session.get(Employee, employee_id)


async def by_id_for_update(session: AsyncSession, employee_id: int) -> Employee | None:
    """The entry re-read and locked until the transaction ends (see cases.by_id_for_update)."""
    result = await session.execute(
        select(Employee)
        .where(Employee.id == employee_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return result.scalar_one_or_none()


async def all_employees(session: AsyncSession) -> Sequence[Employee]:
    result = await session.execute(select(Employee).order_by(Employee.full_name, Employee.id))
    return result.scalars().all()


async def unbound_active(session: AsyncSession) -> Sequence[Employee]:
    """Active roster entries that no Telegram account is bound to yet."""
    result = await session.execute(
        select(Employee)
        .where(Employee.active.is_(True), Employee.telegram_id.is_(None))
        .order_by(Employee.full_name, Employee.id)
    )
    return result.scalars().all()


async def active_with_role(session: AsyncSession, role: Role) -> Sequence[Employee]:
    result = await session.execute(
        select(Employee).where(Employee.active.is_(True), Employee.role == role)
    )
    return result.scalars().all()


async def groups_by_name(session: AsyncSession, names: set[str]) -> dict[str, WorkingGroup]:
    if not names:
        return {}
    result = await session.execute(select(WorkingGroup).where(WorkingGroup.name.in_(names)))
    return {group.name: group for group in result.scalars()}


async def count_employees(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Employee)) or 0)


def normalize_username(username: str) -> str:
    return username.strip().lstrip("@").lower()
