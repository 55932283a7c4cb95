"""Small helpers for aiogram-dialog windows: catalogue texts and the update's services."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta, timezone
from typing import Any

from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery, InlineKeyboardButton, Message
from aiogram_dialog import DialogManager, ShowMode
from aiogram_dialog.widgets.common import ManagedScroll, WhenCondition
from aiogram_dialog.widgets.input import ManagedTextInput, MessageInput, TextInput
from aiogram_dialog.widgets.input.text import OnError
from aiogram_dialog.widgets.kbd import (
    Button,
    Calendar,
    CalendarScope,
    CalendarUserConfig,
    NextPage,
    PrevPage,
    Row,
    Select,
    StubScroll,
)
from aiogram_dialog.widgets.kbd.calendar_kbd import (
    CalendarDaysView,
    CalendarMonthView,
    CalendarScopeView,
    CalendarYearsView,
    date_from_raw,
    raw_from_date,
)
from aiogram_dialog.widgets.text import Format, Text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import MAX_DB_ID
from bot.services.errors import Invalid, ServiceError
from bot.settings import Settings
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


def db_id(text: str) -> int:
    """A Select's type_factory for row ids: an id as it came back in callback data, or 0 (no
    row has it) when it is not one the database can hold, so a forged or garbled button is
    «not found» instead of an OverflowError."""
    try:
        value = int(text)
    except ValueError:
        return 0
    return value if 1 <= value <= MAX_DB_ID else 0


# --- the update's services in a dialog's handlers -------------------------------------------
# Getters take these as typed keyword arguments; a button's or an input's handler has only
# the manager, whose middleware_data holds what the middlewares put there.


def session_of(manager: DialogManager) -> AsyncSession:
    session: AsyncSession = manager.middleware_data["session"]
    return session


def employee_of(manager: DialogManager) -> Employee | None:
    employee: Employee | None = manager.middleware_data.get("employee")
    return employee


def texts_of(manager: DialogManager) -> Texts:
    texts: Texts = manager.middleware_data["texts"]
    return texts


def settings_of(manager: DialogManager) -> Settings:
    settings: Settings = manager.middleware_data["settings"]
    return settings


# --- lists of choices ------------------------------------------------------------------------


def choices(
    widget_id: str,
    items: str,
    on_click: Any,
    *,
    type_factory: Callable[[str], Any] = str,
) -> Select[Any]:
    """A Select over the getter's `items`, pairs (id, label): a button per pair. Row ids use
    `type_factory=db_id`."""
    return Select(
        Format("{item[1]}"),
        id=widget_id,
        item_id_getter=_first,
        items=items,
        type_factory=type_factory,
        on_click=on_click,
    )


def _first(item: Any) -> Any:
    return item[0]


# --- a list paged by the database: the scroll keeps only the page number ------------------


def not_first_page(data: dict[str, Any], widget: Any, manager: DialogManager) -> bool:
    return bool(data["current_page"] > 0)


def not_last_page(data: dict[str, Any], widget: Any, manager: DialogManager) -> bool:
    return bool(data["current_page"] < data["pages"] - 1)


def db_pager(scroll_id: str, prev_key: str, next_key: str) -> Row:
    """«◀» · «▶» of a list the database pages (the getter returns `pages`). The scroll sits
    in the row of its buttons so that it adds no empty keyboard row of its own."""
    return Row(
        StubScroll(id=scroll_id, pages="pages"),
        PrevPage(scroll=scroll_id, id="prev", text=T(prev_key), when=not_first_page),
        NextPage(scroll=scroll_id, id="next", text=T(next_key), when=not_last_page),
    )


def scroll_of(manager: DialogManager, scroll_id: str) -> ManagedScroll:
    scroll = manager.find(scroll_id)
    assert isinstance(scroll, ManagedScroll)
    return scroll


class _DateText(Text):
    """A calendar label from the catalogue: month and weekday names in Russian."""

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key

    async def _render_text(self, data: dict[str, Any], manager: DialogManager) -> str:
        texts: Texts = manager.middleware_data["texts"]
        shown: date = data["date"]
        return texts(self.key, month=shown.month, year=shown.year, weekday=shown.isoweekday())


# Why a day cannot be chosen: a catalogue key or a service's refusal, or None when it can
# (sync or async).
Refusal = str | ServiceError
DayRule = Callable[[date, DialogManager], "Refusal | Awaitable[Refusal | None] | None"]
MUTED = "X"  # callback data of a muted day: "X" + the day, answered with the reason


class RuCalendar(Calendar):
    """aiogram-dialog's Calendar in Russian, weeks from Monday, "today" in TIMEZONE, offering
    only what can be chosen.

    `past_only` allows days up to today (an incident), `future_only` from today on (a
    briefing, a due date), `unavailable(day, manager)` any rule of the step (a forwarding's
    end before its start, a weekend, a full day). A day refused by a rule is shown muted
    (·12·) and a tap on it answers why; a pressed day is checked again on the server, so a
    forged or outdated button cannot pick it either.
    """

    def __init__(
        self,
        *args: Any,
        past_only: bool = False,
        future_only: bool = False,
        unavailable: DayRule | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.past_only = past_only
        self.future_only = future_only
        self.unavailable = unavailable

    async def refusal(self, day: date, manager: DialogManager) -> Refusal | None:
        """Why `day` cannot be chosen (a catalogue key or a service error), or None."""
        today = datetime.now(manager.middleware_data["settings"].tz).date()
        if self.past_only and day > today:
            return "calendar-day-future"
        if self.future_only and day < today:
            return "calendar-day-past"
        if self.unavailable is None:
            return None
        reason = self.unavailable(day, manager)
        return await reason if inspect.isawaitable(reason) else reason

    def _init_views(self) -> dict[CalendarScope, CalendarScopeView]:
        return {
            CalendarScope.DAYS: _RuDaysView(
                self,
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
        # The widget wants a fixed offset; today's offset of TIMEZONE is the one to show.
        return CalendarUserConfig(
            firstweekday=0, timezone=timezone(now.utcoffset() or timedelta(0))
        )

    async def _process_item_callback(
        self, callback: CallbackQuery, data: str, dialog: Any, manager: DialogManager
    ) -> bool:
        picked = _picked_day(data)
        if picked is None:
            return bool(await super()._process_item_callback(callback, data, dialog, manager))
        reason = await self.refusal(picked, manager)
        if reason is not None:
            texts: Texts = manager.middleware_data["texts"]
            if isinstance(reason, ServiceError):
                await callback.answer(texts(reason.key, **reason.args_), show_alert=True)
            else:
                await callback.answer(texts(reason), show_alert=True)
            return True
        return bool(
            await super()._process_item_callback(
                callback, data.removeprefix(MUTED), dialog, manager
            )
        )


def _picked_day(data: str) -> date | None:
    """The day a day button carries (seconds since 1970, "1796169600", or muted
    "X1796169600"), or None for the calendar's other buttons."""
    raw = data.removeprefix(MUTED)
    if not raw.isdigit() or len(raw) > 12:  # beyond the year 33000: not a calendar's day
        return None
    try:
        return date_from_raw(int(raw))
    except (OverflowError, ValueError):
        return None


class _RuDaysView(CalendarDaysView):
    """The days of a month; a day the calendar refuses is shown muted and says why."""

    def __init__(self, calendar: RuCalendar, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.calendar = calendar

    async def _render_date_button(
        self, selected_date: date, today: date, data: dict[str, Any], manager: DialogManager
    ) -> InlineKeyboardButton:
        button = await super()._render_date_button(selected_date, today, data, manager)
        if await self.calendar.refusal(selected_date, manager) is None:
            return button
        return InlineKeyboardButton(
            text=f"·{selected_date:%d}·",
            callback_data=self.callback_generator(f"{MUTED}{raw_from_date(selected_date)}"),
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


def text_input(
    widget_id: str, clean: Callable[[str], Any], on_success: Any, wrong_key: str
) -> TextInput[Any]:
    """A text step's input: the text cleaned by a service function (`checked`), then
    `on_success`; a refusal says why (`wrong_text`, else `wrong_key`) and the step stays."""
    return TextInput(
        id=widget_id,
        type_factory=checked(clean),
        on_success=on_success,
        on_error=wrong_text(wrong_key),
    )


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
