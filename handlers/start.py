"""/start and /help: recognise the user and show what his role can do."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import BotCommandScopeChat, Message
from aiogram_dialog import DialogManager
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards, views
from bot.commands import commands_for
from bot.filters import PrivateChat
from bot.services import access
from bot.settings import Settings
from bot.texts import Html, Texts
from db.models import Employee
from handlers import appeals

router = Router(name=__name__)


@router.message(CommandStart(), ~PrivateChat())
async def start_in_group(message: Message, bot: Bot, texts: Texts) -> None:
    me = await bot.me()
    await message.reply(
        texts("start-group"), reply_markup=keyboards.private_chat(me.username or "", texts)
    )


@router.message(CommandStart(deep_link=True, magic=F.args.regexp(r"^appeal_\d+$")), F.from_user)
async def start_appeal(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    employee: Employee | None,
    settings: Settings,
    texts: Texts,
    dialog_manager: DialogManager,
) -> None:
    """The «Обжаловать» deep link of a case notice: the appeal dialog for that case."""
    assert message.from_user is not None
    assert command.args is not None
    if employee is None:
        await message.answer(texts("help-unknown"))
    else:
        case_id = int(command.args.removeprefix("appeal_"))
        await appeals.open_for_case(
            message, case_id, session, employee, settings, texts, dialog_manager
        )
    await access.user_returned(session, message.from_user.id, texts=texts)


@router.message(CommandStart(), F.from_user)
async def start(
    message: Message, bot: Bot, session: AsyncSession, employee: Employee | None, texts: Texts
) -> None:
    """The greeting, then what was kept for him while the bot could not reach him."""
    assert message.from_user is not None
    applicant = access.Applicant.from_user(message.from_user)
    waiting = await access.waiting_for(session, applicant.telegram_id)
    await greet(message, bot, session, employee, applicant, texts)
    if waiting.more:
        await message.answer(
            texts(
                "unreachable-waiting-cut",
                total=waiting.count + waiting.more,
                count=waiting.count,
                more=waiting.more,
            )
        )
    elif waiting.count:
        await message.answer(texts("unreachable-waiting", count=waiting.count))
    # After the greeting: the kept messages go out through the outbox, below it.
    await access.user_returned(session, applicant.telegram_id, texts=texts)


async def greet(
    message: Message,
    bot: Bot,
    session: AsyncSession,
    employee: Employee | None,
    applicant: access.Applicant,
    texts: Texts,
) -> None:
    if employee is None:
        employee = await access.recognise(session, applicant)
    scope = BotCommandScopeChat(chat_id=message.chat.id)
    if employee is None:
        await bot.set_my_commands(commands_for(None, texts), scope=scope)
        pending = await access.pending_of(session, applicant.telegram_id)
        if await access.former(session, applicant) is not None:
            await message.answer(texts("start-former"))
        elif pending is not None:
            await message.answer(texts("start-pending", date=pending.created_at))
        else:
            await message.answer(texts("start-unknown"), reply_markup=keyboards.ask_access(texts))
        return
    await bot.set_my_commands(commands_for(employee.role, texts), scope=scope)
    await message.answer(
        texts(
            "start-known",
            name=employee.full_name,
            card=Html(views.employee_card(employee, texts)),
            help=Html(texts(f"help-{employee.role}")),
        )
    )


@router.message(Command("help"), PrivateChat())
async def help_command(message: Message, employee: Employee | None, texts: Texts) -> None:
    await message.answer(texts(f"help-{employee.role}" if employee else "help-unknown"))


@router.message(Command("help"))
async def help_in_group(message: Message, bot: Bot, texts: Texts) -> None:
    """In a group: what works there, and the way to the private chat for the rest."""
    me = await bot.me()
    await message.reply(
        texts("help-group"), reply_markup=keyboards.private_chat(me.username or "", texts)
    )
