"""/digest: CS sees the month's digest privately (the chart and the text), then publishes it
to the group with «Опубликовать» or closes the preview with «Отмена».

`/digest` shows the latest month with results, `/digest 10.2026` a given one. The buttons
carry only the month; the service checks the role again on every press and posts the digest
as it is at that moment.
"""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards
from bot.callbacks import DigestAct, DigestButton
from bot.filters import PrivateChat, RoleFilter
from bot.services import digest, months
from bot.services.errors import Forbidden, ServiceError
from bot.settings import Settings
from bot.texts import Texts
from db.models import Employee, Role

log = logging.getLogger(__name__)
router = Router(name=__name__)
router.message.filter(RoleFilter(Role.CS), PrivateChat())
# Buttons are not filtered by role here: a press by anyone else gets the service's refusal
# («only CS publishes»), which says more than the generic «stale button».


@router.message(Command("digest"))
async def show_digest_preview(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    employee: Employee | None,
    settings: Settings,
    texts: Texts,
) -> None:
    try:
        preview = await digest.preview(
            session, employee, command.args, settings=settings, texts=texts
        )
    except ServiceError as error:
        await message.answer(texts(error.key, **error.args_))
        return
    month = preview.digest.month
    await message.answer_photo(
        BufferedInputFile(preview.png, filename=digest.chart_filename(month)),
        caption=preview.caption,
    )
    *first, last = preview.messages
    for text in first:
        await message.answer(text)
    await message.answer(
        last,
        reply_markup=keyboards.digest_preview(
            months.code(month), posted=preview.posted is not None, texts=texts
        ),
    )


async def _drop_buttons(query: CallbackQuery) -> None:
    if not isinstance(query.message, Message):
        return
    try:
        await query.message.edit_reply_markup(reply_markup=None)
    except TelegramAPIError as error:  # already gone: nothing to remove
        log.info("preview buttons not removed: %s", error)


@router.callback_query(DigestButton.filter(F.act == DigestAct.PUBLISH))
async def publish_digest(
    query: CallbackQuery,
    callback_data: DigestButton,
    session: AsyncSession,
    employee: Employee | None,
    settings: Settings,
    texts: Texts,
) -> None:
    month = months.from_code(callback_data.month)
    if month is None:
        await query.answer(texts("error-stale-button"), show_alert=True)
        return
    try:
        published = await digest.publish(session, employee, month, settings=settings, texts=texts)
    except Forbidden as error:
        await query.answer(texts(error.key, **error.args_), show_alert=True)
        return
    except ServiceError as error:  # already posted, or the results are gone
        await query.answer(texts(error.key, **error.args_), show_alert=True)
        await _drop_buttons(query)
        return
    await query.answer()
    await _drop_buttons(query)
    label = months.label(texts, month)
    text = (
        texts("digest-published-invited", month=label, count=published.invited)
        if published.invited
        else texts("digest-published", month=label)
    )
    if isinstance(query.message, Message):
        await query.message.answer(text)


@router.callback_query(DigestButton.filter(F.act == DigestAct.CLOSE))
async def close_digest_preview(
    query: CallbackQuery, employee: Employee | None, texts: Texts
) -> None:
    try:
        digest.check_can_post(employee)
    except Forbidden as error:
        await query.answer(texts(error.key, **error.args_), show_alert=True)
        return
    await query.answer(texts("digest-preview-closed"))
    await _drop_buttons(query)
