"""Leadership: the one replica that runs the background work.

Several replicas of the bot may serve one PostgreSQL database (behind a webhook); any of them
handles any update, but the outbox sender, the scheduler (the reminder sweep, the digest, the
monthly notices, the mail) must run in exactly one at a time, so that Telegram's limits hold
for the bot as a whole and nothing is claimed by two. That one is the replica holding a
PostgreSQL advisory lock on a connection of its own:

- every replica tries the lock at start, and then every `RETRY` seconds;
- the leader checks its connection every `CHECK` seconds and gives the work up when the check
  fails or does not answer within `CHECK` seconds (cut off from the database, it must stop
  before another replica may take over);
- a leader that dies (a crash, SIGKILL, a deploy) closes its connection with it: PostgreSQL
  frees the lock at once and another replica takes it at its next try, within `RETRY` seconds;
  a host that vanishes without closing (power, network) is noticed by the server's TCP
  keepalives, set on the connection so that the lock is freed within `KEEPALIVE_WINDOW`
  seconds: the takeover then takes at most `KEEPALIVE_WINDOW + RETRY` (15) seconds.

The leader also listens for `NOTIFY cs_outbox`, which every transaction that wrote to the
outbox sends on commit (`bot.services.notify`): a notification written by a replica that is
not the leader is sent at once, not at the sender's next poll.

With SQLite there is one process, and it is the leader from the start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)

RETRY = 3.0  # seconds between a follower's tries
CHECK = 2.0  # seconds between the leader's checks of its connection (and their timeout)
# The server's keepalives on the leader's connection: first probe after 5 s of silence, then
# every 2 s, given up after 3 unanswered: a vanished leader frees the lock within 11 s.
KEEPALIVES = {"tcp_keepalives_idle": 5, "tcp_keepalives_interval": 2, "tcp_keepalives_count": 3}
KEEPALIVE_WINDOW = 11
# The advisory lock's two int4 keys: this bot's namespace, and "the leader" within it.
LOCK_NAMESPACE = 0x43_53  # "CS"
LEADER_KEY = 1
OUTBOX_CHANNEL = "cs_outbox"

Callback = Callable[[], Awaitable[None]]


class Leadership:
    """Holds (or waits for) the leader's lock and runs `on_gain` / `on_lose` as it changes.

    `is_leader` is what /healthz and the app read. `wake` is called on every outbox
    notification while this replica leads."""

    def __init__(
        self,
        database_url: str,
        *,
        on_gain: Callback,
        on_lose: Callback,
        wake: Callable[[], None] = lambda: None,
        retry: float = RETRY,
        check: float = CHECK,
    ) -> None:
        self._url = make_url(database_url)
        self._on_gain = on_gain
        self._on_lose = on_lose
        self._wake = wake
        self._retry = retry
        self._check = check
        self._engine: AsyncEngine | None = None
        self._connection: AsyncConnection | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.is_leader = False
        self.changes = 0  # how many times this replica became the leader (for the tests)

    @property
    def shared(self) -> bool:
        """Whether other processes may share the database (PostgreSQL), so the lock decides."""
        return self._url.get_backend_name() == "postgresql"

    async def start(self) -> None:
        if not self.shared:
            await self._gain()
            return
        self._engine = create_async_engine(self._url, poolclass=NullPool)
        await self._try()  # a replica that can lead at once does so before taking updates
        self._task = asyncio.create_task(self._run(), name="leadership")

    async def stop(self) -> None:
        if self._task is not None:
            self._stopping = True
            # Python 3.11's wait_for can swallow a cancel that comes as the awaited connect
            # completes (gh-86296): cancel until the task ends; the flag ends its loop anyway.
            while not self._task.done():
                self._task.cancel()
                await asyncio.wait({self._task}, timeout=1.0)
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
            self._stopping = False
        if self.is_leader:
            await self._lose()
        await self._close_connection()
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None

    async def _run(self) -> None:
        while not self._stopping:
            await asyncio.sleep(self._check if self.is_leader else self._retry)
            try:
                if self.is_leader:
                    await self._hold()
                else:
                    await self._try()
            except Exception:  # the loop must outlive any one failure
                log.exception("leadership check failed")

    async def _try(self) -> None:
        """Take the lock if it is free."""
        assert self._engine is not None
        try:
            # asyncio.timeout, not wait_for, here and below: Python 3.11's wait_for drops a
            # cancellation that comes as the awaited call ends, and stop() would wait on.
            async with asyncio.timeout(self._check * 2):
                connection = await self._engine.connect()
        except Exception as error:  # no database now: try again later
            log.warning("leadership: no connection to the database: %s", error)
            return
        try:
            connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            for name, value in KEEPALIVES.items():
                await connection.execute(text(f"SET {name} = {int(value)}"))
            taken = await connection.scalar(
                text("SELECT pg_try_advisory_lock(:namespace, :key)"),
                {"namespace": LOCK_NAMESPACE, "key": LEADER_KEY},
            )
        except Exception as error:
            log.warning("leadership: the lock could not be tried: %s", error)
            await _close_quietly(connection)
            return
        if not taken:
            await _close_quietly(connection)
            return
        self._connection = connection
        await self._listen(connection)
        await self._gain()

    async def _hold(self) -> None:
        """Check the leader's connection; give the work up if it is gone or does not answer."""
        assert self._connection is not None
        try:
            async with asyncio.timeout(self._check):
                await self._connection.execute(text("SELECT 1"))
        except Exception as error:
            log.warning("leadership lost: the lock's connection failed: %s", error)
            await self._lose()
            await self._close_connection()

    async def _listen(self, connection: AsyncConnection) -> None:
        raw = await connection.get_raw_connection()
        driver: Any = raw.driver_connection
        if hasattr(driver, "add_listener"):  # asyncpg
            await driver.add_listener(OUTBOX_CHANNEL, lambda *_: self._wake())

    async def _gain(self) -> None:
        self.is_leader = True
        self.changes += 1
        log.info("this replica is the leader: it runs the outbox sender and the scheduler")
        await self._on_gain()

    async def _lose(self) -> None:
        self.is_leader = False
        log.info("this replica is no longer the leader")
        await self._on_lose()

    async def _close_connection(self) -> None:
        if self._connection is not None:
            await _close_quietly(self._connection)
            self._connection = None


async def _close_quietly(connection: AsyncConnection) -> None:
    with contextlib.suppress(Exception):
        async with asyncio.timeout(CHECK):
            await connection.close()
