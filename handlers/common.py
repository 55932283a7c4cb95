"""/cancel: leaves any dialog, plain FSM or aiogram-dialog, from any step."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from aiogram_dialog import DialogManager

from bot.filters import PrivateChat
from bot.texts import Texts

router = Router(name=__name__)
router.message.filter(PrivateChat())


@router.message(Command("cancel"))
async def cancel(
    message: Message,
    state: FSMContext,
    dialog_manager: DialogManager,
    texts: Texts,
    left_dialog: bool = False,
) -> None:
    # A command closes the open dialog before any handler runs (bot.conversation).
    had_dialog = left_dialog or dialog_manager.has_context()
    if had_dialog:
        await dialog_manager.reset_stack()
    if await state.get_state() is not None:
        await state.clear()
        had_dialog = True
    await message.answer(texts("cancelled" if had_dialog else "nothing-to-cancel"))
