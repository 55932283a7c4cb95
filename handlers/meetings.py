"""«Записаться на встречу»: a flagged lead books the meeting with CS in a short dialog.

Steps: a working day from the calendar, a free slot of that day, then a confirmation with
«Записаться» / «Изменить дату» / «Отмена». The button only names the invitation: the
service checks that the presser is its lead, and checks the day and the slot again when
booking (a slot may be taken meanwhile). A lead already booked sees his time and may move it.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time
from typing import Any

from aiogram import Router
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery
from aiogram_dialog import ChatEvent, DialogManager, ShowMode, StartMode, Window
from aiogram_dialog.widgets.kbd import Button, Group, ManagedCalendar, Row, Select, SwitchTo
from aiogram_dialog.widgets.text import Format
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import MeetingButton
from bot.conversation import Dialog
from bot.dialog_widgets import RuCalendar, T, close_dialog, hint, services_of
from bot.services import meetings
from bot.services.errors import Invalid, ServiceError
from bot.settings import Settings
from bot.texts import Texts
from db.models import Employee, MeetingInvite, MeetingState

log = logging.getLogger(__name__)
router = Router(name=__name__)
# Days without a free slot, computed once per update for the calendar (see _day_refusal).
FULL_DAYS = "meeting_full_days"


_close = close_dialog


class MeetingSG(StatesGroup):
    day = State()
    slot = State()
    review = State()


@router.callback_query(MeetingButton.filter())
async def meeting_button(
    query: CallbackQuery,
    callback_data: MeetingButton,
    session: AsyncSession,
    employee: Employee | None,
    texts: Texts,
    dialog_manager: DialogManager,
) -> None:
    try:
        invite = await meetings.check_invite(session, employee, callback_data.invite_id)
    except ServiceError as error:
        await query.answer(texts(error.key, **error.args_), show_alert=True)
        return
    # Opened beside the invitation, not on it: the invitation keeps its button (to move the
    # meeting later, and the reminders carry the same one).
    background = dialog_manager.bg(user_id=query.from_user.id, chat_id=query.from_user.id)
    await background.start(
        MeetingSG.day,
        data={"invite_id": invite.id},
        mode=StartMode.RESET_STACK,
        show_mode=ShowMode.SEND,
    )
    await query.answer()


# --- shared pieces --------------------------------------------------------------------------


def _invite_id(manager: DialogManager) -> int:
    data = manager.start_data
    assert isinstance(data, dict)
    return int(data["invite_id"])


def _settings(manager: DialogManager) -> Settings:
    settings: Settings = manager.middleware_data["settings"]
    return settings


async def _invite(manager: DialogManager) -> MeetingInvite | None:
    """The invitation, if the user may still book it (else None; the caller closes)."""
    session, employee, _ = services_of(manager)
    try:
        return await meetings.check_invite(session, employee, _invite_id(manager))
    except ServiceError:
        return None


async def _refuse_and_close(
    query: CallbackQuery, manager: DialogManager, error: ServiceError
) -> None:
    _, _, texts = services_of(manager)
    await query.answer(texts(error.key, **error.args_), show_alert=True)
    await _close(query, manager, texts(error.key, **error.args_))


async def _cancel(query: CallbackQuery, button: Button, manager: DialogManager) -> None:
    _, _, texts = services_of(manager)
    await _close(query, manager, texts("meeting-cancelled"))


def _picked_day(manager: DialogManager) -> date:
    return date.fromisoformat(manager.dialog_data["day"])


async def _free(manager: DialogManager, day: date) -> list[time]:
    session, _, _ = services_of(manager)
    return await meetings.free_slots(session, _invite_id(manager), day, settings=_settings(manager))


# --- step 1: the day ------------------------------------------------------------------------


async def _day_data(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    _, _, texts = services_of(dialog_manager)
    settings = _settings(dialog_manager)
    invite = await _invite(dialog_manager)
    groups = meetings.groups_text(texts, invite.groups) if invite else ""
    text = texts("meeting-ask-date", groups=groups, days=meetings.BOOK_DAYS)
    if invite is not None and invite.state == MeetingState.BOOKED and invite.meeting_at:
        local = invite.meeting_at.astimezone(settings.tz)
        text += "\n\n" + texts("meeting-current", date=texts.date(local), time=f"{local:%H:%M}")
    return {"text": text}


async def _day_refusal(day: date, manager: DialogManager) -> ServiceError | None:
    """Why the calendar mutes `day`: past, a weekend, too far, or no free slot left."""
    today = meetings.local_now(_settings(manager)).date()
    try:
        meetings.check_day(day, today)
    except Invalid as error:
        return error
    cache = manager.middleware_data.setdefault(FULL_DAYS, {})
    if today not in cache:  # one query per shown month, not one per day
        session, _, _ = services_of(manager)
        cache[today] = await meetings.full_days(
            session, _invite_id(manager), today, settings=_settings(manager)
        )
    return Invalid("meeting-no-slots", date=day) if day in cache[today] else None


async def _day_picked(
    event: ChatEvent, widget: ManagedCalendar, manager: DialogManager, picked: date, /
) -> None:
    assert isinstance(event, CallbackQuery)
    _, _, texts = services_of(manager)
    try:
        meetings.check_day(picked, meetings.local_now(_settings(manager)).date())
    except Invalid as error:
        await event.answer(texts(error.key, **error.args_), show_alert=True)
        return  # the calendar stays
    if not await _free(manager, picked):
        await event.answer(texts("meeting-no-slots", date=picked), show_alert=True)
        return
    manager.dialog_data["day"] = picked.isoformat()
    await manager.switch_to(MeetingSG.slot)


# --- step 2: the slot -----------------------------------------------------------------------


async def _slot_data(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    _, _, texts = services_of(dialog_manager)
    day = _picked_day(dialog_manager)
    free = await _free(dialog_manager, day)
    text = texts("meeting-ask-time", date=day)
    if not free:
        text += "\n\n" + texts("meeting-no-slots", date=day)
    return {"text": text, "slots": [(f"{slot:%H%M}", f"{slot:%H:%M}") for slot in free]}


async def _slot_picked(
    query: CallbackQuery, widget: Any, manager: DialogManager, value: str
) -> None:
    _, _, texts = services_of(manager)
    try:
        slot = time(int(value[:2]), int(value[2:]))
    except ValueError:
        return
    session, _, _ = services_of(manager)
    try:
        await meetings.check_free_slot(
            session, _invite_id(manager), _picked_day(manager), slot, settings=_settings(manager)
        )
    except Invalid as error:
        # Taken meanwhile or already past: the window shows the slots left.
        await query.answer(texts(error.key, **error.args_), show_alert=True)
        return
    manager.dialog_data["slot"] = f"{slot:%H:%M}"
    await manager.switch_to(MeetingSG.review)


# --- step 3: the confirmation ---------------------------------------------------------------


def _when(manager: DialogManager) -> datetime:
    slot = time.fromisoformat(manager.dialog_data["slot"])
    return datetime.combine(_picked_day(manager), slot, tzinfo=_settings(manager).tz)


async def _review_data(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    _, _, texts = services_of(dialog_manager)
    invite = await _invite(dialog_manager)
    when = _when(dialog_manager)
    return {
        "text": texts(
            "meeting-review",
            date=texts.date(when),
            time=f"{when:%H:%M}",
            groups=meetings.groups_text(texts, invite.groups) if invite else "",
        )
    }


async def _confirm(query: CallbackQuery, button: Button, manager: DialogManager) -> None:
    session, employee, texts = services_of(manager)
    settings = _settings(manager)
    try:
        invite = await meetings.book(
            session, employee, _invite_id(manager), _when(manager), settings=settings, texts=texts
        )
    except Invalid as error:
        await query.answer(texts(error.key, **error.args_), show_alert=True)
        # The slot was taken or has passed: choose again (the day may have no slot left).
        await manager.switch_to(
            MeetingSG.slot if error.key == "meeting-error-taken" else MeetingSG.day
        )
        return
    except ServiceError as error:
        await _refuse_and_close(query, manager, error)
        return
    await query.answer()
    await _close(query, manager, meetings.booked_text(texts, invite, settings))


# --- the windows ----------------------------------------------------------------------------


meeting_dialog = Dialog(
    Window(
        Format("{text}"),
        RuCalendar(id="meeting_day", on_click=_day_picked, unavailable=_day_refusal),
        hint("meeting-use-buttons"),
        Button(T("meeting-cancel-button"), id="cancel", on_click=_cancel),
        getter=_day_data,
        state=MeetingSG.day,
    ),
    Window(
        Format("{text}"),
        Group(
            Select(
                Format("{item[1]}"),
                id="meeting_slot",
                item_id_getter=lambda item: item[0],
                items="slots",
                on_click=_slot_picked,
            ),
            width=4,
        ),
        hint("meeting-use-buttons"),
        Row(
            SwitchTo(T("meeting-change-date-button"), id="change_day", state=MeetingSG.day),
            Button(T("meeting-cancel-button"), id="cancel", on_click=_cancel),
        ),
        getter=_slot_data,
        state=MeetingSG.slot,
    ),
    Window(
        Format("{text}"),
        Button(T("meeting-confirm-button"), id="confirm", on_click=_confirm),
        Row(
            SwitchTo(T("meeting-change-date-button"), id="change_day", state=MeetingSG.day),
            Button(T("meeting-cancel-button"), id="cancel", on_click=_cancel),
        ),
        hint("meeting-use-buttons"),
        getter=_review_data,
        state=MeetingSG.review,
    ),
)
router.include_router(meeting_dialog)
