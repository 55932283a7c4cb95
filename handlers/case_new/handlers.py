"""What the steps of the /case dialog do. The draft lives in `dialog_data` (JSON: the date as
an ISO string), so it survives a restart; the service validates everything again when the
case is registered."""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Any

from aiogram import Bot
from aiogram.enums import ContentType
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import ChatEvent, Data, DialogManager
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button, ManagedCalendar, Row

from bot.dialog_widgets import (
    close_dialog,
    employee_of,
    say_and_stay,
    session_of,
    settings_of,
    texts_of,
)
from bot.services import cases
from bot.services.errors import Invalid, ServiceError
from db.models import CaseCategory, CaseSource, CaseTab
from handlers.case_new.states import CaseNewSG
from handlers.person_picker import PersonPick, Scope
from handlers.review_flow import PersonStep, ReviewFlow, attachment_of

# Every file is re-sent to the group and to each lead as a reply to the post: a case with
# dozens of files would be a flood, not a case. (A rule for the service, see the issue note.)
MAX_ATTACHMENTS = 10
FILE_TYPES = [ContentType.PHOTO, ContentType.DOCUMENT, ContentType.AUDIO, ContentType.VOICE]

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


def navigation(previous: State | None) -> Row:
    """«◀ Назад» to `previous` (None: to the person) and «Отмена»."""
    return flow.navigation(previous, None if previous is not None else person.back_to)


# --- step 1: the person (the person picker, a subdialog) -----------------------------------


async def begin(start_data: Data, manager: DialogManager) -> None:
    await person.open(manager)


# --- steps 2-4: tab, category, source -------------------------------------------------------


def choose(field: str, next_state: State) -> Any:
    async def on_click(
        query: CallbackQuery, widget: Any, manager: DialogManager, value: str
    ) -> None:
        manager.dialog_data[field] = value
        await flow.next(manager, next_state)

    return on_click


# --- step 5: the incident date --------------------------------------------------------------


async def date_picked(
    event: ChatEvent, widget: ManagedCalendar, manager: DialogManager, picked: date, /
) -> None:
    assert isinstance(event, CallbackQuery)
    try:
        # Future days are not offered, but an old keyboard or a forged press can still send one.
        cases.check_incident_date(picked, cases.local_today(settings_of(manager)))
    except Invalid as error:
        await event.answer(texts_of(manager)(error.key, **error.args_), show_alert=True)
        return
    manager.dialog_data["incident_date"] = picked.isoformat()
    await flow.next(manager, CaseNewSG.summary)


# --- steps 6-7: summary and link -------------------------------------------------------------


async def skip_link(query: CallbackQuery, button: Button, manager: DialogManager) -> None:
    manager.dialog_data["link"] = None
    await flow.next(manager, CaseNewSG.attachments)


# --- step 8: attachments ------------------------------------------------------------------


async def file_added(message: Message, widget: MessageInput, manager: DialogManager) -> None:
    attachment = attachment_of(message)
    if attachment is None:  # the content types of the input make this unreachable
        return
    files: list[dict[str, str]] = manager.dialog_data.setdefault("attachments", [])
    if len(files) >= MAX_ATTACHMENTS:
        await say_and_stay(message, manager, "case-new-attachments-full", max=MAX_ATTACHMENTS)
        return
    files.append(attachment)
    if message.caption:
        await say_and_stay(message, manager, "case-new-caption-dropped")


async def clear_files(query: CallbackQuery, button: Button, manager: DialogManager) -> None:
    manager.dialog_data["attachments"] = []


async def files_done(query: CallbackQuery, button: Button, manager: DialogManager) -> None:
    await manager.switch_to(CaseNewSG.review)


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


async def publish(query: CallbackQuery, button: Button, manager: DialogManager) -> None:
    texts = texts_of(manager)
    bot: Bot = manager.middleware_data["bot"]
    me = await bot.me()
    try:
        case = await cases.register(
            session_of(manager),
            employee_of(manager),
            case_draft(manager.dialog_data),
            settings=settings_of(manager),
            texts=texts,
            bot_username=me.username or "",
        )
    except ServiceError as error:  # e.g. the person left the roster or has no group now
        await person.refused(query, manager, error)
        return
    await close_dialog(query, manager, texts("case-new-published", id=case.id))
