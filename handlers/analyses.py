"""/analysis: CS posts a call analysis to the group in a guided dialog (aiogram-dialog).

Steps: the manager's role, the manager (optional: the person picker, a subdialog), the text,
a file (audio, voice or document; optional), a link (optional); then a preview with
«Изменить» per field and «Опубликовать». The draft lives in `dialog_data` (JSON), so it
survives a restart; the service validates everything again when it posts.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from aiogram import F, Router
from aiogram.enums import ContentType
from aiogram.filters import Command
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import DialogManager, ShowMode, StartMode, Window
from aiogram_dialog.widgets.input import MessageInput, TextInput
from aiogram_dialog.widgets.kbd import Button, Group, Row, Select
from aiogram_dialog.widgets.text import Format

from bot.conversation import Dialog
from bot.dialog_widgets import (
    T,
    cancel_dialog,
    checked,
    close_dialog,
    hint,
    say_and_stay,
    services_of,
    wrong_text,
)
from bot.filters import RoleFilter
from bot.services import analyses
from bot.services.errors import Forbidden, ServiceError
from bot.services.masking import mask_personal_data
from bot.settings import Settings
from bot.texts import Html, Texts
from db.models import CallRole, Employee, Role
from handlers.person_picker import PersonPick, Scope
from handlers.review_flow import REVIEWING, PersonStep, ReviewFlow, attachment_of, shortened

log = logging.getLogger(__name__)
router = Router(name=__name__)
router.message.filter(RoleFilter(Role.CS), F.chat.type == "private")
router.callback_query.filter(RoleFilter(Role.CS))

SHOWN_NAME = 40
FILE_TYPES = [ContentType.AUDIO, ContentType.VOICE, ContentType.DOCUMENT]


_close = close_dialog
_cancel = cancel_dialog


class CallAnalysisSG(StatesGroup):
    role = State()
    text = State()
    file = State()
    link = State()
    review = State()


@router.message(Command("analysis"), F.text.regexp(r"^/analysis(@\w+)?\s*$"))
async def open_analysis_dialog(
    message: Message, dialog_manager: DialogManager, employee: Employee | None, texts: Texts
) -> None:
    try:
        analyses.check_can_post(employee)
    except Forbidden as error:
        await message.answer(texts(error.key, **error.args_))
        return
    await dialog_manager.start(CallAnalysisSG.role, mode=StartMode.RESET_STACK)


# --- moving between steps -----------------------------------------------------------------

flow = ReviewFlow(CallAnalysisSG.review)
# Step 2, the manager (optional): the picker on top of the role step.
person = PersonStep(
    flow,
    partial(PersonPick, Scope.STAFF, "analysis-heading-manager", "analysis-ask-manager", skip=True),
    before=CallAnalysisSG.role,
    after=CallAnalysisSG.text,
)
_next = flow.next
_navigation = flow.navigation


_say = say_and_stay
_hint = hint
_checked = checked
_wrong_text = wrong_text("analysis-text-only")


def _skip(field: str, next_state: State) -> Any:
    async def on_click(query: CallbackQuery, button: Button, manager: DialogManager) -> None:
        manager.dialog_data[field] = None
        await _next(manager, next_state)

    return on_click


# --- step 1: the role ---------------------------------------------------------------------


async def _pick_role(query: CallbackQuery, widget: Any, manager: DialogManager, value: str) -> None:
    manager.dialog_data["call_role"] = value
    if manager.dialog_data.get(REVIEWING):
        await manager.switch_to(CallAnalysisSG.review)
        return
    await person.open(manager)


# --- step 4: the file (optional) -------------------------------------------------------------


async def _file_added(message: Message, widget: MessageInput, manager: DialogManager) -> None:
    file = attachment_of(message)
    if file is None:  # the content types of the input make this unreachable
        return
    manager.dialog_data["file"] = file
    if message.caption:
        _, _, texts = services_of(manager)
        await message.answer(texts("analysis-caption-dropped"))
        manager.show_mode = ShowMode.SEND
    await _next(manager, CallAnalysisSG.link)


def describe_file(file: dict[str, str] | None, texts: Texts) -> str:
    if not file:
        return texts("analysis-no-file")
    return texts(analyses.FILE_KEYS[file["kind"]], name=shortened(file["file_name"], SHOWN_NAME))


# --- the review and publishing --------------------------------------------------------------


def analysis_draft(data: dict[str, Any]) -> analyses.AnalysisDraft:
    file = data.get("file")
    return analyses.AnalysisDraft(
        call_role=CallRole(data["call_role"]),
        text=data["text"],
        manager_id=int(data["manager_id"]) if data.get("manager_id") else None,
        link=data.get("link") or None,
        file=analyses.FileDraft(file["kind"], file["file_id"], file["file_name"]) if file else None,
    )


async def _review_data(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    _, _, texts = services_of(dialog_manager)
    data = dialog_manager.dialog_data
    body = analyses.render_body(
        texts,
        call_role=CallRole(data["call_role"]),
        manager=data.get("manager_name"),
        text=data.get("text", ""),
        link=data.get("link"),
    )
    # The body is appended, not a catalogue argument: see `analyses.render_body`.
    text = texts("analysis-review", file=Html(describe_file(data.get("file"), texts)))
    text += "\n\n" + body
    if mask_personal_data(data.get("text", "")) != data.get("text", ""):
        text += "\n\n" + texts("analysis-review-masked")
    return {"text": text}


async def _publish(query: CallbackQuery, button: Button, manager: DialogManager) -> None:
    session, employee, texts = services_of(manager)
    settings: Settings = manager.middleware_data["settings"]
    try:
        analysis = await analyses.post(
            session, employee, analysis_draft(manager.dialog_data), settings=settings, texts=texts
        )
    except ServiceError as error:  # e.g. the manager left the roster meanwhile
        await person.refused(query, manager, error)
        return
    await _close(query, manager, texts("analysis-published", id=analysis.id))


# --- the windows --------------------------------------------------------------------------


async def _prompts(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    _, _, texts = services_of(dialog_manager)
    return {
        "reviewing": bool(dialog_manager.dialog_data.get("reviewing")),
        "role_prompt": texts("analysis-ask-role"),
        "role_choices": [(role.value, texts(analyses.ROLE_KEYS[role])) for role in CallRole],
        "text_prompt": texts("analysis-ask-text", max=analyses.MAX_TEXT),
        "file_prompt": texts("analysis-ask-file"),
        "link_prompt": texts("analysis-ask-link"),
    }


analysis_dialog = Dialog(
    Window(
        Format("{role_prompt}"),
        Group(
            Select(
                Format("{item[1]}"),
                id="pick_role",
                item_id_getter=lambda item: item[0],
                items="role_choices",
                on_click=_pick_role,
            ),
            width=2,
        ),
        _hint("analysis-choose-button"),
        _navigation(None),
        getter=_prompts,
        state=CallAnalysisSG.role,
    ),
    Window(
        Format("{text_prompt}"),
        TextInput(
            id="in_text",
            type_factory=_checked(analyses.clean_text),
            on_success=flow.saved_text("text", CallAnalysisSG.file),
            on_error=_wrong_text,
        ),
        _hint("analysis-text-only"),
        _navigation(None, back=person.back_to),
        getter=_prompts,
        state=CallAnalysisSG.text,
    ),
    Window(
        Format("{file_prompt}"),
        MessageInput(_file_added, content_types=FILE_TYPES),
        _hint("analysis-file-only"),
        Button(T("btn-skip"), id="skip_file", on_click=_skip("file", CallAnalysisSG.link)),
        _navigation(CallAnalysisSG.text),
        getter=_prompts,
        state=CallAnalysisSG.file,
    ),
    Window(
        Format("{link_prompt}"),
        TextInput(
            id="in_link",
            type_factory=_checked(analyses.clean_link),
            on_success=flow.saved_text("link", CallAnalysisSG.review),
            on_error=_wrong_text,
        ),
        _hint("analysis-link-text-only"),
        Button(T("btn-skip"), id="skip_link", on_click=_skip("link", CallAnalysisSG.review)),
        _navigation(CallAnalysisSG.file),
        getter=_prompts,
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
        Button(T("analysis-btn-publish"), id="publish", on_click=_publish),
        Button(T("btn-cancel"), id="cancel", on_click=_cancel),
        getter=_review_data,
        state=CallAnalysisSG.review,
    ),
    on_process_result=person.picked,
)
router.include_router(analysis_dialog)
