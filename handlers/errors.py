"""Errors of any router: a stale dialog button gets a short answer; anything else is logged
and the user is told, instead of silence."""

from __future__ import annotations

import logging

from aiogram import Dispatcher
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import ErrorEvent
from aiogram_dialog.api.exceptions import OutdatedIntent, UnknownIntent, UnknownState

from bot.texts import Texts

log = logging.getLogger(__name__)


def register(dp: Dispatcher) -> None:
    dp.errors.register(
        stale_dialog, ExceptionTypeFilter(UnknownIntent, OutdatedIntent, UnknownState)
    )
    dp.errors.register(unexpected)


async def stale_dialog(event: ErrorEvent, texts: Texts) -> bool:
    query = event.update.callback_query
    if query is not None:
        await query.answer(texts("error-stale-button"), show_alert=True)
    return True


async def unexpected(event: ErrorEvent, texts: Texts) -> bool:
    log.error("update %s failed", event.update.update_id, exc_info=event.exception)
    query = event.update.callback_query
    message = event.update.message
    if query is not None:
        await query.answer(texts("error-internal"), show_alert=True)
    elif message is not None and message.chat.type == "private":
        await message.answer(texts("error-internal"))
    return True
