"""The way through a guided dialog that ends in a review (/case, /analysis): each step goes
on to the next, or straight back to the review when «Изменить …» opened it; «◀ Назад» goes
to the step before; a step that picks a person is the person picker on top of the dialog.

One `ReviewFlow` per dialog holds its review state; the dialog's steps use its buttons and
callbacks instead of each dialog writing its own. The drafts of these dialogs keep a sent file
as `attachment_of` says, and their reviews cut long names with `shortened`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import Data, DialogManager
from aiogram_dialog.widgets.input import ManagedTextInput
from aiogram_dialog.widgets.kbd import Button, Row, SwitchTo

from bot.dialog_widgets import T, cancel_dialog, close_dialog
from bot.services.errors import Forbidden, NotFound, ServiceError
from bot.texts import Texts
from handlers.person_picker import PersonPick, PersonPickSG, Picked

REVIEWING = "reviewing"  # dialog_data: the step was opened by «Изменить …» on the review


@dataclass(frozen=True)
class ReviewFlow:
    review: State

    async def next(self, manager: DialogManager, state: State) -> None:
        """On to `state`, or back to the review if the step was opened by «Изменить»."""
        await manager.switch_to(self.review if manager.dialog_data.get(REVIEWING) else state)

    def back(self, previous: State) -> Callable[..., Any]:
        async def on_click(query: CallbackQuery, button: Button, manager: DialogManager) -> None:
            await self.next(manager, previous)

        return on_click

    def navigation(self, previous: State | None, back: Callable[..., Any] | None = None) -> Row:
        """«◀ Назад» to `previous` (or by `back`; on the first step, only to the review it was
        opened from) and «Отмена»."""
        when = REVIEWING if previous is None and back is None else None
        if back is None:
            back = self.back(previous or self.review)
        return Row(
            Button(T("btn-back"), id="back", on_click=back, when=when),
            Button(T("btn-cancel"), id="cancel", on_click=cancel_dialog),
        )

    def saved_text(self, field: str, next_state: State) -> Callable[..., Any]:
        """A TextInput's on_success: the value into `dialog_data[field]`, on to `next_state`."""

        async def on_success(
            message: Message, widget: ManagedTextInput[Any], manager: DialogManager, value: Any
        ) -> None:
            manager.dialog_data[field] = value
            await self.next(manager, next_state)

        return on_success

    def edit(self, field: str, label: str, state: State) -> SwitchTo:
        """«Изменить …» on the review: that step, then straight back to the review."""
        return SwitchTo(T(label), id=f"edit_{field}", state=state, on_click=mark_reviewing)


def attachment_of(message: Message) -> dict[str, str] | None:
    """The file of a photo/document/audio/voice message, as a draft keeps it (each dialog's
    input takes only the kinds it allows)."""
    if message.photo:
        return {"kind": "photo", "file_id": message.photo[-1].file_id, "file_name": ""}
    if message.document:
        name = message.document.file_name or ""
        return {"kind": "document", "file_id": message.document.file_id, "file_name": name}
    if message.audio:
        name = message.audio.file_name or message.audio.title or ""
        return {"kind": "audio", "file_id": message.audio.file_id, "file_name": name}
    if message.voice:
        return {"kind": "voice", "file_id": message.voice.file_id, "file_name": ""}
    return None


def shortened(text: str, limit: int) -> str:
    """What a review shows of a long file name or link."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


async def mark_reviewing(query: CallbackQuery, button: Button, manager: DialogManager) -> None:
    manager.dialog_data[REVIEWING] = True


@dataclass(frozen=True)
class PersonStep:
    """A step that picks a person: the person picker opened on top of the step before it
    (`before`; None when it is the dialog's first step and has nowhere to go back to), its
    pick kept in `dialog_data` as manager_id, manager_name and group_name; then `after`."""

    flow: ReviewFlow
    ask: Callable[..., PersonPick]  # (back=..., current_id=..., current_name=...) → the ask
    before: State | None
    after: State

    async def open(self, manager: DialogManager) -> None:
        """The picker on top of the current step: «◀ Назад» there comes back to it."""
        data = manager.dialog_data
        ask = self.ask(
            back=self.before is not None or bool(data.get(REVIEWING)),
            current_id=int(data.get("manager_id") or 0),
            current_name=str(data.get("manager_name") or ""),
        )
        await manager.start(PersonPickSG.search, data=ask.data())

    async def picked(self, start_data: Data, result: Any, manager: DialogManager) -> None:
        """The dialog's on_process_result: the pick kept, on to `after` (or the review)."""
        picked = Picked.of(result)
        if picked is None:  # «◀ Назад»: the step it was opened from, as it was
            if "manager_id" not in manager.dialog_data and self.before is None:
                await self.open(manager)  # nothing to go on with (an old button)
            return
        manager.dialog_data.update(
            manager_id=picked.person_id,
            manager_name=picked.name or None,
            group_name=picked.group or None,
        )
        await self.flow.next(manager, self.after)

    async def back_to(self, query: CallbackQuery, button: Button, manager: DialogManager) -> None:
        """«◀ Назад» on `after`: the review it was opened from, or the picker again."""
        if manager.dialog_data.get(REVIEWING):
            await manager.switch_to(self.flow.review)
            return
        if self.before is not None:
            await manager.switch_to(self.before)
        await self.open(manager)

    async def edit(self, query: CallbackQuery, button: Button, manager: DialogManager) -> None:
        """«Изменить …» on the review: the picker on top of the review."""
        manager.dialog_data[REVIEWING] = True
        await self.open(manager)

    async def refused(
        self, query: CallbackQuery, manager: DialogManager, error: ServiceError
    ) -> None:
        """The service refused to publish the review: the person left the roster meanwhile
        (choose again), the user may not publish any more (closed), or anything else (the
        review stays); the reason as an alert."""
        texts: Texts = manager.middleware_data["texts"]
        await query.answer(texts(error.key, **error.args_), show_alert=True)
        if isinstance(error, NotFound):
            manager.dialog_data[REVIEWING] = True
            await self.open(manager)
        elif isinstance(error, Forbidden):
            await close_dialog(query, manager, texts("cancelled"))
