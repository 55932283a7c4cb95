"""What each window of the meeting booking dialog shows. aiogram-dialog passes the
middleware data (texts, session, employee, settings) to a getter as keyword arguments."""

from __future__ import annotations

from typing import Any

from aiogram_dialog import DialogManager
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import meetings
from bot.services.errors import ServiceError
from bot.settings import Settings
from bot.texts import Texts
from db.models import Employee, MeetingInvite, MeetingState
from handlers.meetings.handlers import free_slots, invite_id, meeting_time, picked_day


async def _invite(
    manager: DialogManager, session: AsyncSession, employee: Employee | None
) -> MeetingInvite | None:
    """The invitation, if the user may still book it (else None; a button then closes)."""
    try:
        return await meetings.check_invite(session, employee, invite_id(manager))
    except ServiceError:
        return None


async def day_getter(
    dialog_manager: DialogManager,
    session: AsyncSession,
    employee: Employee | None,
    texts: Texts,
    settings: Settings,
    **_: Any,
) -> dict[str, Any]:
    invite = await _invite(dialog_manager, session, employee)
    groups = meetings.groups_text(texts, invite.groups) if invite else ""
    text = texts("meeting-ask-date", groups=groups, days=meetings.BOOK_DAYS)
    if invite is not None and invite.state == MeetingState.BOOKED and invite.meeting_at:
        local = invite.meeting_at.astimezone(settings.tz)
        text += "\n\n" + texts("meeting-current", date=texts.date(local), time=f"{local:%H:%M}")
    return {"text": text}


async def slot_getter(dialog_manager: DialogManager, texts: Texts, **_: Any) -> dict[str, Any]:
    day = picked_day(dialog_manager)
    free = await free_slots(dialog_manager, day)
    text = texts("meeting-ask-time", date=day)
    if not free:
        text += "\n\n" + texts("meeting-no-slots", date=day)
    return {"text": text, "slots": [(f"{slot:%H%M}", f"{slot:%H:%M}") for slot in free]}


async def review_getter(
    dialog_manager: DialogManager,
    session: AsyncSession,
    employee: Employee | None,
    texts: Texts,
    **_: Any,
) -> dict[str, Any]:
    invite = await _invite(dialog_manager, session, employee)
    when = meeting_time(dialog_manager)
    return {
        "text": texts(
            "meeting-review",
            date=texts.date(when),
            time=f"{when:%H:%M}",
            groups=meetings.groups_text(texts, invite.groups) if invite else "",
        )
    }
