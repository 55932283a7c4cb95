"""What nobody else handled: a stale or foreign button, an unknown command, stray text.

A button press always gets a short answer, never silence (DESIGN §12).
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.types import CallbackQuery, Message

from bot import keyboards
from bot.commands import ROLE_COMMANDS
from bot.filters import PrivateChat
from bot.texts import Texts
from db.models import Employee

router = Router(name=__name__)
ALL_COMMANDS = {name for names in ROLE_COMMANDS.values() for name in names}


@router.callback_query()
async def stale_button(query: CallbackQuery, texts: Texts) -> None:
    await query.answer(texts("error-stale-button"), show_alert=True)


@router.message(~PrivateChat(), F.text.startswith("/"))
async def command_in_group(
    message: Message, bot: Bot, employee: Employee | None, texts: Texts
) -> None:
    """A private-chat command sent to a group (/cases there got no answer): the way to the
    private chat. Commands of other bots (/x@other_bot) and unknown ones are left alone."""
    assert message.text is not None
    command, _, addressee = message.text.split()[0].lstrip("/").partition("@")
    me = await bot.me()
    if addressee and addressee.lower() != (me.username or "").lower():
        return
    if employee is None or command.lower() not in ALL_COMMANDS:
        return
    await message.reply(
        texts("command-private-only", command=command.lower()),
        reply_markup=keyboards.private_chat(me.username or "", texts),
    )


@router.message(PrivateChat(), F.text.startswith("/"))
async def unknown_command(message: Message, employee: Employee | None, texts: Texts) -> None:
    assert message.text is not None
    if employee is None:
        await message.answer(texts("help-unknown"))
        return
    command = message.text.split()[0].lstrip("/").split("@")[0].lower()
    if command in ALL_COMMANDS:
        await message.answer(texts("error-command-role", command=command))
    else:
        await message.answer(texts("error-unknown-command"))


@router.message(PrivateChat())
async def stray_message(message: Message, employee: Employee | None, texts: Texts) -> None:
    await message.answer(texts("not-understood" if employee else "help-unknown"))
