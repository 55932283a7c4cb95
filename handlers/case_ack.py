"""«Ознакомлен» on the manager's notice of a new case (the service checks it is his)."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import CaseAcknowledge
from bot.filters import RoleFilter
from bot.services import case_ack
from bot.services.errors import ServiceError
from bot.settings import Settings
from bot.texts import Texts
from db.models import Employee
from handlers.case_actions.handlers import bot_username

router = Router(name=__name__)
router.callback_query.filter(RoleFilter())  # any employee: the service wants the manager


@router.callback_query(CaseAcknowledge.filter())
async def acknowledge(
    query: CallbackQuery,
    callback_data: CaseAcknowledge,
    session: AsyncSession,
    employee: Employee,
    settings: Settings,
    texts: Texts,
) -> None:
    try:
        case = await case_ack.acknowledge(
            session,
            employee,
            callback_data.case_id,
            settings=settings,
            texts=texts,
            bot_username=await bot_username(query.bot),
        )
    except ServiceError as error:
        await query.answer(texts(error.key, **error.args_), show_alert=True)
        return
    await query.answer(texts("case-ack-done", id=case.id))
