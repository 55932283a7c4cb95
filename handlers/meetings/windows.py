"""The windows of the booking dialog: a working day, a free slot of it, a confirmation."""

from __future__ import annotations

from aiogram_dialog import Window
from aiogram_dialog.widgets.kbd import Button, Group, Row, SwitchTo
from aiogram_dialog.widgets.text import Format

from bot.conversation import Dialog
from bot.dialog_widgets import RuCalendar, T, choices, hint
from handlers.meetings import getters
from handlers.meetings import handlers as on
from handlers.meetings.states import MeetingSG

TEXT = Format("{text}")
USE_BUTTONS = "meeting-use-buttons"
CANCEL = Button(T("meeting-cancel-button"), id="cancel", on_click=on.cancel)
CHANGE_DAY = SwitchTo(T("meeting-change-date-button"), id="change_day", state=MeetingSG.day)

meeting_dialog = Dialog(
    Window(
        TEXT,
        RuCalendar(id="meeting_day", on_click=on.day_picked, unavailable=on.day_refusal),
        hint(USE_BUTTONS),
        CANCEL,
        getter=getters.day_getter,
        state=MeetingSG.day,
    ),
    Window(
        TEXT,
        Group(choices("meeting_slot", "slots", on.slot_picked), width=4),
        hint(USE_BUTTONS),
        Row(CHANGE_DAY, CANCEL),
        getter=getters.slot_getter,
        state=MeetingSG.slot,
    ),
    Window(
        TEXT,
        Button(T("meeting-confirm-button"), id="confirm", on_click=on.confirm),
        Row(CHANGE_DAY, CANCEL),
        hint(USE_BUTTONS),
        getter=getters.review_getter,
        state=MeetingSG.review,
    ),
)
