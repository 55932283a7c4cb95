"""The windows of the /case dialog: tab, category, source, the incident date, the summary,
the link, the files, and the review with «Изменить …» per field and «Опубликовать»."""

from __future__ import annotations

from typing import Any

from aiogram.fsm.state import State
from aiogram_dialog import Window
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button, Group, Row
from aiogram_dialog.widgets.text import Format

from bot.conversation import Dialog
from bot.dialog_widgets import RuCalendar, T, cancel_dialog, choices, hint, text_input
from bot.services import cases
from handlers.case_new import getters
from handlers.case_new import handlers as on
from handlers.case_new.handlers import flow, navigation, person
from handlers.case_new.states import CaseNewSG

PROMPT = Format("{prompt}")


def choice_step(
    field: str, state: State, previous: State | None, next_state: State, getter: Any
) -> Window:
    return Window(
        PROMPT,
        Group(choices(f"pick_{field}", "choices", on.choose(field, next_state)), width=1),
        hint("case-new-choose-button"),
        navigation(previous),
        getter=getter,
        state=state,
    )


case_new_dialog = Dialog(
    choice_step("tab", CaseNewSG.tab, None, CaseNewSG.category, getters.tab_getter),
    choice_step(
        "category", CaseNewSG.category, CaseNewSG.tab, CaseNewSG.source, getters.category_getter
    ),
    choice_step(
        "source",
        CaseNewSG.source,
        CaseNewSG.category,
        CaseNewSG.incident_date,
        getters.source_getter,
    ),
    Window(
        PROMPT,
        RuCalendar(id="incident_date", on_click=on.date_picked, past_only=True),
        hint("case-new-choose-date"),
        navigation(CaseNewSG.source),
        getter=getters.date_getter,
        state=CaseNewSG.incident_date,
    ),
    Window(
        PROMPT,
        text_input(
            "in_summary",
            cases.clean_summary,
            flow.saved_text("summary", CaseNewSG.link),
            "case-error-text-only",
        ),
        hint("case-new-summary-text-only"),
        navigation(CaseNewSG.incident_date),
        getter=getters.summary_getter,
        state=CaseNewSG.summary,
    ),
    Window(
        PROMPT,
        text_input(
            "in_link",
            cases.clean_link,
            flow.saved_text("link", CaseNewSG.attachments),
            "case-error-text-only",
        ),
        hint("case-new-link-text-only"),
        Button(T("btn-skip"), id="skip_link", on_click=on.skip_link),
        navigation(CaseNewSG.summary),
        getter=getters.link_getter,
        state=CaseNewSG.link,
    ),
    Window(
        PROMPT,
        MessageInput(on.file_added, content_types=on.FILE_TYPES),
        hint("case-new-attachments-text-only"),
        Button(T("case-new-btn-done"), id="files_done", on_click=on.files_done),
        Button(
            T("case-new-btn-clear"), id="files_clear", on_click=on.clear_files, when="has_files"
        ),
        navigation(CaseNewSG.link),
        getter=getters.attachments_getter,
        state=CaseNewSG.attachments,
    ),
    Window(
        Format("{text}"),
        Row(
            Button(T("case-new-btn-edit-manager"), id="edit_manager", on_click=person.edit),
            flow.edit("tab", "case-new-btn-edit-tab", CaseNewSG.tab),
        ),
        Row(
            flow.edit("category", "case-new-btn-edit-category", CaseNewSG.category),
            flow.edit("source", "case-new-btn-edit-source", CaseNewSG.source),
        ),
        Row(
            flow.edit("date", "case-new-btn-edit-date", CaseNewSG.incident_date),
            flow.edit("summary", "case-new-btn-edit-summary", CaseNewSG.summary),
        ),
        Row(
            flow.edit("link", "case-new-btn-edit-link", CaseNewSG.link),
            flow.edit("attachments", "case-new-btn-edit-attachments", CaseNewSG.attachments),
        ),
        Button(T("case-new-btn-publish"), id="publish", on_click=on.publish),
        Button(T("btn-cancel"), id="cancel", on_click=cancel_dialog),
        getter=getters.review_getter,
        state=CaseNewSG.review,
    ),
    on_start=on.begin,
    on_process_result=person.picked,
)
