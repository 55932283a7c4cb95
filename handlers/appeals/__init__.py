"""/appeal and the «Обжаловать» deep link: a manager (or his lead) files an appeal in a
guided dialog; CS decides it with the buttons of the group post and a comment.

Steps: the case (skipped when the dialog is opened for one: the deep link, `/appeal 12`), the
reason, the evidence (links and files, optional); then a review with «Изменить …» per field
and «Отправить». The draft lives in `dialog_data` (JSON), so it survives a restart; the
service checks the window, the case and the person again when the appeal is sent.

    states   the dialogs' states
    getters  what each window shows
    handlers what their steps do
    windows  the windows and the dialogs
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import DialogManager, StartMode
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import AppealButton
from bot.conversation import open_in_private
from bot.filters import PrivateChat, RoleFilter
from bot.services import appeals
from bot.services.errors import ServiceError
from bot.settings import Settings
from bot.texts import Texts
from db.models import Employee, Role
from handlers.appeals.states import AppealSG, DecisionSG
from handlers.appeals.windows import appeal_dialog, decision_dialog

__all__ = ["AppealSG", "DecisionSG", "open_for_case", "router"]  # start.py opens the dialog

router = Router(name=__name__)

# Filing: managers and leads, in the private chat.
filing = Router(name=f"{__name__}.filing")
filing.message.filter(RoleFilter(Role.MANAGER, Role.LEAD), PrivateChat())
filing.callback_query.filter(RoleFilter(Role.MANAGER, Role.LEAD))
# Deciding: the buttons reach every known user, so a lead's or a manager's press gets the
# service's clear refusal, not a generic one; the comment dialog is CS's.
deciding = Router(name=f"{__name__}.deciding")
deciding.callback_query.filter(RoleFilter())
router.include_routers(filing, deciding)


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
    await open_in_private(
        query,
        dialog_manager,
        DecisionSG.comment,
        {"appeal_id": callback_data.appeal_id, "decision": callback_data.decision.value},
        opened_key="appeal-input-opened",
    )


filing.include_router(appeal_dialog)
deciding.include_router(decision_dialog)
