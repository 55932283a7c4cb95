"""Who may use the bot (DESIGN §9): recognising users, access requests and their approval."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from difflib import SequenceMatcher

from aiogram.types import User
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards
from bot.commands import commands_for
from bot.services import notify, people, unreachable
from bot.services.errors import AlreadyDone, NotFound
from bot.services.roles import require_role
from bot.settings import Settings
from bot.texts import Texts
from db import access as access_db
from db import audit
from db import employees as employees_db
from db.engine import lock_name, write_transaction
from db.models import AccessRequest, AccessRequestState, Employee, Role


@dataclass(frozen=True)
class Applicant:
    """The Telegram side of a user, as much as the bot needs of it."""

    telegram_id: int
    name: str
    username: str | None

    @classmethod
    def from_user(cls, user: User) -> Applicant:
        return cls(telegram_id=user.id, name=user.full_name, username=user.username)


async def recognise(session: AsyncSession, applicant: Applicant) -> Employee | None:
    """The active employee behind this Telegram user, binding the id on a username match."""
    employee = await employees_db.by_telegram_id(session, applicant.telegram_id)
    if employee is not None:
        return employee if employee.active else None
    if not applicant.username:
        return None
    employee = await employees_db.by_username(session, applicant.username)
    if employee is None or not employee.active or employee.telegram_id is not None:
        return None
    async with write_transaction(session):
        await session.refresh(employee, with_for_update=True)
        if employee.telegram_id is not None:  # bound by a concurrent /start meanwhile
            return employee if employee.telegram_id == applicant.telegram_id else None
        employee.telegram_id = applicant.telegram_id
        audit.record(
            session,
            actor_id=employee.id,
            entity="employee",
            entity_id=employee.id,
            action="bind_by_username",
            comment=f"@{applicant.username}",
        )
    return employee


async def former(session: AsyncSession, applicant: Applicant) -> Employee | None:
    """The roster entry of someone who no longer works here (inactive), by id or username:
    his /start says so instead of inviting him to ask for access."""
    employee = await employees_db.by_telegram_id(session, applicant.telegram_id)
    if employee is None and applicant.username:
        employee = await employees_db.by_username(session, applicant.username)
        if employee is not None and employee.telegram_id not in (None, applicant.telegram_id):
            return None
    return employee if employee is not None and not employee.active else None


async def waiting_for(session: AsyncSession, telegram_id: int) -> unreachable.Waiting:
    """What was kept for him while the bot could not reach him (his /start says so)."""
    return await unreachable.waiting(session, telegram_id)


async def user_returned(session: AsyncSession, telegram_id: int, *, texts: Texts) -> None:
    """The user wrote to the bot, so he can be messaged: what was kept for him is sent."""
    async with write_transaction(session):
        await unreachable.release(session, telegram_id, texts=texts)


async def bootstrap_cs_team(session: AsyncSession, telegram_ids: Sequence[int]) -> int:
    """Make the ids of `CS_TEAM_IDS` CS members; returns how many entries were created."""
    created = 0
    async with write_transaction(session):
        await lock_name(session, "access:bootstrap")  # several processes may start at once
        for telegram_id in telegram_ids:
            employee = await employees_db.by_telegram_id(session, telegram_id)
            if employee is not None:
                continue
            session.add(
                Employee(
                    full_name=f"Сотрудник КС {telegram_id}", role=Role.CS, telegram_id=telegram_id
                )
            )
            created += 1
    return created


async def request_access(
    session: AsyncSession, applicant: Applicant, *, settings: Settings, texts: Texts
) -> AccessRequest:
    if await employees_db.by_telegram_id(session, applicant.telegram_id) is not None:
        raise AlreadyDone("access-already-known")
    async with write_transaction(session):
        await lock_name(session, "access:request", applicant.telegram_id)  # one pending each
        pending = await access_db.pending_for(session, applicant.telegram_id)
        if pending is not None:
            raise AlreadyDone("access-already-requested", date=pending.created_at)
        request = AccessRequest(
            telegram_id=applicant.telegram_id,
            telegram_name=applicant.name[:300],
            username=applicant.username,
        )
        session.add(request)
        await session.flush()
        assert settings.cs_chat_id is not None
        notify.send_message(
            session,
            settings.cs_chat_id,
            render_request(request, texts),
            keyboard=keyboards.access_request(request.id, texts),
            thread_id=settings.cs_access_thread_id or None,
            subject=f"access:{request.id}",
        )
    return request


def render_request(request: AccessRequest, texts: Texts) -> str:
    return texts(
        "access-request-post",
        id=request.id,
        name=request.telegram_name,
        username=f"@{request.username}" if request.username else "—",
        telegram_id=str(request.telegram_id),
    )


async def candidates(
    session: AsyncSession, actor: Employee | None, request: AccessRequest
) -> list[Employee]:
    """Whom CS may bind the applicant to (the roster entries no account is bound to, the
    person picker's scope), the likeliest match for the applicant's name first."""
    entries = await people.people_in(session, actor, people.Scope.UNBOUND)
    wanted = request.telegram_name.casefold()

    def likeness(employee: Employee) -> float:
        return SequenceMatcher(None, wanted, employee.full_name.casefold()).ratio()

    return sorted(entries, key=lambda employee: (-likeness(employee), employee.full_name))


async def pending_request(
    session: AsyncSession, request_id: int, *, for_update: bool = False
) -> AccessRequest:
    """The request if it still waits for a decision (`for_update`: locked, inside the write
    transaction that decides it)."""
    find = access_db.by_id_for_update if for_update else access_db.by_id
    request = await find(session, request_id)
    if request is None:
        raise NotFound()
    if request.state != AccessRequestState.PENDING:
        raise AlreadyDone("access-already-decided")
    return request


async def approve(
    session: AsyncSession,
    *,
    request_id: int,
    employee_id: int,
    actor: Employee | None,
    texts: Texts,
) -> AccessRequest:
    actor = require_role(actor, Role.CS)
    async with write_transaction(session):
        request = await pending_request(session, request_id, for_update=True)
        employee = await employees_db.by_id_for_update(session, employee_id)
        if employee is None or not employee.active:
            raise NotFound("access-employee-missing")
        if employee.telegram_id is not None:
            raise AlreadyDone("access-employee-bound", name=employee.full_name)
        if await employees_db.by_telegram_id(session, request.telegram_id) is not None:
            raise AlreadyDone("access-already-known")
        employee.telegram_id = request.telegram_id
        if employee.username is None and request.username:
            taken = await employees_db.by_username(session, request.username)
            if taken is None:
                employee.username = employees_db.normalize_username(request.username)
        request.state = AccessRequestState.APPROVED
        request.employee_id = employee.id
        request.employee = employee
        request.decided_by_id = actor.id
        request.decided_by = actor
        request.decided_at = datetime.now(UTC)
        audit.record(
            session,
            actor_id=actor.id,
            entity="access_request",
            entity_id=request.id,
            action="approve",
            from_state=AccessRequestState.PENDING,
            to_state=AccessRequestState.APPROVED,
            comment=f"employee {employee.id}",
        )
        notify.send_message(
            session,
            request.telegram_id,
            texts(
                "access-approved-notice",
                name=employee.full_name,
                role=texts(f"role-{employee.role}"),
                groups=employee.group_names or "—",
            ),
        )
        notify.set_commands(session, request.telegram_id, commands_for(employee.role, texts))
    return request


async def reject(
    session: AsyncSession, *, request_id: int, actor: Employee | None, texts: Texts
) -> AccessRequest:
    actor = require_role(actor, Role.CS)
    async with write_transaction(session):
        request = await pending_request(session, request_id, for_update=True)
        request.state = AccessRequestState.REJECTED
        request.decided_by_id = actor.id
        request.decided_by = actor
        request.decided_at = datetime.now(UTC)
        audit.record(
            session,
            actor_id=actor.id,
            entity="access_request",
            entity_id=request.id,
            action="reject",
            from_state=AccessRequestState.PENDING,
            to_state=AccessRequestState.REJECTED,
        )
        notify.send_message(session, request.telegram_id, texts("access-rejected-notice"))
    return request


async def current(session: AsyncSession, telegram_id: int) -> Employee | None:
    """The active employee bound to this Telegram id (the per-update lookup)."""
    employee = await employees_db.by_telegram_id(session, telegram_id)
    return employee if employee is not None and employee.active else None


async def pending_of(session: AsyncSession, telegram_id: int) -> AccessRequest | None:
    return await access_db.pending_for(session, telegram_id)
