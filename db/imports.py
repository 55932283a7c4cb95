"""Queries of the /import use cases: the roster the rows are matched against, the import
keys of the cases already imported from the team's workbook."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Case, Employee, Role, WorkingGroup

# An IN (...) list stays well under SQLite's limit on bound parameters.
_CHUNK = 500


async def working_groups(session: AsyncSession) -> Sequence[WorkingGroup]:
    result = await session.execute(select(WorkingGroup).order_by(WorkingGroup.name))
    return result.scalars().all()


async def managers_and_leads(session: AsyncSession, *, active_only: bool) -> Sequence[Employee]:
    """The people results and cases can be about, with their groups."""
    query = select(Employee).where(Employee.role.in_([Role.MANAGER, Role.LEAD]))
    if active_only:
        query = query.where(Employee.active.is_(True))
    result = await session.execute(query.order_by(Employee.full_name, Employee.id))
    return result.scalars().all()


async def existing_import_keys(session: AsyncSession, keys: Iterable[str]) -> set[str]:
    """Those of `keys` that a case already carries."""
    wanted = list(dict.fromkeys(keys))
    found: set[str] = set()
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        result = await session.execute(select(Case.import_key).where(Case.import_key.in_(chunk)))
        found.update(key for key in result.scalars() if key is not None)
    return found
