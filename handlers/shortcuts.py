"""Buttons of group notices that open the dialog resolving them in the presser's private chat
(«Опубликовать разбор» of «no call analysis this month», «Загрузить итоги» of «no results for
the digest»). The service checks who may, as the command would."""

from __future__ import annotations

from aiogram import Router
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery
from aiogram_dialog import DialogManager

from bot.callbacks import OpenDialog, Shortcut
from bot.conversation import open_in_private
from bot.services import analyses, results_import
from bot.services.errors import ServiceError
from bot.texts import Texts
from db.models import Employee
from handlers.analyses import CallAnalysisSG
from handlers.imports import ImportSG

router = Router(name=__name__)

CHECKS = {
    Shortcut.ANALYSIS: analyses.check_can_post,
    Shortcut.IMPORT: results_import.check_can_import,
}
STARTS: dict[Shortcut, State] = {
    Shortcut.ANALYSIS: CallAnalysisSG.role,
    Shortcut.IMPORT: ImportSG.file,
}


@router.callback_query(OpenDialog.filter())
async def open_shortcut(
    query: CallbackQuery,
    callback_data: OpenDialog,
    employee: Employee | None,
    texts: Texts,
    dialog_manager: DialogManager,
) -> None:
    try:
        CHECKS[callback_data.what](employee)
    except ServiceError as error:
        await query.answer(texts(error.key, **error.args_), show_alert=True)
        return
    await open_in_private(
        query, dialog_manager, STARTS[callback_data.what], {}, opened_key="shortcut-opened"
    )
