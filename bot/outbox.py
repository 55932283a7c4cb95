"""The outbox sender: the one place that delivers notifications to Telegram.

Rows are delivered in the order they were written, per chat (a chat's next row waits until
the one before it is sent or has failed for good), within Telegram's limits (`SendLimiter`).
A 429 postpones the row by `retry_after`; network errors, 5xx and undecodable answers are
retried with exponential backoff, without limit, so nothing is lost during an outage; a
permanent 4xx fails the row with the error recorded, and a user who blocked the bot is not
messaged again. The sent `message_id` is stored so later edits can find the message.

Delivery is at least once: a crash after Telegram accepted a message but before the row was
marked sent would send it again on restart. That window is a few milliseconds wide.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    AiogramError,
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import (
    DeleteMessage,
    EditMessageReplyMarkup,
    EditMessageText,
    SendAudio,
    SendDocument,
    SendMessage,
    SendPhoto,
    SendVoice,
    SetMyCommands,
    TelegramMethod,
)
from aiogram.types import BufferedInputFile, Message, ReplyParameters
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.ratelimit import SendLimiter
from db import outbox as outbox_db
from db.engine import write_transaction
from db.models import OutboxMessage, OutboxState

log = logging.getLogger(__name__)

_SENDS = {"sendMessage", "sendDocument", "sendPhoto", "sendAudio", "sendVoice"}
_NOT_MODIFIED = "message is not modified"
_FILE_METHODS: dict[str, tuple[type[TelegramMethod[Message]], str]] = {
    "sendDocument": (SendDocument, "document"),
    "sendPhoto": (SendPhoto, "photo"),
    "sendAudio": (SendAudio, "audio"),
    "sendVoice": (SendVoice, "voice"),
}


@dataclass
class OutboxStats:
    sent: int = 0
    failed: int = 0
    rate_limited: int = 0
    retried: int = 0


class OutboxSender:
    def __init__(
        self,
        bot: Bot,
        session_factory: async_sessionmaker[AsyncSession],
        limiter: SendLimiter,
        *,
        poll_interval: timedelta = timedelta(seconds=1),
        max_backoff: timedelta = timedelta(minutes=5),
        concurrency: int = 16,
        batch: int = 500,
    ) -> None:
        self._bot = bot
        self._sessions = session_factory
        self._limiter = limiter
        self._poll = poll_interval.total_seconds()
        self._max_backoff = max_backoff.total_seconds()
        self._batch = batch
        self._slots = asyncio.Semaphore(concurrency)
        self._wake = asyncio.Event()
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        # Chats whose send finished while the pending rows were being read: that read may
        # still show the finished row as pending, so those chats wait for the next round.
        self._finished: set[int] = set()
        self._task: asyncio.Task[None] | None = None
        self.stats = OutboxStats()

    def wake(self) -> None:
        """Something was written to the outbox: look now rather than at the next poll."""
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="outbox-sender")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._in_flight:
            await asyncio.gather(*self._in_flight.values(), return_exceptions=True)

    async def drain(self, timeout: float = 60.0) -> None:
        """Deliver everything pending now (the demo and the benchmarks use it)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            wait = await self.dispatch_ready()
            if wait is None and not self._in_flight:
                return
            if loop.time() > deadline:
                raise TimeoutError("the outbox was not drained in time")
            await asyncio.sleep(min(max(wait or 0.0, 0.01), 0.25))

    async def _run(self) -> None:
        while True:
            try:
                wait = await self.dispatch_ready()
            except Exception:
                log.exception("outbox sweep failed")
                wait = self._poll
            timeout = self._poll if wait is None else min(wait, self._poll)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=max(timeout, 0.01))

    async def dispatch_ready(self) -> float | None:
        """Start sending every chat's next row that may go now.

        Returns the seconds until the earliest row that must wait, or None if nothing waits.
        """
        self._finished.clear()
        async with self._sessions() as session:
            heads = {row.chat_id: row for row in await outbox_db.chat_heads(session, self._batch)}
            blocked = await outbox_db.blocked_chat_ids(session)
            targets = {
                row.target_id: await outbox_db.by_id(session, row.target_id)
                for row in heads.values()
                if row.target_id is not None
            }
        now = datetime.now(UTC)
        soonest: float | None = None

        def later(seconds: float) -> None:
            nonlocal soonest
            soonest = seconds if soonest is None else min(soonest, seconds)

        for chat_id, row in heads.items():
            if chat_id in self._in_flight or chat_id in self._finished:
                later(0.0 if chat_id in self._finished else 0.05)
                continue
            if chat_id in blocked and row.method != "setMyCommands":
                await self._finish_failed(row, "chat blocked the bot", block=False)
                later(0.0)
                continue
            if row.not_before > now:
                later((row.not_before - now).total_seconds())
                continue
            target = targets.get(row.target_id) if row.target_id is not None else None
            if row.target_id is not None:
                if target is None or target.state == OutboxState.FAILED:
                    await self._finish_failed(row, "the message it refers to was not sent")
                    later(0.0)
                    continue
                if target.state == OutboxState.PENDING:
                    # Its target sits in another queue position of the same chat; wait for it.
                    later(self._poll)
                    continue
            counts = row.method in _SENDS
            delay = self._limiter.delay(chat_id, counts_for_group=counts)
            if delay > 0:
                later(delay)
                continue
            self._limiter.record(chat_id, counts_for_group=counts)
            target_message_id = target.message_id if target is not None else None
            self._in_flight[chat_id] = asyncio.create_task(self._deliver(row, target_message_id))
            later(0.0)
        return soonest

    async def _deliver(self, row: OutboxMessage, target_message_id: int | None) -> None:
        try:
            async with self._slots:
                await self._attempt(row, target_message_id)
        except Exception:
            log.exception("outbox row %s: bookkeeping failed, will retry", row.id)
        finally:
            self._finished.add(row.chat_id)
            self._in_flight.pop(row.chat_id, None)
            self._wake.set()

    async def _attempt(self, row: OutboxMessage, target_message_id: int | None) -> None:
        try:
            result = await self._bot(self._build(row, target_message_id))
        except TelegramRetryAfter as error:
            self.stats.rate_limited += 1
            self._limiter.pause(row.chat_id, error.retry_after)
            log.warning("outbox %s: 429, retry after %ss", row.id, error.retry_after)
            await self._postpone(row, error.retry_after, f"429: {error.message}", count=False)
        except TelegramBadRequest as error:
            if _NOT_MODIFIED in error.message:
                await self._finish_sent(row, target_message_id)
            else:
                await self._finish_failed(row, f"400: {error.message}")
        except TelegramForbiddenError as error:
            await self._finish_failed(row, f"403: {error.message}", block=row.chat_id > 0)
        except TelegramUnauthorizedError as error:
            # The token was revoked: keep every row and keep trying; an admin must act.
            log.error("outbox: Telegram refused the bot token; rows stay pending")
            await self._postpone(row, self._max_backoff, f"401: {error.message}", count=True)
        except (TelegramNetworkError, TelegramServerError, ClientDecodeError) as error:
            await self._retry_later(row, error)
        except TelegramAPIError as error:
            await self._finish_failed(row, f"{type(error).__name__}: {error.message}")
        except (AiogramError, OSError, TimeoutError) as error:
            await self._retry_later(row, error)
        else:
            message_id = result.message_id if isinstance(result, Message) else target_message_id
            await self._finish_sent(row, message_id)

    def _build(self, row: OutboxMessage, target_message_id: int | None) -> TelegramMethod[Any]:
        payload = dict(row.payload)
        payload["chat_id"] = row.chat_id
        if row.method == "sendMessage":
            if target_message_id is not None:
                payload["reply_parameters"] = ReplyParameters(
                    message_id=target_message_id, allow_sending_without_reply=True
                )
            return SendMessage.model_validate(payload)
        if row.method in _FILE_METHODS:
            method_type, field = _FILE_METHODS[row.method]
            if target_message_id is not None:
                payload["reply_parameters"] = ReplyParameters(
                    message_id=target_message_id, allow_sending_without_reply=True
                )
            if row.file_data is not None:  # bytes made by the bot (a chart, an export)
                filename = payload.pop("filename", "file")
                payload[field] = BufferedInputFile(row.file_data, filename=filename)
            return method_type.model_validate(payload)
        if row.method == "editMessageText":
            return EditMessageText.model_validate({**payload, "message_id": target_message_id})
        if row.method == "editMessageReplyMarkup":
            return EditMessageReplyMarkup.model_validate(
                {**payload, "message_id": target_message_id}
            )
        if row.method == "deleteMessage":
            return DeleteMessage.model_validate({**payload, "message_id": target_message_id})
        if row.method == "setMyCommands":
            payload.pop("chat_id")
            return SetMyCommands.model_validate(payload)
        raise ValueError(f"unknown outbox method {row.method!r}")

    async def _retry_later(self, row: OutboxMessage, error: BaseException) -> None:
        self.stats.retried += 1
        backoff = min(self._max_backoff, 2.0 ** min(row.attempts, 16))
        log.warning("outbox %s: %s, retry in %.0fs", row.id, type(error).__name__, backoff)
        await self._postpone(row, backoff, f"{type(error).__name__}: {error}", count=True)

    async def _postpone(
        self, row: OutboxMessage, seconds: float, error: str, *, count: bool
    ) -> None:
        until = datetime.now(UTC) + timedelta(seconds=seconds)
        async with self._sessions() as session, write_transaction(session):
            await outbox_db.postpone(session, row.id, until=until, error=error, count_attempt=count)

    async def _finish_sent(self, row: OutboxMessage, message_id: int | None) -> None:
        self.stats.sent += 1
        async with self._sessions() as session, write_transaction(session):
            await outbox_db.mark_sent(session, row.id, message_id=message_id, at=datetime.now(UTC))

    async def _finish_failed(self, row: OutboxMessage, error: str, *, block: bool = False) -> None:
        self.stats.failed += 1
        log.warning("outbox %s to %s failed for good: %s", row.id, row.chat_id, error)
        async with self._sessions() as session, write_transaction(session):
            await outbox_db.mark_failed(session, row.id, error=error)
            if block:
                await outbox_db.block_chat(session, row.chat_id, error)
