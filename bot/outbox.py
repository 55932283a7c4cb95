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

Claims. Shortly before calling Telegram (see Pacing) the sender claims the row for a lease
(`outbox.claimed_until`): the call's timeout, two thirds of `lease` (OUTBOX_LEASE, 15 s, so
10 s; 60 s for a file), plus a third of `lease` to record the answer. No sender takes a
claimed row, so a second process (a replica taking over, a restart beside a hung process)
never sends a row that a live sender is sending: the call is cut off at its timeout, counted
from the claim, before the lease runs out. Every result (sent, failed, postponed, kept)
clears the claim. A row whose lease ran out with no result (its sender died) is sent again;
its chat waits behind it, so the order holds, and after a crash that row comes up to `lease`
late.

Recording. A result is recorded the moment Telegram answers, not gathered for later: the
sender's writes go through one queue, one transaction at a time, and that transaction takes
every result waiting at that moment (the rows sent in one statement, the claims in another).
Before, each of up to 16 answers opened its own transaction and polled SQLite's write lock,
so an answer waited for its commit p50 58 ms, p99 1.05 s, at worst 1.45 s. Calls start evenly
spread (`send_pace`, 0.8 / 30 s apart) rather than 30 at once at the start of each second, so
few are in flight at any instant.

Pacing. A row is claimed a little before its turn (up to `LOOKAHEAD`, at most `ahead` rows
at once), then waits in the sender until the limits let its call go, the oldest waiting row
first; the call's place in the limiter's windows runs from its answer (see SendLimiter), so
no margin is added and no call is refused for jitter between the sender and Telegram. A 429
pauses the chat for its `retry_after` and every other chat for up to a second. Measured by
`bench.outbox` (1,000 notifications to 50 chats and 5 groups at 30/s): 95 % of the limit
twice on a quiet machine (92 %, 81 % and a 429 when busy) with a 50 ms margin and the claim's
commit between the count and the call; 99.9 % twice since, no 429 (99 % twice when busy).
Where the rest goes: the answer's round trip once per window's turn, and the event loop's
stalls (a full garbage collection, the machine's other work).

Delivery is at least once, and a repeat is still possible: Telegram has no idempotency key,
so a row is sent again when the process dies after its request left and before the commit
that records the answer. That window is the call's round trip (about a millisecond to the
loopback emulator; to Telegram its network latency, at worst the call's timeout) plus the
recording, measured by `bench.outbox_crash` (150 sends, SIGKILL at a random moment of the
burst, 10 runs on the 2-core development machine): p50 3.2 ms, p99 11 ms, at worst 18 ms
from the answer to the commit. A crash repeats only the rows in flight at that instant
(at most `concurrency`, 16; measured: 0 or 1 per kill, 3 in 10 kills, against 0 to 16 per
kill, 47 in 8, before), each once, and never a row whose result was recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
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

from bot.ratelimit import Call, SendLimiter
from db import outbox as outbox_db
from db.engine import write_transaction
from db.models import BlockedChat, OutboxMessage, OutboxState

log = logging.getLogger(__name__)

_SENDS = outbox_db.SEND_METHODS
# A file upload may take long on a slow link; a text call is cut off at two thirds of the lease.
FILE_CALL_TIMEOUT = 60.0
_NOT_MODIFIED = "message is not modified"
# A row is claimed this long before its turn (at most `ahead` of them at once), so the claim's
# commit is done when the limits let the call go, rather than delaying it.
LOOKAHEAD = 0.25
_FILE_METHODS: dict[str, tuple[type[TelegramMethod[Message]], str]] = {
    "sendDocument": (SendDocument, "document"),
    "sendPhoto": (SendPhoto, "photo"),
    "sendAudio": (SendAudio, "audio"),
    "sendVoice": (SendVoice, "voice"),
}


def send_pace(global_per_second: int) -> timedelta:
    """The least time between the starts of two calls: the bot's 30 a second spread evenly
    (a little faster than the limit, which still holds), not sent at once at the start of
    each second. Fewer calls are in flight at any moment, so fewer can be cut by a crash."""
    return timedelta(seconds=0.8 / max(1, global_per_second))


@dataclass
class OutboxStats:
    sent: int = 0
    failed: int = 0
    rate_limited: int = 0
    retried: int = 0
    kept: int = 0
    # Rows another sender had claimed when this one came to send them.
    claimed_elsewhere: int = 0
    # Transactions that recorded results, and the results they recorded.
    commits: int = 0
    recorded: int = 0


# Called in the transaction that keeps a message for a person who cannot be reached.
UnreachableHook = Callable[[AsyncSession, BlockedChat], Awaitable[None]]
_Apply = Callable[[AsyncSession], Awaitable[Any]]


@dataclass
class _Write:
    """One write of the sender, waiting for the next transaction: a claim of `row_id` for
    `lease` seconds, `row_id` recorded as sent, or anything else (`apply`)."""

    row_id: int = 0
    lease: float | None = None
    sent: bool = False
    message_id: int | None = None
    apply: _Apply | None = None
    # In a savepoint of its own: if it fails, the rest of the batch is still written.
    alone: bool = False
    done: asyncio.Future[Any] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


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
        lease: timedelta = timedelta(seconds=15),
        pace: timedelta = timedelta(0),
        ahead: int = 8,
        on_unreachable: UnreachableHook | None = None,
    ) -> None:
        """`pace`: the least time between the starts of two calls (see `send_pace`).
        `ahead`: how many rows may be claimed and waiting for their turn at once."""
        self._bot = bot
        self._on_unreachable = on_unreachable
        self._sessions = session_factory
        self._limiter = limiter
        self._poll = poll_interval.total_seconds()
        self._max_backoff = max_backoff.total_seconds()
        self._lease = lease.total_seconds()
        self._pace = pace.total_seconds()
        self._next_start = 0.0
        self._ahead = max(1, ahead)
        # Rows started and not yet sent: being claimed, or claimed and waiting for their turn.
        self._waiting: set[int] = set()
        # Claimed rows waiting for their turn, and an event set (and replaced) whenever a
        # turn may have come: Telegram answered a call, or a row took its turn.
        self._turns: dict[int, OutboxMessage] = {}
        self._turn_changed = asyncio.Event()
        self._batch = batch
        self._slots = asyncio.Semaphore(concurrency)
        self._wake = asyncio.Event()
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        # Chats whose send finished while the pending rows were being read: that read may
        # still show the finished row as pending, so those chats wait for the next round.
        self._finished: set[int] = set()
        # The sender's writes: one transaction at a time, each taking all that wait.
        self._writes: list[_Write] = []
        self._writing = asyncio.Lock()
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
            self._wake.clear()
            wait = await self.dispatch_ready()
            if wait is None and not self._in_flight:
                return
            if loop.time() > deadline:
                raise TimeoutError("the outbox was not drained in time")
            await self._sleep(min(self._poll if wait is None else wait, 0.25))

    async def _run(self) -> None:
        while True:
            # Cleared before the sweep: a wake while it reads is not lost.
            self._wake.clear()
            try:
                wait = await self.dispatch_ready()
            except Exception:
                log.exception("outbox sweep failed")
                wait = self._poll
            await self._sleep(self._poll if wait is None else min(wait, self._poll))

    async def _sleep(self, seconds: float) -> None:
        """Until `seconds` have passed or the sender is woken (a row written, a chat's call
        done, a claimed row's turn come), whichever is first."""
        # asyncio.timeout, not wait_for: Python 3.11's wait_for drops a cancellation that
        # comes in the same turn of the loop as the wake (a stop() right after a wake then
        # never ended: tests/test_outbox.py).
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(max(seconds, 0.01)):
                await self._wake.wait()

    async def dispatch_ready(self) -> float | None:
        """Start sending every chat's next row that may go now.

        A row is started (claimed, then sent when its turn comes: `_take_turn`) up to
        `LOOKAHEAD` before the limits let it go, and no more than `ahead` rows wait so.

        Returns the seconds until the earliest row that must wait, or None if nothing waits.
        """
        if len(self._waiting) > self._ahead // 2:
            # Enough rows wait for their turn: read when half of them have gone, and start
            # several at once, rather than read every pending chat's row for each call (at
            # 30 calls a second the reads were the sender's main work). A row's turn coming
            # wakes the sender.
            return LOOKAHEAD
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
            if row.claimed_until is not None and row.claimed_until > now:
                # Another sender is calling Telegram with it (or died doing so): its lease
                # must run out first. The chat's later rows wait behind it.
                later((row.claimed_until - now).total_seconds())
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
            delay = self._limiter.delay(chat_id, counts_for_group=row.method in _SENDS)
            if delay > LOOKAHEAD:
                later(delay - LOOKAHEAD)
                continue
            if len(self._waiting) >= self._ahead:
                later(LOOKAHEAD)
                continue
            self._waiting.add(row.id)
            target_message_id = target.message_id if target is not None else None
            self._in_flight[chat_id] = asyncio.create_task(self._deliver(row, target_message_id))
            later(0.0)
        return soonest

    def call_timeout(self, row: OutboxMessage) -> float:
        """How long the call to Telegram with `row` may take before it is cut off."""
        return FILE_CALL_TIMEOUT if row.file_data is not None else max(1.0, self._lease * 2 / 3)

    def lease_for(self, row: OutboxMessage) -> float:
        """How long a claim of `row` holds: its call, then a third of `lease` to record it."""
        return self.call_timeout(row) + self._lease / 3

    async def _deliver(self, row: OutboxMessage, target_message_id: int | None) -> None:
        loop = asyncio.get_running_loop()
        try:
            async with self._slots:
                claimed_at = loop.time()
                if await self._claim(row):
                    await self._attempt(row, target_message_id, claimed_at)
        except Exception:
            log.exception("outbox row %s: bookkeeping failed, will retry", row.id)
        finally:
            self._done_waiting(row)
            self._finished.add(row.chat_id)
            self._in_flight.pop(row.chat_id, None)
            self._wake.set()

    async def _claim(self, row: OutboxMessage) -> bool:
        if await self._write(_Write(row_id=row.id, lease=self.lease_for(row))):
            return True
        self.stats.claimed_elsewhere += 1
        log.info("outbox %s: claimed by another sender or no longer pending", row.id)
        return False

    def _done_waiting(self, row: OutboxMessage) -> None:
        if row.id in self._waiting:
            self._waiting.discard(row.id)
            self._wake.set()  # another row may start

    async def _take_turn(self, row: OutboxMessage) -> None:
        """Wait until the limits and the pace let a call to the row's chat go, and no older
        row waiting for its turn may go before it (the oldest first, as they were written).

        The wait is rechecked whenever Telegram answers a call, since a call in flight holds
        its place in the windows for a window's length after its answer (see SendLimiter)."""
        loop = asyncio.get_running_loop()
        self._turns[row.id] = row
        try:
            while True:
                changed = self._turn_changed
                wait = self._own_wait(row)
                if wait <= 0:
                    if any(
                        older < row.id and self._own_wait(other) <= 0
                        for older, other in self._turns.items()
                    ):
                        wait = self._poll  # an older row goes first, then this one looks again
                    else:
                        wait = max(self._limiter.global_delay(), self._next_start - loop.time())
                        if wait <= 0:
                            return
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(wait):  # not wait_for: see _sleep
                        await changed.wait()
        finally:
            del self._turns[row.id]
            self._turn_change()

    def _own_wait(self, row: OutboxMessage) -> float:
        return self._limiter.chat_delay(row.chat_id, counts_for_group=row.method in _SENDS)

    def _turn_change(self) -> None:
        self._turn_changed.set()
        self._turn_changed = asyncio.Event()

    def _call_answered(self, call: Call) -> None:
        self._limiter.answered(call)
        self._turn_change()

    async def _attempt(
        self, row: OutboxMessage, target_message_id: int | None, claimed_at: float
    ) -> None:
        loop = asyncio.get_running_loop()
        try:
            method = self._build(row, target_message_id)
            await self._take_turn(row)
            self._done_waiting(row)
            # The call must end before the claim's lease does, however long the turn took.
            timeout = self.call_timeout(row) - (loop.time() - claimed_at)
            if timeout < self.call_timeout(row) / 2:
                # Held far longer than a turn takes (a long pause after a 429): give the row
                # back rather than call with a short fuse; the next sweep takes it again.
                await self._postpone(row, 0.0, "waited too long for its turn", count=False)
                return
            call = self._limiter.started(row.chat_id, counts_for_group=row.method in _SENDS)
            self._next_start = loop.time() + self._pace
            try:
                # aiogram types the timeout as int; aiohttp takes any number of seconds.
                result = await self._bot(method, request_timeout=timeout)  # type: ignore[arg-type]
            finally:
                self._call_answered(call)
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

    async def _write(self, write: _Write) -> Any:
        """Do `write` in the sender's next write transaction, at once; its result.

        The sender's writes are queued here, one transaction at a time: whoever holds the
        turn commits everything that waits (the rows sent in one statement, the claims in
        one more). A result is thus recorded as soon as the transaction before it ends,
        rather than after a wait on SQLite's write lock behind the sender's other results.
        """
        self._writes.append(write)
        async with self._writing:
            if not write.done.done():
                batch, self._writes = self._writes, []
                await self._commit(batch)
        return write.done.result()

    async def _commit(self, batch: list[_Write]) -> None:
        done: list[tuple[_Write, Any, Exception | None]] = []
        try:
            async with self._sessions() as session, write_transaction(session):
                now = datetime.now(UTC)
                sent = {write.row_id: write.message_id for write in batch if write.sent}
                await outbox_db.mark_sent(session, sent, at=now)
                for write in batch:
                    if write.apply is None:
                        continue
                    if not write.alone:  # one statement: if it fails, nothing is written
                        done.append((write, await write.apply(session), None))
                        continue
                    try:
                        async with session.begin_nested():
                            done.append((write, await write.apply(session), None))
                    except Exception as error:
                        done.append((write, None, error))
                leases = {
                    write.row_id: now + timedelta(seconds=write.lease)
                    for write in batch
                    if write.lease is not None
                }
                taken = await outbox_db.claim(session, leases, now=now) if leases else set()
        except BaseException as error:
            # The transaction did not commit: nothing of the batch was written.
            failure = error if isinstance(error, Exception) else RuntimeError("interrupted")
            for write in batch:
                write.done.set_exception(failure)
            if not isinstance(error, Exception):
                raise
            return
        self.stats.commits += 1
        self.stats.recorded += len(batch)
        for write in batch:
            if write.sent:
                write.done.set_result(None)
            elif write.lease is not None:
                write.done.set_result(write.row_id in taken)
        for write, result, problem in done:
            if problem is None:
                write.done.set_result(result)
            else:
                write.done.set_exception(problem)

    async def _postpone(
        self, row: OutboxMessage, seconds: float, error: str, *, count: bool
    ) -> None:
        until = datetime.now(UTC) + timedelta(seconds=seconds)
        await self._write(
            _Write(
                apply=lambda session: outbox_db.postpone(
                    session, row.id, until=until, error=error, count_attempt=count
                )
            )
        )

    async def _finish_sent(self, row: OutboxMessage, message_id: int | None) -> None:
        self.stats.sent += 1
        await self._write(_Write(row_id=row.id, sent=True, message_id=message_id))

    async def _finish_failed(self, row: OutboxMessage, error: str) -> None:
        self.stats.failed += 1
        log.warning("outbox %s to %s failed for good: %s", row.id, row.chat_id, error)
        await self._write(
            _Write(apply=lambda session: outbox_db.mark_failed(session, row.id, error=error))
        )

    async def _keep(self, row: OutboxMessage, error: str, *, refused: bool = False) -> None:
        """Keep the row for a person who cannot be reached, until his next /start.

        `refused`: Telegram has just answered 403. Otherwise the row was judged on what was
        read before this transaction: if he pressed «Старт» since (his chat is no longer
        blocked and the message this row refers to is queued again), the row is left pending
        and goes out as usual.
        """

        async def keep(session: AsyncSession) -> None:
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

        await self._write(_Write(apply=keep, alone=True))
