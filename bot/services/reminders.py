"""Reminders: rows with a due time, swept into the outbox by a scheduler job.

A feature registers a renderer per kind; the sweep turns each due reminder into outbox rows
and marks it sent in the same transaction, so a reminder is delivered once, also when it
fell due while the bot was down (it is simply found due at the first sweep after start).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from aiogram.types import InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services import notify
from db import reminders as reminders_db
from db.engine import write_transaction
from db.models import Reminder, ReminderState

log = logging.getLogger(__name__)

# A renderer writes the outbox rows of one due reminder into the given session.
Renderer = Callable[[AsyncSession, Reminder], Awaitable[None]]

NOTICE = "notice"


class ReminderRegistry:
    def __init__(self) -> None:
        self._renderers: dict[str, Renderer] = {NOTICE: _render_notice}

    def register(self, kind: str, renderer: Renderer) -> None:
        self._renderers[kind] = renderer

    def renderer(self, kind: str) -> Renderer | None:
        return self._renderers.get(kind)


def schedule(
    session: AsyncSession,
    *,
    kind: str,
    due_at: datetime,
    subject: str = "",
    payload: dict[str, Any] | None = None,
) -> Reminder:
    reminder = Reminder(kind=kind, due_at=due_at, subject=subject, payload=payload or {})
    session.add(reminder)
    return reminder


def schedule_notice(
    session: AsyncSession,
    *,
    chat_id: int,
    text: str,
    due_at: datetime,
    subject: str = "",
    thread_id: int | None = None,
    keyboard: InlineKeyboardMarkup | None = None,
) -> Reminder:
    """A plain reminder: `text` (safe HTML) to `chat_id` at `due_at`, with the buttons that
    resolve it, if any."""
    payload: dict[str, Any] = {"chat_id": chat_id, "text": text, "thread_id": thread_id}
    if keyboard is not None:
        payload["keyboard"] = keyboard.model_dump(mode="json", exclude_none=True)
    return schedule(session, kind=NOTICE, due_at=due_at, subject=subject, payload=payload)


async def cancel(session: AsyncSession, subject: str, kinds: set[str] | None = None) -> int:
    return await reminders_db.cancel_for_subject(session, subject, kinds)


async def _render_notice(session: AsyncSession, reminder: Reminder) -> None:
    payload = reminder.payload
    keyboard = payload.get("keyboard")
    notify.send_message(
        session,
        int(payload["chat_id"]),
        str(payload["text"]),
        keyboard=InlineKeyboardMarkup.model_validate(keyboard) if keyboard else None,
        thread_id=payload.get("thread_id"),
        subject=reminder.subject,
    )


async def sweep(
    session_factory: async_sessionmaker[AsyncSession],
    registry: ReminderRegistry,
    now: datetime | None = None,
) -> int:
    """Turn every due reminder into outbox rows. Returns how many were delivered."""
    moment = now or datetime.now(UTC)
    async with session_factory() as session:
        due_ids = [reminder.id for reminder in await reminders_db.due(session, moment)]
    delivered = 0
    for reminder_id in due_ids:
        async with session_factory() as session, write_transaction(session):
            # Claimed inside the write transaction: a concurrent sweep or a cancel may have won.
            reminder = await reminders_db.claim(session, reminder_id)
            if reminder is None:
                continue
            renderer = registry.renderer(reminder.kind)
            reminder.fired_at = datetime.now(UTC)
            if renderer is None:
                log.error("reminder %s: no renderer for kind %r", reminder.id, reminder.kind)
                reminder.state = ReminderState.FAILED
                continue
            try:
                async with session.begin_nested():
                    await renderer(session, reminder)
            except Exception:
                log.exception("reminder %s (%s) could not be rendered", reminder.id, reminder.kind)
                reminder.state = ReminderState.FAILED
                continue
            reminder.state = ReminderState.SENT
            delivered += 1
    return delivered
