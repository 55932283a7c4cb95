"""The picker's two windows: «write part of the name» and the people found, in pages."""

from __future__ import annotations

from aiogram_dialog import Window
from aiogram_dialog.widgets.input import TextInput
from aiogram_dialog.widgets.kbd import Button, Row, ScrollingGroup, Select
from aiogram_dialog.widgets.text import Format

from bot.conversation import Dialog
from bot.dialog_widgets import T, db_id, hint
from handlers.person_picker import getters
from handlers.person_picker import handlers as on
from handlers.person_picker.states import PersonPickSG


def _search_input() -> list[object]:
    return [TextInput(id="in_query", on_success=on.search), hint("picker-hint-text")]


def _buttons() -> list[object]:
    return [
        Button(T("picker-btn-keep"), id="keep", on_click=on.keep, when="keep"),
        Button(T("btn-skip"), id="skip", on_click=on.skip, when="skip"),
        Row(
            Button(T("btn-back"), id="back", on_click=on.back, when="back"),
            Button(T("btn-cancel"), id="cancel", on_click=on.cancel),
        ),
    ]


person_picker_dialog = Dialog(
    Window(
        Format("{text}"),
        *_search_input(),
        *_buttons(),
        getter=getters.search_getter,
        state=PersonPickSG.search,
    ),
    Window(
        Format("{text}"),
        ScrollingGroup(
            Select(
                Format("{item[1]}"),
                id="person",
                item_id_getter=lambda item: item[0],
                items="people",
                type_factory=db_id,
                on_click=on.pick,
            ),
            id=on.PAGES,
            width=1,
            height=8,
            hide_on_single_page=True,
        ),
        # Typing another part of the name here searches again.
        *_search_input(),
        *_buttons(),
        getter=getters.pick_getter,
        state=PersonPickSG.pick,
    ),
    getter=getters.buttons_getter,
    on_start=on.begin,
)
