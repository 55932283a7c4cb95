"""Webhook delivery: after ``setWebhook`` the emulator POSTs each update to the bot, as
Telegram does.

- Each update goes as JSON with the ``X-Telegram-Bot-Api-Secret-Token`` header (if a secret
  was set) to the webhook's URL, or, when a test set ``emu.webhook_targets``, to those URLs in
  turn (round-robin, standing for a load balancer in front of several replicas; Telegram
  itself takes one URL).
- An update answered with a non-2xx status, or not answered within ``timeout`` seconds, is
  delivered again after a short backoff (doubling up to ``max_backoff``), to the next target;
  it stays pending (``getWebhookInfo.pending_update_count``) until a 2xx answer.
- Updates of one chat go one at a time and in order: the next waits until the one before was
  answered 2xx. Different chats are delivered at once, up to ``max_connections``.
- Whatever the bot puts in the body of its answer is ignored (Telegram would run a method
  given there; the bot under test never answers that way).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from typing import Any

import aiohttp

from emulator.models import WebhookConfig
from emulator.state import EmulatorState, PendingUpdate, now

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name


@dataclass
class Delivery:
    """One POST of an update (a re-delivery is a Delivery of its own)."""

    update_id: int
    url: str
    attempt: int
    status: int | None  # None: no answer (timeout, connection refused or dropped)
    error: str | None
    started: float
    finished: float

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def chat_key(update: PendingUpdate) -> tuple[str, int]:
    """The chat an update belongs to, for delivering each chat's updates in order."""
    payload = update.payload
    message = payload.get("message") if update.kind == "callback_query" else payload
    if isinstance(message, dict) and isinstance(message.get("chat"), dict):
        return ("chat", int(message["chat"]["id"]))
    sender = payload.get("from")
    if isinstance(sender, dict) and "id" in sender:
        return ("chat", int(sender["id"]))
    return ("update", update.update_id)


class WebhookPusher:
    """Delivers pending updates while a webhook is set; idle otherwise."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        # Set by a test to stand for a load balancer: deliveries go to these URLs in turn.
        self.targets: list[str] = []
        self.timeout = 60.0
        self.backoff = 0.1
        self.max_backoff = 2.0
        self.deliveries: list[Delivery] = []
        self._cursor = 0
        self._inflight: dict[tuple[str, int], asyncio.Task[None]] = {}
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._stopping = False

    async def start(self) -> None:
        if self._task is not None:
            return
        self._session = aiohttp.ClientSession()
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="emulator-webhook")

    async def stop(self) -> None:
        task, self._task = self._task, None
        # The loop also ends by itself: on Python 3.11 a cancel that meets a wake-up inside
        # asyncio.wait_for can be lost.
        self._stopping = True
        self.state.notifier.notify()
        tasks = [t for t in (task, *self._inflight.values()) if t is not None]
        for pending in tasks:
            pending.cancel()
        for pending in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await pending
        self._inflight.clear()
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    @property
    def in_flight(self) -> int:
        """How many updates are being delivered (posted, or waiting to be posted again)."""
        return len(self._inflight)

    def pending_count(self) -> int:
        return sum(1 for u in self.state.updates if u.kind in self.state.allowed_updates)

    def next_url(self, config: WebhookConfig) -> str:
        targets = self.targets or [config.url]
        url = targets[self._cursor % len(targets)]
        self._cursor += 1
        return url

    # --- the loop ------------------------------------------------------------------------

    async def _run(self) -> None:
        while not self._stopping:
            self._launch_ready()
            await self._changed(self.state.seq)

    async def _changed(self, seen: int) -> None:
        """Until anything changes (an update queued, a delivery ended, setWebhook...)."""
        with contextlib.suppress(TimeoutError):
            await self.state.notifier.wait_until(
                lambda: True if self.state.seq != seen or self._stopping else None, 3600
            )

    def _launch_ready(self) -> None:
        config = self.state.webhook
        if config is None:
            return
        self.state.updates = [u for u in self.state.updates if u.kind in self.state.allowed_updates]
        seen: set[tuple[str, int]] = set()
        for update in self.state.updates:
            if len(self._inflight) >= config.max_connections:
                return
            key = chat_key(update)
            if key in seen:
                continue  # an earlier update of this chat is pending: it goes first
            seen.add(key)
            if key not in self._inflight:
                self._inflight[key] = asyncio.create_task(self._deliver(update, key))

    async def _deliver(self, update: PendingUpdate, key: tuple[str, int]) -> None:
        attempt = 0
        try:
            while True:
                config = self.state.webhook
                if config is None or self._stopping or update not in self.state.updates:
                    return  # the webhook was deleted, or the update dropped
                attempt += 1
                url = self.next_url(config)
                delivery = await self._post(url, update, config.secret_token, attempt)
                self.deliveries.append(delivery)
                if delivery.ok:
                    if update in self.state.updates:
                        self.state.updates.remove(update)
                    self.state.stats.updates_delivered += 1
                    self.state.bump()
                    return
                config.last_error_date = now()
                config.last_error_message = delivery.error
                self.state.bump()
                await asyncio.sleep(min(self.backoff * 2 ** (attempt - 1), self.max_backoff))
        finally:
            if self._inflight.get(key) is asyncio.current_task():
                del self._inflight[key]
            self.state.bump()

    async def _post(
        self, url: str, update: PendingUpdate, secret: str | None, attempt: int
    ) -> Delivery:
        assert self._session is not None
        body: dict[str, Any] = {"update_id": update.update_id, update.kind: update.payload}
        headers = {SECRET_HEADER: secret} if secret else {}
        started = time.monotonic()
        status: int | None = None
        error: str | None = None
        try:
            async with self._session.post(
                url,
                json=body,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.timeout),
            ) as response:
                await response.read()
                status = response.status
                if not 200 <= status < 300:
                    error = f"Wrong response from the webhook: {status} {response.reason}"
        except TimeoutError:
            error = "Read timeout expired"
        except aiohttp.ClientConnectorError:
            error = "Connection refused"
        except aiohttp.ClientError as failure:
            error = f"Connection failed: {type(failure).__name__}"
        return Delivery(
            update_id=update.update_id,
            url=url,
            attempt=attempt,
            status=status,
            error=error,
            started=started,
            finished=time.monotonic(),
        )
