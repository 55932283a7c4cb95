"""/case: CS registers a case in a guided dialog (aiogram-dialog), then publishes it.

Steps: the person (the person picker, a subdialog opened on top of the tab step), tab,
category, source, the
incident date (a calendar that ends today), the summary, a link to the recording, files;
then a review screen where any field can be changed before «Опубликовать». The draft lives
in `dialog_data` (JSON: the date as an ISO string), so it survives a restart; the service
validates everything again when the case is registered.
"""

from __future__ import annotations

import logging
from datetime import date
from functools import partial
from typing import Any

from aiogram import Bot, F, Router
from aiogram.enums import ContentType
from aiogram.filters import Command
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import ChatEvent, Data, DialogManager, StartMode, Window
from aiogram_dialog.widgets.input import MessageInput, TextInput
from aiogram_dialog.widgets.kbd import (
    Button,
    Group,
    ManagedCalendar,
    Row,
    Select,
)
from aiogram_dialog.widgets.text import Format

from bot.conversation import Dialog
from bot.dialog_widgets import (
    RuCalendar,
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
from bot.services import cases
from bot.services.errors import Invalid, ServiceError
from bot.services.masking import mask_personal_data
from bot.settings import Settings
from bot.texts import Html, Texts
from db.models import CaseCategory, CaseSource, CaseTab, Role
from handlers.person_picker import PersonPick, Scope
from handlers.review_flow import PersonStep, ReviewFlow

# appeals.py imports these from here
from handlers.review_flow import attachment_of as attachment_of
from handlers.review_flow import shortened as shortened

log = logging.getLogger(__name__)
router = Router(name=__name__)
router.message.filter(RoleFilter(Role.CS), F.chat.type == "private")
router.callback_query.filter(RoleFilter(Role.CS))

# Every file is re-sent to the group and to each lead as a reply to the post: a case with
# dozens of files would be a flood, not a case. (A rule for the service, see the issue note.)
MAX_ATTACHMENTS = 10
# How much of a file name or of the link the review shows: with a 2,000-character summary
# the review must still fit in one message (4,096 characters).
SHOWN_NAME = 40
SHOWN_LINK = 300
FILE_TYPES = [ContentType.PHOTO, ContentType.DOCUMENT, ContentType.AUDIO, ContentType.VOICE]


_close = close_dialog
_cancel = cancel_dialog


class CaseNewSG(StatesGroup):
    tab = State()
    category = State()
    source = State()
    incident_date = State()
    summary = State()
    link = State()
    attachments = State()
    review = State()


@router.message(Command("case"), F.text.regexp(r"^/case(@\w+)?\s*$"))
async def open_case_dialog(message: Message, dialog_manager: DialogManager) -> None:
    await dialog_manager.start(CaseNewSG.tab, mode=StartMode.RESET_STACK)


# --- moving between steps -----------------------------------------------------------------

flow = ReviewFlow(CaseNewSG.review)
# Step 1, the person: the picker on top of the tab step (the first step: no «◀ Назад»).
person = PersonStep(
    flow,
    partial(
        PersonPick, Scope.STAFF, "case-new-heading-person", "case-new-ask-manager", grouped=True
    ),
    before=None,
    after=CaseNewSG.tab,
)
_next = flow.next


def _navigation(previous: State | None) -> Row:
    """«◀ Назад» to `previous` (None: to the person) and «Отмена»."""
    return flow.navigation(previous, None if previous is not None else person.back_to)


_say = say_and_stay
_hint = hint
_checked = checked
_wrong_text = wrong_text("case-error-text-only")


# --- step 1: the person (the person picker, a subdialog) -----------------------------------


async def _begin(start_data: Data, manager: DialogManager) -> None:
    await person.open(manager)


# --- steps 2-4: tab, category, source -------------------------------------------------------


async def _choices(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    _, _, texts = services_of(dialog_manager)
    return {
        "tab_choices": [(tab.value, texts(f"case-tab-{tab}")) for tab in CaseTab],
        "category_choices": [
            (category.value, texts(f"case-category-{category}")) for category in CaseCategory
        ],
        "source_choices": [(source.value, texts(f"case-source-{source}")) for source in CaseSource],
    }


def _choose(field: str, next_state: State) -> Any:
    async def on_click(
        query: CallbackQuery, widget: Any, manager: DialogManager, value: str
    ) -> None:
        manager.dialog_data[field] = value
        await _next(manager, next_state)

    return on_click


def _choice_window(field: str, state: State, previous: State | None, next_state: State) -> Window:
    return Window(
        Format("{" + field + "_prompt}"),
        Group(
            Select(
                Format("{item[1]}"),
                id=f"pick_{field}",
                item_id_getter=lambda item: item[0],
                items=f"{field}_choices",
                on_click=_choose(field, next_state),
            ),
            width=1,
        ),
        _hint("case-new-choose-button"),
        _navigation(previous),
        getter=[_choices, _prompts],
        state=state,
    )


# --- step 5: the incident date --------------------------------------------------------------


async def _date_picked(
    event: ChatEvent, widget: ManagedCalendar, manager: DialogManager, picked: date, /
) -> None:
    assert isinstance(event, CallbackQuery)
    settings: Settings = manager.middleware_data["settings"]
    _, _, texts = services_of(manager)
    try:
        # Future days are not offered, but an old keyboard or a forged press can still send one.
        cases.check_incident_date(picked, cases.local_today(settings))
    except Invalid as error:
        await event.answer(texts(error.key, **error.args_), show_alert=True)
        return
    manager.dialog_data["incident_date"] = picked.isoformat()
    await _next(manager, CaseNewSG.summary)


# --- steps 6-7: summary and link -------------------------------------------------------------


async def _skip_link(query: CallbackQuery, button: Button, manager: DialogManager) -> None:
    manager.dialog_data["link"] = None
    await _next(manager, CaseNewSG.attachments)


# --- step 8: attachments ------------------------------------------------------------------


async def _file_added(message: Message, widget: MessageInput, manager: DialogManager) -> None:
    attachment = attachment_of(message)
    if attachment is None:  # the content types of the input make this unreachable
        return
    files: list[dict[str, str]] = manager.dialog_data.setdefault("attachments", [])
    if len(files) >= MAX_ATTACHMENTS:
        await _say(message, manager, "case-new-attachments-full", max=MAX_ATTACHMENTS)
        return
    files.append(attachment)
    if message.caption:
        await _say(message, manager, "case-new-caption-dropped")


async def _clear_files(query: CallbackQuery, button: Button, manager: DialogManager) -> None:
    manager.dialog_data["attachments"] = []


async def _files_done(query: CallbackQuery, button: Button, manager: DialogManager) -> None:
    await manager.switch_to(CaseNewSG.review)


def describe_attachments(files: list[dict[str, str]], texts: Texts) -> str:
    """«нет», or «2 (фото, документ «отчёт.pdf»)»: safe HTML."""
    if not files:
        return texts("case-new-attachments-none")
    items = []
    for item in files:
        key = f"case-new-attachment-{item['kind']}"
        if item["kind"] in ("document", "audio") and not item.get("file_name"):
            key += "-unnamed"
        items.append(texts(key, name=shortened(item.get("file_name", ""), SHOWN_NAME)))
    return texts("case-new-attachments-list", count=len(files), items=Html(", ".join(items)))


# --- the review and publishing --------------------------------------------------------------


def case_draft(data: dict[str, Any]) -> cases.CaseDraft:
    return cases.CaseDraft(
        manager_id=int(data["manager_id"]),
        tab=CaseTab(data["tab"]),
        category=CaseCategory(data["category"]),
        source=CaseSource(data["source"]),
        incident_date=date.fromisoformat(data["incident_date"]),
        summary=data["summary"],
        link=data.get("link") or None,
        attachments=tuple(
            cases.AttachmentDraft(kind=a["kind"], file_id=a["file_id"], file_name=a["file_name"])
            for a in data.get("attachments", [])
        ),
    )


async def _review_data(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    _, _, texts = services_of(dialog_manager)
    data = dialog_manager.dialog_data
    summary = data.get("summary", "")
    text = texts(
        "case-new-review",
        manager=data.get("manager_name", ""),
        group=data.get("group_name", ""),
        tab=texts(f"case-tab-{data['tab']}"),
        category=texts(f"case-category-{data['category']}"),
        source=texts(f"case-source-{data['source']}"),
        date=date.fromisoformat(data["incident_date"]),
        link=shortened(data.get("link") or "", SHOWN_LINK) or texts("case-new-no-link"),
        attachments=Html(describe_attachments(data.get("attachments", []), texts)),
        summary=summary,
    )
    if mask_personal_data(summary) != summary:
        text += "\n\n" + texts("case-new-review-masked")
    return {"text": text}


async def _publish(query: CallbackQuery, button: Button, manager: DialogManager) -> None:
    session, employee, texts = services_of(manager)
    settings: Settings = manager.middleware_data["settings"]
    bot: Bot = manager.middleware_data["bot"]
    me = await bot.me()
    try:
        case = await cases.register(
            session,
            employee,
            case_draft(manager.dialog_data),
            settings=settings,
            texts=texts,
            bot_username=me.username or "",
        )
    except ServiceError as error:  # e.g. the person left the roster or has no group now
        await person.refused(query, manager, error)
        return
    await _close(query, manager, texts("case-new-published", id=case.id))


# --- the windows --------------------------------------------------------------------------


async def _prompts(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    _, _, texts = services_of(dialog_manager)
    data = dialog_manager.dialog_data
    files = data.get("attachments", [])
    return {
        "reviewing": bool(data.get("reviewing")),
        "has_files": bool(files),
        "tab_prompt": texts("case-new-ask-tab", manager=data.get("manager_name", "")),
        "category_prompt": texts("case-new-ask-category"),
        "source_prompt": texts("case-new-ask-source"),
        "date_prompt": texts("case-new-ask-date"),
        "summary_prompt": texts("case-new-ask-summary", max=cases.MAX_SUMMARY),
        "link_prompt": texts("case-new-ask-link"),
        "files_prompt": texts(
            "case-new-ask-attachments",
            max=MAX_ATTACHMENTS,
            attachments=Html(describe_attachments(files, texts)),
        ),
    }


case_new_dialog = Dialog(
    _choice_window(
        "tab",
        CaseNewSG.tab,
        None,
        CaseNewSG.category,
    ),
    _choice_window(
        "category",
        CaseNewSG.category,
        CaseNewSG.tab,
        CaseNewSG.source,
    ),
    _choice_window(
        "source",
        CaseNewSG.source,
        CaseNewSG.category,
        CaseNewSG.incident_date,
    ),
    Window(
        Format("{date_prompt}"),
        RuCalendar(id="incident_date", on_click=_date_picked, past_only=True),
        _hint("case-new-choose-date"),
        _navigation(CaseNewSG.source),
        getter=_prompts,
        state=CaseNewSG.incident_date,
    ),
    Window(
        Format("{summary_prompt}"),
        TextInput(
            id="in_summary",
            type_factory=_checked(cases.clean_summary),
            on_success=flow.saved_text("summary", CaseNewSG.link),
            on_error=_wrong_text,
        ),
        _hint("case-new-summary-text-only"),
        _navigation(CaseNewSG.incident_date),
        getter=_prompts,
        state=CaseNewSG.summary,
    ),
    Window(
        Format("{link_prompt}"),
        TextInput(
            id="in_link",
            type_factory=_checked(cases.clean_link),
            on_success=flow.saved_text("link", CaseNewSG.attachments),
            on_error=_wrong_text,
        ),
        _hint("case-new-link-text-only"),
        Button(T("btn-skip"), id="skip_link", on_click=_skip_link),
        _navigation(CaseNewSG.summary),
        getter=_prompts,
        state=CaseNewSG.link,
    ),
    Window(
        Format("{files_prompt}"),
        MessageInput(_file_added, content_types=FILE_TYPES),
        _hint("case-new-attachments-text-only"),
        Button(T("case-new-btn-done"), id="files_done", on_click=_files_done),
        Button(T("case-new-btn-clear"), id="files_clear", on_click=_clear_files, when="has_files"),
        _navigation(CaseNewSG.link),
        getter=_prompts,
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
        Button(T("case-new-btn-publish"), id="publish", on_click=_publish),
        Button(T("btn-cancel"), id="cancel", on_click=_cancel),
        getter=_review_data,
        state=CaseNewSG.review,
    ),
    on_start=_begin,
    on_process_result=person.picked,
)
router.include_router(case_new_dialog)
