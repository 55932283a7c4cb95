"""/links: CS adds, edits and removes the links of /standards in a dialog.

states   the dialog's states
getters  what each window shows
handlers what its buttons and inputs do
windows  the windows and the dialog
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from aiogram_dialog import DialogManager, StartMode

from bot.filters import PrivateChat, RoleFilter
from db.models import Role
from handlers.links.states import LinksSG
from handlers.links.windows import links_dialog

router = Router(name=__name__)
router.message.filter(RoleFilter(Role.CS), PrivateChat())
router.callback_query.filter(RoleFilter(Role.CS))


@router.message(Command("links"))
async def open_links(message: Message, dialog_manager: DialogManager) -> None:
    await dialog_manager.start(LinksSG.browse, mode=StartMode.RESET_STACK)


router.include_router(links_dialog)
