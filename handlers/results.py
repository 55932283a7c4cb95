"""/results: the latest month's results in the viewer's scope, with «◀ Предыдущий месяц» /
«Следующий месяц ▶» and page buttons that edit the same message. The buttons name only a
month and a page: the service works out the scope again on every press.

«Динамика» sends the 12-month chart of the viewer's scope as a photo, with the groups he may
pick below it; a group picked sends that group's chart. The buttons name only a group id:
the service checks it against the viewer's groups and refuses another's."""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import ResultsPage, TrendsChart, TrendsPicker
from bot.filters import PrivateChat, RoleFilter
from bot.services import months, results, trends
from bot.services.errors import ServiceError
from bot.texts import Texts
from db.models import Employee

log = logging.getLogger(__name__)
router = Router(name=__name__)
router.message.filter(RoleFilter(), PrivateChat())
router.callback_query.filter(RoleFilter())


@router.message(Command("results"))
async def show_results(
    message: Message, session: AsyncSession, employee: Employee, texts: Texts
) -> None:
    try:
        shown = await results.screen(session, employee, texts)
    except ServiceError as error:
        await message.answer(texts(error.key, **error.args_))
        return
    await message.answer(shown.text, reply_markup=shown.keyboard)


@router.callback_query(ResultsPage.filter())
async def turn_results(
    query: CallbackQuery,
    callback_data: ResultsPage,
    session: AsyncSession,
    employee: Employee,
    texts: Texts,
) -> None:
    month = months.from_code(callback_data.month)
    if month is None or not isinstance(query.message, Message):
        await query.answer(texts("results-month-gone"), show_alert=True)
        return
    try:
        shown = await results.screen(session, employee, texts, month=month, page=callback_data.page)
    except ServiceError as error:
        await query.answer(texts(error.key, **error.args_), show_alert=True)
        return
    try:
        await query.message.edit_text(shown.text, reply_markup=shown.keyboard)
    except TelegramBadRequest as error:  # pressed twice: the message already shows it
        log.info("results message not edited: %s", error)
    await query.answer()


@router.callback_query(TrendsChart.filter())
async def send_trend_chart(
    query: CallbackQuery,
    callback_data: TrendsChart,
    session: AsyncSession,
    employee: Employee,
    texts: Texts,
) -> None:
    if not isinstance(query.message, Message):
        await query.answer(texts("error-stale-button"), show_alert=True)
        return
    try:
        chart = await trends.chart(session, employee, texts, callback_data.group_id)
    except ServiceError as error:
        await query.answer(texts(error.key, **error.args_), show_alert=True)
        return
    await query.answer()
    await query.message.answer_photo(
        BufferedInputFile(chart.png, filename=chart.filename),
        caption=chart.caption,
        reply_markup=chart.keyboard,
    )


@router.callback_query(TrendsPicker.filter())
async def turn_trend_picker(
    query: CallbackQuery,
    callback_data: TrendsPicker,
    session: AsyncSession,
    employee: Employee,
    texts: Texts,
) -> None:
    if not isinstance(query.message, Message):
        await query.answer(texts("error-stale-button"), show_alert=True)
        return
    try:
        markup = await trends.picker_page(
            session, employee, texts, callback_data.page, callback_data.group_id
        )
    except ServiceError as error:
        await query.answer(texts(error.key, **error.args_), show_alert=True)
        return
    try:
        await query.message.edit_reply_markup(reply_markup=markup)
    except TelegramBadRequest as error:  # pressed twice: the message already shows it
        log.info("trend picker not turned: %s", error)
    await query.answer()
