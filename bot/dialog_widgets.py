"""Small helpers for aiogram-dialog windows: catalogue texts and the update's services."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from typing import Any

from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import DialogManager, ShowMode
from aiogram_dialog.widgets.common import WhenCondition
from aiogram_dialog.widgets.input import ManagedTextInput, MessageInput
from aiogram_dialog.widgets.input.text import OnError
from aiogram_dialog.widgets.kbd import Button, Calendar, CalendarScope, CalendarUserConfig
from aiogram_dialog.widgets.kbd.calendar_kbd import (
    CalendarDaysView,
    CalendarMonthView,
    CalendarScopeView,
    CalendarYearsView,
)
from aiogram_dialog.widgets.text import Format, Text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.errors import Invalid, ServiceError
from bot.texts import Texts
from db.models import Employee

log = logging.getLogger(__name__)


class T(Text):
    """A text from the catalogue (button labels and fixed prompts)."""

    def __init__(self, key: str, when: WhenCondition = None) -> None:
        super().__init__(when=when)
        self.key = key

    async def _render_text(self, data: dict[str, Any], manager: DialogManager) -> str:
        texts: Texts = manager.middleware_data["texts"]
        return texts(self.key)


def services_of(manager: DialogManager) -> tuple[AsyncSession, Employee | None, Texts]:
    """The update's DB session, employee and texts, as the middlewares put them."""
    data = manager.middleware_data
    return data["session"], data.get("employee"), data["texts"]


class _DateText(Text):
    """A calendar label from the catalogue: month and weekday names in Russian."""

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key

    async def _render_text(self, data: dict[str, Any], manager: DialogManager) -> str:
        texts: Texts = manager.middleware_data["texts"]
        shown: date = data["date"]
        return texts(self.key, month=shown.month, year=shown.year, weekday=shown.isoweekday())


class RuCalendar(Calendar):
    """aiogram-dialog's Calendar in Russian, weeks from Monday, "today" in TIMEZONE.

    `past_only` offers days up to today (an incident), `future_only` from today on (a
    briefing, a due date); the handlers check the picked date again.
    """

    def __init__(
        self, *args: Any, past_only: bool = False, future_only: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.past_only = past_only
        self.future_only = future_only

    def _init_views(self) -> dict[CalendarScope, CalendarScopeView]:
        return {
            CalendarScope.DAYS: CalendarDaysView(
                self._item_callback_data,
                today_text=Format("[{date:%d}]"),
                weekday_text=_DateText("calendar-weekday"),
                header_text=_DateText("calendar-header"),
                prev_month_text=_DateText("calendar-prev"),
                next_month_text=_DateText("calendar-next"),
            ),
            CalendarScope.MONTHS: CalendarMonthView(
                self._item_callback_data,
                month_text=_DateText("calendar-month"),
                this_month_text=_DateText("calendar-this-month"),
            ),
            CalendarScope.YEARS: CalendarYearsView(self._item_callback_data),
        }

    async def _get_user_config(
        self, data: dict[str, Any], manager: DialogManager
    ) -> CalendarUserConfig:
        settings = manager.middleware_data["settings"]
        now = datetime.now(settings.tz)
        return CalendarUserConfig(
            firstweekday=0,
            # The widget wants a fixed offset; today's offset of TIMEZONE is the one to show.
            timezone=timezone(now.utcoffset() or timedelta(0)),
            max_date=now.date() if self.past_only else None,
            min_date=now.date() if self.future_only else None,
        )


# --- the steps of every guided dialog: a wrong input gets a hint and the step stays ------


async def say_and_stay(message: Message, manager: DialogManager, key: str, **args: object) -> None:
    """Tell what is expected; the same step is shown again below the answer."""
    texts: Texts = manager.middleware_data["texts"]
    await message.answer(texts(key, **args))
    manager.show_mode = ShowMode.SEND


def hint(key: str) -> MessageInput:
    """What any other kind of message on this step gets: a hint, and the step stays."""

    async def on_message(message: Message, widget: MessageInput, manager: DialogManager) -> None:
        await say_and_stay(message, manager, key)

    return MessageInput(on_message)


def checked(clean: Callable[[str], Any]) -> Callable[[str], Any]:
    """A TextInput type factory: the value cleaned by a service function, or ValueError
    carrying the service's refusal (so `wrong_text` can say what is expected)."""

    def factory(text: str) -> Any:
        try:
            return clean(text)
        except Invalid as error:
            raise ValueError(error) from error

    return factory


def wrong_text(fallback_key: str) -> OnError[Any]:
    """A TextInput on_error: the service's reason, or `fallback_key` for anything else."""

    async def on_error(
        message: Message,
        widget: ManagedTextInput[Any],
        manager: DialogManager,
        error: ValueError,
        /,
    ) -> None:
        reason = error.args[0] if error.args else None
        if isinstance(reason, ServiceError):
            await say_and_stay(message, manager, reason.key, **reason.args_)
        else:
            await say_and_stay(message, manager, fallback_key)

    return on_error


# --- leaving a dialog from one of its buttons ---------------------------------------------


async def close_dialog(query: CallbackQuery, manager: DialogManager, text: str) -> None:
    """Close the dialog first, so none of its buttons can be pressed twice (a second
    «Опубликовать»), then replace its message with `text`. The edit is only the
    confirmation: what the dialog did is already saved, so a failed edit is just logged."""
    await manager.done()
    if not isinstance(query.message, Message):
        return
    try:
        await query.message.edit_text(text)
    except TelegramAPIError as error:
        log.warning("dialog message not replaced: %s", error)


async def cancel_dialog(query: CallbackQuery, button: Button, manager: DialogManager) -> None:
    """«Отмена» of a dialog: closed, nothing saved."""
    texts: Texts = manager.middleware_data["texts"]
    await close_dialog(query, manager, texts("cancelled"))
