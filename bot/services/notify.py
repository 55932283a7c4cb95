"""Writing notifications to the outbox, in the caller's transaction.

Nothing here talks to Telegram: the outbox sender (`bot/outbox.py`) delivers the rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from aiogram.types import BotCommand, InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from db import outbox as outbox_db
from db.models import OutboxMessage

OUTBOX_WRITTEN = "outbox_written"
FILE_FIELDS = {
    "sendPhoto": "photo",
    "sendDocument": "document",
    "sendAudio": "audio",
    "sendVoice": "voice",
}


def _markup(keyboard: InlineKeyboardMarkup | None) -> dict[str, Any] | None:
    return None if keyboard is None else keyboard.model_dump(mode="json", exclude_none=True)


def _add(session: AsyncSession, row: OutboxMessage) -> OutboxMessage:
    session.add(row)
    session.info[OUTBOX_WRITTEN] = True
    return row


def send_message(
    session: AsyncSession,
    chat_id: int,
    text: str,
    *,
    keyboard: InlineKeyboardMarkup | None = None,
    thread_id: int | None = None,
    subject: str = "",
    reply_to: OutboxMessage | None = None,
    not_before: datetime | None = None,
) -> OutboxMessage:
    """Queue an HTML message. `text` must already be safe HTML (built from the catalogue)."""
    payload: dict[str, Any] = {
        "text": text,
        "parse_mode": "HTML",
        "link_preview_options": {"is_disabled": True},
    }
    if thread_id:
        payload["message_thread_id"] = thread_id
    markup = _markup(keyboard)
    if markup is not None:
        payload["reply_markup"] = markup
    row = OutboxMessage(
        chat_id=chat_id,
        method="sendMessage",
        payload=payload,
        subject=subject,
        target=reply_to,
    )
    if not_before is not None:
        row.not_before = not_before
    return _add(session, row)


async def reply_to_post(
    session: AsyncSession,
    post_subject: str,
    text: str,
    *,
    subject: str,
    keyboard: InlineKeyboardMarkup | None = None,
    chat_id: int | None = None,
    thread_id: int | None = None,
) -> OutboxMessage | None:
    """A message as a reply to the newest post sent under `post_subject` (a case's, an
    appeal's, a request's group post; a person's first notice), in that post's chat and topic:
    Telegram notifies about a reply, unlike an edit, and the reader lands on the post.

    Without such a post the message goes to `chat_id` (in `thread_id`) when one is given,
    else nowhere (None)."""
    post = await outbox_db.latest_for_subject(session, post_subject)
    if post is not None:
        chat_id, thread_id = post.chat_id, post.payload.get("message_thread_id")
    elif chat_id is None:
        return None
    return send_message(
        session,
        chat_id,
        text,
        keyboard=keyboard,
        reply_to=post,
        thread_id=thread_id,
        subject=subject,
    )


def edit_message(
    session: AsyncSession,
    target: OutboxMessage,
    text: str,
    *,
    keyboard: InlineKeyboardMarkup | None = None,
) -> OutboxMessage:
    """Queue an edit of a message sent (or still to be sent) through the outbox."""
    payload: dict[str, Any] = {
        "text": text,
        "parse_mode": "HTML",
        "link_preview_options": {"is_disabled": True},
    }
    markup = _markup(keyboard)
    if markup is not None:
        payload["reply_markup"] = markup
    return _add(
        session,
        OutboxMessage(
            chat_id=target.chat_id,
            method="editMessageText",
            payload=payload,
            subject=target.subject,
            target=target,
        ),
    )


def send_file(
    session: AsyncSession,
    chat_id: int,
    *,
    method: str,
    data: bytes,
    filename: str,
    caption: str = "",
    thread_id: int | None = None,
    subject: str = "",
) -> OutboxMessage:
    """Queue a document or photo (`method` is "sendDocument" or "sendPhoto")."""
    if method not in {"sendDocument", "sendPhoto"}:
        raise ValueError(f"not a file method: {method}")
    payload: dict[str, Any] = {"filename": filename, "parse_mode": "HTML"}
    if caption:
        payload["caption"] = caption
    if thread_id:
        payload["message_thread_id"] = thread_id
    return _add(
        session,
        OutboxMessage(
            chat_id=chat_id, method=method, payload=payload, file_data=data, subject=subject
        ),
    )


def send_attachment(
    session: AsyncSession,
    chat_id: int,
    *,
    method: str,
    file_id: str,
    caption: str = "",
    reply_to: OutboxMessage | None = None,
    thread_id: int | None = None,
    subject: str = "",
) -> OutboxMessage:
    """Queue a file Telegram already has (by file_id): sendPhoto/Document/Audio/Voice."""
    field = FILE_FIELDS.get(method)
    if field is None:
        raise ValueError(f"not a file method: {method}")
    payload: dict[str, Any] = {field: file_id, "parse_mode": "HTML"}
    if caption:
        payload["caption"] = caption
    if thread_id:
        payload["message_thread_id"] = thread_id
    return _add(
        session,
        OutboxMessage(
            chat_id=chat_id, method=method, payload=payload, subject=subject, target=reply_to
        ),
    )


def set_commands(
    session: AsyncSession, chat_id: int, commands: Sequence[BotCommand]
) -> OutboxMessage:
    """Queue the command menu of one private chat (the user's role changed)."""
    payload = {
        "commands": [command.model_dump(mode="json") for command in commands],
        "scope": {"type": "chat", "chat_id": chat_id},
    }
    return _add(session, OutboxMessage(chat_id=chat_id, method="setMyCommands", payload=payload))
