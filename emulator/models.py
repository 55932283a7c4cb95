"""Plain data objects of the emulator: limits, counters, users, chats, messages, files."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


class Mark(int):
    """An event counter value returned by ``BotAPIEmulator.mark()``.

    It is an ``int``; its own type lets ``wait_for_message(after=...)`` tell a mark from a
    message id.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Mark({int(self)})"


@dataclass(frozen=True)
class EmulatorLimits:
    """Flood limits enforced like Telegram does (sliding windows, 429 with retry_after)."""

    group_per_minute: int = 20
    global_per_second: int = 30
    enabled: bool = True
    group_window: float = 60.0
    global_window: float = 1.0


@dataclass
class EmulatorStats:
    calls: int = 0
    errors: int = 0
    sent: int = 0
    edited: int = 0
    deleted: int = 0
    chat_actions: int = 0
    callback_answers: int = 0
    rate_limited: int = 0
    faults: int = 0
    updates_queued: int = 0
    updates_delivered: int = 0
    files_uploaded: int = 0
    bytes_uploaded: int = 0
    by_method: Counter[str] = field(default_factory=Counter)
    faults_by_kind: Counter[str] = field(default_factory=Counter)


# Telegram's default of setWebhook's max_connections.
DEFAULT_MAX_CONNECTIONS = 40


@dataclass
class WebhookConfig:
    """What ``setWebhook`` set (delivery: ``emulator.webhook``)."""

    url: str
    secret_token: str | None = None
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    allowed_updates: list[str] | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class CallRecord:
    """One Bot API call. Logged when the request arrives (``done=False``), completed after."""

    method: str
    params: dict[str, Any]
    at: float
    ok: bool
    error_code: int | None = None
    description: str | None = None
    done: bool = True


@dataclass(frozen=True)
class CallbackAnswer:
    text: str | None
    show_alert: bool = False
    url: str | None = None
    cache_time: int = 0


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes
    kind: str  # "document" | "photo" | "audio" | "voice"
    file_name: str | None = None
    mime_type: str | None = None
    width: int = 0
    height: int = 0
    duration: int = 0  # audio and voice, in seconds
    performer: str | None = None  # audio only
    title: str | None = None  # audio only

    @property
    def size(self) -> int:
        return len(self.content)


@dataclass
class UserInfo:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    started: bool = True
    blocked: bool = False
    language_code: str | None = "ru"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}" if self.last_name else self.first_name

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data


@dataclass
class ChatInfo:
    id: int
    type: str  # "private" | "group" | "supergroup"
    title: str | None = None
    is_forum: bool = False
    username: str | None = None
    next_message_id: int = 1

    def label(self, users: dict[int, UserInfo]) -> str:
        if self.type == "private":
            user = users.get(self.id)
            return user.full_name if user else str(self.id)
        return self.title or str(self.id)


@dataclass
class StoredMessage:
    """One message as the emulator holds it (current state; ``edits`` keeps earlier texts)."""

    chat_id: int
    message_id: int
    from_bot: bool
    sender_id: int
    date: int
    thread_id: int | None = None
    text: str = ""  # "" for files (their text is the caption)
    html: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    caption: str | None = None
    caption_html: str | None = None
    caption_entities: list[dict[str, Any]] = field(default_factory=list)
    reply_markup: dict[str, Any] | None = None
    document: StoredFile | None = None
    photo: StoredFile | None = None
    audio: StoredFile | None = None
    voice: StoredFile | None = None
    reply_to_message_id: int | None = None
    edit_date: int | None = None
    edits: list[str] = field(default_factory=list)
    deleted: bool = False
    created_seq: int = 0
    edit_seq: int = 0

    @property
    def content(self) -> str:
        """Plain text of the message: its text, or its caption for media."""
        if self.file is not None:
            return self.caption or ""
        return self.text

    @property
    def buttons(self) -> list[list[str]]:
        """Texts of the inline keyboard, row by row (empty without an inline keyboard)."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [[str(button.get("text", "")) for button in row] for row in rows]

    @property
    def reply_keyboard(self) -> list[list[str]]:
        """Texts of a reply (custom) keyboard sent with the message, row by row."""
        rows = (self.reply_markup or {}).get("keyboard") or []
        return [[b if isinstance(b, str) else str(b.get("text", "")) for b in row] for row in rows]

    @property
    def file(self) -> StoredFile | None:
        return self.document or self.photo or self.audio or self.voice

    @property
    def file_bytes(self) -> bytes | None:
        return self.file.content if self.file else None

    @property
    def versions(self) -> list[str]:
        """Every plain text the message has shown, oldest first."""
        return [*self.edits, self.content]

    def __str__(self) -> str:
        who = "bot" if self.from_bot else f"user {self.sender_id}"
        flag = " (deleted)" if self.deleted else ""
        return f"#{self.message_id} {who}{flag}: {self.content!r} buttons={self.buttons}"
