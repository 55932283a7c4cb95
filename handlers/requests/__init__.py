"""/request: a manager or a lead files a request to CS. A small dialog asks for the kind,
then the kind's own dialog (call forwarding, team change, badge) walks its steps to a
review; CS processes the request from its group post (`processing`).

The router lets any known user through: the command itself is for managers and leads (a
filter on its handler), while CS members press the post's buttons and answer the reason
dialog here too.

    states     the states of every dialog and the order of each kind's steps
    getters    what each window shows
    handlers   what its buttons and inputs do
    windows    the windows and dialogs
    processing the CS post's buttons and the reason of a rejection
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from aiogram_dialog import DialogManager, StartMode

from bot.filters import PrivateChat, RoleFilter
from db.models import Role
from handlers.requests import processing, windows
from handlers.requests.states import KindSG

router = Router(name=__name__)
router.message.filter(RoleFilter(), PrivateChat())
router.callback_query.filter(RoleFilter())


@router.message(Command("request"), RoleFilter(Role.MANAGER, Role.LEAD))
async def open_request_dialog(message: Message, dialog_manager: DialogManager) -> None:
    await dialog_manager.start(KindSG.kind, mode=StartMode.RESET_STACK)


router.include_routers(
    processing.router,
    windows.choice_dialog,
    windows.forwarding_dialog,
    windows.staffing_dialog,
    windows.badge_dialog,
    processing.reject_dialog,
)
