"""The windows of the /links dialog: the list, a link's card (edit a field, delete), and the
steps of a new link (title, address, note) to a review."""

from __future__ import annotations

from typing import Any

from aiogram.fsm.state import State
from aiogram_dialog import Window
from aiogram_dialog.widgets.input import TextInput
from aiogram_dialog.widgets.kbd import Button, Cancel, Row, ScrollingGroup, SwitchTo
from aiogram_dialog.widgets.text import Format

from bot.conversation import Dialog
from bot.dialog_widgets import T, choices, db_id, hint, text_input, wrong_text
from bot.services.links import LinkField
from handlers.links import getters
from handlers.links import handlers as on
from handlers.links.states import LinksSG

TEXT_ONLY = "links-error-text-only"
ASK = Format("{ask}")


def text_step(field: LinkField, next_state: State) -> list[Any]:
    return [
        text_input(
            f"in_{field.value}", on.clean(field), on.draft_step(field, next_state), TEXT_ONLY
        ),
        hint(TEXT_ONLY),
    ]


def cancel_add(widget_id: str) -> SwitchTo:
    return SwitchTo(T("btn-cancel"), id=widget_id, state=LinksSG.browse)


def review_edit(label: str, widget_id: str, state: State) -> SwitchTo:
    return SwitchTo(T(label), id=widget_id, state=state, on_click=on.mark_reviewing)


links_dialog = Dialog(
    Window(
        Format("{text}"),
        ScrollingGroup(
            choices("link", "items", on.pick_link, type_factory=db_id),
            id="links_page",
            width=1,
            height=8,
            hide_on_single_page=True,
        ),
        SwitchTo(T("btn-links-add"), id="add", state=LinksSG.add_title, on_click=on.start_add),
        Cancel(T("btn-close")),
        getter=getters.browse_getter,
        state=LinksSG.browse,
    ),
    Window(
        Format("{text}"),
        Button(T("btn-links-edit-title"), id="e_title", on_click=on.edit_field(LinkField.TITLE)),
        Button(T("btn-links-edit-url"), id="e_url", on_click=on.edit_field(LinkField.URL)),
        Button(T("btn-links-edit-note"), id="e_note", on_click=on.edit_field(LinkField.NOTE)),
        SwitchTo(T("btn-links-delete"), id="del", state=LinksSG.confirm_delete),
        SwitchTo(T("btn-back"), id="to_list", state=LinksSG.browse),
        getter=getters.card_getter,
        state=LinksSG.card,
    ),
    Window(
        ASK,
        TextInput(id="in_value", on_success=on.save_field, on_error=wrong_text(TEXT_ONLY)),
        hint(TEXT_ONLY),
        SwitchTo(T("btn-back"), id="edit_back", state=LinksSG.card),
        getter=getters.edit_getter,
        state=LinksSG.edit,
    ),
    Window(
        Format("{confirm}"),
        Row(
            Button(T("btn-links-delete-yes"), id="del_yes", on_click=on.delete_link),
            SwitchTo(T("btn-back"), id="del_no", state=LinksSG.card),
        ),
        getter=getters.confirm_delete_getter,
        state=LinksSG.confirm_delete,
    ),
    Window(
        ASK,
        *text_step(LinkField.TITLE, LinksSG.add_url),
        cancel_add("add_cancel1"),
        getter=getters.ask_title_getter,
        state=LinksSG.add_title,
    ),
    Window(
        ASK,
        *text_step(LinkField.URL, LinksSG.add_note),
        cancel_add("add_cancel2"),
        getter=getters.ask_url_getter,
        state=LinksSG.add_url,
    ),
    Window(
        ASK,
        *text_step(LinkField.NOTE, LinksSG.review),
        Button(T("btn-skip"), id="skip_note", on_click=on.skip_note),
        cancel_add("add_cancel3"),
        getter=getters.ask_note_getter,
        state=LinksSG.add_note,
    ),
    Window(
        Format("{review}"),
        review_edit("btn-links-edit-title", "r_title", LinksSG.add_title),
        review_edit("btn-links-edit-url", "r_url", LinksSG.add_url),
        review_edit("btn-links-edit-note", "r_note", LinksSG.add_note),
        Row(
            Button(T("btn-save"), id="save", on_click=on.save_new),
            cancel_add("review_cancel"),
        ),
        getter=getters.review_getter,
        state=LinksSG.review,
    ),
)
