"""Small helpers for aiogram-dialog windows: catalogue texts and the update's services."""

from __future__ import annotations

from typing import Any

from aiogram_dialog import DialogManager
from aiogram_dialog.widgets.common import WhenCondition
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
