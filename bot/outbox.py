"""The outbox sender: the one place that delivers notifications to Telegram.

Rows are delivered in the order they were written, per chat (a chat's next row waits until
the one before it is sent or has failed for good), within Telegram's limits (`SendLimiter`).
A 429 postpones the row by `retry_after`; network errors, 5xx and undecodable answers are
retried with exponential backoff, without limit, so nothing is lost during an outage; a
permanent 4xx fails the row with the error recorded. The sent `message_id` is stored so later
edits can find the message.

A person the bot cannot reach (Telegram answers 403: he never pressed «Старт», or he blocked
the bot) is not skipped in silence. The refused row is kept (state UNDELIVERED), the chat is
recorded as blocked, and `on_unreachable` is called in the same transaction: it tells CS, once
per unreachable spell, who he is and what he is missing (bot/services/unreachable.py). Every
later row for him is kept too, without asking Telegram again, and his next /start queues the
kept rows again in their original order (`db.outbox.release_kept`).

Delivery is at least once: a crash after Telegram accepted a message but before the row was
marked sent would send it again on restart. That window is a few milliseconds wide.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
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
from db.models import BlockedChat, OutboxMessage, OutboxState

log = logging.getLogger(__name__)

_SENDS = outbox_db.SEND_METHODS
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
    kept: int = 0


# Called in the transaction that keeps a message for a person who cannot be reached.
UnreachableHook = Callable[[AsyncSession, BlockedChat], Awaitable[None]]


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
        on_unreachable: UnreachableHook | None = None,
    ) -> None:
        self._bot = bot
        self._on_unreachable = on_unreachable
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
                await self._keep(row, "the person cannot be reached")
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
                if target.state == OutboxState.UNDELIVERED:
                    await self._keep(row, "kept with the message it refers to")
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
            if row.chat_id > 0:  # a person: he never pressed «Старт», or blocked the bot
                await self._keep(row, f"403: {error.message}", refused=True)
            else:  # the bot is no longer in the group
                await self._finish_failed(row, f"403: {error.message}")
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

    async def _finish_failed(self, row: OutboxMessage, error: str) -> None:
        self.stats.failed += 1
        log.warning("outbox %s to %s failed for good: %s", row.id, row.chat_id, error)
        async with self._sessions() as session, write_transaction(session):
            await outbox_db.mark_failed(session, row.id, error=error)

    async def _keep(self, row: OutboxMessage, error: str, *, refused: bool = False) -> None:
        """Keep the row for a person who cannot be reached, until his next /start.

        `refused`: Telegram has just answered 403. Otherwise the row was judged on what was
        read before this transaction: if he pressed «Старт» since (his chat is no longer
        blocked and the message this row refers to is queued again), the row is left pending
        and goes out as usual.
        """
        async with self._sessions() as session, write_transaction(session):
            blocked = await outbox_db.blocked_chat(session, row.chat_id)
            if blocked is None:
                target = None
                if row.target_id is not None:
                    target = await outbox_db.by_id(session, row.target_id)
                target_kept = target is not None and target.state == OutboxState.UNDELIVERED
                if not (refused or target_kept):
                    return
                blocked = await outbox_db.block_chat(session, row.chat_id, error)
            self.stats.kept += 1
            log.warning("outbox %s to %s kept: %s", row.id, row.chat_id, error)
            await outbox_db.mark_undelivered(session, row.id, error=error, count_attempt=refused)
            if row.method in _SENDS and self._on_unreachable is not None:
                await self._on_unreachable(session, blocked)
