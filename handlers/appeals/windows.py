"""The windows of the appeal dialog — the case, the reason, the evidence, and the review with
«Изменить …» per field and «Отправить» — and of CS's decision comment."""

from __future__ import annotations

from aiogram_dialog import Window
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button, Row, ScrollingGroup
from aiogram_dialog.widgets.text import Format

from bot.conversation import Dialog
from bot.dialog_widgets import T, cancel_dialog, choices, db_id, hint, text_input
from bot.services import appeals
from handlers.appeals import getters
from handlers.appeals import handlers as on
from handlers.appeals.handlers import flow
from handlers.appeals.states import AppealSG, DecisionSG

PROMPT = Format("{prompt}")

appeal_dialog = Dialog(
    Window(
        Format("{text}"),
        ScrollingGroup(
            choices("case", "cases", on.picked, type_factory=db_id),
            id="cases_page",
            width=1,
            height=8,
            hide_on_single_page=True,
        ),
        hint("appeal-pick-button"),
        flow.navigation(None),
        getter=getters.pick_getter,
        state=AppealSG.pick,
    ),
    Window(
        PROMPT,
        text_input(
            "in_reason",
            appeals.clean_reason,
            flow.saved_text("reason", AppealSG.evidence),
            "appeal-reason-text-only",
        ),
        hint("appeal-reason-text-only"),
        flow.navigation(AppealSG.pick),
        getter=getters.reason_getter,
        state=AppealSG.reason,
    ),
    Window(
        PROMPT,
        MessageInput(on.file_added, content_types=on.FILE_TYPES),
        text_input("in_links", appeals.clean_links, on.links_added, "appeal-reason-text-only"),
        hint("appeal-evidence-wrong"),
        Button(
            T("appeal-btn-done"), id="evidence_done", on_click=on.to_review, when="has_evidence"
        ),
        Button(T("btn-skip"), id="evidence_skip", on_click=on.to_review, when="no_evidence"),
        Button(
            T("appeal-btn-clear"),
            id="evidence_clear",
            on_click=on.clear_evidence,
            when="has_evidence",
        ),
        flow.navigation(AppealSG.reason),
        getter=getters.evidence_getter,
        state=AppealSG.evidence,
    ),
    Window(
        Format("{text}"),
        flow.edit("case", "appeal-btn-edit-case", AppealSG.pick),
        flow.edit("reason", "appeal-btn-edit-reason", AppealSG.reason),
        flow.edit("evidence", "appeal-btn-edit-evidence", AppealSG.evidence),
        Row(
            Button(T("appeal-btn-send"), id="send", on_click=on.send),
            Button(T("btn-cancel"), id="cancel", on_click=cancel_dialog),
        ),
        hint("appeal-review-buttons"),
        getter=getters.review_getter,
        state=AppealSG.review,
    ),
    on_start=on.on_start,
)

decision_dialog = Dialog(
    Window(
        PROMPT,
        text_input(
            "in_comment", appeals.clean_comment, on.comment_given, "appeal-reason-text-only"
        ),
        hint("appeal-comment-text-only"),
        Button(T("btn-cancel"), id="cancel", on_click=cancel_dialog),
        getter=getters.comment_getter,
        state=DecisionSG.comment,
    ),
)
