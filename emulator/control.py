"""Test-side control of the emulator: set up users and chats, act as users, observe the bot."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from emulator.html import bot_command_entities
from emulator.markup import inline_keyboard
from emulator.media import guess_mime, image_info
from emulator.methods import BotApi, scope_key
from emulator.models import (
    CallbackAnswer,
    CallRecord,
    ChatInfo,
    EmulatorLimits,
    EmulatorStats,
    Mark,
    StoredMessage,
    UserInfo,
)
from emulator.ratelimit import RateLimiter
from emulator.state import CallbackQueryRecord, EmulatorState, now
from emulator.transcript import render_transcript
from emulator.webhook import Delivery, WebhookPusher

After = int | StoredMessage | None


class EmulatorControl:
    def __init__(
        self,
        token: str,
        *,
        limits: EmulatorLimits | None,
        bot_name: str,
        bot_username: str,
        strict_html_entities: bool,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token = token
        head = token.split(":", 1)[0]
        bot_id = int(head) if head.isdigit() else 0
        self.limits = limits or EmulatorLimits()
        self.state = EmulatorState(bot_id, bot_name, bot_username)
        self.limiter = RateLimiter(self.limits, clock)
        self.api = BotApi(self.state, self.limiter, strict_html_entities)
        # Delivers updates by POST once the bot calls setWebhook (timeout, backoff: there).
        self.webhook = WebhookPusher(self.state)

    # --- setup ---------------------------------------------------------------------------

    def set_limits(self, limits: EmulatorLimits) -> None:
        """Switch flood limits at run time (the sliding windows start empty)."""
        self.limits = limits
        self.limiter = RateLimiter(limits, self.limiter.clock)
        self.api.limiter = self.limiter

    @property
    def bot_id(self) -> int:
        return self.state.bot_id

    @property
    def bot_username(self) -> str:
        return self.state.bot_username

    def add_user(
        self,
        user_id: int,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        started: bool = True,
        language_code: str | None = "ru",
    ) -> UserInfo:
        """Register a Telegram user; ``started``: the user has opened the bot (private chat)."""
        if user_id <= 0:
            raise ValueError("user ids are positive")
        user = UserInfo(user_id, first_name, last_name, username, started, False, language_code)
        self.state.users[user_id] = user
        self.state.chats.setdefault(user_id, ChatInfo(user_id, "private"))
        return user

    def add_group(
        self,
        chat_id: int,
        title: str,
        is_forum: bool = False,
        username: str | None = None,
        chat_type: str = "supergroup",
    ) -> ChatInfo:
        """Register a group/supergroup the bot is a member of (chat ids are negative)."""
        if chat_id >= 0:
            raise ValueError("group chat ids are negative, e.g. -1001234567890")
        chat = ChatInfo(chat_id, chat_type, title=title, is_forum=is_forum, username=username)
        self.state.chats[chat_id] = chat
        return chat

    def block_bot(self, user_id: int) -> None:
        self._user(user_id).blocked = True

    def unblock_bot(self, user_id: int) -> None:
        self._user(user_id).blocked = False

    def _user(self, user_id: int) -> UserInfo:
        user = self.state.users.get(user_id)
        if user is None:
            raise AssertionError(f"unknown user {user_id}: call emu.add_user() first")
        return user

    def _chat_for_user(self, user: UserInfo, chat_id: int | None) -> ChatInfo:
        if chat_id is None or chat_id == user.id:
            user.started = True
            user.blocked = False
            return self.state.chats[user.id]
        chat = self.state.chats.get(chat_id)
        if chat is None or chat.type == "private":
            raise AssertionError(f"chat {chat_id} is not a known group: call emu.add_group()")
        return chat

    @property
    def webhook_targets(self) -> list[str]:
        """URLs the webhook's updates go to in turn (a load balancer in front of several
        replicas); empty: the URL the bot gave to setWebhook."""
        return self.webhook.targets

    @webhook_targets.setter
    def webhook_targets(self, urls: list[str]) -> None:
        self.webhook.targets = list(urls)

    @property
    def webhook_deliveries(self) -> list[Delivery]:
        """Every POST of an update so far, in the order they were answered."""
        return self.webhook.deliveries

    # --- acting as users -----------------------------------------------------------------

    async def send_text(
        self,
        user_id: int,
        text: str,
        chat_id: int | None = None,
        thread_id: int | None = None,
        reply_to: int | StoredMessage | None = None,
    ) -> StoredMessage:
        """The user writes ``text``; queues a ``message`` update for getUpdates."""
        message = self._user_message(user_id, chat_id, thread_id, reply_to)
        message.text = message.html = text
        message.entities = bot_command_entities(text)
        return self._deliver(message)

    async def send_document(
        self,
        user_id: int,
        filename: str,
        content: bytes,
        chat_id: int | None = None,
        caption: str | None = None,
        mime_type: str | None = None,
    ) -> StoredMessage:
        message = self._user_message(user_id, chat_id, None, None)
        stored = self.state.new_file(
            "document", content, filename, mime_type or guess_mime(filename)
        )
        message.document = self.state.register_file(stored)
        message.caption = message.caption_html = caption
        return self._deliver(message)

    async def send_photo(
        self, user_id: int, content: bytes, chat_id: int | None = None, caption: str | None = None
    ) -> StoredMessage:
        message = self._user_message(user_id, chat_id, None, None)
        info = image_info(content) or ("jpeg", 0, 0)
        stored = self.state.new_file(
            "photo",
            content,
            mime_type=f"image/{info[0]}",
            size=(info[1], info[2]),
            extension="jpg",
        )
        message.photo = self.state.register_file(stored)
        message.caption = message.caption_html = caption
        return self._deliver(message)

    async def send_audio(
        self,
        user_id: int,
        content: bytes,
        filename: str = "a.mp3",
        chat_id: int | None = None,
        caption: str | None = None,
        *,
        duration: int = 1,
        performer: str | None = None,
        title: str | None = None,
    ) -> StoredMessage:
        """The user sends a music file (the update carries ``audio``, not ``document``)."""
        message = self._user_message(user_id, chat_id, None, None)
        mime = guess_mime(filename)
        stored = self.state.new_file(
            "audio",
            content,
            filename,
            mime if mime.startswith("audio/") else "audio/mpeg",
            duration=duration,
        )
        stored.performer, stored.title = performer, title
        message.audio = self.state.register_file(stored)
        message.caption = message.caption_html = caption
        return self._deliver(message)

    async def send_voice(
        self,
        user_id: int,
        content: bytes,
        chat_id: int | None = None,
        caption: str | None = None,
        *,
        duration: int = 1,
    ) -> StoredMessage:
        """The user records a voice message (OGG/Opus, as Telegram clients send them)."""
        message = self._user_message(user_id, chat_id, None, None)
        stored = self.state.new_file(
            "voice", content, None, "audio/ogg", extension="oga", duration=duration
        )
        message.voice = self.state.register_file(stored)
        message.caption = message.caption_html = caption
        return self._deliver(message)

    def _user_message(
        self,
        user_id: int,
        chat_id: int | None,
        thread_id: int | None,
        reply_to: int | StoredMessage | None,
    ) -> StoredMessage:
        user = self._user(user_id)
        chat = self._chat_for_user(user, chat_id)
        reply_id = reply_to.message_id if isinstance(reply_to, StoredMessage) else reply_to
        target = self.state.get_message(chat.id, reply_id)
        if reply_id is not None and target is None:
            raise AssertionError(f"no message #{reply_id} in chat {chat.id} to reply to")
        if thread_id is None and target is not None:
            thread_id = target.thread_id
        return StoredMessage(
            chat_id=chat.id,
            message_id=0,
            from_bot=False,
            sender_id=user.id,
            date=now(),
            thread_id=thread_id,
            reply_to_message_id=reply_id,
        )

    def _deliver(self, message: StoredMessage) -> StoredMessage:
        self.state.add_message(self.state.chats[message.chat_id], message)
        self.state.queue_update("message", self.state.message_api(message))
        return message

    async def press(self, user_id: int, message: StoredMessage, button: str) -> str:
        """Press an inline button (exact text, else the first one containing ``button``)."""
        user = self._user(user_id)
        current = self.state.get_message(message.chat_id, message.message_id)
        if current is None or current.deleted:
            raise AssertionError(f"message #{message.message_id} is gone: {message}")
        chat = self.state.chats[current.chat_id]
        if chat.type == "private" and chat.id != user.id:
            raise AssertionError(f"user {user_id} cannot see private chat {chat.id}")
        flat = [
            b
            for row in (inline_keyboard(current.reply_markup) or {}).get("inline_keyboard", [])
            for b in row
        ]
        found = next((b for b in flat if b.get("text") == button), None) or next(
            (b for b in flat if button in str(b.get("text", ""))), None
        )
        if found is None:
            raise AssertionError(
                f"no button {button!r} in message #{current.message_id} "
                f"({current.content[:80]!r}); its buttons: {current.buttons}"
            )
        if "callback_data" not in found:
            kinds = [k for k in found if k != "text"]
            raise AssertionError(f"button {found['text']!r} is not a callback button: {kinds}")
        return self._callback(
            user, current, current.message_id, found["callback_data"], str(found["text"])
        )

    async def send_callback(self, user_id: int, chat_id: int, message_id: int, data: str) -> str:
        """A raw (possibly forged) callback query with any data."""
        user = self._user(user_id)
        if chat_id not in self.state.chats:
            raise AssertionError(f"unknown chat {chat_id}")
        message = self.state.get_message(chat_id, message_id)
        if message is not None and message.deleted:
            message = None
        return self._callback(user, message, message_id, data, None, chat_id)

    def _callback(
        self,
        user: UserInfo,
        message: StoredMessage | None,
        message_id: int,
        data: str,
        button_text: str | None,
        chat_id: int | None = None,
    ) -> str:
        chat = self.state.chats[message.chat_id if message else int(chat_id or 0)]
        query_id = self.state.new_callback_id()
        self.state.callbacks[query_id] = CallbackQueryRecord(
            query_id, user.id, chat.id, message_id, data, button_text
        )
        shown: dict[str, Any] = (
            self.state.message_api(message)
            if message is not None
            else {"chat": self.state.chat_api(chat), "message_id": message_id, "date": 0}
        )
        self.state.add_event(
            "press",
            chat.id,
            message_id=message_id,
            sender_id=user.id,
            text=button_text if button_text is not None else data,
            attachment=None if button_text is not None else "data",
        )
        self.state.callbacks[query_id].update_id = self.state.queue_update(
            "callback_query",
            {
                "id": query_id,
                "from": user.to_api(),
                "message": shown,
                "chat_instance": str(abs(chat.id) * 2654435761 % (1 << 62)),
                "data": data,
            },
        )
        return query_id

    # --- observing -----------------------------------------------------------------------

    def messages(self, chat_id: int) -> list[StoredMessage]:
        held = self.state.messages.get(chat_id, {})
        return [held[key] for key in sorted(held)]

    def bot_messages(self, chat_id: int) -> list[StoredMessage]:
        return [m for m in self.messages(chat_id) if m.from_bot]

    def last_bot_message(self, chat_id: int) -> StoredMessage | None:
        sent = [m for m in self.bot_messages(chat_id) if not m.deleted]
        return sent[-1] if sent else None

    def mark(self) -> Mark:
        """The current event counter: pass it as ``after=`` to see only newer events."""
        return Mark(self.state.seq)

    @property
    def calls(self) -> list[CallRecord]:
        return self.state.calls

    @property
    def stats(self) -> EmulatorStats:
        return self.state.stats

    @property
    def pending_updates(self) -> int:
        return len(self.state.updates)

    def commands(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, Any]]:
        return list(self.state.commands.get((scope_key(scope), language_code), []))

    def callback_answer(self, query_id: str) -> CallbackAnswer | None:
        query = self.state.callbacks.get(query_id)
        return query.answer if query else None

    def transcript(self, chat_id: int | None = None, show_ids: bool = False) -> str:
        return render_transcript(self.state, chat_id=chat_id, show_ids=show_ids)

    def dump_chat(self, chat_id: int) -> str:
        held = self.messages(chat_id)
        if not held:
            return "  (no messages)"
        return "\n".join(f"  {message}" for message in held)

    @staticmethod
    def _is_after(message: StoredMessage, after: After) -> bool:
        if after is None:
            return True
        if isinstance(after, Mark):
            return message.created_seq > after
        if isinstance(after, StoredMessage):
            return message.message_id > after.message_id
        return message.message_id > after

    async def wait_for_message(
        self,
        chat_id: int,
        contains: str | None = None,
        predicate: Callable[[StoredMessage], bool] | None = None,
        timeout: float = 10.0,
        after: After = None,
    ) -> StoredMessage:
        """The earliest bot message in the chat (newer than ``after``) that matches.

        ``contains`` is looked for in every version of the text/caption (so a message that was
        edited or deleted meanwhile still counts); ``predicate`` sees the current state.
        """

        def find() -> StoredMessage | None:
            for message in self.messages(chat_id):
                if not message.from_bot or not self._is_after(message, after):
                    continue
                if contains is not None and not any(contains in v for v in message.versions):
                    continue
                if predicate is None or predicate(message):
                    return message
            return None

        try:
            return await self.state.notifier.wait_until(find, timeout)
        except TimeoutError:
            wanted = f"containing {contains!r}" if contains is not None else "matching"
            raise TimeoutError(
                f"no bot message {wanted} in chat {chat_id} (after={after!r}) within {timeout}s;"
                f" the chat holds:\n{self.dump_chat(chat_id)}"
            ) from None

    async def wait_for_edit(
        self,
        chat_id: int,
        message_id: int,
        contains: str | None = None,
        timeout: float = 10.0,
        after: int | None = None,
    ) -> StoredMessage:
        """The message once edited (after the mark ``after``) so that it contains ``contains``."""

        def find() -> StoredMessage | None:
            message = self.state.get_message(chat_id, message_id)
            if message is None or message.edit_date is None:
                return None
            if after is not None and message.edit_seq <= after:
                return None
            texts = [message.content, *message.versions[1:]]
            if contains is None or any(contains in text for text in texts):
                return message
            return None

        try:
            return await self.state.notifier.wait_until(find, timeout)
        except TimeoutError:
            raise TimeoutError(
                f"message #{message_id} in chat {chat_id} was not edited to contain "
                f"{contains!r} within {timeout}s; the chat holds:\n{self.dump_chat(chat_id)}"
            ) from None

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        """Wait until ``predicate()`` is true; it is re-checked on every emulator event
        (a message, an edit, a callback answer, a call arriving or finishing...)."""
        try:
            await self.state.notifier.wait_until(lambda: True if predicate() else None, timeout)
        except TimeoutError:
            raise TimeoutError(f"condition not met within {timeout}s") from None

    async def wait_callback_answer(self, query_id: str, timeout: float = 10.0) -> CallbackAnswer:
        try:
            return await self.state.notifier.wait_until(
                lambda: self.callback_answer(query_id), timeout
            )
        except TimeoutError:
            known = "unknown" if query_id not in self.state.callbacks else "known"
            raise TimeoutError(
                f"callback query {query_id} ({known}) was not answered within {timeout}s"
            ) from None
