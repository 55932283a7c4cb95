"""What the buttons and inputs of the /export dialog do: a period chosen, the file built and
sent to this chat."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from aiogram.exceptions import TelegramAPIError
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram_dialog import ChatEvent, DialogManager
from aiogram_dialog.widgets.input import ManagedTextInput
from aiogram_dialog.widgets.kbd import ManagedCalendar

from bot.dialog_widgets import employee_of, session_of, settings_of, texts_of
from bot.services import export
from bot.services.errors import Invalid, ServiceError
from handlers.export.states import ExportSG

log = logging.getLogger(__name__)


async def send(
    manager: DialogManager, chat_message: Message, status: Message | None, start: date, end: date
) -> None:
    """Close the dialog, then build the file and send it to this chat. `status` is the
    dialog's message (edited to say what happens), or None when the user typed the period."""
    session, employee = session_of(manager), employee_of(manager)
    texts, settings = texts_of(manager), settings_of(manager)
    await manager.done()
    building = texts("export-building", start=start, end=end)
    try:
        if status is not None:
            await status.edit_text(building)
        else:
            status = await chat_message.answer(building)
    except TelegramAPIError as error:
        log.warning("export status not shown: %s", error)
    try:
        made = await export.build(session, employee, start, end, settings=settings, texts=texts)
    except ServiceError as error:
        await chat_message.answer(texts(error.key, **error.args_))
        return
    except Exception:
        # The dialog is closed and a pressed button already answered (the error handler's
        # answer would not show): without this CS would be left with «Собираю выгрузку…».
        log.exception("export %s..%s not built", start, end)
        await _replace(status, chat_message, texts("export-failed"))
        return
    try:
        await chat_message.answer_document(
            BufferedInputFile(made.data, filename=made.filename),
            caption=export.caption(made, texts),
        )
    except TelegramAPIError as error:  # a Telegram outage: the file did not arrive
        log.warning("export %s..%s not sent: %s", start, end, error)
        await _replace(status, chat_message, texts("export-failed"))
        return
    await _replace(status, None, texts("export-done", start=start, end=end))


async def _replace(status: Message | None, chat_message: Message | None, text: str) -> None:
    """The status message replaced by `text` (or, without one, `text` sent to the chat)."""
    try:
        if status is not None:
            await status.edit_text(text)
        elif chat_message is not None:
            await chat_message.answer(text)
    except TelegramAPIError as error:
        log.warning("export status not replaced: %s", error)


async def preset(query: CallbackQuery, widget: Any, manager: DialogManager, item_id: str) -> None:
    if item_id not in set(export.Preset) or not isinstance(query.message, Message):
        await query.answer(texts_of(manager)("error-stale-button"), show_alert=True)
        return
    start, end = await export.resolve(
        session_of(manager), export.Preset(item_id), settings_of(manager)
    )
    await query.answer()
    await send(manager, query.message, query.message, start, end)


async def start_picked(
    event: ChatEvent, widget: ManagedCalendar, manager: DialogManager, picked: date, /
) -> None:
    manager.dialog_data["start"] = picked.isoformat()
    await manager.switch_to(ExportSG.end)


async def end_picked(
    event: ChatEvent, widget: ManagedCalendar, manager: DialogManager, picked: date, /
) -> None:
    assert isinstance(event, CallbackQuery)
    start = date.fromisoformat(manager.dialog_data["start"])
    try:
        export.check_period(start, picked)
    except Invalid as error:
        await event.answer(texts_of(manager)(error.key, **error.args_), show_alert=True)
        return
    if not isinstance(event.message, Message):
        return
    await event.answer()
    await send(manager, event.message, event.message, start, picked)


async def typed(
    message: Message,
    widget: ManagedTextInput[tuple[date, date]],
    manager: DialogManager,
    period: tuple[date, date],
) -> None:
    await send(manager, message, None, *period)
