"""/queue: what waits for CS (in the private chat and in the CS group) or for a lead (in his
private chat), oldest first, each item one tap from its action.

The list is a plain message with typed paging buttons, not a dialog: in the group it is
shared by the whole team. Every press recomputes the presser's scope (the service's); an
item opens as a new message with the buttons of its action, whose own handlers check the
act again.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards
from bot.callbacks import QueueOpen, QueuePage
from bot.filters import RoleFilter
from bot.services import access, appeals, case_lookup, queue, requests
from bot.services.errors import ServiceError
from bot.settings import Settings
from bot.texts import Texts
from db.models import Appeal, Employee, ServiceRequest
from handlers.cases_list import card_text

router = Router(name=__name__)
router.message.filter(RoleFilter())
router.callback_query.filter(RoleFilter())


def _in_cs_group(message: Message, settings: Settings) -> bool:
    return settings.cs_chat_id is not None and message.chat.id == settings.cs_chat_id


async def _private_or_cs_group(message: Message, settings: Settings) -> bool:
    return message.chat.type == "private" or _in_cs_group(message, settings)


@router.message(Command("queue"), _private_or_cs_group)
async def show_queue(
    message: Message,
    session: AsyncSession,
    employee: Employee,
    settings: Settings,
    texts: Texts,
) -> None:
    await send_queue(message, session, employee, settings, texts)


async def send_queue(
    message: Message,
    session: AsyncSession,
    employee: Employee,
    settings: Settings,
    texts: Texts,
) -> None:
    """The first page of the sender's queue as a new message (also /my for CS)."""
    try:
        view = await queue.page(
            session,
            employee,
            settings=settings,
            texts=texts,
            in_group=message.chat.type != "private",
        )
    except ServiceError as error:
        await message.answer(texts(error.key, **error.args_))
        return
    await message.answer(queue.render(view, texts), reply_markup=_keyboard(view, texts))


@router.callback_query(QueuePage.filter())
async def turn_page(
    query: CallbackQuery,
    callback_data: QueuePage,
    session: AsyncSession,
    employee: Employee,
    settings: Settings,
    texts: Texts,
) -> None:
    message = query.message
    if not isinstance(message, Message):  # too old for Telegram to let it be edited
        await query.answer(texts("queue-error-stale"), show_alert=True)
        return
    try:
        view = await queue.page(
            session,
            employee,
            callback_data.page,
            settings=settings,
            texts=texts,
            in_group=message.chat.type != "private",
            expected=callback_data.scope,
        )
    except ServiceError as error:
        await query.answer(texts(error.key, **error.args_), show_alert=True)
        return
    try:
        await message.edit_text(queue.render(view, texts), reply_markup=_keyboard(view, texts))
    except TelegramBadRequest as error:
        if "not modified" not in str(error):
            raise
        await query.answer(texts("queue-unchanged"))
        return
    await query.answer(texts("queue-refreshed") if view.page == callback_data.page else None)


@router.callback_query(QueueOpen.filter())
async def open_item(
    query: CallbackQuery,
    callback_data: QueueOpen,
    session: AsyncSession,
    employee: Employee,
    settings: Settings,
    texts: Texts,
) -> None:
    message = query.message
    if not isinstance(message, Message):
        await query.answer(texts("queue-error-stale"), show_alert=True)
        return
    try:
        item = await queue.open_item(
            session,
            employee,
            callback_data.kind,
            callback_data.item_id,
            in_group=message.chat.type != "private",
        )
    except ServiceError as error:
        await query.answer(texts(error.key, **error.args_), show_alert=True)
        return
    text, markup = _item_message(item, employee, settings, texts)
    await message.answer(text, reply_markup=markup)
    await query.answer()


def _item_message(
    item: queue.Opened, employee: Employee, settings: Settings, texts: Texts
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The item as its own post shows it, with the buttons of that post."""
    if isinstance(item, case_lookup.CaseCard):
        return card_text(item, texts), case_lookup.actions_keyboard(item.case, employee, texts)
    if isinstance(item, Appeal):
        return appeals.render(item, texts, settings=settings), appeals.decision_keyboard(
            item, texts
        )
    if isinstance(item, ServiceRequest):
        return requests.render(item, texts), requests.keyboard(item, texts)
    return access.render_request(item, texts), keyboards.access_request(item.id, texts)


def _keyboard(view: queue.QueueView, texts: Texts) -> InlineKeyboardMarkup:
    return keyboards.queue_page(view.scope, view.page, view.pages, queue.buttons(view), texts)
