"""/appeal and the «Обжаловать» deep link: a manager (or his lead) files an appeal in a
guided dialog; CS decides it with the buttons of the group post and a comment.

The draft lives in `dialog_data` (JSON), so it survives a restart; the service checks the
window, the case and the person again when the appeal is sent.
"""

from __future__ import annotations

import html
import logging
from typing import Any

from aiogram import F, Router
from aiogram.enums import ContentType
from aiogram.filters import Command, CommandObject
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import DialogManager, ShowMode, StartMode, Window
from aiogram_dialog.widgets.input import ManagedTextInput, MessageInput, TextInput
from aiogram_dialog.widgets.kbd import Button, Row, ScrollingGroup, Select, SwitchTo
from aiogram_dialog.widgets.text import Format
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import AppealButton, Decision
from bot.conversation import Dialog
from bot.dialog_widgets import (
    T,
    cancel_dialog,
    checked,
    close_dialog,
    db_id,
    hint,
    say_and_stay,
    services_of,
    wrong_text,
)
from bot.filters import RoleFilter
from bot.services import appeals
from bot.services.errors import Invalid, ServiceError
from bot.settings import Settings
from bot.texts import Html, Texts
from db.models import Employee, Role
from handlers.case_new import attachment_of, shortened

log = logging.getLogger(__name__)
router = Router(name=__name__)

# Filing: managers and leads, in the private chat.
filing = Router(name=f"{__name__}.filing")
filing.message.filter(RoleFilter(Role.MANAGER, Role.LEAD), F.chat.type == "private")
filing.callback_query.filter(RoleFilter(Role.MANAGER, Role.LEAD))
# Deciding: the buttons reach every known user, so a lead's or a manager's press gets the
# service's clear refusal, not a generic one; the comment dialog is CS's.
deciding = Router(name=f"{__name__}.deciding")
deciding.callback_query.filter(RoleFilter())
router.include_routers(filing, deciding)

FILE_TYPES = [ContentType.PHOTO, ContentType.DOCUMENT, ContentType.AUDIO, ContentType.VOICE]
SHOWN_REASON = 2000


_close = close_dialog
_cancel = cancel_dialog


class AppealSG(StatesGroup):
    pick = State()
    reason = State()
    evidence = State()
    review = State()


class DecisionSG(StatesGroup):
    comment = State()


# --- opening the dialog -----------------------------------------------------------------


@filing.message(Command("appeal"), F.text.regexp(r"^/appeal(@\w+)?(\s+#?\d+)?\s*$"))
async def open_appeal(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    employee: Employee,
    settings: Settings,
    texts: Texts,
    dialog_manager: DialogManager,
) -> None:
    if command.args:
        case_id = int(command.args.strip().lstrip("#"))
        await open_for_case(message, case_id, session, employee, settings, texts, dialog_manager)
        return
    await dialog_manager.start(AppealSG.pick, mode=StartMode.RESET_STACK)


async def open_for_case(
    message: Message,
    case_id: int,
    session: AsyncSession,
    employee: Employee | None,
    settings: Settings,
    texts: Texts,
    dialog_manager: DialogManager,
) -> None:
    """The dialog for one case (the deep link, `/appeal 12`), or the reason it cannot be."""
    try:
        await appeals.check_can_appeal(session, employee, case_id, settings=settings, texts=texts)
    except ServiceError as error:
        await message.answer(texts(error.key, **error.args_))
        return
    await dialog_manager.start(
        AppealSG.reason, data={"case_id": case_id}, mode=StartMode.RESET_STACK
    )


async def _on_start(start_data: Any, manager: DialogManager) -> None:
    if isinstance(start_data, dict) and "case_id" in start_data:
        manager.dialog_data["case_id"] = int(start_data["case_id"])


# --- moving between steps -----------------------------------------------------------------


async def _next(manager: DialogManager, state: State) -> None:
    """On to `state`, or back to the review if the step was opened by «Изменить»."""
    await manager.switch_to(AppealSG.review if manager.dialog_data.get("reviewing") else state)


async def _mark_reviewing(query: CallbackQuery, button: Button, manager: DialogManager) -> None:
    manager.dialog_data["reviewing"] = True


def _navigation() -> Row:
    return Row(
        SwitchTo(T("btn-back"), id="to_review", state=AppealSG.review, when="reviewing"),
        Button(T("btn-cancel"), id="cancel", on_click=_cancel),
    )


_say = say_and_stay
_hint = hint
_checked = checked
_wrong_text = wrong_text("appeal-reason-text-only")


# --- step 1: the case -----------------------------------------------------------------------


async def _procedure(session: AsyncSession, texts: Texts) -> str:
    link = await appeals.procedure_link(session)
    if link is None:
        return ""
    return texts("appeal-procedure", url=Html(html.escape(link.url, quote=True)), title=link.title)


def _days(settings: Settings) -> int:
    return max(1, round(settings.appeal_window.total_seconds() / 86400))


async def _pick_data(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    session, employee, texts = services_of(dialog_manager)
    settings: Settings = dialog_manager.middleware_data["settings"]
    found = await appeals.open_cases(session, employee, settings=settings)
    procedure = Html(await _procedure(session, texts))
    key = "appeal-ask-case" if found else "appeal-no-cases"
    return {
        "text": texts(key, days=_days(settings), procedure=procedure),
        "reviewing": bool(dialog_manager.dialog_data.get("reviewing")),
        # Button texts are plain text: no escaping here.
        "cases": [
            (
                case.id,
                f"#{case.id} · {texts.date(case.created_at)} · {case.manager.full_name}",
            )
            for case in found
        ],
    }


async def _picked(query: CallbackQuery, widget: Any, manager: DialogManager, case_id: int) -> None:
    session, employee, texts = services_of(manager)
    settings: Settings = manager.middleware_data["settings"]
    try:
        await appeals.check_can_appeal(session, employee, case_id, settings=settings, texts=texts)
    except ServiceError as error:
        await query.answer(texts(error.key, **error.args_), show_alert=True)
        return
    manager.dialog_data["case_id"] = case_id
    await _next(manager, AppealSG.reason)


# --- steps 2-3: the reason and the evidence ---------------------------------------------------


async def _reason_given(
    message: Message, widget: ManagedTextInput[str], manager: DialogManager, value: str
) -> None:
    manager.dialog_data["reason"] = value
    await _next(manager, AppealSG.evidence)


async def _file_added(message: Message, widget: MessageInput, manager: DialogManager) -> None:
    item = attachment_of(message)
    if item is None:  # the content types of the input make this unreachable
        return
    await _add_evidence(message, manager, [item])
    if message.caption:
        await _say(message, manager, "appeal-caption-dropped")


async def _links_added(
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
        await _say(message, manager, "appeal-error-evidence-full", max=appeals.MAX_EVIDENCE)
        return
    evidence.extend(items)


async def _clear_evidence(query: CallbackQuery, button: Button, manager: DialogManager) -> None:
    manager.dialog_data["evidence"] = []


async def _to_review(query: CallbackQuery, button: Button, manager: DialogManager) -> None:
    await manager.switch_to(AppealSG.review)


def _evidence_summary(items: list[dict[str, str]], texts: Texts) -> str:
    """«нет», or the links and the files one per line (safe HTML)."""
    if not items:
        return texts("appeal-evidence-none")
    return "\n" + appeals.describe_evidence(items, texts)


async def _step_data(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    session, employee, texts = services_of(dialog_manager)
    data = dialog_manager.dialog_data
    case_id = int(data.get("case_id", 0))
    evidence = data.get("evidence", [])
    case = await appeals.case_of(session, employee, case_id)
    manager_name = case.manager.full_name if case else ""
    settings: Settings = dialog_manager.middleware_data["settings"]
    closes = appeals.window_closes(case, settings) if case else ""
    return {
        "reviewing": bool(data.get("reviewing")),
        "has_evidence": bool(evidence),
        "no_evidence": not evidence,
        "reason_prompt": texts(
            "appeal-ask-reason",
            id=case_id,
            manager=manager_name,
            min=appeals.MIN_REASON,
            max=appeals.MAX_REASON,
            closes=closes,
            procedure=Html(await _procedure(session, texts)),
        ),
        "evidence_prompt": texts(
            "appeal-ask-evidence",
            id=case_id,
            max=appeals.MAX_EVIDENCE,
            evidence=Html(_evidence_summary(evidence, texts)),
        ),
        "review": texts(
            "appeal-review",
            id=case_id,
            manager=manager_name,
            posted=case.created_at if case else "",
            closes=closes,
            reason=shortened(data.get("reason", ""), SHOWN_REASON),
            evidence=Html(_evidence_summary(evidence, texts)),
        ),
    }


# --- the review and sending ---------------------------------------------------------------


async def _send(query: CallbackQuery, button: Button, manager: DialogManager) -> None:
    session, employee, texts = services_of(manager)
    settings: Settings = manager.middleware_data["settings"]
    data = manager.dialog_data
    draft = appeals.AppealDraft(
        case_id=int(data["case_id"]),
        reason=data.get("reason", ""),
        evidence=tuple(data.get("evidence", [])),
    )
    try:
        appeal = await appeals.file(session, employee, draft, settings=settings, texts=texts)
    except Invalid as error:
        if error.key.startswith(("appeal-error-reason", "appeal-error-evidence")):
            await query.answer(texts(error.key, **error.args_), show_alert=True)
            return  # a field to fix: the review stays
        await _close(query, manager, texts(error.key, **error.args_))
        return
    except ServiceError as error:  # the window closed, a second appeal, not his case...
        await _close(query, manager, texts(error.key, **error.args_))
        return
    await _close(query, manager, texts("appeal-sent", id=appeal.id, case=appeal.case_id))


def _edit(field: str, key: str, state: State) -> SwitchTo:
    """«Изменить …» on the review: that step, then straight back to the review."""
    return SwitchTo(T(key), id=f"edit_{field}", state=state, on_click=_mark_reviewing)


appeal_dialog = Dialog(
    Window(
        Format("{text}"),
        ScrollingGroup(
            Select(
                Format("{item[1]}"),
                id="case",
                item_id_getter=lambda item: item[0],
                items="cases",
                type_factory=db_id,
                on_click=_picked,
            ),
            id="cases_page",
            width=1,
            height=8,
            hide_on_single_page=True,
        ),
        _hint("appeal-pick-button"),
        _navigation(),
        getter=_pick_data,
        state=AppealSG.pick,
    ),
    Window(
        Format("{reason_prompt}"),
        TextInput(
            id="in_reason",
            type_factory=_checked(appeals.clean_reason),
            on_success=_reason_given,
            on_error=_wrong_text,
        ),
        _hint("appeal-reason-text-only"),
        _navigation(),
        getter=_step_data,
        state=AppealSG.reason,
    ),
    Window(
        Format("{evidence_prompt}"),
        MessageInput(_file_added, content_types=FILE_TYPES),
        TextInput(
            id="in_links",
            type_factory=_checked(appeals.clean_links),
            on_success=_links_added,
            on_error=_wrong_text,
        ),
        _hint("appeal-evidence-wrong"),
        Button(T("appeal-btn-done"), id="evidence_done", on_click=_to_review, when="has_evidence"),
        Button(T("btn-skip"), id="evidence_skip", on_click=_to_review, when="no_evidence"),
        Button(
            T("appeal-btn-clear"),
            id="evidence_clear",
            on_click=_clear_evidence,
            when="has_evidence",
        ),
        Button(T("btn-cancel"), id="cancel", on_click=_cancel),
        getter=_step_data,
        state=AppealSG.evidence,
    ),
    Window(
        Format("{review}"),
        _edit("case", "appeal-btn-edit-case", AppealSG.pick),
        _edit("reason", "appeal-btn-edit-reason", AppealSG.reason),
        _edit("evidence", "appeal-btn-edit-evidence", AppealSG.evidence),
        Row(
            Button(T("appeal-btn-send"), id="send", on_click=_send),
            Button(T("btn-cancel"), id="cancel", on_click=_cancel),
        ),
        _hint("appeal-review-buttons"),
        getter=_step_data,
        state=AppealSG.review,
    ),
    on_start=_on_start,
)
filing.include_router(appeal_dialog)


# --- CS decides -------------------------------------------------------------------------------


@deciding.callback_query(AppealButton.filter())
async def decision_button(
    query: CallbackQuery,
    callback_data: AppealButton,
    session: AsyncSession,
    employee: Employee,
    texts: Texts,
    dialog_manager: DialogManager,
) -> None:
    try:
        await appeals.precheck_decision(
            session, employee, callback_data.appeal_id, callback_data.decision, texts=texts
        )
    except ServiceError as error:
        await query.answer(texts(error.key, **error.args_), show_alert=True)
        return
    data = {"appeal_id": callback_data.appeal_id, "decision": callback_data.decision.value}
    private = query.message is not None and query.message.chat.id == query.from_user.id
    if private:
        await dialog_manager.start(
            DecisionSG.comment, data=data, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND
        )
        await query.answer()
        return
    # Pressed in the group: the comment is asked in the CS member's private chat.
    background = dialog_manager.bg(user_id=query.from_user.id, chat_id=query.from_user.id)
    await background.start(DecisionSG.comment, data=data, mode=StartMode.RESET_STACK)
    await query.answer(texts("appeal-input-opened"), show_alert=True)


def _decision_of(manager: DialogManager) -> tuple[int, Decision]:
    data = manager.start_data
    assert isinstance(data, dict)
    return int(data["appeal_id"]), Decision(data["decision"])


async def _comment_data(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    session, _, texts = services_of(dialog_manager)
    appeal_id, decision = _decision_of(dialog_manager)
    appeal = await appeals.get(session, appeal_id)
    return {
        "prompt": texts(
            "appeal-ask-comment",
            id=appeal_id,
            case=appeal.case_id if appeal else 0,
            state=str(appeals.DECISION_STATE[decision]),
            min=appeals.MIN_COMMENT,
        )
    }


async def _comment_given(
    message: Message, widget: ManagedTextInput[str], manager: DialogManager, value: str
) -> None:
    session, employee, texts = services_of(manager)
    settings: Settings = manager.middleware_data["settings"]
    appeal_id, decision = _decision_of(manager)
    try:
        appeal = await appeals.decide(
            session, employee, appeal_id, decision, value, settings=settings, texts=texts
        )
    except Invalid as error:
        if error.key.startswith("appeal-error-comment"):
            await _say(message, manager, error.key, **error.args_)
            return
        await message.answer(texts(error.key, **error.args_))
        await manager.done()
        return
    except ServiceError as error:
        await message.answer(texts(error.key, **error.args_))
        await manager.done()
        return
    await message.answer(texts("appeal-decided", id=appeal.id, state=str(appeal.state)))
    await manager.done()


async def _cancel_comment(query: CallbackQuery, button: Button, manager: DialogManager) -> None:
    _, _, texts = services_of(manager)
    await _close(query, manager, texts("cancelled"))


decision_dialog = Dialog(
    Window(
        Format("{prompt}"),
        TextInput(
            id="in_comment",
            type_factory=_checked(appeals.clean_comment),
            on_success=_comment_given,
            on_error=_wrong_text,
        ),
        _hint("appeal-comment-text-only"),
        Button(T("btn-cancel"), id="cancel", on_click=_cancel_comment),
        getter=_comment_data,
        state=DecisionSG.comment,
    ),
)
deciding.include_router(decision_dialog)
