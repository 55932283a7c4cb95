"""What the picker's inputs and buttons do. A pick is checked on the server against the
scope as it is now (`people.pick`), so a forged or outdated button picks nobody."""

from __future__ import annotations

import logging
from typing import Any

from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import Data, DialogManager
from aiogram_dialog.widgets.common import ManagedScroll
from aiogram_dialog.widgets.input import ManagedTextInput
from aiogram_dialog.widgets.kbd import Button

from bot.dialog_widgets import say_and_stay
from bot.services import people
from bot.services.errors import NotFound
from bot.texts import Texts
from handlers.person_picker.states import PersonPick, PersonPickSG

log = logging.getLogger(__name__)

PAGES = "people_page"


async def begin(start_data: Data, manager: DialogManager) -> None:
    """A small scope shows its list at once; a large one asks for part of the name first."""
    if PersonPick.of(start_data).listed:
        await manager.switch_to(PersonPickSG.pick)


async def search(
    message: Message, widget: ManagedTextInput[str], manager: DialogManager, text: str
) -> None:
    ask = PersonPick.of(manager.start_data)
    query = people.clean_query(text)
    if not query:
        await say_and_stay(message, manager, "picker-search-empty")
        return
    found = await people.people_in(
        manager.middleware_data["session"],
        manager.middleware_data.get("employee"),
        ask.scope,
        group_id=ask.group_id,
        query=query,
    )
    if not found:
        key = "picker-no-match-skip" if ask.skip else "picker-no-match"
        await say_and_stay(message, manager, key, query=query)
        return
    manager.dialog_data["query"] = query
    pages = manager.find(PAGES)
    if isinstance(pages, ManagedScroll):  # a new search starts on its first page
        await pages.set_page(0)
    await manager.switch_to(PersonPickSG.pick)


async def pick(query: CallbackQuery, widget: Any, manager: DialogManager, item_id: int) -> None:
    """A person of the list: checked against the scope as it is now, then given back."""
    ask = PersonPick.of(manager.start_data)
    texts: Texts = manager.middleware_data["texts"]
    try:
        person = await people.pick(
            manager.middleware_data["session"],
            manager.middleware_data.get("employee"),
            ask.scope,
            item_id,
            group_id=ask.group_id,
        )
    except NotFound as error:
        await query.answer(texts(error.key, **error.args_), show_alert=True)
        return
    if ask.grouped and not person.groups:
        await query.answer(texts("picker-needs-group", name=person.full_name), show_alert=True)
        return
    await manager.done(
        {"person_id": person.id, "name": person.full_name, "group": people.group_of(person)}
    )


async def keep(query: CallbackQuery, button: Button, manager: DialogManager) -> None:
    """«Дальше ▶»: the earlier pick stays, if it is still in the scope."""
    await pick(query, button, manager, PersonPick.of(manager.start_data).current_id)


async def skip(query: CallbackQuery, button: Button, manager: DialogManager) -> None:
    await manager.done({"skipped": True})


async def back(query: CallbackQuery, button: Button, manager: DialogManager) -> None:
    """To the step the picker was opened from, as it was."""
    await manager.done()


async def cancel(query: CallbackQuery, button: Button, manager: DialogManager) -> None:
    """«Отмена» ends the whole flow, the dialog that asked included: nothing is saved."""
    texts: Texts = manager.middleware_data["texts"]
    await manager.reset_stack(remove_keyboard=False)
    if not isinstance(query.message, Message):
        return
    try:
        await query.message.edit_text(texts("cancelled"))
    except TelegramAPIError as error:
        log.warning("dialog message not replaced: %s", error)
