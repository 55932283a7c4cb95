"""The windows of the /request dialogs, built from a few shapes every step shares: a prompt,
the earlier answer with «Дальше ▶», the input, a hint for input of the wrong type, and
«◀ Назад» · «Отмена»."""

from __future__ import annotations

from typing import Any

from aiogram.fsm.state import State
from aiogram_dialog import Window
from aiogram_dialog.widgets.input import TextInput
from aiogram_dialog.widgets.kbd import Button, Group, Row, Select, Url
from aiogram_dialog.widgets.text import Format, Text

from bot.conversation import Dialog
from bot.dialog_widgets import RuCalendar, T, cancel_dialog, checked, db_id, hint, wrong_text
from bot.services import requests
from handlers.requests import getters
from handlers.requests import handlers as on
from handlers.requests.states import BadgeSG, ForwardingSG, KindSG, StaffingSG

# The steps that open a kind: they show the kind's instruction link.
# (A lead's forwarding begins with its manager: the person picker, then the number.)
FIRST_STEPS = {ForwardingSG.from_number, StaffingSG.change, BadgeSG.item}

CANCEL = Button(T("btn-cancel"), id="cancel", on_click=cancel_dialog)
BACK = Button(T("btn-back"), id="back", on_click=on.back)
KEEP = Button(T("request-btn-keep"), id="keep", on_click=on.keep, when="answered")
LINK_HINT = Format("{link_hint}", when="link_hint")
LINK = Url(Format("{link_title}"), Format("{link_url}"), when="link_url")
CURRENT = Format("{current}", when="current")
PROMPT = Format("{prompt}")


def step(prompt: Text, *widgets: Any, state: State, hint_key: str, getter: Any = None) -> Window:
    """One step of a kind's dialog."""
    return Window(
        prompt,
        CURRENT,
        *widgets,
        hint(hint_key),
        KEEP,
        Row(BACK, CANCEL),
        state=state,
        getter=getter,
    )


def first_step(
    prompt: Text, *widgets: Any, state: State, hint_key: str, getter: Any = None
) -> Window:
    """A kind's first step: with the kind's instruction link."""
    getters_ = [getters.link_getter, *([getter] if getter else [])]
    return step(prompt, LINK_HINT, LINK, *widgets, state=state, hint_key=hint_key, getter=getters_)


def text_input(field: str, clean: Any, on_success: Any = None) -> TextInput[Any]:
    return TextInput(
        id=f"in_{field}",
        type_factory=checked(clean),
        on_success=on_success or on.save_text(field),
        on_error=wrong_text("request-hint-text"),
    )


def text_step(prompt: Text, field: str, clean: Any, *, state: State, **kwargs: Any) -> Window:
    return step(
        prompt, text_input(field, clean), state=state, hint_key="request-hint-text", **kwargs
    )


def choices(items: str, on_click: Any, *, numbers: bool = False) -> Group:
    """The options of a step, one a row (people are picked in the person picker)."""
    select = Select(
        Format("{item[1]}"),
        id=f"pick_{items}",
        item_id_getter=lambda item: item[0],
        items=items,
        type_factory=db_id if numbers else str,
        on_click=on_click,
    )
    return Group(select, width=1)


def choice_step(prompt: Text, *widgets: Any, state: State, **kwargs: Any) -> Window:
    return (first_step if state in FIRST_STEPS else step)(
        prompt, *widgets, state=state, hint_key="request-hint-button", **kwargs
    )


def calendar_step(prompt: Text, calendar: RuCalendar, *, state: State, **kwargs: Any) -> Window:
    return step(prompt, calendar, state=state, hint_key="request-hint-date", **kwargs)


def comment_step(state: State) -> Window:
    return step(
        PROMPT,
        text_input("comment", requests.clean_comment),
        Button(T("btn-skip"), id="skip_comment", on_click=on.skip_comment),
        state=state,
        hint_key="request-hint-text",
        getter=getters.comment_getter,
    )


def edit(field: str, state: State, when: str | None = None) -> Button:
    """«Изменить …» on the review: that step, then back to the review."""
    return Button(
        T("request-btn-edit-" + field), id=f"edit_{field}", on_click=on.edit(state), when=when
    )


def review(state: State, *edits: Button) -> Window:
    """The review of a kind: only its own fields can be changed."""
    return Window(
        Format("{review}"),
        Group(*edits, width=2),
        Button(T("request-btn-send"), id="send", on_click=on.send),
        hint("request-hint-button"),
        Row(BACK, CANCEL),
        state=state,
        getter=getters.review_getter,
    )


# --- the dialogs ------------------------------------------------------------------------------


def kind_dialog(*windows: Window) -> Dialog:
    """A kind's dialog: started by the choice with the draft so far, every step shows it."""
    return Dialog(
        *windows,
        on_start=on.begin,
        on_process_result=on.person_picked,
        getter=getters.step_getter,
    )


choice_dialog = Dialog(
    Window(
        PROMPT,
        choices("kinds", on.pick_kind),
        hint("request-hint-button"),
        CANCEL,
        state=KindSG.kind,
        getter=getters.kind_getter,
    ),
    on_start=on.choice_begins,
)

forwarding_dialog = kind_dialog(
    first_step(
        T("request-fw-ask-from"),
        text_input("from_number", requests.clean_phone),
        state=ForwardingSG.from_number,
        hint_key="request-hint-text",
    ),
    step(
        T("request-fw-ask-to"),
        text_input("to_number", requests.clean_phone, on.save_to_number),
        state=ForwardingSG.to_number,
        hint_key="request-hint-text",
    ),
    calendar_step(
        T("request-fw-ask-start"),
        RuCalendar(
            id="fw_start", on_click=on.save_date("date_from", on.start_day), future_only=True
        ),
        state=ForwardingSG.date_from,
    ),
    calendar_step(
        PROMPT,
        RuCalendar(
            id="fw_end",
            on_click=on.save_date("date_to", on.end_day),
            future_only=True,
            unavailable=on.before_start,
        ),
        state=ForwardingSG.date_to,
        getter=getters.end_getter,
    ),
    comment_step(ForwardingSG.comment),
    review(
        ForwardingSG.review,
        edit("manager", ForwardingSG.manager, when="lead"),
        edit("from", ForwardingSG.from_number),
        edit("to", ForwardingSG.to_number),
        edit("dates", ForwardingSG.date_from),
        edit("comment", ForwardingSG.comment),
    ),
)

staffing_dialog = kind_dialog(
    choice_step(
        T("request-st-ask-change"),
        choices("changes", on.pick_change),
        state=StaffingSG.change,
        getter=getters.changes_getter,
    ),
    choice_step(
        T("request-st-ask-group"),
        choices("groups", on.pick_group, numbers=True),
        state=StaffingSG.group,
        getter=getters.groups_getter,
    ),
    text_step(
        T("request-st-ask-name"), "full_name", requests.clean_name, state=StaffingSG.full_name
    ),
    calendar_step(
        T("request-st-ask-effective"),
        RuCalendar(id="st_effective", on_click=on.save_date("effective_date", on.any_day)),
        state=StaffingSG.effective,
    ),
    calendar_step(
        T("request-st-ask-attestation"),
        RuCalendar(
            id="st_attestation",
            on_click=on.save_date("attestation_date", on.attestation_day),
            past_only=True,
        ),
        state=StaffingSG.attestation,
    ),
    comment_step(StaffingSG.comment),
    review(
        StaffingSG.review,
        edit("change", StaffingSG.change),
        edit("group", StaffingSG.group),
        edit("name", StaffingSG.full_name, when="new"),
        edit("employee", StaffingSG.employee, when="other"),
        edit("effective", StaffingSG.effective),
        edit("attestation", StaffingSG.attestation, when="new"),
        edit("comment", StaffingSG.comment),
    ),
)

badge_dialog = kind_dialog(
    choice_step(
        T("request-bd-ask-item"),
        choices("items", on.save_choice("item")),
        state=BadgeSG.item,
        getter=getters.items_getter,
    ),
    text_step(
        PROMPT,
        "quantity",
        requests.clean_quantity,
        state=BadgeSG.quantity,
        getter=getters.quantity_getter,
    ),
    text_step(T("request-bd-ask-place"), "place", requests.clean_name, state=BadgeSG.place),
    text_step(
        T("request-bd-ask-recipient"), "recipient", requests.clean_name, state=BadgeSG.recipient
    ),
    comment_step(BadgeSG.comment),
    review(
        BadgeSG.review,
        edit("item", BadgeSG.item),
        edit("quantity", BadgeSG.quantity),
        edit("place", BadgeSG.place),
        edit("recipient", BadgeSG.recipient),
        edit("comment", BadgeSG.comment),
    ),
)
