"""What the steps of the /analysis dialog do. The draft lives in `dialog_data` (JSON), so it
survives a restart; the service validates everything again when it posts."""

from __future__ import annotations

from functools import partial
from typing import Any

from aiogram.enums import ContentType
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import DialogManager
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button

from bot.dialog_widgets import (
    close_dialog,
    employee_of,
    say_and_stay,
    session_of,
    settings_of,
    texts_of,
)
from bot.services import analyses
from bot.services.errors import ServiceError
from db.models import CallRole
from handlers.analyses.states import CallAnalysisSG
from handlers.person_picker import PersonPick, Scope
from handlers.review_flow import REVIEWING, PersonStep, ReviewFlow, attachment_of

FILE_TYPES = [ContentType.AUDIO, ContentType.VOICE, ContentType.DOCUMENT]

# --- moving between steps -----------------------------------------------------------------

flow = ReviewFlow(CallAnalysisSG.review)
# Step 2, the manager (optional): the picker on top of the role step.
person = PersonStep(
    flow,
    partial(PersonPick, Scope.STAFF, "analysis-heading-manager", "analysis-ask-manager", skip=True),
    before=CallAnalysisSG.role,
    after=CallAnalysisSG.text,
)


def skip(field: str, next_state: State) -> Any:
    async def on_click(query: CallbackQuery, button: Button, manager: DialogManager) -> None:
        manager.dialog_data[field] = None
        await flow.next(manager, next_state)

    return on_click


# --- step 1: the role ---------------------------------------------------------------------


async def pick_role(query: CallbackQuery, widget: Any, manager: DialogManager, value: str) -> None:
    manager.dialog_data["call_role"] = value
    if manager.dialog_data.get(REVIEWING):
        await manager.switch_to(CallAnalysisSG.review)
        return
    await person.open(manager)


# --- step 4: the file (optional) -------------------------------------------------------------


async def file_added(message: Message, widget: MessageInput, manager: DialogManager) -> None:
    file = attachment_of(message)
    if file is None:  # the content types of the input make this unreachable
        return
    manager.dialog_data["file"] = file
    if message.caption:
        await say_and_stay(message, manager, "analysis-caption-dropped")
    await flow.next(manager, CallAnalysisSG.link)


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


async def publish(query: CallbackQuery, button: Button, manager: DialogManager) -> None:
    texts = texts_of(manager)
    try:
        analysis = await analyses.post(
            session_of(manager),
            employee_of(manager),
            analysis_draft(manager.dialog_data),
            settings=settings_of(manager),
            texts=texts,
        )
    except ServiceError as error:  # e.g. the manager left the roster meanwhile
        await person.refused(query, manager, error)
        return
    await close_dialog(query, manager, texts("analysis-published", id=analysis.id))
