"""Blind calibration: CS has several people score the same case, each unseen by the others.

CS starts a session (`/calibrate`): a case, or a recording link and a category; two or more
participants (CS members, leads); a deadline, 18:00 of a day in TIMEZONE. Each participant
gets an invitation with «Оценить» and votes once in private: a verdict, a score 0–100, a
comment. The session is blind by construction: nothing a participant or anyone else is sent
before the session closes is built from another's vote (the invitation, the reminder and the
confirmation carry the session only); the votes are read into a message once, in the result.

It closes when the last participant votes, or at the deadline (a reminder row) with whoever
voted; the CS group then gets the votes side by side, the spread (max − min score) and
«⚠️ Расхождение» when the spread exceeds CALIBRATION_SPREAD or the verdicts differ. Who has
not voted is reminded once before the deadline: the working day before, or two hours before
when that is already past.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from aiogram.types import InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards
from bot.services import notify, reminders, workdays
from bot.services.errors import AlreadyDone, Forbidden, Invalid, NotFound
from bot.services.roles import require_role
from bot.settings import Settings
from bot.texts import Html, Texts
from db import audit
from db import calibration as calibration_db
from db import cases as cases_db
from db import employees as employees_db
from db.engine import write_transaction
from db.models import (
    CalibrationSession,
    CalibrationState,
    CalibrationVerdict,
    CalibrationVote,
    CaseCategory,
    Employee,
    Role,
)

REMIND = "calibration_remind"
CLOSE = "calibration_close"
KINDS = {REMIND, CLOSE}
DEADLINE_TIME = time(18, 0)
SOONER = timedelta(hours=2)
MIN_PARTICIPANTS = 2
MAX_COMMENT = 1000
LIST_SIZE = 10
PARTICIPANT_ROLES = (Role.CS, Role.LEAD)
VERDICT_KEYS = {
    CalibrationVerdict.CONFIRMED: "calibration-verdict-confirmed",
    CalibrationVerdict.NO_ERROR: "calibration-verdict-no-error",
    CalibrationVerdict.PARTLY: "calibration-verdict-partly",
}
_LINK = re.compile(r"^https?://\S+$", re.IGNORECASE)


@dataclass(frozen=True)
class CalibrationDraft:
    """What the /calibrate dialog collected: a case, or a link and a category."""

    participant_ids: tuple[int, ...]
    deadline_day: date
    case_id: int | None = None
    link: str | None = None
    category: CaseCategory | None = None


def subject_of(session_id: int) -> str:
    return f"calibration:{session_id}"


def deadline_of(day: date, settings: Settings) -> datetime:
    """18:00 of `day` in TIMEZONE, in UTC."""
    return datetime.combine(day, DEADLINE_TIME, tzinfo=settings.tz).astimezone(UTC)


def remind_at(deadline: datetime, now: datetime, settings: Settings) -> datetime | None:
    """When those who have not voted are reminded: the working day before the deadline's
    day at the deadline's time; two hours before the deadline when that is past; never when
    even that is (the invitation has only just been sent)."""
    local = deadline.astimezone(settings.tz)
    day = local.date() - timedelta(days=1)
    while not workdays.is_working_day(day):
        day -= timedelta(days=1)
    moment = datetime.combine(day, local.timetz()).astimezone(UTC)
    if moment > now:
        return moment
    moment = deadline - SOONER
    return moment if moment > now else None


def parse_score(text: str) -> int:
    """A score as typed: a whole number 0–100."""
    value = text.strip()
    if not value.isdigit() or not 0 <= int(value) <= 100:
        raise Invalid("calibration-error-score")
    return int(value)


def parse_link(text: str) -> str:
    value = text.strip()
    if not _LINK.match(value) or len(value) > 1000:
        raise Invalid("calibration-error-link")
    return value


def parse_subject(text: str) -> tuple[int | None, str | None]:
    """What /calibrate is given: a case number (12, #12) or a recording link."""
    value = text.strip().lstrip("#").strip()
    if value.isdigit() and len(value) <= 18:
        if int(value) < 1:
            raise Invalid("calibration-hint-subject")
        return int(value), None
    if _LINK.match(text.strip()):
        return None, parse_link(text)
    raise Invalid("calibration-hint-subject")


def clean_comment(text: str) -> str:
    value = text.strip()
    if len(value) > MAX_COMMENT:
        raise Invalid("calibration-error-comment", max=MAX_COMMENT)
    return value


# --- starting ---------------------------------------------------------------------------------


async def possible_participants(session: AsyncSession, actor: Employee | None) -> list[Employee]:
    require_role(actor, Role.CS, key="calibration-error-cs-only")
    return list(await calibration_db.possible_participants(session))


async def check_case(session: AsyncSession, actor: Employee | None, case_id: int) -> CaseCategory:
    """The case's category, when CS may calibrate on it."""
    require_role(actor, Role.CS, key="calibration-error-cs-only")
    case = await cases_db.by_id(session, case_id)
    if case is None:
        raise NotFound("calibration-error-case", id=case_id)
    return case.category


async def start(
    session: AsyncSession,
    actor: Employee | None,
    draft: CalibrationDraft,
    *,
    settings: Settings,
    texts: Texts,
    now: datetime | None = None,
) -> CalibrationSession:
    """Open the session, invite each participant, schedule the reminder and the close."""
    moment = now or datetime.now(UTC)
    async with write_transaction(session):
        actor = require_role(actor, Role.CS, key="calibration-error-cs-only")
        if draft.case_id is not None:
            category = await check_case(session, actor, draft.case_id)
            link = None
        elif draft.link and draft.category is not None:
            category, link = draft.category, parse_link(draft.link)
        else:
            raise Invalid("calibration-error-subject")
        people: list[Employee] = []
        for employee_id in dict.fromkeys(draft.participant_ids):
            employee = await employees_db.by_id(session, employee_id)
            if (
                employee is None
                or not employee.active
                or employee.role not in PARTICIPANT_ROLES
                or employee.telegram_id is None
            ):
                raise Invalid("calibration-error-participant")
            people.append(employee)
        if len(people) < MIN_PARTICIPANTS:
            raise Invalid("calibration-error-participants", min=MIN_PARTICIPANTS)
        deadline = deadline_of(draft.deadline_day, settings)
        if deadline <= moment:
            raise Invalid("calibration-error-deadline")
        calibration = CalibrationSession(
            case_id=draft.case_id,
            link=link,
            category=category,
            created_by_id=actor.id,
            deadline_at=deadline,
            state=CalibrationState.OPEN,
            flagged=False,
            votes=[CalibrationVote(employee_id=person.id) for person in people],
        )
        session.add(calibration)
        await session.flush()
        audit.record(
            session,
            actor_id=actor.id,
            entity="calibration",
            entity_id=calibration.id,
            action="start",
        )
        invitation = texts(
            "calibration-invite",
            id=calibration.id,
            subject=Html(describe(calibration, texts)),
            deadline=deadline,
        )
        for person in people:
            assert person.telegram_id is not None  # checked above
            notify.send_message(
                session,
                person.telegram_id,
                invitation,
                keyboard=vote_keyboard(calibration.id, texts),
                subject=f"{subject_of(calibration.id)}:invite:{person.id}",
            )
        payload = {"session_id": calibration.id}
        reminder_at = remind_at(deadline, moment, settings)
        if reminder_at is not None:
            reminders.schedule(
                session,
                kind=REMIND,
                due_at=reminder_at,
                subject=subject_of(calibration.id),
                payload=payload,
            )
        reminders.schedule(
            session,
            kind=CLOSE,
            due_at=deadline,
            subject=subject_of(calibration.id),
            payload=payload,
        )
    return calibration


def vote_keyboard(session_id: int, texts: Texts) -> InlineKeyboardMarkup:
    return keyboards.calibration_vote(session_id, texts)


def describe(calibration: CalibrationSession, texts: Texts) -> str:
    """What is calibrated (safe HTML): the case, or the recording, and the category."""
    category = texts(f"case-category-{calibration.category}")
    if calibration.case_id is not None:
        return texts("calibration-subject-case", case=calibration.case_id, category=category)
    return texts("calibration-subject-link", link=calibration.link or "", category=category)


# --- voting -----------------------------------------------------------------------------------


async def _ballot(
    session: AsyncSession, actor: Employee | None, session_id: int, *, lock: bool
) -> tuple[CalibrationSession, CalibrationVote]:
    calibration = (
        await calibration_db.by_id_for_update(session, session_id)
        if lock
        else await calibration_db.by_id(session, session_id)
    )
    if calibration is None:
        raise NotFound("calibration-error-missing", id=session_id)
    ballot = next(
        (vote for vote in calibration.votes if actor is not None and vote.employee_id == actor.id),
        None,
    )
    if actor is None or not actor.active or ballot is None:
        raise Forbidden("calibration-error-not-participant", id=session_id)
    if ballot.voted_at is not None:
        raise AlreadyDone("calibration-error-voted", id=session_id)
    if not calibration.is_open:
        raise AlreadyDone("calibration-error-closed", id=session_id)
    return calibration, ballot


async def check_can_vote(
    session: AsyncSession, actor: Employee | None, session_id: int
) -> CalibrationSession:
    """Before the vote dialog opens: a participant who has not voted, the session open."""
    calibration, _ = await _ballot(session, actor, session_id, lock=False)
    return calibration


async def get(session: AsyncSession, session_id: int) -> CalibrationSession | None:
    return await calibration_db.by_id(session, session_id)


async def vote(
    session: AsyncSession,
    actor: Employee | None,
    session_id: int,
    *,
    verdict: CalibrationVerdict,
    score: int,
    comment: str,
    settings: Settings,
    texts: Texts,
) -> CalibrationSession:
    """Record the participant's one vote; the last one closes the session."""
    if not 0 <= score <= 100:
        raise Invalid("calibration-error-score")
    comment = clean_comment(comment)
    async with write_transaction(session):
        calibration, ballot = await _ballot(session, actor, session_id, lock=True)
        ballot.verdict = verdict
        ballot.score = score
        ballot.comment = comment or None
        ballot.voted_at = datetime.now(UTC)
        audit.record(
            session,
            actor_id=ballot.employee_id,
            entity="calibration",
            entity_id=calibration.id,
            action="vote",
        )
        if all(vote.voted_at is not None for vote in calibration.votes):
            await close(session, calibration, settings=settings, texts=texts)
    return calibration


# --- the result -------------------------------------------------------------------------------


def spread(votes: Sequence[CalibrationVote]) -> int | None:
    scores = [vote.score for vote in votes if vote.score is not None]
    return max(scores) - min(scores) if scores else None


def disagreement(votes: Sequence[CalibrationVote], threshold: int) -> bool:
    """The scores spread more than `threshold` points, or the verdicts differ."""
    cast = [vote for vote in votes if vote.voted_at is not None]
    points = spread(cast)
    return (points is not None and points > threshold) or len({v.verdict for v in cast}) > 1


async def close(
    session: AsyncSession,
    calibration: CalibrationSession,
    *,
    settings: Settings,
    texts: Texts,
) -> None:
    """Close the session and post its result to the CS group (in the caller's transaction)."""
    cast = [vote for vote in calibration.votes if vote.voted_at is not None]
    calibration.state = CalibrationState.CLOSED
    calibration.closed_at = datetime.now(UTC)
    calibration.spread = spread(cast)
    calibration.flagged = disagreement(cast, settings.calibration_spread)
    await reminders.cancel(session, subject_of(calibration.id), KINDS)
    if settings.cs_chat_id is not None:
        notify.send_message(
            session,
            settings.cs_chat_id,
            result_text(calibration, texts),
            thread_id=settings.cs_cases_thread_id,
            subject=f"{subject_of(calibration.id)}:result",
        )


def result_text(calibration: CalibrationSession, texts: Texts) -> str:
    """The votes side by side, the spread, the flag and who did not vote (safe HTML)."""
    cast = [vote for vote in calibration.votes if vote.voted_at is not None]
    missing = [vote.employee.full_name for vote in calibration.votes if vote.voted_at is None]
    lines = [
        texts(
            "calibration-result-vote",
            name=vote.employee.full_name,
            verdict=texts(VERDICT_KEYS[CalibrationVerdict(str(vote.verdict))]),
            score=vote.score,
            comment=vote.comment or texts("calibration-no-comment"),
        )
        for vote in cast
    ]
    return texts(
        "calibration-result",
        id=calibration.id,
        subject=Html(describe(calibration, texts)),
        votes=Html("\n".join(lines) if lines else texts("calibration-result-no-votes")),
        spread=texts("calibration-spread-none")
        if calibration.spread is None
        else str(calibration.spread),
        flag=Html(texts("calibration-flag") if calibration.flagged else ""),
        missing=Html(texts("calibration-missing", names=", ".join(missing)) if missing else ""),
    )


async def past_sessions(
    session: AsyncSession, actor: Employee | None
) -> Sequence[CalibrationSession]:
    """The closed sessions, newest first (CS only)."""
    require_role(actor, Role.CS, key="calibration-error-cs-only")
    return await calibration_db.closed_newest_first(session, LIST_SIZE)


def list_text(found: Sequence[CalibrationSession], texts: Texts) -> str:
    if not found:
        return texts("calibration-list-empty")
    lines = [
        texts(
            "calibration-list-item",
            id=item.id,
            date=item.closed_at or item.deadline_at,
            subject=Html(describe(item, texts)),
            spread=texts("calibration-spread-none") if item.spread is None else str(item.spread),
            flag=Html(texts("calibration-flag-short") if item.flagged else ""),
        )
        for item in found
    ]
    return texts("calibration-list", items=Html("\n".join(lines)))


# --- reminders --------------------------------------------------------------------------------


def register_reminders(
    registry: reminders.ReminderRegistry, settings: Settings, texts: Texts
) -> None:
    async def open_session(session: AsyncSession, payload: dict[str, Any]) -> Any:
        calibration = await calibration_db.by_id_for_update(session, int(payload["session_id"]))
        if calibration is None or not calibration.is_open:
            return None
        return calibration

    async def remind(session: AsyncSession, reminder: Any) -> None:
        calibration = await open_session(session, reminder.payload)
        if calibration is None:
            return
        text = texts("calibration-reminder", id=calibration.id, deadline=calibration.deadline_at)
        for ballot in calibration.votes:
            if ballot.voted_at is not None or ballot.employee.telegram_id is None:
                continue
            notify.send_message(
                session,
                ballot.employee.telegram_id,
                text,
                keyboard=vote_keyboard(calibration.id, texts),
                subject=f"{subject_of(calibration.id)}:reminder:{ballot.employee_id}",
            )

    async def close_at_deadline(session: AsyncSession, reminder: Any) -> None:
        calibration = await open_session(session, reminder.payload)
        if calibration is not None:
            await close(session, calibration, settings=settings, texts=texts)

    registry.register(REMIND, remind)
    registry.register(CLOSE, close_at_deadline)
