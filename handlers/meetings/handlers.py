"""What the calendar, the slots and the buttons of the booking dialog do. The service
checks the day and the slot again when booking (a slot may be taken meanwhile)."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from aiogram.types import CallbackQuery
from aiogram_dialog import ChatEvent, DialogManager
from aiogram_dialog.widgets.kbd import Button, ManagedCalendar

from bot.dialog_widgets import close_dialog, employee_of, session_of, settings_of, texts_of
from bot.services import meetings
from bot.services.errors import Invalid, ServiceError
from handlers.meetings.states import MeetingSG

# Days without a free slot, computed once per update for the calendar (see day_refusal).
FULL_DAYS = "meeting_full_days"


def invite_id(manager: DialogManager) -> int:
    data = manager.start_data
    assert isinstance(data, dict)
    return int(data["invite_id"])


def picked_day(manager: DialogManager) -> date:
    return date.fromisoformat(manager.dialog_data["day"])


def meeting_time(manager: DialogManager) -> datetime:
    slot = time.fromisoformat(manager.dialog_data["slot"])
    return datetime.combine(picked_day(manager), slot, tzinfo=settings_of(manager).tz)


async def free_slots(manager: DialogManager, day: date) -> list[time]:
    return await meetings.free_slots(
        session_of(manager), invite_id(manager), day, settings=settings_of(manager)
    )


async def cancel(query: CallbackQuery, button: Button, manager: DialogManager) -> None:
    await close_dialog(query, manager, texts_of(manager)("meeting-cancelled"))


# --- step 1: the day ------------------------------------------------------------------------


async def day_refusal(day: date, manager: DialogManager) -> ServiceError | None:
    """Why the calendar mutes `day`: past, a weekend, too far, or no free slot left."""
    today = meetings.local_now(settings_of(manager)).date()
    try:
        meetings.check_day(day, today)
    except Invalid as error:
        return error
    cache = manager.middleware_data.setdefault(FULL_DAYS, {})
    if today not in cache:  # one query per shown month, not one per day
        cache[today] = await meetings.full_days(
            session_of(manager), invite_id(manager), today, settings=settings_of(manager)
        )
    return Invalid("meeting-no-slots", date=day) if day in cache[today] else None


async def day_picked(
    event: ChatEvent, widget: ManagedCalendar, manager: DialogManager, picked: date, /
) -> None:
    assert isinstance(event, CallbackQuery)
    texts = texts_of(manager)
    try:
        meetings.check_day(picked, meetings.local_now(settings_of(manager)).date())
    except Invalid as error:
        await event.answer(texts(error.key, **error.args_), show_alert=True)
        return  # the calendar stays
    if not await free_slots(manager, picked):
        await event.answer(texts("meeting-no-slots", date=picked), show_alert=True)
        return
    manager.dialog_data["day"] = picked.isoformat()
    await manager.switch_to(MeetingSG.slot)


# --- step 2: the slot -----------------------------------------------------------------------


async def slot_picked(
    query: CallbackQuery, widget: Any, manager: DialogManager, value: str
) -> None:
    try:
        slot = time(int(value[:2]), int(value[2:]))
    except ValueError:
        return
    try:
        await meetings.check_free_slot(
            session_of(manager),
            invite_id(manager),
            picked_day(manager),
            slot,
            settings=settings_of(manager),
        )
    except Invalid as error:
        # Taken meanwhile or already past: the window shows the slots left.
        await query.answer(texts_of(manager)(error.key, **error.args_), show_alert=True)
        return
    manager.dialog_data["slot"] = f"{slot:%H:%M}"
    await manager.switch_to(MeetingSG.review)


# --- step 3: the confirmation ---------------------------------------------------------------


async def confirm(query: CallbackQuery, button: Button, manager: DialogManager) -> None:
    texts, settings = texts_of(manager), settings_of(manager)
    try:
        invite = await meetings.book(
            session_of(manager),
            employee_of(manager),
            invite_id(manager),
            meeting_time(manager),
            settings=settings,
            texts=texts,
        )
    except Invalid as error:
        await query.answer(texts(error.key, **error.args_), show_alert=True)
        # The slot was taken or has passed: choose again (the day may have no slot left).
        await manager.switch_to(
            MeetingSG.slot if error.key == "meeting-error-taken" else MeetingSG.day
        )
        return
    except ServiceError as error:
        await query.answer(texts(error.key, **error.args_), show_alert=True)
        await close_dialog(query, manager, texts(error.key, **error.args_))
        return
    await query.answer()
    await close_dialog(query, manager, meetings.booked_text(texts, invite, settings))
