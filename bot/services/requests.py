"""Requests to CS (DESIGN §5): call forwarding, team changes, badges — shown as З-<id>.

A request is filed from a dialog (the draft's fields are checked here again), posted to the
CS group (the requests topic) with «Взять» / «Выполнено» / «Отклонить», mailed to the CS
mailbox when SMTP is configured, and moves `new → in_work → done | rejected`. Every step is
checked here — only CS processes, in a write transaction, so a second press of the same
button is told it is already done — and the requester hears of each change. A staffing
request marked done changes the roster (and the audit log says so).
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from aiogram.types import InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards
from bot.callbacks import RequestAct
from bot.services import mail, notify, reminders, transitions, workdays
from bot.services.errors import Forbidden, Invalid, NotFound
from bot.services.roles import require_role
from bot.services.transitions import Refusals, Transition
from bot.settings import Settings
from bot.texts import Html, Texts
from db import audit
from db import employees as employees_db
from db import links as links_db
from db import outbox as outbox_db
from db import requests as requests_db
from db.engine import lock_name, write_transaction
from db.models import (
    Appeal,
    AppealState,
    Employee,
    LinkItem,
    Reminder,
    RequestKind,
    RequestState,
    Role,
    ServiceRequest,
)

MAX_COMMENT = 600
MAX_NAME = 200
MIN_REASON = 3
MIN_QUANTITY, MAX_QUANTITY = 1, 50
_PHONE = re.compile(r"^\+?\d{3,15}$")
# Spaces, dashes, dots and brackets people type inside numbers: «+7 (999) 123-45-67».
_PHONE_SEPARATORS = re.compile(r"[\s\-().]")

# Reminder kinds.
SLA = "request_sla"
FORWARDING_END = "request_forwarding_end"
# The hour (TIMEZONE) of the last forwarding day at which the processor is reminded.
FORWARDING_END_HOUR = 10

# Which link each dialog shows at its start (LinkItem keys, bot/data/links.toml).
LINK_KEYS: dict[RequestKind, str] = {
    RequestKind.FORWARDING: "forwarding",
    RequestKind.STAFFING: "staffing",
    RequestKind.BADGE: "badges",
}
# Who may file which kind: team changes are the lead's; forwarding and badges anyone's.
KIND_ROLES: dict[RequestKind, frozenset[Role]] = {
    RequestKind.FORWARDING: frozenset({Role.MANAGER, Role.LEAD}),
    RequestKind.STAFFING: frozenset({Role.LEAD}),
    RequestKind.BADGE: frozenset({Role.MANAGER, Role.LEAD}),
}


class StaffingChange(StrEnum):
    NEW = "new"
    BACK = "back"
    DISMISSAL = "dismissal"


class BadgeItem(StrEnum):
    AUDIO = "audio"
    COVER = "cover"


# The catalogue's keys of the values above (explicit, so a missing text fails a test).
KIND_KEYS: dict[RequestKind, str] = {
    RequestKind.FORWARDING: "request-kind-forwarding",
    RequestKind.STAFFING: "request-kind-staffing",
    RequestKind.BADGE: "request-kind-badge",
}
STATE_KEYS: dict[RequestState, str] = {
    RequestState.NEW: "request-state-new",
    RequestState.IN_WORK: "request-state-in-work",
    RequestState.DONE: "request-state-done",
    RequestState.REJECTED: "request-state-rejected",
}
NOTICE_KEYS: dict[RequestState, str] = {
    RequestState.IN_WORK: "request-notice-in-work",
    RequestState.DONE: "request-notice-done",
    RequestState.REJECTED: "request-notice-rejected",
}
CHANGE_KEYS: dict[StaffingChange, str] = {
    StaffingChange.NEW: "request-staffing-new",
    StaffingChange.BACK: "request-staffing-back",
    StaffingChange.DISMISSAL: "request-staffing-dismissal",
}
ITEM_KEYS: dict[BadgeItem, str] = {
    BadgeItem.AUDIO: "request-badge-audio",
    BadgeItem.COVER: "request-badge-cover",
}
APPEAL_STATE_KEYS: dict[AppealState, str] = {
    AppealState.NEW: "my-appeal-state-new",
    AppealState.ACCEPTED: "my-appeal-state-accepted",
    AppealState.PARTIAL: "my-appeal-state-partial",
    AppealState.REJECTED: "my-appeal-state-rejected",
}


Rule = Transition[RequestState]
CS = frozenset({Role.CS})
RULES: dict[RequestAct, Rule] = {
    RequestAct.TAKE: Rule(frozenset({RequestState.NEW}), RequestState.IN_WORK, CS),
    RequestAct.DONE: Rule(frozenset({RequestState.IN_WORK}), RequestState.DONE, CS),
    RequestAct.REJECT: Rule(
        frozenset({RequestState.NEW, RequestState.IN_WORK}), RequestState.REJECTED, CS
    ),
}
REFUSALS = Refusals(
    forbidden="request-error-forbidden",
    already_done="request-already-done",
    wrong_state="request-error-state",
)
FINAL_STATES = frozenset({RequestState.DONE, RequestState.REJECTED})
# The states of a forwarding whose calls were switched (CS took it in work, or did it).
FORWARDING_SET_UP = frozenset({RequestState.IN_WORK, RequestState.DONE})


# --- validation of what users type ------------------------------------------------------


def clean_phone(text: str) -> str:
    """A number or an extension: digits with an optional leading «+», 3–15 digits."""
    value = _PHONE_SEPARATORS.sub("", text.strip())
    if not _PHONE.match(value):
        raise Invalid("request-error-phone")
    return value


def check_other_phone(first: str, second: str) -> str:
    if first.lstrip("+") == second.lstrip("+"):
        raise Invalid("request-error-phone-same")
    return second


def check_not_past(value: date, today: date) -> date:
    if value < today:
        raise Invalid("request-error-date-past")
    return value


def check_range(start: date, end: date, today: date) -> tuple[date, date]:
    check_not_past(start, today)
    if end < start:
        raise Invalid("request-error-date-order")
    return start, end


def check_attestation(value: date, today: date) -> date:
    if value > today:
        raise Invalid("request-error-date-future")
    return value


def clean_name(text: str) -> str:
    """A full name, a showroom, a recipient: one line, 2–200 characters."""
    value = " ".join(text.split())
    if len(value) < 2:
        raise Invalid("request-error-text-short", min=2)
    if len(value) > MAX_NAME:
        raise Invalid("request-error-text-long", max=MAX_NAME, length=len(value))
    return value


def clean_comment(text: str) -> str:
    value = text.strip()
    if len(value) > MAX_COMMENT:
        raise Invalid("request-error-text-long", max=MAX_COMMENT, length=len(value))
    return value


def clean_reason(text: str) -> str:
    value = text.strip()
    if len(value) < MIN_REASON:
        raise Invalid("request-error-text-short", min=MIN_REASON)
    if len(value) > MAX_COMMENT:
        raise Invalid("request-error-text-long", max=MAX_COMMENT, length=len(value))
    return value


def clean_quantity(text: str) -> int:
    value = text.strip()
    if not value.isdigit() or not MIN_QUANTITY <= int(value) <= MAX_QUANTITY:
        raise Invalid("request-error-quantity", min=MIN_QUANTITY, max=MAX_QUANTITY)
    return int(value)


def local_today(settings: Settings) -> date:
    return datetime.now(settings.tz).date()


# --- what the dialogs offer ---------------------------------------------------------------


def kinds_for(actor: Employee | None) -> list[RequestKind]:
    if actor is None or not actor.active:
        return []
    return [kind for kind in RequestKind if actor.role in KIND_ROLES[kind]]


async def forwarding_managers(session: AsyncSession, actor: Employee | None) -> list[Employee]:
    """Whom a forwarding may be for: a manager himself; a lead any manager of his groups."""
    if actor is None or not actor.active:
        return []
    if actor.role == Role.LEAD:
        return list(
            await requests_db.members_of_groups(session, actor.group_ids, roles={Role.MANAGER})
        )
    return [actor] if actor.role == Role.MANAGER else []


async def group_people(
    session: AsyncSession, actor: Employee | None, group_id: int
) -> list[Employee]:
    """The managers a back-office transfer or a dismissal may be about."""
    if actor is None or actor.role != Role.LEAD or group_id not in actor.group_ids:
        return []
    return list(await requests_db.members_of_groups(session, {group_id}, roles={Role.MANAGER}))


async def link_for(session: AsyncSession, kind: RequestKind) -> LinkItem | None:
    """The instruction or regulation link the dialog of `kind` shows at its start."""
    found: Sequence[LinkItem] = await links_db.all_links(session)
    return next((link for link in found if link.key == LINK_KEYS[kind]), None)


# --- filing -------------------------------------------------------------------------------


async def submit(
    session: AsyncSession,
    actor: Employee | None,
    kind: RequestKind,
    draft: dict[str, Any],
    *,
    settings: Settings,
    texts: Texts,
) -> ServiceRequest:
    """File the request: CS gets it in the group, the SLA reminder is set, a mail is queued."""
    actor = require_role(actor, Role.MANAGER, Role.LEAD)
    if actor.role not in KIND_ROLES[kind]:
        raise Forbidden("request-error-kind-forbidden")
    today = local_today(settings)
    async with write_transaction(session):
        # One filing at a time, as on SQLite: numbers are given in the order CS gets them.
        await lock_name(session, "requests:submit")
        if kind == RequestKind.FORWARDING:
            fields, group_id = await _forwarding_fields(session, actor, draft, today)
        elif kind == RequestKind.STAFFING:
            fields, group_id = await _staffing_fields(session, actor, draft, today)
        else:
            fields, group_id = _badge_fields(actor, draft)
        now = datetime.now(UTC)
        request = ServiceRequest(
            kind=kind,
            requester=actor,
            requester_id=actor.id,
            group_id=group_id,
            fields=fields,
            state=RequestState.NEW,
            created_at=now,
            updated_at=now,
        )
        session.add(request)
        await session.flush()
        audit.record(
            session,
            actor_id=actor.id,
            entity="request",
            entity_id=request.id,
            action="file",
            to_state=RequestState.NEW,
            comment=str(kind),
        )
        assert settings.cs_chat_id is not None
        notify.send_message(
            session,
            settings.cs_chat_id,
            render(request, texts),
            keyboard=keyboard(request, texts),
            thread_id=settings.cs_requests_thread_id or None,
            subject=f"{_subject(request)}:group",
        )
        _remind(session, request, SLA, sla_due(now, settings))
        await mail.queue_mail(
            session,
            settings=settings,
            subject=html.unescape(
                texts("request-mail-subject", id=request.id, kind=Html(kind_name(kind, texts)))
            ),
            body=mail_body(request, texts),
        )
    return request


async def _forwarding_fields(
    session: AsyncSession, actor: Employee, draft: dict[str, Any], today: date
) -> tuple[dict[str, Any], int | None]:
    manager = await employees_db.by_id(session, int(draft.get("manager_id") or 0))
    allowed = await forwarding_managers(session, actor)
    if manager is None or manager.id not in {person.id for person in allowed}:
        raise Invalid("request-error-manager")
    first = clean_phone(str(draft.get("from_number", "")))
    second = check_other_phone(first, clean_phone(str(draft.get("to_number", ""))))
    try:
        start = date.fromisoformat(str(draft.get("date_from")))
        end = date.fromisoformat(str(draft.get("date_to")))
    except ValueError as error:
        raise Invalid("request-error-date-missing") from error
    check_range(start, end, today)
    groups = [g for g in manager.groups if actor.role != Role.LEAD or g.id in actor.group_ids]
    fields = {
        "manager_id": manager.id,
        "manager_name": manager.full_name,
        "from_number": first,
        "to_number": second,
        "date_from": start.isoformat(),
        "date_to": end.isoformat(),
        "comment": clean_comment(str(draft.get("comment", ""))),
    }
    return fields, groups[0].id if groups else None


async def _staffing_fields(
    session: AsyncSession, actor: Employee, draft: dict[str, Any], today: date
) -> tuple[dict[str, Any], int | None]:
    try:
        change = StaffingChange(str(draft.get("change")))
    except ValueError as error:
        raise Invalid("request-error-staffing-change") from error
    group_id = int(draft.get("group_id") or 0)
    group = await requests_db.group_by_id(session, group_id)
    if group is None or group_id not in actor.group_ids:
        raise Invalid("request-error-group")
    fields: dict[str, Any] = {
        "change": change.value,
        "group_id": group.id,
        "group_name": group.name,
    }
    if change == StaffingChange.NEW:
        fields["full_name"] = clean_name(str(draft.get("full_name", "")))
        raw = draft.get("attestation_date")
        if not raw:
            raise Invalid("request-error-attestation-missing")
        fields["attestation_date"] = check_attestation(
            date.fromisoformat(str(raw)), today
        ).isoformat()
    else:
        person_id = int(draft.get("employee_id") or 0)
        if person_id not in {p.id for p in await group_people(session, actor, group.id)}:
            raise Invalid("request-error-employee")
        person = await employees_db.by_id(session, person_id)
        assert person is not None
        fields["employee_id"] = person.id
        fields["full_name"] = person.full_name
    try:
        effective = date.fromisoformat(str(draft.get("effective_date")))
    except ValueError as error:
        raise Invalid("request-error-date-missing") from error
    fields["effective_date"] = effective.isoformat()
    fields["comment"] = clean_comment(str(draft.get("comment", "")))
    return fields, group.id


def _badge_fields(actor: Employee, draft: dict[str, Any]) -> tuple[dict[str, Any], int | None]:
    try:
        item = BadgeItem(str(draft.get("item")))
    except ValueError as error:
        raise Invalid("request-error-badge-item") from error
    fields = {
        "item": item.value,
        "quantity": clean_quantity(str(draft.get("quantity", ""))),
        "place": clean_name(str(draft.get("place", ""))),
        "recipient": clean_name(str(draft.get("recipient", ""))),
        "comment": clean_comment(str(draft.get("comment", ""))),
    }
    return fields, actor.groups[0].id if actor.groups else None


def _remind_forwarding_end(
    session: AsyncSession, request: ServiceRequest, settings: Settings
) -> None:
    """The last day's «верните звонки» reminder, set when CS takes the forwarding in work:
    only then is there a forwarding to switch back (a new request has none, a rejected one
    never will). Due at FORWARDING_END_HOUR of the last day, or at once when the request is
    taken later that day. Taken after the last day, the forwarding is over before it began:
    no reminder. «Выполнено» keeps it: the forwarding is set up then, and switching it back
    on the last day is exactly what the processor is to be reminded of."""
    last_day = date.fromisoformat(request.fields["date_to"])
    now = datetime.now(UTC)
    if now.astimezone(settings.tz).date() > last_day:
        return
    due = datetime.combine(last_day, time(FORWARDING_END_HOUR), tzinfo=settings.tz)
    _remind(session, request, FORWARDING_END, max(due, now))


def _remind(session: AsyncSession, request: ServiceRequest, kind: str, due_at: datetime) -> None:
    reminders.schedule(
        session,
        kind=kind,
        due_at=due_at,
        subject=_subject(request),
        payload={"request_id": request.id},
    )


def sla_due(now: datetime, settings: Settings) -> datetime:
    """now + REQUEST_SLA. An SLA of a day or more counts its whole days as working days of
    the production calendar (`workdays.add_working_days`: the same local time that many
    working days later), so a request filed on Friday is due on Monday, one filed on
    30 December on the first working day of January; a shorter SLA (tests) is plain time."""
    sla = settings.request_sla
    if sla < timedelta(days=1):
        return now + sla
    whole = timedelta(days=sla.days)
    return workdays.add_working_days(now, sla.days, settings.tz) + (sla - whole)


# --- processing ---------------------------------------------------------------------------


def check(request: ServiceRequest, act: RequestAct, actor: Employee | None) -> Rule:
    """The rule of `act` if `actor` may do it now; otherwise the refusal."""
    rule = RULES[act]
    transitions.allowed(
        rule, request.state, actor, final=FINAL_STATES, refusals=REFUSALS, id=request.id
    )
    return rule


async def precheck(
    session: AsyncSession, actor: Employee | None, request_id: int, act: RequestAct
) -> ServiceRequest:
    """The request, if `actor` may do `act` now (before asking him for a reason)."""
    request = await requests_db.by_id(session, request_id)
    if request is None:
        raise NotFound("request-error-missing", id=request_id)
    check(request, act, actor)
    return request


async def perform(
    session: AsyncSession,
    actor: Employee | None,
    request_id: int,
    act: RequestAct,
    *,
    settings: Settings,
    texts: Texts,
    reason: str = "",
) -> ServiceRequest:
    """Do `act` to the request, or raise the reason it cannot be done."""
    if act == RequestAct.REJECT:
        reason = clean_reason(reason)
    async with write_transaction(session):
        request = await requests_db.by_id_for_update(session, request_id)
        if request is None:
            raise NotFound("request-error-missing", id=request_id)
        rule = check(request, act, actor)
        assert actor is not None
        previous = request.state
        if request.processor_id is None or act == RequestAct.TAKE:
            request.processor_id = actor.id
            request.processor = actor
        if act == RequestAct.REJECT:
            request.reject_reason = reason
        roster_change = ""
        if act == RequestAct.DONE and request.kind == RequestKind.STAFFING:
            roster_change = await _change_roster(session, request, actor, texts)
        request.state = rule.target
        request.updated_at = datetime.now(UTC)
        audit.record(
            session,
            actor_id=actor.id,
            entity="request",
            entity_id=request.id,
            action=act.name.lower(),
            from_state=previous,
            to_state=rule.target,
            comment=reason,
        )
        subject = _subject(request)
        if act == RequestAct.REJECT:
            await reminders.cancel(session, subject)
        else:
            await reminders.cancel(session, subject, {SLA})
        if act == RequestAct.TAKE and request.kind == RequestKind.FORWARDING:
            _remind_forwarding_end(session, request, settings)
        post = await outbox_db.latest_for_subject(session, f"{subject}:group")
        if post is not None:
            notify.edit_message(
                session, post, render(request, texts), keyboard=keyboard(request, texts)
            )
        await _tell(session, request, actor, texts, roster_change=roster_change)
    return request


async def _tell(
    session: AsyncSession,
    request: ServiceRequest,
    actor: Employee,
    texts: Texts,
    *,
    roster_change: str,
) -> None:
    """Who hears a request's new state: the requester, every change (each notice a reply to
    the one before); the manager a lead asked a forwarding for, whether it was set up or
    rejected; the other leads of the group, a team change applied to the roster."""
    subject = _subject(request)
    requester = request.requester
    text = texts(
        NOTICE_KEYS[request.state],
        id=request.id,
        kind=Html(kind_name(request.kind, texts)),
        who=actor.full_name,
        reason=request.reject_reason or "",
    )
    if roster_change:
        text = "\n".join([text, roster_change])
    if requester.telegram_id is not None and requester.active:
        await notify.reply_to_post(
            session,
            f"{subject}:requester",
            text,
            subject=f"{subject}:requester",
            chat_id=requester.telegram_id,
        )
    if request.kind == RequestKind.FORWARDING and request.state in FINAL_STATES:
        manager = await employees_db.by_id(session, int(request.fields.get("manager_id") or 0))
        if (
            manager is not None
            and manager.id != requester.id
            and manager.active
            and manager.telegram_id is not None
        ):
            fields = request.fields
            notify.send_message(
                session,
                manager.telegram_id,
                texts(
                    "request-forwarding-manager-done"
                    if request.state == RequestState.DONE
                    else "request-forwarding-manager-rejected",
                    id=request.id,
                    requester=requester.full_name,
                    number=fields.get("from_number", ""),
                    to=fields.get("to_number", ""),
                    start=_day(fields.get("date_from")),
                    end=_day(fields.get("date_to")),
                    reason=request.reject_reason or "",
                ),
                subject=f"{subject}:manager",
            )
    if roster_change and request.group_id is not None:
        for lead in await requests_db.members_of_groups(
            session, {request.group_id}, roles={Role.LEAD}
        ):
            if lead.id != requester.id and lead.active and lead.telegram_id is not None:
                notify.send_message(
                    session, lead.telegram_id, roster_change, subject=f"{subject}:roster"
                )


async def _change_roster(
    session: AsyncSession, request: ServiceRequest, actor: Employee, texts: Texts
) -> str:
    """A done team change: the new manager joins the group, a transfer moves to the back
    office, a dismissal deactivates; each written to the audit log. Returns what changed, in
    words (safe HTML), for the people who hear of it."""
    fields = request.fields
    change = StaffingChange(fields["change"])
    comment = texts("request-number", id=request.id)
    changed = texts(
        "request-roster-changed",
        id=request.id,
        group=fields.get("group_name", ""),
        name=fields.get("full_name", ""),
        change=Html(texts(CHANGE_KEYS[change])),
    )
    if change == StaffingChange.NEW:
        group = await requests_db.group_by_id(session, int(fields["group_id"]))
        if group is None:
            raise Invalid("request-error-group")
        person = Employee(
            full_name=fields["full_name"],
            role=Role.MANAGER,
            position=texts("request-position-new"),
            active=True,
        )
        person.groups = [group]
        session.add(person)
        await session.flush()
        audit.record(
            session,
            actor_id=actor.id,
            entity="employee",
            entity_id=person.id,
            action="staffing_add",
            to_state="active",
            comment=comment,
        )
        return changed
    member = await employees_db.by_id(session, int(fields["employee_id"]))
    if member is None or not member.active:
        raise Invalid("request-error-employee-gone", name=fields["full_name"])
    if change == StaffingChange.BACK:
        before = member.position
        member.position = texts("request-position-back")
        audit.record(
            session,
            actor_id=actor.id,
            entity="employee",
            entity_id=member.id,
            action="staffing_back",
            from_state=before[:32],
            to_state=member.position[:32],
            comment=comment,
        )
        return changed
    member.active = False
    audit.record(
        session,
        actor_id=actor.id,
        entity="employee",
        entity_id=member.id,
        action="staffing_dismiss",
        from_state="active",
        to_state="inactive",
        comment=comment,
    )
    return changed


# --- rendering ------------------------------------------------------------------------------


def kind_name(kind: RequestKind, texts: Texts) -> str:
    return texts(KIND_KEYS[kind])


def state_name(state: RequestState, texts: Texts) -> str:
    return texts(STATE_KEYS[state])


def _day(value: Any) -> date | None:
    return date.fromisoformat(str(value)) if value else None


def field_lines(kind: RequestKind, fields: dict[str, Any], texts: Texts) -> list[str]:
    """The fields of a request or a draft, one safe-HTML line each (no markup: mail reuses them)."""
    none = texts("request-none")
    comment = fields.get("comment") or none
    if kind == RequestKind.FORWARDING:
        return [
            texts("request-field-manager", value=fields.get("manager_name", "")),
            texts("request-field-from", value=fields.get("from_number", "")),
            texts("request-field-to", value=fields.get("to_number", "")),
            texts(
                "request-field-dates",
                start=_day(fields.get("date_from")),
                end=_day(fields.get("date_to")),
            ),
            texts("request-field-comment", value=comment),
        ]
    if kind == RequestKind.STAFFING:
        change = fields.get("change")
        lines = [
            texts(
                "request-field-change",
                value=Html(texts(CHANGE_KEYS[StaffingChange(change)])) if change else "",
            ),
            texts("request-field-name", value=fields.get("full_name", "")),
            texts("request-field-group", value=fields.get("group_name", "")),
            texts("request-field-effective", value=_day(fields.get("effective_date"))),
        ]
        if change == StaffingChange.NEW:
            lines.append(
                texts("request-field-attestation", value=_day(fields.get("attestation_date")))
            )
        lines.append(texts("request-field-comment", value=comment))
        return lines
    item = fields.get("item")
    return [
        texts("request-field-item", value=Html(texts(ITEM_KEYS[BadgeItem(item)])) if item else ""),
        texts("request-field-quantity", value=fields.get("quantity", "")),
        texts("request-field-place", value=fields.get("place", "")),
        texts("request-field-recipient", value=fields.get("recipient", "")),
        texts("request-field-comment", value=comment),
    ]


def render(request: ServiceRequest, texts: Texts) -> str:
    """The CS group post of a request, as its current state shows it."""
    lines = [
        texts("request-post-title", id=request.id, kind=Html(kind_name(request.kind, texts))),
        texts("request-post-requester", name=request.requester.full_name),
        *field_lines(request.kind, request.fields, texts),
        texts("request-post-created", when=request.created_at),
        texts("request-post-state", state=Html(state_name(request.state, texts))),
    ]
    if request.processor is not None:
        lines.append(texts("request-post-processor", name=request.processor.full_name))
    if request.reject_reason:
        lines.append(texts("request-post-reason", reason=request.reject_reason))
    return "\n".join(lines)


def mail_body(request: ServiceRequest, texts: Texts) -> str:
    """The plain-text mail: the number, the kind, the requester and every field."""
    body = texts(
        "request-mail-body",
        id=request.id,
        kind=Html(kind_name(request.kind, texts)),
        requester=request.requester.full_name,
        created=request.created_at,
        fields=Html("\n".join(field_lines(request.kind, request.fields, texts))),
    )
    return html.unescape(body)


def keyboard(request: ServiceRequest, texts: Texts) -> InlineKeyboardMarkup | None:
    acts = {
        RequestState.NEW: (RequestAct.TAKE, RequestAct.REJECT),
        RequestState.IN_WORK: (RequestAct.DONE, RequestAct.REJECT),
    }.get(request.state, ())
    return keyboards.request_acts(request.id, acts, texts)


def _subject(request: ServiceRequest) -> str:
    return f"request:{request.id}"


# --- reminders ------------------------------------------------------------------------------


def register_reminders(
    registry: reminders.ReminderRegistry, settings: Settings, texts: Texts
) -> None:
    """The renderers of the request reminders (they need the settings and the texts): each
    is a reply to the request's post in the group, with the post's buttons while it has any."""

    async def to_group(session: AsyncSession, text: str, request: ServiceRequest) -> None:
        await notify.reply_to_post(
            session,
            f"{_subject(request)}:group",
            text,
            keyboard=keyboard(request, texts),
            subject=f"{_subject(request)}:reminder",
            chat_id=settings.cs_chat_id,
            thread_id=settings.cs_requests_thread_id or None,
        )

    async def sla(session: AsyncSession, reminder: Reminder) -> None:
        request = await requests_db.by_id(session, int(reminder.payload["request_id"]))
        if request is None or request.state != RequestState.NEW:
            return
        hours = max(1, math.ceil(settings.request_sla.total_seconds() / 3600))
        await to_group(
            session,
            texts(
                "request-remind-sla",
                id=request.id,
                kind=Html(kind_name(request.kind, texts)),
                hours=hours,
            ),
            request,
        )

    async def forwarding_end(session: AsyncSession, reminder: Reminder) -> None:
        request = await requests_db.by_id(session, int(reminder.payload["request_id"]))
        # Only a forwarding that was set up is switched back. (A row due for a request still
        # new comes from before reminders were set at «Взять»; taking it sets a new one.)
        if request is None or request.state not in FORWARDING_SET_UP:
            return
        # The processor is named with a mention: Telegram notifies him of the reply.
        processor = request.processor
        if processor is not None and processor.active and processor.telegram_id is not None:
            who = texts("mention", id=processor.telegram_id, name=processor.full_name)
        elif processor is not None:
            who = texts("plain-name", name=processor.full_name)
        else:
            who = "—"
        text = texts(
            "request-remind-forwarding-end",
            id=request.id,
            manager=request.fields.get("manager_name", ""),
            number=request.fields.get("from_number", ""),
            who=Html(who),
        )
        await to_group(session, text, request)

    registry.register(SLA, sla)
    registry.register(FORWARDING_END, forwarding_end)


# --- /my ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MyEntry:
    """One line of /my: an appeal or a request, with its state (safe HTML)."""

    created_at: datetime
    line: str


@dataclass(frozen=True)
class MyPage:
    entries: list[MyEntry]
    total: int
    page: int
    pages: int


async def my_page(
    session: AsyncSession, viewer: Employee | None, page: int, *, texts: Texts, size: int = 8
) -> MyPage:
    """The viewer's own appeals and requests, newest first; a lead's include his groups'."""
    person = require_role(viewer, Role.MANAGER, Role.LEAD, Role.CS)
    group_ids = person.group_ids if person.role == Role.LEAD else set()
    entries = [
        _request_entry(request, person, texts)
        for request in await requests_db.requests_visible_to(session, person.id, group_ids)
    ]
    entries += [
        _appeal_entry(appeal, person, texts)
        for appeal in await requests_db.appeals_visible_to(session, person.id, group_ids)
    ]
    entries.sort(key=lambda entry: entry.created_at, reverse=True)
    pages = max(1, math.ceil(len(entries) / size))
    page = min(max(page, 0), pages - 1)
    return MyPage(entries[page * size : (page + 1) * size], len(entries), page, pages)


def _request_entry(request: ServiceRequest, viewer: Employee, texts: Texts) -> MyEntry:
    line = texts(
        "my-request-line",
        id=request.id,
        kind=Html(kind_name(request.kind, texts)),
        state=Html(state_name(request.state, texts)),
        date=request.created_at.astimezone(texts.tz).date(),
    )
    if request.requester_id != viewer.id:
        line = texts("my-line-by", line=Html(line), name=request.requester.full_name)
    if request.state == RequestState.REJECTED and request.reject_reason:
        line = texts("my-line-reason", line=Html(line), reason=request.reject_reason)
    return MyEntry(request.created_at, line)


def _appeal_entry(appeal: Appeal, viewer: Employee, texts: Texts) -> MyEntry:
    line = texts(
        "my-appeal-line",
        id=appeal.id,
        case=appeal.case_id,
        state=Html(texts(APPEAL_STATE_KEYS[AppealState(appeal.state)])),
        date=appeal.created_at.astimezone(texts.tz).date(),
    )
    if appeal.filer_id != viewer.id:
        line = texts("my-line-by", line=Html(line), name=appeal.filer.full_name)
    return MyEntry(appeal.created_at, line)
