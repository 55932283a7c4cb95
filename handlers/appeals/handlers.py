"""What the steps of the appeal dialog and of the decision comment do. The draft lives in
`dialog_data` (JSON), so it survives a restart; the service checks the window, the case and
the person again when the appeal is sent, and the appeal again when it is decided."""

from __future__ import annotations

from typing import Any

from aiogram.enums import ContentType
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import DialogManager
from aiogram_dialog.widgets.input import ManagedTextInput, MessageInput
from aiogram_dialog.widgets.kbd import Button

from bot.callbacks import Decision
from bot.dialog_widgets import (
    close_dialog,
    employee_of,
    say_and_stay,
    session_of,
    settings_of,
    texts_of,
)
from bot.services import appeals
from bot.services.errors import Invalid, ServiceError
from handlers.appeals.states import AppealSG
from handlers.review_flow import ReviewFlow, attachment_of

FILE_TYPES = [ContentType.PHOTO, ContentType.DOCUMENT, ContentType.AUDIO, ContentType.VOICE]

flow = ReviewFlow(AppealSG.review)


async def on_start(start_data: Any, manager: DialogManager) -> None:
    """Opened for one case (the deep link, `/appeal 12`): the case is chosen already."""
    if isinstance(start_data, dict) and "case_id" in start_data:
        manager.dialog_data["case_id"] = int(start_data["case_id"])


# --- step 1: the case -----------------------------------------------------------------------


async def picked(query: CallbackQuery, widget: Any, manager: DialogManager, case_id: int) -> None:
    texts = texts_of(manager)
    try:
        await appeals.check_can_appeal(
            session_of(manager),
            employee_of(manager),
            case_id,
            settings=settings_of(manager),
            texts=texts,
        )
    except ServiceError as error:
        await query.answer(texts(error.key, **error.args_), show_alert=True)
        return
    manager.dialog_data["case_id"] = case_id
    await flow.next(manager, AppealSG.reason)


# --- step 3: the evidence (step 2, the reason, is `flow.saved_text`) ---------------------------


async def file_added(message: Message, widget: MessageInput, manager: DialogManager) -> None:
    item = attachment_of(message)
    if item is None:  # the content types of the input make this unreachable
        return
    await _add_evidence(message, manager, [item])
    if message.caption:
        await say_and_stay(message, manager, "appeal-caption-dropped")


async def links_added(
    message: Message,
    widget: ManagedTextInput[list[dict[str, str]]],
    manager: DialogManager,
    items: list[dict[str, str]],
) -> None:
    await _add_evidence(message, manager, items)


async def _add_evidence(
    message: Message, manager: DialogManager, items: list[dict[str, str]]
) -> None:
    evidence: list[dict[str, str]] = manager.dialog_data.setdefault("evidence", [])
    if len(evidence) + len(items) > appeals.MAX_EVIDENCE:
        await say_and_stay(message, manager, "appeal-error-evidence-full", max=appeals.MAX_EVIDENCE)
        return
    evidence.extend(items)


async def clear_evidence(query: CallbackQuery, button: Button, manager: DialogManager) -> None:
    manager.dialog_data["evidence"] = []


async def to_review(query: CallbackQuery, button: Button, manager: DialogManager) -> None:
    await manager.switch_to(AppealSG.review)


# --- the review and sending ---------------------------------------------------------------


async def send(query: CallbackQuery, button: Button, manager: DialogManager) -> None:
    texts = texts_of(manager)
    data = manager.dialog_data
    draft = appeals.AppealDraft(
        case_id=int(data["case_id"]),
        reason=data.get("reason", ""),
        evidence=tuple(data.get("evidence", [])),
    )
    try:
        appeal = await appeals.file(
            session_of(manager),
            employee_of(manager),
            draft,
            settings=settings_of(manager),
            texts=texts,
        )
    except Invalid as error:
        if error.key.startswith(("appeal-error-reason", "appeal-error-evidence")):
            await query.answer(texts(error.key, **error.args_), show_alert=True)
            return  # a field to fix: the review stays
        await close_dialog(query, manager, texts(error.key, **error.args_))
        return
    except ServiceError as error:  # the window closed, a second appeal, not his case...
        await close_dialog(query, manager, texts(error.key, **error.args_))
        return
    settings = settings_of(manager)
    sent = texts(
        "appeal-sent",
        id=appeal.id,
        case=appeal.case_id,
        due=appeals.decide_by(appeal.created_at, settings),
        days=settings.appeal_decide_within,
    )
    await close_dialog(query, manager, sent)


# --- CS's decision comment ------------------------------------------------------------------


def decision_of(manager: DialogManager) -> tuple[int, Decision]:
    """The appeal and the decision the comment is for (the dialog's start data)."""
    data = manager.start_data
    assert isinstance(data, dict)
    return int(data["appeal_id"]), Decision(data["decision"])


async def comment_given(
    message: Message, widget: ManagedTextInput[str], manager: DialogManager, value: str
) -> None:
    texts = texts_of(manager)
    appeal_id, decision = decision_of(manager)
    try:
        appeal = await appeals.decide(
            session_of(manager),
            employee_of(manager),
            appeal_id,
            decision,
            value,
            settings=settings_of(manager),
            texts=texts,
        )
    except Invalid as error:
        if error.key.startswith("appeal-error-comment"):
            await say_and_stay(message, manager, error.key, **error.args_)
            return
        await message.answer(texts(error.key, **error.args_))
        await manager.done()
        return
    except ServiceError as error:  # decided by someone else meanwhile, no longer CS...
        await message.answer(texts(error.key, **error.args_))
        await manager.done()
        return
    await message.answer(texts("appeal-decided", id=appeal.id, state=str(appeal.state)))
    await manager.done()
