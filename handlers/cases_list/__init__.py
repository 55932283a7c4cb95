"""/cases: the cases a user may see, filtered and paged, each opening its card with the
history (a dialog); /case 123: one case's card as a message, with the buttons its viewer may
press. Scope is the service's: CS all, a lead his groups', a manager his own.

    cards    a case as text: the card with its history, a list row (also for /queue)
    states   the dialog's states
    getters  what each window shows
    handlers what its buttons do, and the filter they choose
    windows  the windows and the dialog
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, Message
from aiogram_dialog import DialogManager, StartMode
from sqlalchemy.ext.asyncio import AsyncSession

from bot.filters import PrivateChat, RoleFilter
from bot.services import case_lookup
from bot.services.errors import ServiceError
from bot.texts import Texts
from db.models import Employee
from handlers.cases_list.cards import (
    MAX_CARD_TEXT,
    card_fits,
    card_full_text,
    card_text,
    category_name,
    history_line,
    row_label,
    state_name,
)
from handlers.cases_list.states import CasesSG
from handlers.cases_list.windows import cases_dialog

__all__ = [
    "MAX_CARD_TEXT",
    "card_fits",
    "card_full_text",
    "card_text",
    "category_name",
    "history_line",
    "router",
    "row_label",
    "state_name",
]

router = Router(name=__name__)
router.message.filter(RoleFilter(), PrivateChat())
router.callback_query.filter(RoleFilter())


@router.message(Command("case", magic=F.args.regexp(r"^\s*#?\d+\s*$")))
async def show_case(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    employee: Employee,
    texts: Texts,
) -> None:
    assert command.args is not None
    case_id = int(command.args.strip().lstrip("#"))
    try:
        found = await case_lookup.card(session, employee, case_id)
    except ServiceError:
        # Missing and out of scope read the same: the answer never reveals that a case exists.
        await message.answer(texts("case-error-missing", id=case_id))
        return
    whole = card_fits(found, texts)
    # Too long for one message: the card cut to fit, and the whole of it as a .txt file.
    tail = None if whole else texts("cases-list-card-cut-file")
    await message.answer(
        card_text(found, texts, tail=tail),
        reply_markup=case_lookup.actions_keyboard(found.case, employee, texts),
    )
    if not whole:
        await message.answer_document(
            BufferedInputFile(
                card_full_text(found, texts).encode("utf-8"), filename=f"case-{case_id}.txt"
            ),
            caption=texts("cases-list-card-file", id=case_id),
        )


@router.message(Command("cases"))
async def open_cases(message: Message, dialog_manager: DialogManager) -> None:
    await dialog_manager.start(CasesSG.browse, mode=StartMode.RESET_STACK)


router.include_router(cases_dialog)
