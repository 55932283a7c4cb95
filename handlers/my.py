"""/my: a user's own appeals and requests with their states, paged; a lead's include those
of his groups (the scope is the service's). For CS, whose own things are what waits for the
team, /my opens the queue (/queue)."""

from __future__ import annotations

from typing import Any

from aiogram import Router
from aiogram.filters import Command
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import Message
from aiogram_dialog import DialogManager, StartMode, Window
from aiogram_dialog.widgets.kbd import Cancel
from aiogram_dialog.widgets.text import Format
from sqlalchemy.ext.asyncio import AsyncSession

from bot.conversation import Dialog
from bot.dialog_widgets import T, db_pager, scroll_of
from bot.filters import PrivateChat, RoleFilter
from bot.services import requests
from bot.services.errors import ServiceError
from bot.settings import Settings
from bot.texts import Texts
from db.models import Employee, Role
from handlers import queue

router = Router(name=__name__)
router.message.filter(RoleFilter(Role.MANAGER, Role.LEAD, Role.CS), PrivateChat())
router.callback_query.filter(RoleFilter(Role.MANAGER, Role.LEAD))

PAGES = "my_page"


class MySG(StatesGroup):
    browse = State()


@router.message(Command("my"), RoleFilter(Role.CS))
async def open_queue(
    message: Message,
    session: AsyncSession,
    employee: Employee,
    settings: Settings,
    texts: Texts,
) -> None:
    await queue.send_queue(message, session, employee, settings, texts)


@router.message(Command("my"))
async def open_my(message: Message, dialog_manager: DialogManager) -> None:
    await dialog_manager.start(MySG.browse, mode=StartMode.RESET_STACK)


async def browse_data(
    dialog_manager: DialogManager,
    session: AsyncSession,
    employee: Employee | None,
    texts: Texts,
    **_: Any,
) -> dict[str, Any]:
    scroll = scroll_of(dialog_manager, PAGES)
    requested = await scroll.get_page()
    try:
        page = await requests.my_page(session, employee, requested, texts=texts)
    except ServiceError as error:
        return {"text": texts(error.key, **error.args_), "pages": 1}
    if page.page != requested:  # the list got shorter since the user turned to that page
        await scroll.set_page(page.page)
    lead = employee is not None and employee.role == Role.LEAD
    title = texts("my-title-lead" if lead else "my-title")
    if not page.entries:
        return {"text": f"{title}\n\n{texts('my-empty')}", "pages": 1}
    counts = texts("my-counts", total=page.total, page=page.page + 1, pages=page.pages)
    lines = "\n".join(entry.line for entry in page.entries)
    return {"text": f"{title}\n{counts}\n\n{lines}", "pages": page.pages}


my_dialog = Dialog(
    Window(
        Format("{text}"),
        # The service pages the list; the scroll only keeps the page number.
        db_pager(PAGES, "my-btn-prev", "my-btn-next"),
        Cancel(T("btn-close")),
        getter=browse_data,
        state=MySG.browse,
    ),
)
router.include_router(my_dialog)
