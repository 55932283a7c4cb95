"""Small helpers for aiogram-dialog windows: catalogue texts and the update's services."""

from __future__ import annotations

from typing import Any

from aiogram_dialog import DialogManager
from aiogram_dialog.widgets.common import WhenCondition
from aiogram_dialog.widgets.kbd import Calendar, CalendarScope, CalendarUserConfig
from aiogram_dialog.widgets.kbd.calendar_kbd import (
    CalendarDaysView,
    CalendarMonthView,
    CalendarScopeView,
    CalendarYearsView,
)
from aiogram_dialog.widgets.text import Text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.texts import Texts
from db.models import Employee


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


MONTHS = (
    "Январь",
    "Февраль",
    "Март",
    "Апрель",
    "Май",
    "Июнь",
    "Июль",
    "Август",
    "Сентябрь",
    "Октябрь",
    "Ноябрь",
    "Декабрь",
)
WEEKDAYS = ("Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс")


class _DateText(Text):
    """A calendar label in Russian (aiogram-dialog's default uses the C locale: English)."""

    def __init__(self, pattern: str) -> None:
        super().__init__()
        self.pattern = pattern

    async def _render_text(self, data: dict[str, Any], manager: DialogManager) -> str:
        value = data["date"]
        return self.pattern.format(
            day=f"{value.day:02d}",
            month=MONTHS[value.month - 1],
            year=value.year,
            weekday=WEEKDAYS[value.weekday()],
        )


class RuCalendar(Calendar):
    """aiogram-dialog's Calendar with Russian names, weeks from Monday, today in TIMEZONE."""

    def _init_views(self) -> dict[CalendarScope, CalendarScopeView]:
        return {
            CalendarScope.DAYS: CalendarDaysView(
                self._item_callback_data,
                today_text=_DateText("[{day}]"),
                weekday_text=_DateText("{weekday}"),
                header_text=_DateText("🗓 {month} {year}"),
                next_month_text=_DateText("{month} >>"),
                prev_month_text=_DateText("<< {month}"),
            ),
            CalendarScope.MONTHS: CalendarMonthView(
                self._item_callback_data,
                month_text=_DateText("{month}"),
                this_month_text=_DateText("[{month}]"),
            ),
            CalendarScope.YEARS: CalendarYearsView(self._item_callback_data),
        }

    async def _get_user_config(
        self, data: dict[str, Any], manager: DialogManager
    ) -> CalendarUserConfig:
        settings = manager.middleware_data["settings"]
        return CalendarUserConfig(firstweekday=0, timezone=settings.tz)
