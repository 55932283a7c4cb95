"""The buttons of a case post, and the short dialogs for acts that need input (a briefing
day and time, a comment, the process analysis). The service checks every act again.

    states   the states of the input dialogs and which act opens which
    getters  what each window shows
    handlers what their inputs and buttons do
    windows  the windows and dialogs
"""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery
from aiogram_dialog import DialogManager
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import CaseButton
from bot.conversation import open_in_private
from bot.filters import RoleFilter
from bot.services import cases
from bot.services.case_lookup import MAX_ID
from bot.services.errors import ServiceError
from bot.settings import Settings
from bot.texts import Texts
from db.models import Employee, Role
from handlers.case_actions.handlers import bot_username
from handlers.case_actions.states import INPUT_STATES
from handlers.case_actions.windows import analysis_dialog, briefing_dialog, comment_dialog

router = Router(name=__name__)
router.callback_query.filter(RoleFilter(Role.CS, Role.LEAD))


@router.callback_query(CaseButton.filter())
async def case_button(
    query: CallbackQuery,
    callback_data: CaseButton,
    session: AsyncSession,
    employee: Employee,
    settings: Settings,
    texts: Texts,
    dialog_manager: DialogManager,
) -> None:
    act, case_id = callback_data.act, callback_data.case_id
    if not 1 <= case_id <= MAX_ID:
        await query.answer(texts("error-stale-button"), show_alert=True)
        return
    try:
        if act in INPUT_STATES:
            await cases.precheck(session, employee, case_id, act)
        else:
            await cases.perform(
                session,
                employee,
                case_id,
                act,
                settings=settings,
                texts=texts,
                bot_username=await bot_username(query.bot),
            )
    except ServiceError as error:
        await query.answer(texts(error.key, **error.args_), show_alert=True)
        return
    if act not in INPUT_STATES:
        await query.answer(texts("case-done"))
        return
    # In the private chat: a new message below, the lead's copy keeps its buttons; pressed in
    # the group: the form opens in the presser's private chat (or he is told to open it).
    data = {"case_id": case_id, "act": act.value}
    await open_in_private(
        query, dialog_manager, INPUT_STATES[act], data, opened_key="case-input-opened"
    )


router.include_routers(briefing_dialog, comment_dialog, analysis_dialog)
