"""/calibrate: CS starts a blind calibration; each participant votes in private from the
«Оценить» of his invitation; `/calibrate list` shows the past sessions.

Steps of /calibrate: a case number or a recording link (then a category), the participants
(CS members and leads, at least two), the deadline's day (18:00 in TIMEZONE), a review and
«Запустить». The vote: the verdict, the score 0–100, a comment (or «Пропустить»), a review
and «Отправить». The service checks the roles on every step that writes: a non-CS cannot
start nor list, a non-participant's (or a forged) «Оценить» is refused, a second vote too.

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

from bot.callbacks import CalibrationButton
from bot.conversation import open_in_private
from bot.filters import PrivateChat, RoleFilter
from bot.services import calibration
from bot.services.errors import ServiceError
from bot.texts import Texts
from db.models import Employee
from handlers.calibration.states import CalibrateSG, CalibrationVoteSG
from handlers.calibration.windows import calibrate_dialog, vote_dialog

__all__ = ["CalibrateSG", "CalibrationVoteSG", "router"]

router = Router(name=__name__)
# Every known user reaches these handlers, so a lead's or a manager's /calibrate and a
# non-participant's «Оценить» get the service's clear refusal.
router.message.filter(RoleFilter(), PrivateChat())
router.callback_query.filter(RoleFilter())


@router.message(Command("calibrate"), F.text.regexp(r"^/calibrate(@\w+)?(\s+list)?\s*$"))
async def open_calibrate(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    employee: Employee | None,
    texts: Texts,
    dialog_manager: DialogManager,
) -> None:
    try:
        if command.args and command.args.strip() == "list":
            found = await calibration.past_sessions(session, employee)
            await message.answer(calibration.list_text(found, texts))
            return
        await calibration.possible_participants(session, employee)  # CS only
    except ServiceError as error:
        await message.answer(texts(error.key, **error.args_))
        return
    await dialog_manager.start(CalibrateSG.subject, mode=StartMode.RESET_STACK)


@router.callback_query(CalibrationButton.filter())
async def vote_button(
    query: CallbackQuery,
    callback_data: CalibrationButton,
    session: AsyncSession,
    employee: Employee | None,
    texts: Texts,
    dialog_manager: DialogManager,
) -> None:
    try:
        await calibration.check_can_vote(session, employee, callback_data.session_id)
    except ServiceError as error:
        await query.answer(texts(error.key, **error.args_), show_alert=True)
        return
    await open_in_private(
        query,
        dialog_manager,
        CalibrationVoteSG.verdict,
        {"session_id": callback_data.session_id},
        opened_key="calibration-vote-opened",
    )


router.include_routers(calibrate_dialog, vote_dialog)
