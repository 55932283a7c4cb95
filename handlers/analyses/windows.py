"""The windows of the /analysis dialog: the role, the text, a file, a link, and the preview
with «Изменить …» per field and «Опубликовать»."""

from __future__ import annotations

from aiogram_dialog import Window
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button, Group, Row
from aiogram_dialog.widgets.text import Format

from bot.conversation import Dialog
from bot.dialog_widgets import T, cancel_dialog, choices, hint, text_input
from bot.services import analyses
from handlers.analyses import getters
from handlers.analyses import handlers as on
from handlers.analyses.handlers import flow, person
from handlers.analyses.states import CallAnalysisSG

PROMPT = Format("{prompt}")

analysis_dialog = Dialog(
    Window(
        PROMPT,
        Group(choices("pick_role", "choices", on.pick_role), width=2),
        hint("analysis-choose-button"),
        flow.navigation(None),
        getter=getters.role_getter,
        state=CallAnalysisSG.role,
    ),
    Window(
        PROMPT,
        text_input(
            "in_text",
            analyses.clean_text,
            flow.saved_text("text", CallAnalysisSG.file),
            "analysis-text-only",
        ),
        hint("analysis-text-only"),
        flow.navigation(None, back=person.back_to),
        getter=getters.text_getter,
        state=CallAnalysisSG.text,
    ),
    Window(
        PROMPT,
        MessageInput(on.file_added, content_types=on.FILE_TYPES),
        hint("analysis-file-only"),
        Button(T("btn-skip"), id="skip_file", on_click=on.skip("file", CallAnalysisSG.link)),
        flow.navigation(CallAnalysisSG.text),
        getter=getters.file_getter,
        state=CallAnalysisSG.file,
    ),
    Window(
        PROMPT,
        text_input(
            "in_link",
            analyses.clean_link,
            flow.saved_text("link", CallAnalysisSG.review),
            "analysis-text-only",
        ),
        hint("analysis-link-text-only"),
        Button(T("btn-skip"), id="skip_link", on_click=on.skip("link", CallAnalysisSG.review)),
        flow.navigation(CallAnalysisSG.file),
        getter=getters.link_getter,
        state=CallAnalysisSG.link,
    ),
    Window(
        Format("{text}"),
        Row(
            flow.edit("role", "analysis-btn-edit-role", CallAnalysisSG.role),
            Button(T("analysis-btn-edit-manager"), id="edit_manager", on_click=person.edit),
        ),
        Row(
            flow.edit("text", "analysis-btn-edit-text", CallAnalysisSG.text),
            flow.edit("file", "analysis-btn-edit-file", CallAnalysisSG.file),
        ),
        flow.edit("link", "analysis-btn-edit-link", CallAnalysisSG.link),
        Button(T("analysis-btn-publish"), id="publish", on_click=on.publish),
        Button(T("btn-cancel"), id="cancel", on_click=cancel_dialog),
        getter=getters.review_getter,
        state=CallAnalysisSG.review,
    ),
    on_process_result=person.picked,
)
