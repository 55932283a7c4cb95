"""/analysis: CS posts a call analysis to the group in a guided dialog.

Steps: the manager's role, the manager (optional: the person picker, a subdialog), the text,
a file (audio, voice or document; optional), a link (optional); then a preview with
«Изменить» per field and «Опубликовать». The draft lives in `dialog_data` (JSON), so it
survives a restart; the service validates everything again when it posts.

    states   the dialog's states
    getters  what each window shows
    handlers what its steps do, the draft as the service takes it
    windows  the windows and the dialog
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import Message
from aiogram_dialog import DialogManager, StartMode

from bot.filters import PrivateChat, RoleFilter
from bot.services import analyses
from bot.services.errors import Forbidden
from bot.texts import Texts
from db.models import Employee, Role
from handlers.analyses.states import CallAnalysisSG
from handlers.analyses.windows import analysis_dialog

__all__ = ["CallAnalysisSG", "router"]  # handlers/shortcuts.py opens the dialog too

router = Router(name=__name__)
router.message.filter(RoleFilter(Role.CS), PrivateChat())
router.callback_query.filter(RoleFilter(Role.CS))


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


router.include_router(analysis_dialog)
