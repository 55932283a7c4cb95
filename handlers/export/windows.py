"""The windows of the /export dialog: the period as a button, or «Свой период» (the first
and the last day from the calendar, or both typed)."""

from __future__ import annotations

from typing import Any

from aiogram.fsm.state import State
from aiogram_dialog import Window
from aiogram_dialog.widgets.kbd import Button, Group, Row, SwitchTo
from aiogram_dialog.widgets.text import Format

from bot.conversation import Dialog
from bot.dialog_widgets import RuCalendar, T, cancel_dialog, choices, hint, text_input
from bot.services import export
from handlers.export import getters
from handlers.export import handlers as on
from handlers.export.states import ExportSG

PROMPT = Format("{prompt}")
CANCEL = Button(T("btn-cancel"), id="cancel", on_click=cancel_dialog)


def day_step(
    calendar_id: str, on_click: Any, *, back_to: State, getter: Any, state: State
) -> Window:
    """The first or the last day: from the calendar, or both days typed, 01.10.2026–31.10.2026."""
    return Window(
        PROMPT,
        RuCalendar(id=calendar_id, on_click=on_click),
        text_input("in_period", export.parse_period, on.typed, "export-error-period"),
        hint("export-text-only"),
        Row(SwitchTo(T("btn-back"), id="back", state=back_to), CANCEL),
        getter=getter,
        state=state,
    )


export_dialog = Dialog(
    Window(
        PROMPT,
        Group(choices("preset", "presets", on.preset), width=2),
        SwitchTo(T("export-period-custom"), id="custom", state=ExportSG.start),
        hint("export-choose-button"),
        CANCEL,
        getter=getters.period_getter,
        state=ExportSG.period,
    ),
    day_step(
        "start_day",
        on.start_picked,
        back_to=ExportSG.period,
        getter=getters.start_getter,
        state=ExportSG.start,
    ),
    day_step(
        "end_day",
        on.end_picked,
        back_to=ExportSG.start,
        getter=getters.end_getter,
        state=ExportSG.end,
    ),
)
