"""The audit log: who changed what, when, from which state to which."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AuditEntry


def record(
    session: AsyncSession,
    *,
    actor_id: int | None,
    entity: str,
    entity_id: int,
    action: str,
    from_state: str | None = None,
    to_state: str | None = None,
    comment: str = "",
) -> AuditEntry:
    entry = AuditEntry(
        actor_id=actor_id,
        entity=entity,
        entity_id=entity_id,
        action=action,
        from_state=from_state,
        to_state=to_state,
        comment=comment,
    )
    session.add(entry)
    return entry


async def history(session: AsyncSession, entity: str, entity_id: int) -> Sequence[AuditEntry]:
    result = await session.execute(
        select(AuditEntry)
        .where(AuditEntry.entity == entity, AuditEntry.entity_id == entity_id)
        .order_by(AuditEntry.at, AuditEntry.id)
    )
    return result.scalars().all()
