"""What the buttons of the /cases dialog do, and the filter they choose (kept in
dialog_data: a state, «open» or «all»; a category or «any»)."""

from __future__ import annotations

from typing import Any

from aiogram.types import CallbackQuery
from aiogram_dialog import DialogManager
from aiogram_dialog.widgets.kbd import Select

from bot.dialog_widgets import scroll_of
from db.models import CaseCategory, CaseState
from handlers.cases_list.states import CasesSG

PAGES = "cases_page"
OPEN, ALL, ANY = "open", "all", "any"


def state_choice(manager: DialogManager) -> str:
    value = manager.dialog_data.get("state", OPEN)
    return value if value in {OPEN, ALL} or value in set(CaseState) else OPEN


def category_choice(manager: DialogManager) -> str:
    value = manager.dialog_data.get("category", ANY)
    return value if value in set(CaseCategory) else ANY


async def pick_case(
    query: CallbackQuery, widget: Select[int], manager: DialogManager, case_id: int
) -> None:
    manager.dialog_data["case_id"] = case_id
    await manager.switch_to(CasesSG.card)


def pick_filter(key: str) -> Any:
    """A state or a category chosen: the list again, from its first page."""

    async def on_click(
        query: CallbackQuery, widget: Select[str], manager: DialogManager, choice: str
    ) -> None:
        manager.dialog_data[key] = choice
        await scroll_of(manager, PAGES).set_page(0)
        await manager.switch_to(CasesSG.browse)

    return on_click
