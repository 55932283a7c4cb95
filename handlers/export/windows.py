"""The windows of the /export dialog: the period as a button, or «Свой период» (the first
and the last day from the calendar, or both typed)."""

from __future__ import annotations

from typing import Any

from aiogram_dialog import Window
from aiogram_dialog.widgets.input import TextInput
from aiogram_dialog.widgets.kbd import Button, Group, Row, Select, SwitchTo
from aiogram_dialog.widgets.text import Format

from bot.conversation import Dialog
from bot.dialog_widgets import RuCalendar, T, cancel_dialog, checked, hint, wrong_text
from bot.services import export
from handlers.export import getters
from handlers.export import handlers as on
from handlers.export.states import ExportSG

PROMPT = Format("{prompt}")
CANCEL = Button(T("btn-cancel"), id="cancel", on_click=cancel_dialog)


def typed_period() -> list[Any]:
    """Both days typed, 01.10.2026–31.10.2026, on either calendar step."""
    return [
        TextInput(
            id="in_period",
            type_factory=checked(export.parse_period),
            on_success=on.typed,
            on_error=wrong_text("export-error-period"),
        ),
        hint("export-text-only"),
    ]


export_dialog = Dialog(
    Window(
        PROMPT,
        Group(
            Select(
                Format("{item[1]}"),
                id="preset",
                item_id_getter=lambda item: item[0],
                items="presets",
                on_click=on.preset,
            ),
            width=2,
        ),
        SwitchTo(T("export-period-custom"), id="custom", state=ExportSG.start),
        hint("export-choose-button"),
        CANCEL,
        getter=getters.period_getter,
        state=ExportSG.period,
    ),
    Window(
        PROMPT,
        RuCalendar(id="start_day", on_click=on.start_picked),
        *typed_period(),
        Row(SwitchTo(T("btn-back"), id="back", state=ExportSG.period), CANCEL),
        getter=getters.start_getter,
        state=ExportSG.start,
    ),
    Window(
        PROMPT,
        RuCalendar(id="end_day", on_click=on.end_picked),
        *typed_period(),
        Row(SwitchTo(T("btn-back"), id="back", state=ExportSG.start), CANCEL),
        getter=getters.end_getter,
        state=ExportSG.end,
    ),
)
