"""/case: CS registers a case in a guided dialog, then publishes it.

Steps: the person (the person picker, a subdialog opened on top of the tab step), tab,
category, source, the incident date (a calendar that ends today), the summary, a link to the
recording, files; then a review screen where any field can be changed before
«Опубликовать». The draft lives in `dialog_data` (JSON: the date as an ISO string), so it
survives a restart; the service validates everything again when the case is registered.

    states   the dialog's states
    getters  what each window shows (and how the review describes the files)
    handlers what its steps do, the draft as the service takes it
    windows  the windows and the dialog
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import Message
from aiogram_dialog import DialogManager, StartMode

from bot.filters import PrivateChat, RoleFilter
from db.models import Role
from handlers.case_new.getters import describe_attachments
from handlers.case_new.handlers import MAX_ATTACHMENTS, case_draft
from handlers.case_new.states import CaseNewSG
from handlers.case_new.windows import case_new_dialog
from handlers.review_flow import attachment_of, shortened

# appeals.py and the tests take these from here.
__all__ = [
    "MAX_ATTACHMENTS",
    "attachment_of",
    "case_draft",
    "describe_attachments",
    "router",
    "shortened",
]

router = Router(name=__name__)
router.message.filter(RoleFilter(Role.CS), PrivateChat())
router.callback_query.filter(RoleFilter(Role.CS))


@router.message(Command("case"), F.text.regexp(r"^/case(@\w+)?\s*$"))
async def open_case_dialog(message: Message, dialog_manager: DialogManager) -> None:
    await dialog_manager.start(CaseNewSG.tab, mode=StartMode.RESET_STACK)


router.include_router(case_new_dialog)
