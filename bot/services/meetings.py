"""Meetings with the leads of the flagged groups (DESIGN §6).

When a month's digest is posted, `invite_leads` (called inside the digest's write
transaction) records one `MeetingInvite` per month and lead, sends the lead «Записаться на
встречу» through the outbox and schedules the «not booked yet» reminders: the first
`MEETING_BOOK_WITHIN` after the invitation, then every `MEETING_REMIND_EVERY`,
`MEETING_REMINDERS` in all. Their subject is `meeting:<id>`: booking cancels them, and the
renderer stays silent for an invitation that is no longer waiting.

`book` checks everything on the server — the actor is the invitation's lead, the invitation
is open, the time is one of `MEETING_SLOTS` on a working day (the production calendar,
`bot.services.workdays`) in the next `BOOK_DAYS` days and still ahead, the slot is free
(the unique `meeting_at` settles two bookings at once) — stores the time in UTC and tells
CS in the group.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from aiogram.types import InlineKeyboardMarkup
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards
from bot.services import months, notify, reminders, workdays
from bot.services.errors import AlreadyDone, Forbidden, Invalid, NotFound
from bot.settings import Settings
from bot.texts import Html, Texts, quote
from db import audit
from db import employees as employees_db
from db import meetings as meetings_db
from db.engine import write_transaction
from db.models import Employee, MeetingInvite, MeetingState, Role

# The reminder kind of an invitation not booked yet.
NOT_BOOKED = "meeting_not_booked"
# How far ahead a meeting can be booked (days from today, in TIMEZONE).
BOOK_DAYS = 30
ENTITY = "meeting_invite"
# How much of a message the names of a lead's groups may take: Fluent refuses a placeable
# longer than 1,000 characters, and a lead of many flagged groups (names of up to 200
# characters from the roster) would make the invitation fail, and the digest with it.
GROUPS_TEXT_LIMIT = 900


def subject(invite_id: int) -> str:
    return f"meeting:{invite_id}"


# --- invitations (called by the digest) -----------------------------------------------------


async def invite_leads(
    session: AsyncSession,
    *,
    month: date,
    group_ids: Sequence[int],
    settings: Settings,
    texts: Texts,
) -> list[MeetingInvite]:
    """Invite the active leads of the flagged groups `group_ids` for `month`.

    Runs inside the caller's write transaction (it neither commits nor begins one). One
    invitation per month and lead: an existing one is kept (its groups gain the newly
    flagged ones) and sends nothing again; a new one sends the lead the invitation (if he
    has a Telegram id) and schedules its reminders. Returns the invitations of all these
    leads, new and kept, in the order of the leads' names.
    """
    month = months.first_day(month)
    # Two queries and one flush for any number of leads: the digest may flag all groups,
    # and this runs inside its write transaction (holding SQLite's write lock).
    flagged: dict[int, tuple[Employee, list[str]]] = {}
    for lead, group_name in await meetings_db.leads_of_groups(session, group_ids):
        names = flagged.setdefault(lead.id, (lead, []))[1]
        if group_name not in names:
            names.append(group_name)
    existing = {invite.lead_id: invite for invite in await meetings_db.of_month(session, month)}
    now = datetime.now(UTC)
    invites: list[MeetingInvite] = []
    created: list[MeetingInvite] = []
    for lead, names in sorted(flagged.values(), key=lambda item: (item[0].full_name, item[0].id)):
        invite = existing.get(lead.id)
        if invite is not None:
            merged = list(invite.groups) + [name for name in names if name not in invite.groups]
            if merged != list(invite.groups):
                invite.groups = merged
            invites.append(invite)
            continue
        invite = MeetingInvite(
            month=month,
            lead_id=lead.id,
            lead=lead,
            groups=names,
            state=MeetingState.INVITED,
            invited_at=now,
        )
        created.append(invite)
        invites.append(invite)
    session.add_all(created)
    await session.flush()
    for invite in created:
        audit.record(
            session,
            actor_id=None,
            entity=ENTITY,
            entity_id=invite.id,
            action="invite",
            to_state=MeetingState.INVITED,
            comment=", ".join(invite.groups),
        )
        if invite.lead.telegram_id is not None:
            notify.send_message(
                session,
                invite.lead.telegram_id,
                invitation_text(texts, invite),
                keyboard=book_keyboard(texts, invite.id),
                subject=f"{subject(invite.id)}:invite",
            )
        _schedule_reminders(session, invite, settings)
    return invites


def _schedule_reminders(session: AsyncSession, invite: MeetingInvite, settings: Settings) -> None:
    due = invite.invited_at + settings.meeting_book_within
    for _ in range(settings.meeting_reminders):
        reminders.schedule(
            session,
            kind=NOT_BOOKED,
            due_at=due,
            subject=subject(invite.id),
            payload={"invite_id": invite.id},
        )
        due += settings.meeting_remind_every


def groups_text(texts: Texts, names: Sequence[str]) -> Html:
    """The group names, escaped and comma-separated, as many as fit `GROUPS_TEXT_LIMIT`;
    the rest counted («и ещё 12»)."""
    shown: list[str] = []
    size = 0
    for index, name in enumerate(names):
        piece = quote(name)
        if len(piece) > GROUPS_TEXT_LIMIT:  # a name of «&»s: cut before escaping
            piece = quote(name[: GROUPS_TEXT_LIMIT // 5]) + "…"
        rest = len(names) - index - 1
        more = len(texts("meeting-groups-more", count=rest)) + 1 if rest else 0
        if shown and size + 2 + len(piece) + more > GROUPS_TEXT_LIMIT:
            return Html(", ".join(shown) + " " + texts("meeting-groups-more", count=rest + 1))
        shown.append(piece)
        size += len(piece) + 2
    return Html(", ".join(shown))


def invitation_text(texts: Texts, invite: MeetingInvite) -> str:
    return texts(
        "meeting-invite",
        month=months.label(texts, invite.month),
        groups=groups_text(texts, invite.groups),
    )


def book_keyboard(texts: Texts, invite_id: int) -> InlineKeyboardMarkup:
    return keyboards.meeting_book(invite_id, texts)


# --- the rules of a booking -----------------------------------------------------------------


def local_now(settings: Settings) -> datetime:
    return datetime.now(UTC).astimezone(settings.tz)


def last_day(today: date) -> date:
    return today + timedelta(days=BOOK_DAYS)


def check_day(day: date, today: date) -> date:
    """A working day of the production calendar from `today` to `BOOK_DAYS` days ahead."""
    if day < today:
        raise Invalid("meeting-error-past")
    if not workdays.is_working_day(day):
        raise Invalid("meeting-error-weekend")
    if day > last_day(today):
        raise Invalid("meeting-error-far", last=last_day(today))
    return day


def slot_moment(day: date, slot: time, settings: Settings) -> datetime:
    """The slot `slot` of `day` in TIMEZONE, as a UTC instant."""
    return datetime.combine(day, slot, tzinfo=settings.tz).astimezone(UTC)


async def check_invite(
    session: AsyncSession, actor: Employee | None, invite_id: int, *, for_update: bool = False
) -> MeetingInvite:
    """The invitation, if `actor` is its lead and it is not cancelled (Forbidden, NotFound,
    AlreadyDone otherwise). The button only names the invitation; this is the proof.
    `for_update`: locked, inside the write transaction that books it."""
    find = meetings_db.by_id_for_update if for_update else meetings_db.by_id
    invite = await find(session, invite_id)
    if invite is None:
        raise NotFound("meeting-error-gone")
    if actor is None or actor.id != invite.lead_id:
        raise Forbidden("meeting-error-not-yours")
    if not actor.active or actor.role != Role.LEAD:
        raise Forbidden("meeting-error-not-lead")
    if invite.state == MeetingState.CANCELLED:
        raise AlreadyDone("meeting-error-cancelled")
    return invite


async def free_slots(
    session: AsyncSession,
    invite_id: int,
    day: date,
    *,
    settings: Settings,
    now: datetime | None = None,
) -> list[time]:
    """The slots of `day` a lead may still book: ahead of now, not booked by another lead."""
    moment = now or datetime.now(UTC)
    start = slot_moment(day, time(0, 0), settings)
    end = slot_moment(day + timedelta(days=1), time(0, 0), settings)
    taken = set(await meetings_db.booked_between(session, start, end, except_id=invite_id))
    return [
        slot
        for slot in settings.slots
        if (at := slot_moment(day, slot, settings)) > moment and at not in taken
    ]


async def full_days(
    session: AsyncSession,
    invite_id: int,
    today: date,
    *,
    settings: Settings,
    now: datetime | None = None,
) -> set[date]:
    """The working days a lead could pick from `today` on that have no free slot left, from
    one query over the whole booking window (the calendar mutes them)."""
    moment = now or datetime.now(UTC)
    start = slot_moment(today, time(0, 0), settings)
    end = slot_moment(last_day(today) + timedelta(days=1), time(0, 0), settings)
    taken = set(await meetings_db.booked_between(session, start, end, except_id=invite_id))
    full = set()
    day = today
    while day <= last_day(today):
        moments = [slot_moment(day, slot, settings) for slot in settings.slots]
        if all(at <= moment or at in taken for at in moments):
            full.add(day)
        day += timedelta(days=1)
    return full


async def check_free_slot(
    session: AsyncSession,
    invite_id: int,
    day: date,
    slot: time,
    *,
    settings: Settings,
    now: datetime | None = None,
) -> None:
    """A slot the lead picked from the window, still bookable; Invalid naming why not
    (not a slot, passed meanwhile, or taken by another lead)."""
    moment = now or datetime.now(UTC)
    if slot not in settings.slots:
        raise Invalid(
            "meeting-error-slot", slots=", ".join(f"{item:%H:%M}" for item in settings.slots)
        )
    if slot_moment(day, slot, settings) <= moment:
        raise Invalid("meeting-error-time-past")
    if slot not in await free_slots(session, invite_id, day, settings=settings, now=moment):
        raise Invalid("meeting-error-taken")


def check_slot(when_local: datetime, settings: Settings, now: datetime) -> datetime:
    """`when_local` (TIMEZONE; a naive one is taken as TIMEZONE) as a UTC instant, if it is a
    slot on a bookable day and still ahead."""
    if when_local.tzinfo is None:
        when_local = when_local.replace(tzinfo=settings.tz)
    local = when_local.astimezone(settings.tz)
    check_day(local.date(), now.astimezone(settings.tz).date())
    slot = local.time().replace(tzinfo=None)
    if slot not in settings.slots:
        raise Invalid(
            "meeting-error-slot", slots=", ".join(f"{item:%H:%M}" for item in settings.slots)
        )
    moment = local.astimezone(UTC)
    if moment <= now:
        raise Invalid("meeting-error-time-past")
    return moment


async def book(
    session: AsyncSession,
    actor: Employee | None,
    invite_id: int,
    when_local: datetime,
    *,
    settings: Settings,
    texts: Texts,
) -> MeetingInvite:
    """Book (or move) the meeting of invitation `invite_id` at `when_local`; CS is told."""
    now = datetime.now(UTC)
    moment = check_slot(when_local, settings, now)
    async with write_transaction(session):
        # Re-read under the write lock: the actor and the invitation may have changed.
        fresh = await employees_db.by_id(session, actor.id) if actor is not None else None
        invite = await check_invite(session, fresh, invite_id, for_update=True)
        previous = invite.meeting_at if invite.state == MeetingState.BOOKED else None
        if previous == moment:
            raise AlreadyDone("meeting-error-same", when=moment)
        holder = await meetings_db.taken_by(session, moment)
        if holder is not None and holder.id != invite.id:
            raise Invalid("meeting-error-taken")
        from_state = invite.state
        invite.meeting_at = moment
        invite.state = MeetingState.BOOKED
        # Taken under the write lock, not at the call: a reminder written while this booking
        # waited for the lock comes before it in booked_at's order too.
        invite.booked_at = datetime.now(UTC)
        try:
            await session.flush()
        except IntegrityError:
            # Another lead booked the same slot a moment ago (the unique meeting_at).
            raise Invalid("meeting-error-taken") from None
        await reminders.cancel(session, subject(invite.id))
        audit.record(
            session,
            actor_id=invite.lead_id,
            entity=ENTITY,
            entity_id=invite.id,
            action="move" if previous else "book",
            from_state=from_state,
            to_state=MeetingState.BOOKED,
            comment=texts.datetime(moment),
        )
        await _tell_cs(session, invite, previous, settings=settings, texts=texts)
    return invite


async def _tell_cs(
    session: AsyncSession,
    invite: MeetingInvite,
    previous: datetime | None,
    *,
    settings: Settings,
    texts: Texts,
) -> None:
    if settings.cs_chat_id is None:
        return
    assert invite.meeting_at is not None
    args: dict[str, Any] = {
        "lead": invite.lead.full_name,
        "date": texts.date(invite.meeting_at),
        "time": f"{invite.meeting_at.astimezone(settings.tz):%H:%M}",
        "groups": groups_text(texts, invite.groups),
        "month": months.label(texts, invite.month),
    }
    if previous is None:
        text = texts("meeting-booked-cs", **args)
    else:
        text = texts("meeting-moved-cs", previous=previous, **args)
    # A move is a reply to the booking it changes: CS reads the meeting's story in one place.
    await notify.reply_to_post(
        session,
        f"{subject(invite.id)}:cs",
        text,
        subject=f"{subject(invite.id)}:cs",
        chat_id=settings.cs_chat_id,
        thread_id=settings.cs_digest_thread_id or None,
    )


def booked_text(texts: Texts, invite: MeetingInvite, settings: Settings) -> str:
    """«Вы записаны на встречу 05.11.2026 в 11:00» for the lead."""
    assert invite.meeting_at is not None
    return texts(
        "meeting-booked",
        date=texts.date(invite.meeting_at),
        time=f"{invite.meeting_at.astimezone(settings.tz):%H:%M}",
    )


# --- reminders ------------------------------------------------------------------------------


def register_reminders(
    registry: reminders.ReminderRegistry, settings: Settings, texts: Texts
) -> None:
    """The renderer of «meeting not booked»: the invitation again, while it is waiting."""

    async def not_booked(session: AsyncSession, reminder: Any) -> None:
        invite = await meetings_db.by_id(session, int(reminder.payload["invite_id"]))
        if invite is None or invite.state != MeetingState.INVITED:
            return
        lead = invite.lead
        # Not to someone who may no longer book (check_invite would refuse his press).
        if not lead.active or lead.role != Role.LEAD or lead.telegram_id is None:
            return
        # A reply to the invitation, with its button.
        await notify.reply_to_post(
            session,
            f"{subject(invite.id)}:invite",
            texts("meeting-remind") + "\n\n" + invitation_text(texts, invite),
            keyboard=book_keyboard(texts, invite.id),
            subject=f"{subject(invite.id)}:reminder",
            chat_id=lead.telegram_id,
        )

    registry.register(NOT_BOOKED, not_booked)
