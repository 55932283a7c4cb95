"""In-memory world of the emulator: users, chats, messages, files, updates, callback queries.

Everything here is synchronous; every change bumps the event counter and wakes waiters.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from emulator.models import (
    CallbackAnswer,
    CallRecord,
    ChatInfo,
    EmulatorStats,
    StoredFile,
    StoredMessage,
    UserInfo,
    WebhookConfig,
)

T = TypeVar("T")

DEFAULT_UPDATE_TYPES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "callback_query",
        "inline_query",
        "chosen_inline_result",
        "my_chat_member",
        "shipping_query",
        "pre_checkout_query",
        "poll",
        "poll_answer",
        "chat_join_request",
    }
)


class Notifier:
    """Wakes every waiter on each change; waits re-check their predicate (no polling)."""

    def __init__(self) -> None:
        self._event: asyncio.Event | None = None

    def notify(self) -> None:
        if self._event is not None:
            self._event.set()
            self._event = None

    async def wait_until(self, predicate: Callable[[], T | None], timeout: float) -> T:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = predicate()
            if result is not None:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError
            if self._event is None:
                self._event = asyncio.Event()
            event = self._event
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                continue


@dataclass
class CallbackQueryRecord:
    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str | None
    button_text: str | None
    answer: CallbackAnswer | None = None
    update_id: int | None = None  # the update that carries it (webhook deliveries name it)


@dataclass
class Event:
    """One line of the conversation, as it happened (for the transcript)."""

    seq: int
    kind: str  # message | edit | delete | press | answer
    chat_id: int
    message_id: int | None = None
    from_bot: bool = False
    sender_id: int | None = None
    thread_id: int | None = None
    text: str = ""
    buttons: list[list[str]] = field(default_factory=list)
    attachment: str | None = None
    show_alert: bool = False
    text_changed: bool = True


@dataclass
class PendingUpdate:
    update_id: int
    kind: str
    payload: dict[str, Any]


# The file_id prefix Telegram gives each kind of file, and the folder of its file_path.
FILE_KINDS = {
    "document": ("BQACAgIAAx", "documents"),
    "photo": ("AgACAgIAAx", "photos"),
    "audio": ("CQACAgIAAx", "music"),
    "voice": ("AwACAgIAAx", "voice"),
}


class EmulatorState:
    def __init__(self, bot_id: int, bot_name: str, bot_username: str) -> None:
        self.bot_id = bot_id
        self.bot_name = bot_name
        self.bot_username = bot_username
        self.users: dict[int, UserInfo] = {}
        self.chats: dict[int, ChatInfo] = {}
        self.messages: dict[int, dict[int, StoredMessage]] = {}
        self.files: dict[str, StoredFile] = {}
        self.files_by_path: dict[str, StoredFile] = {}
        self.updates: list[PendingUpdate] = []
        self.next_update_id = 100_000_001
        self.allowed_updates: frozenset[str] = DEFAULT_UPDATE_TYPES
        # Set by setWebhook: updates are then POSTed (emulator.webhook), getUpdates refused.
        self.webhook: WebhookConfig | None = None
        self.callbacks: dict[str, CallbackQueryRecord] = {}
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.events: list[Event] = []
        self.calls: list[CallRecord] = []
        self.stats = EmulatorStats()
        self.seq = 0
        self.notifier = Notifier()
        self._file_counter = 0
        self._callback_counter = 0

    # --- change tracking -------------------------------------------------------------------

    def bump(self) -> int:
        self.seq += 1
        self.notifier.notify()
        return self.seq

    def add_event(self, kind: str, chat_id: int, **data: Any) -> Event:
        event = Event(seq=self.bump(), kind=kind, chat_id=chat_id, **data)
        self.events.append(event)
        return event

    # --- users and chats -------------------------------------------------------------------

    @property
    def bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_name,
            "username": self.bot_username,
        }

    def user_api(self, user_id: int) -> dict[str, Any] | None:
        if user_id == self.bot_id:
            return self.bot_user
        user = self.users.get(user_id)
        return user.to_api() if user else None

    def chat_api(self, chat: ChatInfo) -> dict[str, Any]:
        data: dict[str, Any] = {"id": chat.id, "type": chat.type}
        if chat.type == "private":
            user = self.users.get(chat.id)
            if user:
                data["first_name"] = user.first_name
                if user.last_name:
                    data["last_name"] = user.last_name
                if user.username:
                    data["username"] = user.username
        else:
            data["title"] = chat.title or str(chat.id)
            if chat.username:
                data["username"] = chat.username
            if chat.is_forum:
                data["is_forum"] = True
        return data

    def chat_messages(self, chat_id: int) -> dict[int, StoredMessage]:
        return self.messages.setdefault(chat_id, {})

    def get_message(self, chat_id: int, message_id: int | None) -> StoredMessage | None:
        if message_id is None:
            return None
        return self.messages.get(chat_id, {}).get(message_id)

    # --- messages --------------------------------------------------------------------------

    def add_message(self, chat: ChatInfo, message: StoredMessage) -> StoredMessage:
        message.message_id = chat.next_message_id
        chat.next_message_id += 1
        self.chat_messages(chat.id)[message.message_id] = message
        event = self.add_event(
            "message",
            chat.id,
            message_id=message.message_id,
            from_bot=message.from_bot,
            sender_id=message.sender_id,
            thread_id=message.thread_id,
            text=message.content,
            buttons=message.buttons,
            attachment=describe_attachment(message),
        )
        message.created_seq = event.seq
        return message

    def message_api(self, message: StoredMessage, with_reply: bool = True) -> dict[str, Any]:
        chat = self.chats[message.chat_id]
        data: dict[str, Any] = {
            "message_id": message.message_id,
            "date": message.date,
            "chat": self.chat_api(chat),
            "from": self.user_api(message.sender_id)
            or {"id": message.sender_id, "is_bot": False, "first_name": str(message.sender_id)},
        }
        if message.thread_id is not None:
            data["message_thread_id"] = message.thread_id
            if chat.is_forum:
                data["is_topic_message"] = True
        if with_reply and message.reply_to_message_id is not None:
            replied = self.get_message(message.chat_id, message.reply_to_message_id)
            if replied is not None and not replied.deleted:
                data["reply_to_message"] = self.message_api(replied, with_reply=False)
        if message.edit_date is not None:
            data["edit_date"] = message.edit_date
        if message.file is None:
            data["text"] = message.text
            if message.entities:
                data["entities"] = message.entities
        if message.document is not None:
            data["document"] = document_api(message.document)
        if message.photo is not None:
            data["photo"] = [photo_size_api(message.photo)]
        if message.audio is not None:
            data["audio"] = audio_api(message.audio)
        if message.voice is not None:
            data["voice"] = voice_api(message.voice)
        if message.caption:
            data["caption"] = message.caption
            if message.caption_entities:
                data["caption_entities"] = message.caption_entities
        markup = message.reply_markup
        if markup and "inline_keyboard" in markup:
            data["reply_markup"] = {"inline_keyboard": markup["inline_keyboard"]}
        return data

    # --- files -----------------------------------------------------------------------------

    def new_file(
        self,
        kind: str,
        content: bytes,
        file_name: str | None = None,
        mime_type: str | None = None,
        size: tuple[int, int] = (0, 0),
        extension: str = "",
        duration: int = 0,
    ) -> StoredFile:
        """A file object that is not registered yet (see ``register_file``)."""
        self._file_counter += 1
        number = self._file_counter
        prefix, folder = FILE_KINDS[kind]
        ext = extension or (file_name.rsplit(".", 1)[-1] if file_name and "." in file_name else "")
        path = f"{folder}/file_{number}" + (f".{ext}" if ext else "")
        return StoredFile(
            file_id=f"{prefix}{self.bot_id:x}E{number:06d}",
            file_unique_id=f"AQAD{number:06d}",
            file_path=path,
            content=content,
            kind=kind,
            file_name=file_name,
            mime_type=mime_type,
            width=size[0],
            height=size[1],
            duration=duration,
        )

    def register_file(self, stored: StoredFile) -> StoredFile:
        if stored.file_id not in self.files:
            self.files[stored.file_id] = stored
            self.files_by_path[stored.file_path] = stored
            self.stats.files_uploaded += 1
            self.stats.bytes_uploaded += stored.size
        return stored

    # --- updates and callback queries -------------------------------------------------------

    def queue_update(self, kind: str, payload: dict[str, Any]) -> int:
        update_id = self.next_update_id
        self.next_update_id += 1
        self.updates.append(PendingUpdate(update_id, kind, payload))
        self.stats.updates_queued += 1
        self.bump()
        return update_id

    def confirm_updates(self, offset: int | None) -> None:
        if offset is None or offset == 0:
            return
        if offset < 0:
            keep = -offset
            self.updates = self.updates[-keep:] if keep else []
            return
        self.updates = [update for update in self.updates if update.update_id >= offset]

    def deliverable_updates(self, limit: int) -> list[dict[str, Any]]:
        self.updates = [u for u in self.updates if u.kind in self.allowed_updates]
        return [
            {"update_id": u.update_id, u.kind: u.payload} for u in self.updates[: max(1, limit)]
        ]

    def new_callback_id(self) -> str:
        self._callback_counter += 1
        return str(4_611_686_018_427_387_904 + self.bot_id * 1000 + self._callback_counter)


def document_api(stored: StoredFile) -> dict[str, Any]:
    data: dict[str, Any] = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.size,
    }
    if stored.file_name:
        data["file_name"] = stored.file_name
    if stored.mime_type:
        data["mime_type"] = stored.mime_type
    return data


def photo_size_api(stored: StoredFile) -> dict[str, Any]:
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "width": stored.width,
        "height": stored.height,
        "file_size": stored.size,
    }


def audio_api(stored: StoredFile) -> dict[str, Any]:
    data: dict[str, Any] = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "duration": stored.duration,
        "file_size": stored.size,
    }
    for key in ("performer", "title", "file_name", "mime_type"):
        value = getattr(stored, key)
        if value:
            data[key] = value
    return data


def voice_api(stored: StoredFile) -> dict[str, Any]:
    data: dict[str, Any] = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "duration": stored.duration,
        "file_size": stored.size,
    }
    if stored.mime_type:
        data["mime_type"] = stored.mime_type
    return data


def describe_attachment(message: StoredMessage) -> str | None:
    if message.document is not None:
        return (
            f"📎 {message.document.file_name or 'document'} ({human_size(message.document.size)})"
        )
    if message.photo is not None:
        return f"🖼 фото ({human_size(message.photo.size)})"
    if message.audio is not None:
        name = message.audio.title or message.audio.file_name or "аудио"
        return f"🎵 {name} ({human_size(message.audio.size)})"
    if message.voice is not None:
        return f"🎤 голосовое, {message.voice.duration} с ({human_size(message.voice.size)})"
    return None


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def now() -> int:
    return int(time.time())
