"""/links: CS adds, edits and removes the links of /standards in a dialog (aiogram-dialog)."""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import DialogManager, ShowMode, StartMode, Window
from aiogram_dialog.widgets.input import ManagedTextInput, MessageInput, TextInput
from aiogram_dialog.widgets.kbd import Button, Cancel, Row, ScrollingGroup, Select, SwitchTo
from aiogram_dialog.widgets.text import Format

from bot.conversation import Dialog
from bot.dialog_widgets import T, db_id, services_of
from bot.filters import RoleFilter
from bot.services import links
from bot.services.errors import Invalid, ServiceError
from bot.texts import Texts
from db.models import Role

router = Router(name=__name__)
router.message.filter(RoleFilter(Role.CS), F.chat.type == "private")
router.callback_query.filter(RoleFilter(Role.CS))


class LinksSG(StatesGroup):
    browse = State()
    card = State()
    edit = State()
    confirm_delete = State()
    add_title = State()
    add_url = State()
    add_note = State()
    review = State()


@router.message(Command("links"))
async def open_links(message: Message, dialog_manager: DialogManager) -> None:
    await dialog_manager.start(LinksSG.browse, mode=StartMode.RESET_STACK)


# --- data for the windows -------------------------------------------------------------


async def browse_data(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    session, _, texts = services_of(dialog_manager)
    items = [(link.id, link.title) for link in await links.all_links(session)]
    return {"items": items, "text": texts("links-list")}


async def card_data(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    session, _, texts = services_of(dialog_manager)
    link = await links.get(session, int(dialog_manager.dialog_data["link_id"]))
    field = dialog_manager.dialog_data.get("field", links.LinkField.TITLE)
    return {
        "text": texts(
            "links-card",
            title=link.title,
            url=link.url,
            note=link.note or texts("links-no-note"),
            updated=link.updated_at,
        ),
        "title": link.title,
        "ask": texts(
            "links-ask-field",
            field=texts(f"links-field-{field}"),
            current=getattr(link, str(field)) or texts("links-no-note"),
        ),
        "confirm": texts("links-confirm-delete", title=link.title),
    }


async def draft_data(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    _, _, texts = services_of(dialog_manager)
    draft = dialog_manager.dialog_data.get("draft", {})
    return {
        "ask_title": texts("links-ask-title", max=links.MAX_TITLE),
        "ask_url": texts("links-ask-url"),
        "ask_note": texts("links-ask-note", max=links.MAX_NOTE),
        "review": texts(
            "links-review",
            title=draft.get("title", ""),
            url=draft.get("url", ""),
            note=draft.get("note") or texts("links-no-note"),
        ),
    }


# --- input and buttons -----------------------------------------------------------------


def _checked(field: links.LinkField) -> Any:
    """A TextInput type factory: the cleaned value, or ValueError carrying the reason."""

    def factory(text: str) -> str:
        try:
            return links.clean(field, text)
        except Invalid as error:
            raise ValueError(error) from error

    return factory


async def wrong_input(
    message: Message, widget: ManagedTextInput[str], manager: DialogManager, error: ValueError
) -> None:
    texts: Texts = manager.middleware_data["texts"]
    reason = error.args[0] if error.args else None
    if isinstance(reason, ServiceError):
        await message.answer(texts(reason.key, **reason.args_))
    else:
        await message.answer(texts("links-error-text-only"))
    manager.show_mode = ShowMode.SEND


async def not_text(message: Message, widget: MessageInput, manager: DialogManager) -> None:
    texts: Texts = manager.middleware_data["texts"]
    await message.answer(texts("links-error-text-only"))
    manager.show_mode = ShowMode.SEND


async def pick_link(
    query: CallbackQuery, widget: Select[int], manager: DialogManager, item_id: int
) -> None:
    manager.dialog_data["link_id"] = item_id
    await manager.switch_to(LinksSG.card)


def _edit_field(field: links.LinkField) -> Any:
    async def on_click(query: CallbackQuery, button: Button, manager: DialogManager) -> None:
        manager.dialog_data["field"] = field.value
        await manager.switch_to(LinksSG.edit)

    return on_click


async def save_field(
    message: Message, widget: ManagedTextInput[str], manager: DialogManager, value: str
) -> None:
    session, employee, texts = services_of(manager)
    field = links.LinkField(manager.dialog_data["field"])
    try:
        await links.change(session, employee, int(manager.dialog_data["link_id"]), field, value)
    except Invalid as error:  # wrong input: say what is expected and stay on this step
        await message.answer(texts(error.key, **error.args_))
        manager.show_mode = ShowMode.SEND
        return
    except ServiceError as error:
        await message.answer(texts(error.key, **error.args_))
        await manager.switch_to(LinksSG.browse)
        return
    await message.answer(texts("links-saved"))
    manager.show_mode = ShowMode.SEND
    await manager.switch_to(LinksSG.card)


async def delete_link(query: CallbackQuery, button: Button, manager: DialogManager) -> None:
    session, employee, texts = services_of(manager)
    try:
        title = await links.remove(session, employee, int(manager.dialog_data["link_id"]))
    except ServiceError as error:
        await query.answer(texts(error.key, **error.args_), show_alert=True)
    else:
        await query.answer(texts("links-deleted", title=title))
    await manager.switch_to(LinksSG.browse)


def _draft_step(field: links.LinkField, next_state: State) -> Any:
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
    session, employee, texts = services_of(manager)
    draft = manager.dialog_data.get("draft", {})
    try:
        await links.add(
            session,
            employee,
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


def _text_step(field: links.LinkField, next_state: State) -> list[Any]:
    return [
        TextInput(
            id=f"in_{field.value}",
            type_factory=_checked(field),
            on_success=_draft_step(field, next_state),
            on_error=wrong_input,
        ),
        MessageInput(not_text),
    ]


links_dialog = Dialog(
    Window(
        Format("{text}"),
        ScrollingGroup(
            Select(
                Format("{item[1]}"),
                id="link",
                item_id_getter=lambda item: item[0],
                items="items",
                type_factory=db_id,
                on_click=pick_link,
            ),
            id="links_page",
            width=1,
            height=8,
            hide_on_single_page=True,
        ),
        SwitchTo(T("btn-links-add"), id="add", state=LinksSG.add_title, on_click=start_add),
        Cancel(T("btn-close")),
        getter=browse_data,
        state=LinksSG.browse,
    ),
    Window(
        Format("{text}"),
        Button(
            T("btn-links-edit-title"), id="e_title", on_click=_edit_field(links.LinkField.TITLE)
        ),
        Button(T("btn-links-edit-url"), id="e_url", on_click=_edit_field(links.LinkField.URL)),
        Button(T("btn-links-edit-note"), id="e_note", on_click=_edit_field(links.LinkField.NOTE)),
        SwitchTo(T("btn-links-delete"), id="del", state=LinksSG.confirm_delete),
        SwitchTo(T("btn-back"), id="to_list", state=LinksSG.browse),
        getter=card_data,
        state=LinksSG.card,
    ),
    Window(
        Format("{ask}"),
        TextInput(id="in_value", on_success=save_field, on_error=wrong_input),
        MessageInput(not_text),
        SwitchTo(T("btn-back"), id="edit_back", state=LinksSG.card),
        getter=card_data,
        state=LinksSG.edit,
    ),
    Window(
        Format("{confirm}"),
        Row(
            Button(T("btn-links-delete-yes"), id="del_yes", on_click=delete_link),
            SwitchTo(T("btn-back"), id="del_no", state=LinksSG.card),
        ),
        getter=card_data,
        state=LinksSG.confirm_delete,
    ),
    Window(
        Format("{ask_title}"),
        *_text_step(links.LinkField.TITLE, LinksSG.add_url),
        SwitchTo(T("btn-cancel"), id="add_cancel1", state=LinksSG.browse),
        getter=draft_data,
        state=LinksSG.add_title,
    ),
    Window(
        Format("{ask_url}"),
        *_text_step(links.LinkField.URL, LinksSG.add_note),
        SwitchTo(T("btn-cancel"), id="add_cancel2", state=LinksSG.browse),
        getter=draft_data,
        state=LinksSG.add_url,
    ),
    Window(
        Format("{ask_note}"),
        *_text_step(links.LinkField.NOTE, LinksSG.review),
        Button(T("btn-skip"), id="skip_note", on_click=skip_note),
        SwitchTo(T("btn-cancel"), id="add_cancel3", state=LinksSG.browse),
        getter=draft_data,
        state=LinksSG.add_note,
    ),
    Window(
        Format("{review}"),
        SwitchTo(
            T("btn-links-edit-title"),
            id="r_title",
            state=LinksSG.add_title,
            on_click=mark_reviewing,
        ),
        SwitchTo(
            T("btn-links-edit-url"), id="r_url", state=LinksSG.add_url, on_click=mark_reviewing
        ),
        SwitchTo(
            T("btn-links-edit-note"), id="r_note", state=LinksSG.add_note, on_click=mark_reviewing
        ),
        Row(
            Button(T("btn-save"), id="save", on_click=save_new),
            SwitchTo(T("btn-cancel"), id="review_cancel", state=LinksSG.browse),
        ),
        getter=draft_data,
        state=LinksSG.review,
    ),
)
router.include_router(links_dialog)
