"""The conversation kit: how every dialog and list treats what a person sends.

- A command always wins (`CommandLeavesDialog`): a `/…` message in a private chat closes
  whatever dialog or list is open (its buttons are removed) before any handler sees it, so
  the command runs as if nothing were open and no text step ever takes it as its answer.
- Wrong input gets a hint (`Dialog`): a message that no input of the current step takes is
  answered with what the step expects (a button, a day in the calendar, a text instead of a
  file), and the step is shown again below, instead of being re-sent in silence.
- Every dialog opened gets an id of its own (`unique_intent_ids`): aiogram-dialog's ids
  collide one time in a hundred for two dialogs opened in the same second (a flow and the
  person picker it opens at once), and the second then overwrites the first.
- A callback query is answered once (`AnsweredCallbacks`): a handler that answered it with a
  toast is not followed by aiogram-dialog's empty answer (Telegram refuses a second one); a
  toast is plain text, never escaped HTML.

Every dialog of the bot is built with this module's `Dialog`; `build_app` installs the rest.
"""

from __future__ import annotations

import logging
import secrets
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramForbiddenError
from aiogram.fsm.state import State
from aiogram.methods import AnswerCallbackQuery, TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiogram.types import CallbackQuery, Message, TelegramObject
from aiogram_dialog import Dialog as BaseDialog
from aiogram_dialog import DialogManager, ShowMode, StartMode
from aiogram_dialog.api.entities import OldMessage
from aiogram_dialog.api.entities import stack as dialog_stack
from aiogram_dialog.api.internal import CONTEXT_KEY, STACK_KEY, STORAGE_KEY
from aiogram_dialog.api.protocols import CancelEventProcessing
from aiogram_dialog.manager.message_manager import MessageManager
from aiogram_dialog.utils import CB_SEP
from aiogram_dialog.widgets.input import TextInput
from aiogram_dialog.widgets.kbd import Calendar

from bot.services import longtext
from bot.texts import Texts

log = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
TOAST_LIMIT = 200  # characters of a callback answer's text
# Set in the handler data when a command closed an open dialog (/cancel says so).
LEFT_DIALOG = "left_dialog"


def is_command(message: Message) -> bool:
    """A message that starts with a bot command (`/case`, `/start appeal_3`, a file captioned
    `/import`), as Telegram marks it."""
    entities = message.entities if message.text is not None else message.caption_entities
    return any(entity.type == "bot_command" and entity.offset == 0 for entity in entities or ())


class CommandLeavesDialog(BaseMiddleware):
    """A command in a private chat closes the open dialog before the handlers run.

    Installed on `dispatcher.message` after `setup_dialogs`, so aiogram-dialog has already
    loaded the person's dialog stack: emptying it here means no dialog's filter takes the
    message, and the emptied stack is what aiogram-dialog saves after the update.
    """

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if (
            isinstance(event, Message)
            and event.chat.type == "private"
            and is_command(event)
            and data.get(STACK_KEY) is not None
            and not data[STACK_KEY].empty()
        ):
            await self._leave(event, data)
        return await handler(event, data)

    @staticmethod
    async def _leave(message: Message, data: dict[str, Any]) -> None:
        stack, proxy = data[STACK_KEY], data[STORAGE_KEY]
        while not stack.empty():
            await proxy.remove_context(stack.pop())
        dialog_message_id = stack.last_message_id
        stack.last_message_id = None
        await proxy.save_stack(stack)
        data[CONTEXT_KEY] = None
        data[LEFT_DIALOG] = True
        if dialog_message_id is None:
            return
        bot: Bot = data["bot"]
        try:  # the closed dialog's buttons would only answer «Кнопка устарела»
            await bot.edit_message_reply_markup(
                chat_id=message.chat.id, message_id=dialog_message_id, reply_markup=None
            )
        except TelegramAPIError as error:
            log.debug("buttons of a closed dialog not removed: %s", error)


# --- dialog ids that do not collide -----------------------------------------------------------

# aiogram-dialog 2.6 makes an id of the current second plus a random number below 100
# (`new_int_id`): two dialogs opened in one second, as a flow and the subdialog its first step
# opens, get the same id one time in a hundred, the second context overwrites the first, and
# the person's next press is lost («Stack is broken»). 36 random bits spelled as aiogram-dialog
# spells its ids: at most 6 characters, as before, so callback data keeps its length.
_ID_SPACE = 62**6


def new_intent_id() -> str:
    return dialog_stack.id_to_str(secrets.randbelow(_ID_SPACE - 1) + 1)


def unique_intent_ids() -> None:
    """Give every dialog opened from now on a random id (`Stack.push` looks `new_id` up in its
    module on each call)."""
    dialog_stack.new_id = new_intent_id


# --- wrong input: a hint, and the step again -------------------------------------------------


class Dialog(BaseDialog):
    """aiogram-dialog's Dialog with the kit's rules: input no step widget takes gets a hint;
    a button that is not one of the dialog's own (a case post's «Беру в работу», a meeting
    invitation, a reminder's button in the same private chat) is left to its handler — the
    open dialog used to take it, redraw itself over the pressed message and drop the press.
    """

    def __init__(self, *windows: Any, **kwargs: Any) -> None:
        super().__init__(*windows, **kwargs)
        self.callback_query.filter(_own_button)

    async def _message_handler(self, message: Message, dialog_manager: DialogManager) -> None:
        old_context = dialog_manager.current_context()
        window = await self._current_window(dialog_manager)
        try:
            processed = await window.process_message(message, self, dialog_manager)
        except CancelEventProcessing:
            processed = False
        if not processed and message.chat.type == "private":
            texts: Texts = dialog_manager.middleware_data["texts"]
            await message.answer(texts(hint_key(window, message)))
            dialog_manager.show_mode = ShowMode.SEND
        if self._need_refresh(processed, old_context, dialog_manager):
            await dialog_manager.show()


async def _own_button(query: CallbackQuery) -> bool:
    """A button of a dialog's message: its data carries the dialog's intent id. (A coroutine:
    aiogram calls a plain function filter in a worker thread, a thread hop for every press.)"""
    return query.data is not None and CB_SEP in query.data


def hint_key(window: Any, message: Message) -> str:
    """What the step expects, judged by its widgets."""
    widgets = list(_widgets(window.keyboard)) + list(_widgets(window.on_message))
    if message.text is None and any(isinstance(widget, TextInput) for widget in widgets):
        return "kit-hint-text-expected"
    if any(isinstance(widget, Calendar) for widget in widgets):
        return "kit-hint-calendar"
    return "kit-hint-buttons"


def _widgets(widget: Any) -> Iterator[Any]:
    if widget is None:
        return
    yield widget
    for child in (*getattr(widget, "buttons", ()), *getattr(widget, "inputs", ())):
        yield from _widgets(child)


# --- one answer per callback query -------------------------------------------------------------


class AnsweredCallbacks(BaseRequestMiddleware):
    """Remembers the callback queries the bot has answered (the last few thousand), and makes
    every toast plain text: the catalogue's texts are HTML (escaped arguments, tags), which a
    toast would show as «&lt;b&gt;»; Telegram also takes at most 200 characters there."""

    def __init__(self, size: int = 4096) -> None:
        self._answered: OrderedDict[str, None] = OrderedDict()
        self._size = size

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if isinstance(method, AnswerCallbackQuery) and method.text:
            method.text = toast_text(method.text)
        response = await make_request(bot, method)
        if isinstance(method, AnswerCallbackQuery):
            self._answered[method.callback_query_id] = None
            while len(self._answered) > self._size:
                self._answered.popitem(last=False)
        return response

    def __contains__(self, query_id: object) -> bool:
        return query_id in self._answered


def toast_text(html_text: str) -> str:
    """A catalogue text as a toast shows it: plain, at most 200 characters."""
    plain = longtext.plain_text(html_text)
    return plain if len(plain) <= TOAST_LIMIT else plain[: TOAST_LIMIT - 1].rstrip() + "…"


# The message a dialog was opened from by one of its buttons (see open_beside): it is not the
# dialog's message, so its buttons stay.
_OPENED_FROM: ContextVar[int | None] = ContextVar("opened_from", default=None)


async def open_beside(
    query: CallbackQuery, manager: DialogManager, state: State, data: dict[str, Any]
) -> None:
    """Open a dialog from a button of a post, a notice or an invitation (not a dialog's own
    message), in the presser's private chat: an open dialog is closed as a command would
    close it (its buttons removed); the new one comes as a new message below; the pressed
    message keeps its buttons (a lead's copy of a case keeps «Назначить брифинг»)."""
    stack = manager.current_stack()
    pressed = query.message.message_id if query.message is not None else None
    if stack is not None and stack.last_message_id not in (None, pressed):
        bot: Bot = manager.middleware_data["bot"]
        try:
            await bot.edit_message_reply_markup(
                chat_id=query.from_user.id, message_id=stack.last_message_id, reply_markup=None
            )
        except TelegramAPIError as error:
            log.debug("buttons of a closed dialog not removed: %s", error)
        stack.last_message_id = None
    token = _OPENED_FROM.set(pressed)
    try:
        await manager.start(state, data=data, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND)
    finally:
        _OPENED_FROM.reset(token)


async def open_in_private(
    query: CallbackQuery,
    manager: DialogManager,
    state: State,
    data: dict[str, Any],
    *,
    opened_key: str,
) -> None:
    """Open a short input dialog (a decision's comment, a rejection's reason) from a post's
    button in the presser's private chat: at once when pressed there; when pressed in a
    group, in his private chat with an alert `opened_key` saying where to go on — or, when
    Telegram will not let the bot write to him (he never pressed «Старт», or blocked the
    bot), an alert saying to open the chat first, and nothing opened."""
    texts: Texts = manager.middleware_data["texts"]
    user_id = query.from_user.id
    if query.message is not None and query.message.chat.id == user_id:
        await open_beside(query, manager, state, data)  # the pressed message keeps its buttons
        await query.answer()
        return
    # The dialog is started in the background (its message is sent after this handler
    # returns), so a refusal would come too late to tell him: ask Telegram first.
    bot: Bot = manager.middleware_data["bot"]
    try:
        await bot.send_chat_action(chat_id=user_id, action="typing")
    except (TelegramForbiddenError, TelegramBadRequest) as error:  # 403, or «chat not found»
        log.info("private chat of %s not open: %s", user_id, error)
        await query.answer(texts("shortcut-no-private"), show_alert=True)
        return
    background = manager.bg(user_id=user_id, chat_id=user_id)
    await background.start(state, data=data, mode=StartMode.RESET_STACK)
    await query.answer(texts(opened_key), show_alert=True)


class KitMessageManager(MessageManager):
    """aiogram-dialog's message manager that leaves an already answered query alone, and the
    buttons of the message a dialog was opened from (`open_beside`)."""

    def __init__(self, answered: AnsweredCallbacks) -> None:
        super().__init__()
        self._answered = answered

    async def remove_inline_kbd(self, bot: Bot, old_message: OldMessage | None) -> Message | None:
        if old_message is not None and old_message.message_id == _OPENED_FROM.get():
            return None
        return await super().remove_inline_kbd(bot, old_message)

    async def answer_callback(self, bot: Bot, callback_query: CallbackQuery) -> None:
        if callback_query.id in self._answered:
            return
        await super().answer_callback(bot, callback_query)
