"""Looking cases up: the filtered, scoped and paged list, and the names behind the audit log.

Scope, filters, order and paging are all done by the database: a page reads `limit` rows and
one count, whatever the number of cases.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import ColumnElement, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Case, CaseCategory, CaseState, Employee


def _conditions(
    *,
    group_ids: set[int] | None,
    manager_id: int | None,
    states: set[CaseState] | None,
    category: CaseCategory | None,
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    # The scope: what the viewer may see. A case in one of `group_ids` or of `manager_id`;
    # neither given means every case.
    scope: list[ColumnElement[bool]] = []
    if group_ids is not None:
        scope.append(Case.group_id.in_(sorted(group_ids)) if group_ids else false())
    if manager_id is not None:
        scope.append(Case.manager_id == manager_id)
    if scope:
        conditions.append(or_(*scope))
    if states is not None:
        conditions.append(Case.state.in_(sorted(states)) if states else false())
    if category is not None:
        conditions.append(Case.category == category)
    return conditions


async def list_cases(
    session: AsyncSession,
    *,
    group_ids: set[int] | None,
    manager_id: int | None,
    states: set[CaseState] | None,
    category: CaseCategory | None,
    offset: int,
    limit: int,
) -> tuple[Sequence[Case], int]:
    """One page of cases, newest first (created_at desc, id desc), and how many match in all.

    `group_ids` and `manager_id` are the viewer's scope: a case matches if it belongs to one
    of the groups OR is the manager's own (a lead can be the manager of a case too); `None`
    for both means no scope limit (CS). An empty set of groups or states matches nothing.
    `states` and `category` narrow the list further; `None` means any.
    """
    conditions = _conditions(
        group_ids=group_ids, manager_id=manager_id, states=states, category=category
    )
    total = await session.scalar(select(func.count(Case.id)).where(*conditions))
    rows = await session.execute(
        select(Case)
        .where(*conditions)
        # created_at is indexed; id breaks ties so that paging is stable.
        .order_by(Case.created_at.desc(), Case.id.desc())
        .offset(max(0, offset))
        .limit(max(0, limit))
    )
    return rows.scalars().all(), int(total or 0)


async def employee_names(session: AsyncSession, employee_ids: Iterable[int]) -> dict[int, str]:
    """Full names by employee id (for the actors of an audit history)."""
    ids = sorted(set(employee_ids))
    if not ids:
        return {}
    result = await session.execute(
        select(Employee.id, Employee.full_name).where(Employee.id.in_(ids))
    )
    return {employee_id: name for employee_id, name in result}
