"""/export (CS): choose a period, get one XLSX with cases (and their history), appeals,
requests and results (an aiogram-dialog dialog).

The period is a button («Этот месяц» … «Всё время») or «Свой период»: the first and the
last day from the calendar, or both typed as 01.10.2026–31.10.2026. The file is sent as a
document in this chat, the one being answered.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from aiogram import F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram_dialog import ChatEvent, DialogManager, StartMode, Window
from aiogram_dialog.widgets.input import ManagedTextInput, TextInput
from aiogram_dialog.widgets.kbd import Button, Group, ManagedCalendar, Row, Select, SwitchTo
from aiogram_dialog.widgets.text import Format

from bot.conversation import Dialog
from bot.dialog_widgets import RuCalendar, T, cancel_dialog, checked, hint, services_of, wrong_text
from bot.filters import RoleFilter
from bot.services import export
from bot.services.errors import Forbidden, Invalid, ServiceError
from bot.settings import Settings
from bot.texts import Texts
from db.models import Employee, Role

log = logging.getLogger(__name__)
router = Router(name=__name__)
router.message.filter(RoleFilter(Role.CS), F.chat.type == "private")
router.callback_query.filter(RoleFilter(Role.CS))


_cancel = cancel_dialog


class ExportSG(StatesGroup):
    period = State()
    start = State()
    end = State()


@router.message(Command("export"), F.text.regexp(r"^/export(@\w+)?\s*$"))
async def open_export_dialog(
    message: Message, dialog_manager: DialogManager, employee: Employee | None, texts: Texts
) -> None:
    try:
        export.check_can_export(employee)
    except Forbidden as error:
        await message.answer(texts(error.key, **error.args_))
        return
    await dialog_manager.start(ExportSG.period, mode=StartMode.RESET_STACK)


# --- building and sending -------------------------------------------------------------------


async def _send(
    manager: DialogManager, chat_message: Message, status: Message | None, start: date, end: date
) -> None:
    """Close the dialog, then build the file and send it to this chat. `status` is the
    dialog's message (edited to say what happens), or None when the user typed the period."""
    session, employee, texts = services_of(manager)
    settings: Settings = manager.middleware_data["settings"]
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


async def _preset(query: CallbackQuery, widget: Any, manager: DialogManager, item_id: str) -> None:
    session, _, texts = services_of(manager)
    settings: Settings = manager.middleware_data["settings"]
    if item_id not in set(export.Preset) or not isinstance(query.message, Message):
        await query.answer(texts("error-stale-button"), show_alert=True)
        return
    start, end = await export.resolve(session, export.Preset(item_id), settings)
    await query.answer()
    await _send(manager, query.message, query.message, start, end)


async def _start_picked(
    event: ChatEvent, widget: ManagedCalendar, manager: DialogManager, picked: date, /
) -> None:
    manager.dialog_data["start"] = picked.isoformat()
    await manager.switch_to(ExportSG.end)


async def _end_picked(
    event: ChatEvent, widget: ManagedCalendar, manager: DialogManager, picked: date, /
) -> None:
    assert isinstance(event, CallbackQuery)
    _, _, texts = services_of(manager)
    start = date.fromisoformat(manager.dialog_data["start"])
    try:
        export.check_period(start, picked)
    except Invalid as error:
        await event.answer(texts(error.key, **error.args_), show_alert=True)
        return
    if not isinstance(event.message, Message):
        return
    await event.answer()
    await _send(manager, event.message, event.message, start, picked)


async def _typed(
    message: Message,
    widget: ManagedTextInput[tuple[date, date]],
    manager: DialogManager,
    period: tuple[date, date],
) -> None:
    await _send(manager, message, None, *period)


# --- the windows --------------------------------------------------------------------------


async def _prompts(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    _, _, texts = services_of(dialog_manager)
    start = dialog_manager.dialog_data.get("start")
    return {
        "period_prompt": texts("export-ask-period"),
        "presets": [(preset.value, texts(export.PRESET_KEYS[preset])) for preset in export.Preset],
        "start_prompt": texts("export-ask-start"),
        "end_prompt": texts("export-ask-end", start=date.fromisoformat(start)) if start else "",
    }


def _typed_input() -> list[Any]:
    return [
        TextInput(
            id="in_period",
            type_factory=checked(export.parse_period),
            on_success=_typed,
            on_error=wrong_text("export-error-period"),
        ),
        hint("export-text-only"),
    ]


_cancel_button = Button(T("btn-cancel"), id="cancel", on_click=_cancel)

export_dialog = Dialog(
    Window(
        Format("{period_prompt}"),
        Group(
            Select(
                Format("{item[1]}"),
                id="preset",
                item_id_getter=lambda item: item[0],
                items="presets",
                on_click=_preset,
            ),
            width=2,
        ),
        SwitchTo(T("export-period-custom"), id="custom", state=ExportSG.start),
        hint("export-choose-button"),
        _cancel_button,
        getter=_prompts,
        state=ExportSG.period,
    ),
    Window(
        Format("{start_prompt}"),
        RuCalendar(id="start_day", on_click=_start_picked),
        *_typed_input(),
        Row(SwitchTo(T("btn-back"), id="back", state=ExportSG.period), _cancel_button),
        getter=_prompts,
        state=ExportSG.start,
    ),
    Window(
        Format("{end_prompt}"),
        RuCalendar(id="end_day", on_click=_end_picked),
        *_typed_input(),
        Row(SwitchTo(T("btn-back"), id="back", state=ExportSG.start), _cancel_button),
        getter=_prompts,
        state=ExportSG.end,
    ),
)
router.include_router(export_dialog)
