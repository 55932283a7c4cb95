"""What the buttons and inputs of the /links dialog do. The service checks every change."""

from __future__ import annotations

from functools import partial
from typing import Any

from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import DialogManager
from aiogram_dialog.widgets.input import ManagedTextInput
from aiogram_dialog.widgets.kbd import Button, Select

from bot.dialog_widgets import employee_of, say_and_stay, session_of, texts_of
from bot.services import links
from bot.services.errors import Invalid, ServiceError
from handlers.links.states import LinksSG


def clean(field: links.LinkField) -> Any:
    """The field's text as the service takes it (or its refusal)."""
    return partial(links.clean, field)


async def pick_link(
    query: CallbackQuery, widget: Select[int], manager: DialogManager, item_id: int
) -> None:
    manager.dialog_data["link_id"] = item_id
    await manager.switch_to(LinksSG.card)


def edit_field(field: links.LinkField) -> Any:
    async def on_click(query: CallbackQuery, button: Button, manager: DialogManager) -> None:
        manager.dialog_data["field"] = field.value
        await manager.switch_to(LinksSG.edit)

    return on_click


async def save_field(
    message: Message, widget: ManagedTextInput[str], manager: DialogManager, value: str
) -> None:
    texts = texts_of(manager)
    field = links.LinkField(manager.dialog_data["field"])
    link_id = int(manager.dialog_data["link_id"])
    try:
        await links.change(session_of(manager), employee_of(manager), link_id, field, value)
    except Invalid as error:  # wrong input: say what is expected and stay on this step
        await say_and_stay(message, manager, error.key, **error.args_)
        return
    except ServiceError as error:
        await message.answer(texts(error.key, **error.args_))
        await manager.switch_to(LinksSG.browse)
        return
    await say_and_stay(message, manager, "links-saved")
    await manager.switch_to(LinksSG.card)


async def delete_link(query: CallbackQuery, button: Button, manager: DialogManager) -> None:
    texts = texts_of(manager)
    link_id = int(manager.dialog_data["link_id"])
    try:
        title = await links.remove(session_of(manager), employee_of(manager), link_id)
    except ServiceError as error:
        await query.answer(texts(error.key, **error.args_), show_alert=True)
    else:
        await query.answer(texts("links-deleted", title=title))
    await manager.switch_to(LinksSG.browse)


def draft_step(field: links.LinkField, next_state: State) -> Any:
    async def on_success(
        message: Message, widget: ManagedTextInput[str], manager: DialogManager, value: str
    ) -> None:
        manager.dialog_data.setdefault("draft", {})[field.value] = value
        # After «Изменить» on the review screen, go back to the review, not on through the steps.
        target = LinksSG.review if manager.dialog_data.get("reviewing") else next_state
        await manager.switch_to(target)

    return on_success


async def skip_note(query: CallbackQuery, button: Button, manager: DialogManager) -> None:
    manager.dialog_data.setdefault("draft", {})["note"] = ""
    await manager.switch_to(LinksSG.review)


async def start_add(query: CallbackQuery, button: Button, manager: DialogManager) -> None:
    manager.dialog_data["draft"] = {}
    manager.dialog_data["reviewing"] = False


async def mark_reviewing(query: CallbackQuery, button: Button, manager: DialogManager) -> None:
    manager.dialog_data["reviewing"] = True


async def save_new(query: CallbackQuery, button: Button, manager: DialogManager) -> None:
    texts = texts_of(manager)
    draft = manager.dialog_data.get("draft", {})
    try:
        await links.add(
            session_of(manager),
            employee_of(manager),
            links.LinkDraft(
                title=draft.get("title", ""), url=draft.get("url", ""), note=draft.get("note", "")
            ),
        )
    except ServiceError as error:
        await query.answer(texts(error.key, **error.args_), show_alert=True)
        return
    await query.answer(texts("links-saved"))
    manager.dialog_data["draft"] = {}
    await manager.switch_to(LinksSG.browse)
