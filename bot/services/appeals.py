"""Appeals (DESIGN §4): a manager (or his lead on his behalf) objects to a case; CS decides.

Every rule is checked here, inside a write transaction: who may file (the case's manager or
a lead of its group), the window (`APPEAL_WINDOW` after the case was posted), one appeal per
case, an open case; who may decide (CS only) and that the appeal is still undecided.
«Принять» withdraws the case through `cases.withdraw`, which edits its posts and cancels its
reminders.

The clock: CS decides within APPEAL_DECIDE_WITHIN working days of the filing (`decide_by`:
the production calendar, the same local time). The filer is told that date when he files
and the post shows it; CS is reminded in the group the working day before (`SLA`), and an
appeal still undecided at that time is escalated there (`OVERDUE`): a reply to its post
that mentions the heads of CS (CS_HEAD_IDS; every CS member when empty). Both are reminder
rows cancelled by the decision.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiogram.types import InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards
from bot.callbacks import Decision
from bot.services import case_posts, cases, mail, notify, reminders, workdays
from bot.services.errors import AlreadyDone, Forbidden, Invalid, NotFound
from bot.services.masking import mask_personal_data
from bot.services.roles import require_role
from bot.settings import Settings
from bot.texts import Html, Texts
from db import appeals as appeals_db
from db import audit
from db import cases as cases_db
from db import employees as employees_db
from db import outbox as outbox_db
from db.engine import write_transaction
from db.models import (
    FINAL_CASE_STATES,
    Appeal,
    AppealState,
    Case,
    CaseState,
    Employee,
    LinkItem,
    Role,
)

log = logging.getLogger(__name__)

MIN_REASON = 20
MAX_REASON = 2000
MIN_COMMENT = 3
MAX_COMMENT = 1000
MAX_EVIDENCE = 10
MAX_LINK = 1000
# How much of a link or a file name a post shows: with a full reason it must fit one message.
SHOWN_LINK = 120
SHOWN_SUMMARY = 200
FILE_KINDS = cases.ATTACHMENT_KINDS
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.I)

# Reminder kinds (subject `appeal:<id>`): CS reminded the working day before the decision
# is due (the kind keeps the name of the old APPEAL_SLA reminder, so rows scheduled before
# still render), and the overdue appeal escalated at the deadline.
SLA = "appeal_sla"
OVERDUE = "appeal_overdue"


DECISION_STATE: dict[Decision, AppealState] = {
    Decision.ACCEPT: AppealState.ACCEPTED,
    Decision.PARTIAL: AppealState.PARTIAL,
    Decision.REJECT: AppealState.REJECTED,
}


# The catalogue keys, spelled out so the catalogue test sees each one.
STATE_KEYS: dict[AppealState, str] = {
    AppealState.NEW: "appeal-state-new",
    AppealState.ACCEPTED: "appeal-state-accepted",
    AppealState.PARTIAL: "appeal-state-partial",
    AppealState.REJECTED: "appeal-state-rejected",
}


@dataclass(frozen=True)
class AppealDraft:
    case_id: int
    reason: str
    # {"kind": "photo|document|audio|voice", "file_id", "file_name"} or {"kind": "link", "url"}
    evidence: tuple[dict[str, str], ...] = ()


# --- validation of what users type ------------------------------------------------------


def clean_reason(text: str) -> str:
    value = text.strip()
    if len(value) < MIN_REASON:
        raise Invalid("appeal-error-reason-short", min=MIN_REASON, length=len(value))
    if len(value) > MAX_REASON:
        raise Invalid("appeal-error-reason-long", max=MAX_REASON, length=len(value))
    return value


def clean_links(text: str) -> list[dict[str, str]]:
    """One or more links (separated by spaces or new lines) as evidence items."""
    parts = text.split()
    if not parts or any(len(part) > MAX_LINK or not _URL.match(part) for part in parts):
        raise Invalid("appeal-error-evidence")
    return [{"kind": "link", "url": part} for part in parts]


def clean_comment(text: str) -> str:
    value = text.strip()
    if len(value) < MIN_COMMENT:
        raise Invalid("appeal-error-comment-short", min=MIN_COMMENT)
    if len(value) > MAX_COMMENT:
        raise Invalid("appeal-error-comment-long", max=MAX_COMMENT, length=len(value))
    return value


def check_evidence(items: Sequence[dict[str, str]]) -> list[dict[str, str]]:
    if len(items) > MAX_EVIDENCE:
        raise Invalid("appeal-error-evidence-full", max=MAX_EVIDENCE)
    checked = []
    for item in items:
        kind = item.get("kind", "")
        if kind == "link":
            checked.extend(clean_links(item.get("url", "")))
        elif kind in FILE_KINDS and item.get("file_id"):
            checked.append(
                {"kind": kind, "file_id": item["file_id"], "file_name": item.get("file_name", "")}
            )
        else:
            raise Invalid("appeal-error-evidence")
    return checked


# --- who may appeal which case ------------------------------------------------------------


def window_closes(case: Case, settings: Settings) -> datetime:
    return case.created_at + settings.appeal_window


def decide_by(filed_at: datetime, settings: Settings) -> datetime:
    """When CS's decision on an appeal filed at `filed_at` is due: APPEAL_DECIDE_WITHIN
    working days later, at the same local time (`workdays.add_working_days`)."""
    return workdays.add_working_days(filed_at, settings.appeal_decide_within, settings.tz)


def remind_at(filed_at: datetime, settings: Settings) -> datetime | None:
    """CS's reminder: the working day before the decision is due, at the same time; none for
    a clock of one working day (that day is the filing's own)."""
    if settings.appeal_decide_within < 2:
        return None
    return workdays.add_working_days(filed_at, settings.appeal_decide_within - 1, settings.tz)


def _check_filing(
    case: Case | None,
    case_id: int,
    actor: Employee,
    existing: Appeal | None,
    *,
    settings: Settings,
    texts: Texts,
    now: datetime,
) -> Case:
    if case is None:
        raise NotFound("appeal-error-missing", id=case_id)
    own = case.manager_id == actor.id
    leads_it = actor.role == Role.LEAD and case.group_id in actor.group_ids
    if not (own or leads_it):
        raise Forbidden("appeal-error-not-yours", id=case.id)
    if existing is not None:
        if existing.state == AppealState.NEW:
            raise AlreadyDone(
                "appeal-error-open", id=case.id, appeal=existing.id, date=existing.created_at
            )
        raise AlreadyDone(
            "appeal-error-decided",
            id=case.id,
            appeal=existing.id,
            decision=texts(STATE_KEYS[existing.state]),
            comment=existing.decision_comment or "—",
        )
    if case.state in FINAL_CASE_STATES:
        raise Invalid(
            "appeal-error-case-final",
            id=case.id,
            state=texts(f"case-state-{case.state.replace('_', '-')}"),
        )
    closes = window_closes(case, settings)
    if now >= closes:
        raise Invalid("appeal-error-window", id=case.id, closed=closes)
    return case


async def check_can_appeal(
    session: AsyncSession,
    actor: Employee | None,
    case_id: int,
    *,
    settings: Settings,
    texts: Texts,
) -> Case:
    """The case, if `actor` may appeal it now (before the dialog asks for anything)."""
    actor = require_role(actor, Role.MANAGER, Role.LEAD)
    case = await cases_db.by_id(session, case_id)
    existing = await appeals_db.latest_for_case(session, case_id)
    return _check_filing(
        case, case_id, actor, existing, settings=settings, texts=texts, now=datetime.now(UTC)
    )


async def open_cases(
    session: AsyncSession, actor: Employee | None, *, settings: Settings
) -> Sequence[Case]:
    """The cases `actor` may appeal now: his own, and a lead's also those of his groups."""
    actor = require_role(actor, Role.MANAGER, Role.LEAD)
    groups = actor.group_ids if actor.role == Role.LEAD else set()
    return await appeals_db.cases_open_for_appeal(
        session,
        manager_id=actor.id,
        group_ids=groups,
        since=datetime.now(UTC) - settings.appeal_window,
    )


async def procedure_link(session: AsyncSession) -> LinkItem | None:
    return await appeals_db.procedure_link(session)


async def case_of(session: AsyncSession, viewer: Employee | None, case_id: int) -> Case | None:
    """The case an appeal draft is about, if `viewer` may see it (for the dialog's texts)."""
    case = await cases_db.by_id(session, case_id)
    if case is None or viewer is None or not cases.can_see(viewer, case):
        return None
    return case


async def get(session: AsyncSession, appeal_id: int) -> Appeal | None:
    return await appeals_db.by_id(session, appeal_id)


# --- filing ---------------------------------------------------------------------------------


async def file(
    session: AsyncSession,
    actor: Employee | None,
    draft: AppealDraft,
    *,
    settings: Settings,
    texts: Texts,
) -> Appeal:
    """File the appeal: CS gets it in the group (the appeals topic) with the decision buttons,
    the clock's reminder and escalation are scheduled and, with SMTP configured, a copy is
    mailed to CS."""
    actor = require_role(actor, Role.MANAGER, Role.LEAD)
    reason = clean_reason(draft.reason)
    evidence = check_evidence(draft.evidence)
    async with write_transaction(session):
        now = datetime.now(UTC)
        case = await cases_db.by_id_for_update(session, draft.case_id)
        existing = await appeals_db.latest_for_case(session, draft.case_id)
        case = _check_filing(
            case, draft.case_id, actor, existing, settings=settings, texts=texts, now=now
        )
        appeal = Appeal(
            case=case,
            case_id=case.id,
            filer=actor,
            filer_id=actor.id,
            reason=reason,
            evidence=evidence,
            state=AppealState.NEW,
            created_at=now,
        )
        session.add(appeal)
        await session.flush()
        audit.record(
            session,
            actor_id=actor.id,
            entity="appeal",
            entity_id=appeal.id,
            action="file",
            to_state=AppealState.NEW,
            comment=f"case #{case.id}",
        )
        _publish(session, appeal, settings=settings, texts=texts)
        _schedule_clock(session, appeal, settings)
        await _tell_filed(session, appeal, texts)
        await _queue_mail(session, appeal, settings=settings, texts=texts)
    return appeal


def _schedule_clock(session: AsyncSession, appeal: Appeal, settings: Settings) -> None:
    payload = {"appeal_id": appeal.id}
    before = remind_at(appeal.created_at, settings)
    if before is not None:
        reminders.schedule(
            session, kind=SLA, due_at=before, subject=_subject(appeal), payload=payload
        )
    reminders.schedule(
        session,
        kind=OVERDUE,
        due_at=decide_by(appeal.created_at, settings),
        subject=_subject(appeal),
        payload=payload,
    )


def _publish(session: AsyncSession, appeal: Appeal, *, settings: Settings, texts: Texts) -> None:
    assert settings.cs_chat_id is not None
    thread = settings.cs_appeals_thread_id or None
    post = notify.send_message(
        session,
        settings.cs_chat_id,
        render(appeal, texts, settings=settings),
        keyboard=decision_keyboard(appeal, texts),
        thread_id=thread,
        subject=f"{_subject(appeal)}:group",
    )
    for item in appeal.evidence:
        if item["kind"] in FILE_KINDS:
            notify.send_attachment(
                session,
                settings.cs_chat_id,
                method=FILE_KINDS[item["kind"]],
                file_id=item["file_id"],
                reply_to=post,
                thread_id=thread,
                subject=f"{_subject(appeal)}:file",
            )


async def _people_of(session: AsyncSession, case: Case) -> list[tuple[Employee, str]]:
    """The manager and the active leads of the case's group who can be messaged, each with
    the subject of his own message about the case (his first notice, his copy of the post):
    what they hear of an appeal is a reply to it."""
    people = [(case.manager, f"case:{case.id}:manager")]
    people += [
        (lead, f"case:{case.id}:lead:{lead.id}")
        for lead in await cases_db.leads_of_group(session, case.group_id)
    ]
    seen: set[int] = set()
    found = []
    for person, post in people:
        if person.telegram_id is None or not person.active or person.id in seen:
            continue
        seen.add(person.id)
        found.append((person, post))
    return found


async def _tell(
    session: AsyncSession, person: Employee, post: str, text: str, *, subject: str
) -> None:
    assert person.telegram_id is not None
    await notify.reply_to_post(
        session, post, text, subject=subject, chat_id=person.telegram_id, thread_id=None
    )


async def _tell_filed(session: AsyncSession, appeal: Appeal, texts: Texts) -> None:
    """The case's manager and its leads hear of the appeal (the filer knows: his dialog)."""
    case = appeal.case
    text = texts(
        "appeal-filed-notice",
        id=appeal.id,
        case=case.id,
        manager=case.manager.full_name,
        filer=appeal.filer.full_name,
    )
    for person, post in await _people_of(session, case):
        if person.id != appeal.filer_id:
            await _tell(session, person, post, text, subject=f"{_subject(appeal)}:filed")


async def _queue_mail(
    session: AsyncSession, appeal: Appeal, *, settings: Settings, texts: Texts
) -> None:
    """The e-mail copy for the CS mailbox, in this transaction (`bot.services.mail`)."""
    if not settings.smtp_host:
        return
    case = appeal.case
    # The e-mail is plain text: the catalogue escapes arguments for HTML, so undo that.
    subject = html.unescape(texts("appeal-mail-subject", id=appeal.id, case=case.id))
    body = html.unescape(
        texts(
            "appeal-mail-body",
            id=appeal.id,
            case=case.id,
            manager=case.manager.full_name,
            group=case.group.name,
            filer=appeal.filer.full_name,
            created=appeal.created_at,
            reason=mask_personal_data(appeal.reason),
            evidence=Html(_evidence_plain(appeal.evidence, texts)),
        )
    )
    await mail.queue_mail(session, settings=settings, subject=subject, body=body)


# --- deciding -------------------------------------------------------------------------------


def _check_decision(appeal: Appeal | None, appeal_id: int, actor: Employee | None) -> Appeal:
    require_role(actor, Role.CS, key="appeal-error-cs-only")
    if appeal is None:
        raise NotFound("appeal-error-appeal-missing", id=appeal_id)
    if appeal.state != AppealState.NEW:
        raise AlreadyDone(
            "appeal-already-decided",
            id=appeal.id,
            state=str(appeal.state),
            who=appeal.decided_by.full_name if appeal.decided_by else "—",
        )
    return appeal


def _check_accept(appeal: Appeal, texts: Texts) -> None:
    """«Принять» withdraws the case: impossible if it was closed meanwhile."""
    case = appeal.case
    if case.state in FINAL_CASE_STATES and case.state != CaseState.WITHDRAWN:
        raise Invalid(
            "appeal-error-accept-final",
            id=case.id,
            state=texts(f"case-state-{case.state.replace('_', '-')}"),
        )


async def precheck_decision(
    session: AsyncSession,
    actor: Employee | None,
    appeal_id: int,
    decision: Decision,
    *,
    texts: Texts,
) -> Appeal:
    """The appeal, if `actor` may decide it now (before asking him for the comment)."""
    appeal = _check_decision(await appeals_db.by_id(session, appeal_id), appeal_id, actor)
    if decision == Decision.ACCEPT:
        _check_accept(appeal, texts)
    return appeal


async def decide(
    session: AsyncSession,
    actor: Employee | None,
    appeal_id: int,
    decision: Decision,
    comment: str,
    *,
    settings: Settings,
    texts: Texts,
) -> Appeal:
    """Record CS's decision with its comment; tell the filer, the manager and the leads.

    «Принять» withdraws the case (posts edited, reminders cancelled) in the same transaction
    as the decision, so two CS members deciding at once cannot leave a withdrawn case with a
    rejected appeal: the second one is told it is already decided.
    """
    text = clean_comment(comment)
    await precheck_decision(session, actor, appeal_id, decision, texts=texts)
    assert actor is not None
    async with write_transaction(session):
        appeal = _check_decision(
            await appeals_db.by_id_for_update(session, appeal_id), appeal_id, actor
        )
        withdrawn_now = False
        if decision == Decision.ACCEPT:
            case = await cases_db.by_id_for_update(session, appeal.case_id)
            assert case is not None
            if case.state != CaseState.WITHDRAWN:
                withdrawn_now = True
                if case.state in FINAL_CASE_STATES:
                    raise Invalid(
                        "appeal-error-accept-final",
                        id=case.id,
                        state=texts(f"case-state-{case.state.replace('_', '-')}"),
                    )
                await cases.withdraw_in_transaction(
                    session,
                    actor,
                    case.id,
                    settings=settings,
                    texts=texts,
                    comment=texts("appeal-withdraw-comment", id=appeal.id, comment=text),
                )
        now = datetime.now(UTC)
        appeal.state = DECISION_STATE[decision]
        appeal.decided_by_id = actor.id
        appeal.decided_by = actor
        appeal.decision_comment = text
        appeal.decided_at = now
        audit.record(
            session,
            actor_id=actor.id,
            entity="appeal",
            entity_id=appeal.id,
            action=f"decide_{appeal.state}",
            from_state=AppealState.NEW,
            to_state=appeal.state,
            comment=text,
        )
        await reminders.cancel(session, _subject(appeal))
        post = await outbox_db.latest_for_subject(session, f"{_subject(appeal)}:group")
        if post is not None:
            notify.edit_message(session, post, render(appeal, texts, settings=settings))
        await _tell_decision(session, appeal, texts, withdrawn_now=withdrawn_now)
    return appeal


async def _tell_decision(
    session: AsyncSession, appeal: Appeal, texts: Texts, *, withdrawn_now: bool
) -> None:
    """The filer, the manager and the leads of the case hear the decision, each as a reply to
    his own message about the case. The manager of a case this decision withdrew has heard
    it already, from `cases.withdraw` («Кейс #N отозван» with the decision's comment): one
    message, not two."""
    case = appeal.case
    notice = texts(
        "appeal-decision-notice",
        id=appeal.id,
        case=case.id,
        manager=case.manager.full_name,
        decision=texts(STATE_KEYS[appeal.state]),
        comment=appeal.decision_comment or "",
        withdrawn=str(appeal.state == AppealState.ACCEPTED).lower(),
    )
    people = await _people_of(session, case)
    for person, post in people:
        if withdrawn_now and person.id == case.manager_id:
            continue
        await _tell(session, person, post, notice, subject=f"{_subject(appeal)}:decision")
    filer = appeal.filer
    known = {person.id for person, _ in people}
    # A lead who has left the group since he filed: still his appeal.
    if filer.id not in known and filer.telegram_id is not None and filer.active:
        notify.send_message(
            session, filer.telegram_id, notice, subject=f"{_subject(appeal)}:decision"
        )


# --- how an appeal looks ----------------------------------------------------------------------


def decision_keyboard(appeal: Appeal, texts: Texts) -> InlineKeyboardMarkup:
    return keyboards.appeal_decisions(appeal.id, texts)


def _shortened(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def describe_evidence(items: Sequence[dict[str, Any]], texts: Texts) -> str:
    """Safe HTML: the links one per line, then the files counted by kind."""
    if not items:
        return texts("appeal-evidence-none")
    lines = [
        texts("appeal-evidence-link", url=_shortened(str(item["url"]), SHOWN_LINK))
        for item in items
        if item["kind"] == "link"
    ]
    files = [item for item in items if item["kind"] != "link"]
    if files:
        lines.append(texts("appeal-evidence-files", count=len(files)))
    return "\n".join(lines)


def _evidence_plain(items: Sequence[dict[str, Any]], texts: Texts) -> str:
    if not items:
        return texts("appeal-evidence-none")
    lines = [str(item["url"]) for item in items if item["kind"] == "link"]
    files = sum(1 for item in items if item["kind"] != "link")
    if files:
        lines.append(texts("appeal-evidence-files", count=files))
    return "\n".join(lines)


def render(appeal: Appeal, texts: Texts, *, settings: Settings) -> str:
    """The group post of the appeal (with the decision once there is one); fits one message."""
    text = _render(appeal, texts, settings, appeal.reason)
    excess = case_posts.visible_length(text) - case_posts.MAX_VISIBLE
    if excess <= 0:
        return text
    short = appeal.reason[: max(0, len(appeal.reason) - excess - 10)].rstrip() + "…"
    return _render(appeal, texts, settings, short)


def _render(appeal: Appeal, texts: Texts, settings: Settings, reason: str) -> str:
    case = appeal.case
    lines = [
        texts(
            "appeal-post",
            id=appeal.id,
            case=case.id,
            category=texts(f"case-category-{case.category}"),
            tab=texts(f"case-tab-{case.tab}"),
            manager=case.manager.full_name,
            group=case.group.name,
            filer=appeal.filer.full_name,
            posted=case.created_at,
            summary=_shortened(mask_personal_data(case.summary), SHOWN_SUMMARY),
            reason=mask_personal_data(reason),
            evidence=Html(describe_evidence(appeal.evidence, texts)),
        )
    ]
    if appeal.state == AppealState.NEW:
        lines.append(texts("appeal-post-due", due=decide_by(appeal.created_at, settings)))
    else:
        lines.append(
            texts(
                "appeal-post-decided",
                decision=texts(STATE_KEYS[appeal.state]),
                who=appeal.decided_by.full_name if appeal.decided_by else "—",
                when=appeal.decided_at,
                comment=appeal.decision_comment or "",
            )
        )
    return "\n".join(lines)


def _subject(appeal: Appeal) -> str:
    return f"appeal:{appeal.id}"


# --- the clock's reminders ---------------------------------------------------------------------


async def cs_heads(session: AsyncSession, settings: Settings, texts: Texts) -> list[str]:
    """The heads of CS as mentions (safe HTML): CS_HEAD_IDS in their order, named from the
    roster (an id not in it as «руководитель КС»); every active CS member if it is empty."""
    if not settings.cs_head_ids:
        return [
            texts("mention", id=member.telegram_id, name=member.full_name)
            for member in await employees_db.active_with_role(session, Role.CS)
            if member.telegram_id is not None
        ]
    mentions = []
    for telegram_id in dict.fromkeys(settings.cs_head_ids):
        head = await employees_db.by_telegram_id(session, telegram_id)
        name = head.full_name if head is not None else texts("appeal-head-unknown")
        mentions.append(texts("mention", id=telegram_id, name=name))
    return mentions


def register_reminders(
    registry: reminders.ReminderRegistry, settings: Settings, texts: Texts
) -> None:
    """The clock's renderers: the working day before, CS is reminded in the group; at the
    deadline, the overdue appeal is escalated there with the heads of CS mentioned. Both
    reply to the appeal's post with the decision buttons, and stay silent once decided."""

    async def undecided(session: AsyncSession, reminder: Any) -> Appeal | None:
        appeal = await appeals_db.by_id(session, int(reminder.payload["appeal_id"]))
        return appeal if appeal is not None and appeal.state == AppealState.NEW else None

    async def to_post(session: AsyncSession, appeal: Appeal, text: str, kind: str) -> None:
        await notify.reply_to_post(
            session,
            f"{_subject(appeal)}:group",
            text,
            keyboard=decision_keyboard(appeal, texts),
            subject=f"{_subject(appeal)}:{kind}",
            chat_id=settings.cs_chat_id,
            thread_id=settings.cs_appeals_thread_id or None,
        )

    async def sla(session: AsyncSession, reminder: Any) -> None:
        appeal = await undecided(session, reminder)
        if appeal is None:
            return
        text = texts(
            "appeal-remind-sla",
            id=appeal.id,
            case=appeal.case_id,
            manager=appeal.case.manager.full_name,
            created=appeal.created_at,
            due=decide_by(appeal.created_at, settings),
        )
        await to_post(session, appeal, text, "reminder")

    async def overdue(session: AsyncSession, reminder: Any) -> None:
        appeal = await undecided(session, reminder)
        if appeal is None:
            return
        heads = await cs_heads(session, settings, texts)
        text = texts(
            "appeal-overdue",
            id=appeal.id,
            case=appeal.case_id,
            manager=appeal.case.manager.full_name,
            created=appeal.created_at,
            due=decide_by(appeal.created_at, settings),
            days=settings.appeal_decide_within,
            heads=Html(", ".join(heads) or "—"),
        )
        await to_post(session, appeal, text, "overdue")

    registry.register(SLA, sla)
    registry.register(OVERDUE, overdue)
