"""/export (CS): choose a period, get one XLSX with cases (and their history), appeals,
requests and results.

The period is a button («Этот месяц» … «Всё время») or «Свой период»: the first and the
last day from the calendar, or both typed as 01.10.2026–31.10.2026. The file is sent as a
document in this chat, the one being answered.

    states   the dialog's states
    getters  what each window shows
    handlers what its buttons and inputs do (build and send the file)
    windows  the windows and the dialog
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import Message
from aiogram_dialog import DialogManager, StartMode

from bot.filters import PrivateChat, RoleFilter
from bot.services import export
from bot.services.errors import Forbidden
from bot.texts import Texts
from db.models import Employee, Role
from handlers.export.states import ExportSG
from handlers.export.windows import export_dialog

router = Router(name=__name__)
router.message.filter(RoleFilter(Role.CS), PrivateChat())
router.callback_query.filter(RoleFilter(Role.CS))


@router.message(Command("export"), F.text.regexp(r"^/export(@\w+)?\s*$"))
async def open_export_dialog(
    message: Message, dialog_manager: DialogManager, employee: Employee | None, texts: Texts
) -> None:
    try:
        export.check_can_export(employee)
    except Forbidden as error:
        await message.answer(texts(error.key, **error.args_))
        return
    await dialog_manager.start(ExportSG.period, mode=StartMode.RESET_STACK)


router.include_router(export_dialog)
