"""Call analyses (DESIGN §7): CS posts an analysis of a manager's call to the CS group.

Every rule is checked here, inside a write transaction: CS only, the role of the call, the
text (at most `MAX_TEXT` characters, so the post stays under Telegram's 4,096), the link,
the file (audio, voice or document) and the manager, if one is named. The post and the file
(a reply to the post) go through the outbox.

The team's rhythm is one or two analyses a month: if none was posted in a calendar month (in
TIMEZONE) by the 20th, CS is reminded once. The reminder is a `Reminder` row with the
subject `analysis-month:YYYY-MM`, so a second run of the job (another day, a restart)
finds it and stays silent; the reminder sweep delivers it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import keyboards
from bot.callbacks import Shortcut
from bot.services import notify, reminders
from bot.services.errors import Invalid, NotFound
from bot.services.masking import mask_personal_data
from bot.services.roles import require_role
from bot.settings import Settings
from bot.texts import Texts, quote
from db import analyses as analyses_db
from db import audit
from db import employees as employees_db
from db.engine import lock_name, write_transaction
from db.models import CallAnalysis, CallRole, Employee, Role

MAX_TEXT = 3000
# A longer link would push a 3,000-character post past Telegram's 4,096.
MAX_LINK = 500
FILE_KINDS = {"audio": "sendAudio", "voice": "sendVoice", "document": "sendDocument"}
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.I)

# The monthly reminder: from the 20th at 10:00 (TIMEZONE) on, once per month.
REMIND_DAY = 20
REMIND_AT = time(10, 0)
MONTH_SUBJECT = "analysis-month:"

# The catalogue keys, spelled out so the catalogue test sees each one.
ROLE_KEYS: dict[CallRole, str] = {
    CallRole.FRONT: "analysis-role-front",
    CallRole.BACK: "analysis-role-back",
    CallRole.SHOWING: "analysis-role-showing",
    CallRole.SALES: "analysis-role-sales",
}
FILE_KEYS: dict[str, str] = {
    "audio": "analysis-file-audio",
    "voice": "analysis-file-voice",
    "document": "analysis-file-document",
}


@dataclass(frozen=True)
class FileDraft:
    kind: str
    file_id: str
    file_name: str = ""


@dataclass(frozen=True)
class AnalysisDraft:
    call_role: CallRole
    text: str
    manager_id: int | None = None
    link: str | None = None
    file: FileDraft | None = None


# --- validation of what users type ------------------------------------------------------


def clean_text(text: str) -> str:
    value = text.strip()
    if not value:
        raise Invalid("analysis-error-text-empty")
    if len(value) > MAX_TEXT:
        raise Invalid("analysis-error-text-long", max=MAX_TEXT, length=len(value))
    return value


def clean_link(text: str) -> str:
    value = text.strip()
    if len(value) > MAX_LINK or not _URL.match(value):
        raise Invalid("analysis-error-link", max=MAX_LINK)
    return value


def clean_role(value: str) -> CallRole:
    try:
        return CallRole(value)
    except ValueError:
        raise Invalid("analysis-error-role") from None


def check_file(file: FileDraft | None) -> FileDraft | None:
    if file is None:
        return None
    if file.kind not in FILE_KINDS or not file.file_id:
        raise Invalid("analysis-error-file")
    return file


def check_can_post(actor: Employee | None) -> Employee:
    """`actor`, if he may post analyses (CS); checked before the dialog asks anything."""
    return require_role(actor, Role.CS)


# --- posting --------------------------------------------------------------------------------


async def post(
    session: AsyncSession,
    actor: Employee | None,
    draft: AnalysisDraft,
    *,
    settings: Settings,
    texts: Texts,
) -> CallAnalysis:
    """Record the analysis and queue its post to the CS group, the file as a reply to it."""
    actor = check_can_post(actor)
    call_role = clean_role(draft.call_role)
    text = clean_text(draft.text)
    link = clean_link(draft.link) if draft.link else None
    file = check_file(draft.file)
    async with write_transaction(session):
        # Re-read under the write lock: the role may have changed since the dialog started.
        actor = check_can_post(await employees_db.by_id(session, actor.id))
        named: Employee | None = None
        if draft.manager_id is not None:
            named = await employees_db.by_id(session, draft.manager_id)
            if named is None or not named.active or named.role == Role.CS:
                raise NotFound("analysis-error-manager")
        now = datetime.now(UTC)
        analysis = CallAnalysis(
            author=actor,
            author_id=actor.id,
            call_role=call_role,
            manager=named,
            manager_id=named.id if named else None,
            text=text,
            link=link,
            file_kind=file.kind if file else None,
            file_id=file.file_id if file else None,
            file_name=file.file_name if file else "",
            created_at=now,
        )
        session.add(analysis)
        await session.flush()
        audit.record(
            session,
            actor_id=actor.id,
            entity="call_analysis",
            entity_id=analysis.id,
            action="post",
            comment=call_role,
        )
        _publish(session, analysis, settings=settings, texts=texts)
        # A reminder recorded for this month but not yet delivered has nothing to remind of.
        await reminders.cancel(session, month_subject(now.astimezone(settings.tz)))
    return analysis


def _publish(
    session: AsyncSession, analysis: CallAnalysis, *, settings: Settings, texts: Texts
) -> None:
    assert settings.cs_chat_id is not None
    subject = f"analysis:{analysis.id}"
    body = render_body(
        texts,
        call_role=analysis.call_role,
        manager=analysis.manager.full_name if analysis.manager else None,
        text=analysis.text,
        link=analysis.link,
    )
    post_row = notify.send_message(
        session,
        settings.cs_chat_id,
        texts(
            "analysis-post",
            id=analysis.id,
            author=analysis.author.full_name,
            date=analysis.created_at,
        )
        + "\n"
        + body,
        subject=f"{subject}:group",
    )
    if analysis.file_kind and analysis.file_id:
        notify.send_attachment(
            session,
            settings.cs_chat_id,
            method=FILE_KINDS[analysis.file_kind],
            file_id=analysis.file_id,
            reply_to=post_row,
            subject=f"{subject}:file",
        )


def render_body(
    texts: Texts,
    *,
    call_role: CallRole,
    manager: str | None,
    text: str,
    link: str | None,
) -> str:
    """The analysis as the group sees it (also the dialog's preview): safe HTML, with the
    clients' phones and e-mails masked.

    The text is escaped here rather than passed as a catalogue argument: Fluent refuses a
    placeable longer than 2,500 characters, and an analysis may have 3,000."""
    head = texts(
        "analysis-body",
        role=texts(ROLE_KEYS[call_role]),
        manager=manager or texts("analysis-no-manager"),
        link=link or texts("analysis-no-link"),
    )
    return f"{head}\n\n{quote(mask_personal_data(text))}"


# --- the monthly reminder -------------------------------------------------------------------


def month_subject(moment: datetime) -> str:
    """`analysis-month:YYYY-MM` of the month `moment` (a local time) falls in."""
    return f"{MONTH_SUBJECT}{moment:%Y-%m}"


def month_start(moment: datetime) -> datetime:
    """The first instant of the local month of `moment` (aware, in its own zone)."""
    return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def next_month_start(moment: datetime) -> datetime:
    start = month_start(moment)
    if start.month == 12:
        return start.replace(year=start.year + 1, month=1)
    return start.replace(month=start.month + 1)


def reminder_needed(local_now: datetime, *, posted: int, reminded: bool) -> bool:
    """The decision: from the 20th at 10:00 (local) on, with nothing posted this month and
    no reminder recorded for it yet."""
    due = local_now.replace(
        day=REMIND_DAY, hour=REMIND_AT.hour, minute=REMIND_AT.minute, second=0, microsecond=0
    )
    return local_now >= due and posted == 0 and not reminded


async def remind_if_quiet(
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    texts: Texts,
    now: datetime | None = None,
) -> bool:
    """Record this month's reminder to CS if it is needed; True if one was recorded."""
    if settings.cs_chat_id is None:
        return False
    local_now = (now or datetime.now(UTC)).astimezone(settings.tz)
    subject = month_subject(local_now)
    async with session_factory() as session, write_transaction(session):
        await lock_name(session, "analyses:reminder", subject)  # recorded once
        posted = await analyses_db.count_posted_between(
            session,
            month_start(local_now).astimezone(UTC),
            next_month_start(local_now).astimezone(UTC),
        )
        reminded = await analyses_db.reminder_recorded(session, subject)
        if not reminder_needed(local_now, posted=posted, reminded=reminded):
            return False
        reminders.schedule_notice(
            session,
            chat_id=settings.cs_chat_id,
            text=texts("analysis-reminder", month=f"{local_now:%m.%Y}"),
            due_at=local_now.astimezone(UTC),
            subject=subject,
            keyboard=keyboards.shortcut(Shortcut.ANALYSIS, texts("analysis-btn-open")),
        )
    return True


def schedule_monthly_reminder(
    scheduler: AsyncIOScheduler,
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    texts: Texts,
) -> None:
    """The cron job: at 10:00 on the 20th, and on each later day of the month as a catch-up
    (a bot that was down on the 20th reminds the next morning); the recorded reminder keeps
    it to one per month."""
    scheduler.add_job(
        remind_if_quiet,
        "cron",
        day=f"{REMIND_DAY}-31",  # a shorter month simply ends earlier
        hour=REMIND_AT.hour,
        minute=REMIND_AT.minute,
        timezone=settings.tz,
        kwargs={"session_factory": session_factory, "settings": settings, "texts": texts},
        id="analysis-monthly-reminder",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=3600,
    )
