"""Cases (DESIGN §2, §3): registration, the two tracks as a state machine, and reminders.

Every transition is checked here — role, scope (a lead acts on his groups only), track and
current state — inside a write transaction, so two people pressing the same button at once
produce one transition and the second is told it is already done.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from aiogram.types import InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import CaseAct
from bot.services import case_ack, case_posts, notify, reminders, transitions
from bot.services.errors import Forbidden, Invalid, NotFound
from bot.services.roles import require_role
from bot.services.transitions import Refusals, Transition
from bot.settings import Settings
from bot.texts import Html, Texts
from db import appeals as appeals_db
from db import audit
from db import cases as cases_db
from db import employees as employees_db
from db import outbox as outbox_db
from db.engine import lock_name, write_transaction
from db.models import (
    FINAL_CASE_STATES,
    Case,
    CaseAttachment,
    CaseCategory,
    CaseSource,
    CaseState,
    CaseTab,
    Employee,
    OutboxMessage,
    Role,
)

MAX_SUMMARY = 2000
# Each analysis field and comment; with a full summary the post still fits one message
# (case_posts.render shortens the summary if it must).
MAX_FIELD = 600
ATTACHMENT_KINDS = {
    "photo": "sendPhoto",
    "document": "sendDocument",
    "audio": "sendAudio",
    "voice": "sendVoice",
}
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.I)

# Reminder kinds of the case track.
ACK = "case_ack"
ESCALATE = "case_escalate"
RECHECK_NOTICE = "case_recheck_notice"
RECHECK_DUE = "case_recheck_due"
MEASURES_DUE = "case_measures_due"
BRIEFING_DAY = "case_briefing_day"
ACK_KINDS = {ACK, ESCALATE}
OPEN_STATES = frozenset(CaseState) - FINAL_CASE_STATES
BOTH = frozenset(CaseCategory)

# The briefing's times a lead may pick (local, TIMEZONE): every half hour of the working day.
BRIEFING_FIRST = time(9, 0)
BRIEFING_LAST = time(18, 0)
BRIEFING_STEP = timedelta(minutes=30)
# The briefing-day reminder: at this local time of the day, or an hour before a briefing set
# later than that (or earlier in the day).
BRIEFING_REMIND_AT = time(9, 0)
BRIEFING_REMIND_BEFORE = timedelta(hours=1)


@dataclass(frozen=True)
class Rule(Transition[CaseState]):
    """One transition: from which states, to which, who may, on which track."""

    categories: frozenset[CaseCategory] = BOTH


REFUSALS = Refusals(
    forbidden="case-error-forbidden",
    already_done="case-already-done",
    wrong_state="case-error-state",
)


COMM = frozenset({CaseCategory.COMMUNICATION})
PROC = frozenset({CaseCategory.PROCESS})
LEAD = frozenset({Role.LEAD})
CS = frozenset({Role.CS})

RULES: dict[CaseAct, Rule] = {
    CaseAct.ACCEPT: Rule(frozenset({CaseState.NEW}), CaseState.ACCEPTED, LEAD),
    CaseAct.SET_BRIEFING: Rule(
        frozenset({CaseState.ACCEPTED, CaseState.BRIEFING_SET}), CaseState.BRIEFING_SET, LEAD, COMM
    ),
    CaseAct.BRIEFING_HELD: Rule(
        frozenset({CaseState.BRIEFING_SET}), CaseState.RECHECK, LEAD | CS, COMM
    ),
    CaseAct.RECHECK_PASSED: Rule(frozenset({CaseState.RECHECK}), CaseState.CLOSED, CS, COMM),
    CaseAct.RECHECK_FAILED: Rule(frozenset({CaseState.RECHECK}), CaseState.REPEATED, CS, COMM),
    CaseAct.SUBMIT_ANALYSIS: Rule(frozenset({CaseState.ACCEPTED}), CaseState.ANALYSED, LEAD, PROC),
    CaseAct.CONFIRM: Rule(frozenset({CaseState.ANALYSED}), CaseState.CLOSED, CS, PROC),
    CaseAct.RETURN: Rule(frozenset({CaseState.ANALYSED}), CaseState.ACCEPTED, CS, PROC),
    CaseAct.WITHDRAW: Rule(OPEN_STATES, CaseState.WITHDRAWN, CS),
}
# Acts that need more than a press: a date, a comment or the analysis.
NEEDS_INPUT = {
    CaseAct.SET_BRIEFING,
    CaseAct.RECHECK_FAILED,
    CaseAct.SUBMIT_ANALYSIS,
    CaseAct.RETURN,
}


@dataclass(frozen=True)
class AttachmentDraft:
    kind: str
    file_id: str
    file_name: str = ""


@dataclass(frozen=True)
class CaseDraft:
    manager_id: int
    tab: CaseTab
    category: CaseCategory
    source: CaseSource
    incident_date: date
    summary: str
    link: str | None = None
    attachments: tuple[AttachmentDraft, ...] = ()


@dataclass(frozen=True)
class Analysis:
    process: str
    cause: str
    measures: str
    measures_due: date


@dataclass(frozen=True)
class ActInput:
    """What an act that needs input carries."""

    briefing_at: datetime | None = None
    comment: str = ""
    analysis: Analysis | None = None
    extra: dict[str, Any] = field(default_factory=dict)


# --- validation of what users type ------------------------------------------------------


def clean_summary(text: str) -> str:
    value = text.strip()
    if not value:
        raise Invalid("case-error-summary-empty")
    if len(value) > MAX_SUMMARY:
        raise Invalid("case-error-summary-long", max=MAX_SUMMARY, length=len(value))
    return value


def clean_link(text: str) -> str:
    value = text.strip()
    if len(value) > 1000 or not _URL.match(value):
        raise Invalid("case-error-link")
    return value


def clean_text(text: str, *, min_length: int = 1) -> str:
    value = " ".join(text.split()) if "\n" not in text else text.strip()
    if len(value) < min_length:
        raise Invalid("case-error-text-short", min=min_length)
    if len(value) > MAX_FIELD:
        raise Invalid("case-error-text-long", max=MAX_FIELD)
    return value


def check_incident_date(value: date, today: date) -> date:
    if value > today:
        raise Invalid("case-error-date-future")
    return value


def check_future_date(value: date, today: date) -> date:
    if value < today:
        raise Invalid("case-error-date-past")
    return value


def local_today(settings: Settings) -> date:
    return datetime.now(settings.tz).date()


def briefing_slots(day: date, settings: Settings, now: datetime | None = None) -> list[time]:
    """The times a briefing on `day` may start (local): the half hours of the working day
    still ahead; none for a past day."""
    moment = (now or datetime.now(UTC)).astimezone(settings.tz)
    slot = datetime.combine(day, BRIEFING_FIRST, tzinfo=settings.tz)
    last = datetime.combine(day, BRIEFING_LAST, tzinfo=settings.tz)
    slots = []
    while slot <= last:
        if slot > moment:
            slots.append(slot.time())
        slot += BRIEFING_STEP
    return slots


def briefing_moment(day: date, at: time, settings: Settings) -> datetime:
    """A picked day and time (local) as the UTC moment stored."""
    return datetime.combine(day, at, tzinfo=settings.tz).astimezone(UTC)


def check_briefing(moment: datetime, settings: Settings, now: datetime | None = None) -> datetime:
    """A briefing moment a lead may pick: one of its day's slots still ahead."""
    local = moment.astimezone(settings.tz)
    if local.time() not in briefing_slots(local.date(), settings, now):
        if local.date() < (now or datetime.now(UTC)).astimezone(settings.tz).date():
            raise Invalid("case-error-date-past")
        raise Invalid("case-error-briefing-time")
    return moment.astimezone(UTC)


def briefing_day_unavailable(day: date, settings: Settings) -> str | None:
    """Why a calendar day cannot be picked for a briefing (None: it can)."""
    if day < local_today(settings):
        return "case-error-date-past"
    if not briefing_slots(day, settings):
        return "case-error-briefing-day-over"
    return None


def appeal_closes(case: Case, settings: Settings) -> datetime:
    """When the manager's appeal window of the case closes."""
    return case.created_at + settings.appeal_window


# --- registration -----------------------------------------------------------------------


async def register(
    session: AsyncSession,
    actor: Employee | None,
    draft: CaseDraft,
    *,
    settings: Settings,
    texts: Texts,
    bot_username: str,
) -> Case:
    """Register and publish a case: the group, every lead of the group, the manager."""
    require_role(actor, Role.CS)
    async with write_transaction(session):
        return await register_in_transaction(
            session, actor, draft, settings=settings, texts=texts, bot_username=bot_username
        )


async def register_in_transaction(
    session: AsyncSession,
    actor: Employee | None,
    draft: CaseDraft,
    *,
    settings: Settings,
    texts: Texts,
    bot_username: str,
    import_key: str | None = None,
) -> Case:
    """`register` inside the caller's write transaction (the workbook import registers all
    its rows at once). `import_key` marks a case that came from a workbook row."""
    actor = require_role(actor, Role.CS)
    summary = clean_summary(draft.summary)
    link = clean_link(draft.link) if draft.link else None
    check_incident_date(draft.incident_date, local_today(settings))
    for attachment in draft.attachments:
        if attachment.kind not in ATTACHMENT_KINDS:
            raise Invalid("case-error-attachment")
    manager = await employees_db.by_id(session, draft.manager_id)
    if manager is None or not manager.active or manager.role == Role.CS:
        raise NotFound("case-error-manager")
    if not manager.groups:
        raise Invalid("case-error-manager-group", name=manager.full_name)
    # One registration at a time, as on SQLite: numbers are given in the order the cases are
    # published, and a case registered at the same moment counts as the earlier same error.
    await lock_name(session, "cases:register")
    now = datetime.now(UTC)
    earlier = await cases_db.earlier_same_error(
        session,
        manager_id=manager.id,
        category=draft.category,
        tab=draft.tab,
        since=draft.incident_date - timedelta(days=settings.repeat_window.days),
        until=draft.incident_date,
    )
    case = Case(
        tab=draft.tab,
        category=draft.category,
        source=draft.source,
        manager=manager,
        manager_id=manager.id,
        group=manager.groups[0],
        group_id=manager.groups[0].id,
        author_id=actor.id,
        incident_date=draft.incident_date,
        summary=summary,
        link=link,
        state=CaseState.NEW,
        repeated=earlier is not None,
        repeat_of_id=earlier.id if earlier else None,
        created_at=now,
        import_key=import_key,
    )
    case.attachments = [
        CaseAttachment(kind=a.kind, file_id=a.file_id, file_name=a.file_name)
        for a in draft.attachments
    ]
    session.add(case)
    await session.flush()
    audit.record(
        session,
        actor_id=actor.id,
        entity="case",
        entity_id=case.id,
        action="register",
        to_state=CaseState.NEW,
        comment=texts("case-audit-repeat-of", id=earlier.id) if earlier else "",
    )
    await _publish(session, case, settings=settings, texts=texts, bot_username=bot_username)
    case_ack.schedule(session, case, settings)
    subject = _subject(case)
    reminders.schedule(
        session,
        kind=ACK,
        due_at=now + settings.ack_sla,
        subject=subject,
        payload={"case_id": case.id},
    )
    reminders.schedule(
        session,
        kind=ESCALATE,
        due_at=now + 2 * settings.ack_sla,
        subject=subject,
        payload={"case_id": case.id},
    )
    return case


async def _publish(
    session: AsyncSession, case: Case, *, settings: Settings, texts: Texts, bot_username: str
) -> None:
    assert settings.cs_chat_id is not None
    text = case_posts.render(case, texts)
    group_post = notify.send_message(
        session,
        settings.cs_chat_id,
        text,
        keyboard=case_posts.keyboard(case, case_posts.GROUP, texts),
        thread_id=settings.cs_cases_thread_id or None,
        subject=f"{_subject(case)}:group",
    )
    _send_attachments(session, case, settings.cs_chat_id, group_post, settings.cs_cases_thread_id)
    for lead in await cases_db.leads_of_group(session, case.group_id):
        if lead.telegram_id is None:
            continue
        copy = notify.send_message(
            session,
            lead.telegram_id,
            text,
            keyboard=case_posts.keyboard(case, case_posts.LEAD, texts),
            subject=f"{_subject(case)}:lead:{lead.id}",
        )
        _send_attachments(session, case, lead.telegram_id, copy, 0)
    if case.manager.telegram_id is not None:
        notice = texts(
            "case-manager-notice",
            id=case.id,
            days=max(1, round(settings.appeal_window.total_seconds() / 86400)),
            closes=appeal_closes(case, settings),
            post=Html(text),
        )
        until = texts("case-manager-ack-until", until=case_ack.deadline(case.created_at, settings))
        notify.send_message(
            session,
            case.manager.telegram_id,
            "\n".join([notice, until]),
            keyboard=await case_ack.notice_keyboard(
                session, case, settings=settings, texts=texts, bot_username=bot_username
            ),
            subject=f"{_subject(case)}:manager",
        )


def _send_attachments(
    session: AsyncSession, case: Case, chat_id: int, post: OutboxMessage, thread_id: int
) -> None:
    for attachment in case.attachments:
        notify.send_attachment(
            session,
            chat_id,
            method=ATTACHMENT_KINDS[attachment.kind],
            file_id=attachment.file_id,
            reply_to=post,
            thread_id=thread_id or None,
            subject=f"{_subject(case)}:file",
        )


# --- the state machine --------------------------------------------------------------------


def check(case: Case, act: CaseAct, actor: Employee | None) -> Rule:
    """The rule of `act` if `actor` may do it to `case` now; otherwise the refusal."""
    rule = RULES[act]

    def in_his_group(actor: Employee) -> None:
        if actor.role == Role.LEAD and case.group_id not in actor.group_ids:
            raise Forbidden("case-error-not-your-group")

    def on_its_track(actor: Employee) -> None:
        if case.category not in rule.categories:
            raise Invalid("case-error-wrong-track")

    transitions.allowed(
        rule,
        case.state,
        actor,
        final=FINAL_CASE_STATES,
        refusals=REFUSALS,
        guards=(in_his_group, on_its_track),
        state=str(case.state),
    )
    return rule


async def precheck(
    session: AsyncSession, actor: Employee | None, case_id: int, act: CaseAct
) -> Case:
    """The case, if `actor` may do `act` now (before asking him for a date or a comment)."""
    case = await cases_db.by_id(session, case_id)
    if case is None:
        raise NotFound("case-error-missing", id=case_id)
    check(case, act, actor)
    return case


async def perform(
    session: AsyncSession,
    actor: Employee | None,
    case_id: int,
    act: CaseAct,
    *,
    settings: Settings,
    texts: Texts,
    data: ActInput | None = None,
    bot_username: str = "",
) -> Case:
    """Do `act` to the case in its own transaction, or raise the reason it cannot be done.

    `bot_username` builds the manager's «Обжаловать» link (none without it)."""
    async with write_transaction(session):
        return await perform_in_transaction(
            session,
            actor,
            case_id,
            act,
            settings=settings,
            texts=texts,
            data=data,
            bot_username=bot_username,
        )


async def perform_in_transaction(
    session: AsyncSession,
    actor: Employee | None,
    case_id: int,
    act: CaseAct,
    *,
    settings: Settings,
    texts: Texts,
    data: ActInput | None = None,
    bot_username: str = "",
) -> Case:
    """`perform` inside the caller's write transaction (another use case that must change the
    case atomically with its own rows: an accepted appeal)."""
    data = data or ActInput()
    case = await cases_db.by_id_for_update(session, case_id)
    if case is None:
        raise NotFound("case-error-missing", id=case_id)
    rule = check(case, act, actor)
    assert actor is not None
    previous = case.state
    now = datetime.now(UTC)
    comment = _apply(case, act, actor, data, now=now, settings=settings, texts=texts)
    case.state = rule.target
    if rule.target in FINAL_CASE_STATES:
        case.closed_at = now
    audit.record(
        session,
        actor_id=actor.id,
        entity="case",
        entity_id=case.id,
        action=act.name.lower(),
        from_state=previous,
        to_state=rule.target,
        comment=comment,
    )
    await _after(session, case, act, actor, settings=settings, texts=texts)
    await _tell_manager(
        session, case, act, actor, settings=settings, texts=texts, bot_username=bot_username
    )
    last = texts("case-post-last-action", who=actor.full_name, when=now)
    await refresh_posts(session, case, texts, last_action=last)
    return case


def _apply(
    case: Case,
    act: CaseAct,
    actor: Employee,
    data: ActInput,
    *,
    now: datetime,
    settings: Settings,
    texts: Texts,
) -> str:
    """Change the case's fields for `act`; returns the audit comment."""
    today = local_today(settings)
    if act == CaseAct.ACCEPT:
        case.accepted_by_id = actor.id
        case.accepted_by = actor
        case.accepted_at = now
        return ""
    if act == CaseAct.SET_BRIEFING:
        if data.briefing_at is None:
            raise Invalid("case-error-date-missing")
        case.briefing_at = check_briefing(data.briefing_at, settings, now)
        return texts.datetime(case.briefing_at)
    if act == CaseAct.BRIEFING_HELD:
        case.briefing_held_at = now
        case.recheck_due_at = now + settings.recheck_after
        return ""
    if act in {CaseAct.RECHECK_FAILED, CaseAct.RETURN}:
        case.last_comment = clean_text(data.comment, min_length=3)
        if act == CaseAct.RECHECK_FAILED:
            case.repeated = True
        return case.last_comment
    if act == CaseAct.SUBMIT_ANALYSIS:
        if data.analysis is None:
            raise Invalid("case-error-analysis-missing")
        analysis = data.analysis
        case.analysis_process = clean_text(analysis.process)
        case.analysis_cause = clean_text(analysis.cause)
        case.analysis_measures = clean_text(analysis.measures)
        case.measures_due = check_future_date(analysis.measures_due, today)
        case.last_comment = None
        return ""
    if act == CaseAct.WITHDRAW:
        case.last_comment = data.comment.strip() or None
        return data.comment
    return ""


async def _after(
    session: AsyncSession,
    case: Case,
    act: CaseAct,
    actor: Employee,
    *,
    settings: Settings,
    texts: Texts,
) -> None:
    """Reminders and the notices to CS and the leads that follow a transition."""
    subject = _subject(case)
    if case.state in FINAL_CASE_STATES:
        await reminders.cancel(session, subject)
        return
    if act == CaseAct.ACCEPT:
        await reminders.cancel(session, subject, ACK_KINDS)
    elif act == CaseAct.SET_BRIEFING:
        assert case.briefing_at is not None
        await reminders.cancel(session, subject, {BRIEFING_DAY})
        _schedule_briefing_day(session, case, actor, settings)
        await _reply_in_group(
            session,
            case,
            texts(
                "case-briefing-reply",
                id=case.id,
                when=case.briefing_at,
                who=actor.full_name,
                manager=case.manager.full_name,
            ),
            kind="briefing",
        )
    elif act == CaseAct.BRIEFING_HELD:
        assert case.recheck_due_at is not None
        await reminders.cancel(session, subject, {BRIEFING_DAY})
        payload = {"case_id": case.id}
        notice_at = case.recheck_due_at - settings.recheck_notice
        if notice_at > datetime.now(UTC):
            reminders.schedule(
                session, kind=RECHECK_NOTICE, due_at=notice_at, subject=subject, payload=payload
            )
        reminders.schedule(
            session, kind=RECHECK_DUE, due_at=case.recheck_due_at, subject=subject, payload=payload
        )
    elif act == CaseAct.SUBMIT_ANALYSIS:
        assert case.measures_due is not None
        await reminders.cancel(session, subject, {MEASURES_DUE})
        due = datetime.combine(case.measures_due, time(10, 0), tzinfo=settings.tz)
        reminders.schedule(
            session, kind=MEASURES_DUE, due_at=due, subject=subject, payload={"case_id": case.id}
        )
        await _reply_in_group(
            session,
            case,
            texts(
                "case-analysis-reply",
                id=case.id,
                who=actor.full_name,
                process=case.analysis_process or "",
                cause=case.analysis_cause or "",
                measures=case.analysis_measures or "",
                due=case.measures_due,
            ),
            kind="analysis",
        )
    elif act == CaseAct.RETURN:
        await reminders.cancel(session, subject, {MEASURES_DUE})
        for lead in await cases_db.leads_of_group(session, case.group_id):
            if lead.telegram_id is not None:
                notify.send_message(
                    session,
                    lead.telegram_id,
                    texts("case-returned-notice", id=case.id, comment=case.last_comment or ""),
                    keyboard=case_posts.act_keyboard(case, [CaseAct.SUBMIT_ANALYSIS], texts),
                    reply_to=await _lead_copy(session, case, lead),
                    subject=f"{subject}:returned",
                )


def _schedule_briefing_day(
    session: AsyncSession, case: Case, lead: Employee, settings: Settings
) -> None:
    """The lead and the manager are reminded on the briefing's day: at BRIEFING_REMIND_AT,
    or an hour before it when that is earlier or the morning has passed already."""
    assert case.briefing_at is not None
    now = datetime.now(UTC)
    day = case.briefing_at.astimezone(settings.tz).date()
    morning = datetime.combine(day, BRIEFING_REMIND_AT, tzinfo=settings.tz)
    before = case.briefing_at - BRIEFING_REMIND_BEFORE
    due = min(morning, before)
    if due <= now:
        due = before
    if due <= now:
        return  # set less than an hour ahead: everybody has just heard of it
    reminders.schedule(
        session,
        kind=BRIEFING_DAY,
        due_at=due,
        subject=_subject(case),
        payload={"case_id": case.id, "lead_id": lead.id, "at": case.briefing_at.isoformat()},
    )


async def _lead_copy(session: AsyncSession, case: Case, lead: Employee) -> OutboxMessage | None:
    return await outbox_db.latest_for_subject(session, f"{_subject(case)}:lead:{lead.id}")


async def _reply_in_group(
    session: AsyncSession,
    case: Case,
    text: str,
    *,
    kind: str,
    keyboard: InlineKeyboardMarkup | None = None,
    settings: Settings | None = None,
) -> None:
    """A message to the CS group as a reply to the case post (Telegram notifies about it,
    unlike the post's edits). Without a post (not published here) it goes to the group when
    `settings` are given, else nowhere."""
    await notify.reply_to_post(
        session,
        f"{_subject(case)}:group",
        text,
        subject=f"{_subject(case)}:{kind}",
        keyboard=keyboard,
        chat_id=settings.cs_chat_id if settings is not None else None,
        thread_id=(settings.cs_cases_thread_id or None) if settings is not None else None,
    )


# The manager's notice of each act (what changed in his case).
_MANAGER_KEYS: dict[CaseAct, str] = {
    CaseAct.ACCEPT: "case-manager-accepted",
    CaseAct.SET_BRIEFING: "case-manager-briefing",
    CaseAct.BRIEFING_HELD: "case-manager-briefing-held",
    CaseAct.RECHECK_PASSED: "case-manager-recheck-passed",
    CaseAct.RECHECK_FAILED: "case-manager-recheck-failed",
    CaseAct.SUBMIT_ANALYSIS: "case-manager-analysis-submitted",
    CaseAct.CONFIRM: "case-manager-analysis-confirmed",
    CaseAct.RETURN: "case-manager-analysis-returned",
    CaseAct.WITHDRAW: "case-manager-withdrawn",
}


async def may_appeal(
    session: AsyncSession, case: Case, settings: Settings, bot_username: str
) -> bool:
    """Whether the manager's messages about the case still offer «Обжаловать»: the case is
    open, its window has not closed and it has no appeal yet."""
    return (
        bool(bot_username)
        and case.is_open
        and datetime.now(UTC) < appeal_closes(case, settings)
        and await appeals_db.latest_for_case(session, case.id) is None
    )


async def _tell_manager(
    session: AsyncSession,
    case: Case,
    act: CaseAct,
    actor: Employee,
    *,
    settings: Settings,
    texts: Texts,
    bot_username: str,
) -> None:
    """The manager hears every change of his case, as a reply to his first notice; while
    he may still appeal, with the date the window closes and «Обжаловать»."""
    manager = case.manager
    if manager.telegram_id is None or not manager.active:
        return
    text = texts(
        _MANAGER_KEYS[act],
        id=case.id,
        who=actor.full_name,
        when=case.briefing_at,
        due=Html(texts.date(case.recheck_due_at))
        if act == CaseAct.BRIEFING_HELD and case.recheck_due_at
        else case.measures_due,
        comment=case.last_comment or "",
    )
    if act == CaseAct.WITHDRAW and case.last_comment:
        text = "\n".join([text, texts("case-manager-comment", comment=case.last_comment)])
    keyboard = None
    if await may_appeal(session, case, settings, bot_username):
        closes = appeal_closes(case, settings)
        text = "\n".join([text, texts("case-manager-appeal-until", closes=closes)])
        keyboard = case_posts.appeal_keyboard(case, bot_username, texts)
    notify.send_message(
        session,
        manager.telegram_id,
        text,
        keyboard=keyboard,
        reply_to=await outbox_db.latest_for_subject(session, f"{_subject(case)}:manager"),
        subject=f"{_subject(case)}:news",
    )


async def refresh_posts(
    session: AsyncSession, case: Case, texts: Texts, *, last_action: str = ""
) -> None:
    """Edit the group post and every lead's copy to show the current state and buttons."""
    text = case_posts.render(case, texts, last_action=last_action)
    for post in await outbox_db.sends_with_subject_prefix(session, f"{_subject(case)}:"):
        kind = post.subject.split(":")[2]
        if kind == "group":
            notify.edit_message(
                session, post, text, keyboard=case_posts.keyboard(case, case_posts.GROUP, texts)
            )
        elif kind == "lead":
            notify.edit_message(
                session, post, text, keyboard=case_posts.keyboard(case, case_posts.LEAD, texts)
            )


def _subject(case: Case) -> str:
    return f"case:{case.id}"


async def withdraw(
    session: AsyncSession,
    actor: Employee | None,
    case_id: int,
    *,
    settings: Settings,
    texts: Texts,
    comment: str = "",
) -> Case:
    """Any open case becomes withdrawn, its posts are edited and its reminders cancelled."""
    async with write_transaction(session):
        return await withdraw_in_transaction(
            session, actor, case_id, settings=settings, texts=texts, comment=comment
        )


async def withdraw_in_transaction(
    session: AsyncSession,
    actor: Employee | None,
    case_id: int,
    *,
    settings: Settings,
    texts: Texts,
    comment: str = "",
) -> Case:
    """`withdraw` in the caller's write transaction: the entry point of an accepted appeal,
    so the case and the appeal's decision change together or not at all."""
    return await perform_in_transaction(
        session,
        actor,
        case_id,
        CaseAct.WITHDRAW,
        settings=settings,
        texts=texts,
        data=ActInput(comment=comment),
    )


async def visible_case(session: AsyncSession, viewer: Employee | None, case_id: int) -> Case:
    """The case if `viewer` may see it: CS all, a lead his groups', a manager his own."""
    case = await cases_db.by_id(session, case_id)
    if case is None or viewer is None or not can_see(viewer, case):
        raise NotFound("case-error-missing", id=case_id)
    return case


def can_see(viewer: Employee, case: Case) -> bool:
    if viewer.role == Role.CS:
        return True
    if viewer.role == Role.LEAD:
        return case.group_id in viewer.group_ids or case.manager_id == viewer.id
    return case.manager_id == viewer.id


# --- reminders ------------------------------------------------------------------------------


def register_reminders(
    registry: reminders.ReminderRegistry, settings: Settings, texts: Texts
) -> None:
    """The renderers of the case reminders (they need the settings and the texts). Each one
    carries the button that resolves it, or is a reply to the post it is about."""

    async def leads_and_case(
        session: AsyncSession, payload: dict[str, Any]
    ) -> tuple[Case, list[Employee]] | None:
        case = await cases_db.by_id(session, int(payload["case_id"]))
        if case is None or case.state in FINAL_CASE_STATES:
            return None
        return case, list(await cases_db.leads_of_group(session, case.group_id))

    async def to_group(
        session: AsyncSession, text: str, case: Case, keyboard: InlineKeyboardMarkup | None = None
    ) -> None:
        await _reply_in_group(
            session, case, text, kind="reminder", keyboard=keyboard, settings=settings
        )

    async def to_leads(
        session: AsyncSession,
        text: str,
        case: Case,
        leads: list[Employee],
        keyboard: InlineKeyboardMarkup | None = None,
    ) -> None:
        for lead in leads:
            if lead.telegram_id is not None:
                notify.send_message(
                    session,
                    lead.telegram_id,
                    text,
                    keyboard=keyboard,
                    reply_to=await _lead_copy(session, case, lead),
                    subject=f"{_subject(case)}:reminder",
                )

    async def ack(session: AsyncSession, reminder: Any) -> None:
        found = await leads_and_case(session, reminder.payload)
        if found is None or found[0].state != CaseState.NEW:
            return
        case, leads = found
        await to_leads(
            session,
            texts("case-remind-ack", id=case.id, manager=case.manager.full_name),
            case,
            leads,
            case_posts.act_keyboard(case, [CaseAct.ACCEPT], texts),
        )

    async def escalate(session: AsyncSession, reminder: Any) -> None:
        found = await leads_and_case(session, reminder.payload)
        if found is None or found[0].state != CaseState.NEW:
            return
        case, leads = found
        mentions = ", ".join(
            texts("mention", id=lead.telegram_id or 0, name=lead.full_name)
            if lead.telegram_id
            else texts("plain-name", name=lead.full_name)
            for lead in leads
        )
        hours = round(2 * settings.ack_sla.total_seconds() / 3600)
        await to_group(
            session,
            texts("case-remind-escalate", id=case.id, leads=Html(mentions or "—"), hours=hours),
            case,
        )

    async def recheck_notice(session: AsyncSession, reminder: Any) -> None:
        found = await leads_and_case(session, reminder.payload)
        if found is None or found[0].state != CaseState.RECHECK:
            return
        case = found[0]
        assert case.recheck_due_at is not None
        if case.recheck_due_at <= datetime.now(UTC):
            return  # fell due while the bot was down: the due-day reminder says it all
        await to_group(
            session,
            texts(
                "case-remind-recheck-soon",
                id=case.id,
                manager=case.manager.full_name,
                due=Html(texts.date(case.recheck_due_at)),
            ),
            case,
        )

    async def recheck_due(session: AsyncSession, reminder: Any) -> None:
        found = await leads_and_case(session, reminder.payload)
        if found is None or found[0].state != CaseState.RECHECK:
            return
        case, leads = found
        manager = case.manager.full_name
        await to_group(
            session,
            texts("case-remind-recheck-today", id=case.id, manager=manager),
            case,
            case_posts.act_keyboard(case, [CaseAct.RECHECK_PASSED, CaseAct.RECHECK_FAILED], texts),
        )
        await to_leads(
            session,
            texts("case-remind-recheck-today-lead", id=case.id, manager=manager),
            case,
            leads,
        )

    async def measures_due(session: AsyncSession, reminder: Any) -> None:
        found = await leads_and_case(session, reminder.payload)
        if found is None:
            return
        case, leads = found
        text = texts("case-remind-measures", id=case.id, manager=case.manager.full_name)
        await to_leads(session, text, case, leads)
        await to_group(session, text, case)

    async def briefing_day(session: AsyncSession, reminder: Any) -> None:
        found = await leads_and_case(session, reminder.payload)
        if found is None or found[0].state != CaseState.BRIEFING_SET:
            return
        case = found[0]
        if case.briefing_at is None or case.briefing_at.isoformat() != reminder.payload["at"]:
            return  # moved since (the move scheduled its own reminder)
        lead = await employees_db.by_id(session, int(reminder.payload["lead_id"]))
        if lead is not None and lead.active and lead.telegram_id is not None:
            await to_leads(
                session,
                texts(
                    "case-remind-briefing-lead",
                    id=case.id,
                    when=case.briefing_at,
                    manager=case.manager.full_name,
                ),
                case,
                [lead],
                case_posts.act_keyboard(case, [CaseAct.BRIEFING_HELD], texts),
            )
        manager = case.manager
        if manager.active and manager.telegram_id is not None:
            notify.send_message(
                session,
                manager.telegram_id,
                texts(
                    "case-remind-briefing-manager",
                    id=case.id,
                    when=case.briefing_at,
                    who=lead.full_name if lead is not None else "—",
                ),
                reply_to=await outbox_db.latest_for_subject(session, f"{_subject(case)}:manager"),
                subject=f"{_subject(case)}:reminder",
            )

    registry.register(ACK, ack)
    registry.register(ESCALATE, escalate)
    registry.register(RECHECK_NOTICE, recheck_notice)
    registry.register(RECHECK_DUE, recheck_due)
    registry.register(MEASURES_DUE, measures_due)
    registry.register(BRIEFING_DAY, briefing_day)


# --- the /case dialog -------------------------------------------------------------------------


async def find_managers(session: AsyncSession, text: str) -> list[Employee]:
    """The people a case can be about (active managers and leads) whose name contains `text`."""
    return list(await cases_db.managers_matching(session, text))
