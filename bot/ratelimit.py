"""Telegram's sending limits as sliding windows, so the sender waits instead of being refused.

Telegram allows about 30 messages a second in all, 20 a minute into one group and about one
a second into one chat; past that it answers 429 with `retry_after`.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable


class _Window:
    def __init__(self, limit: int, seconds: float, margin: float = 0.0) -> None:
        self.limit = limit
        self.seconds = seconds + margin
        self.stamps: deque[float] = deque()

    def wait(self, now: float) -> float:
        while self.stamps and self.stamps[0] <= now - self.seconds:
            self.stamps.popleft()
        if self.limit <= 0 or len(self.stamps) < self.limit:
            return 0.0
        return self.stamps[0] + self.seconds - now

    def add(self, now: float) -> None:
        self.stamps.append(now)


class SendLimiter:
    def __init__(
        self,
        *,
        global_per_second: int,
        group_per_minute: int,
        chat_per_second: int,
        group_window: float = 60.0,
        margin: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`margin` widens every window a little: a request reaches Telegram a few ms after
        it is counted here, and jitter would otherwise put two of them inside one window."""
        self._clock = clock
        self._margin = margin
        self._global = _Window(global_per_second, 1.0, margin)
        self._group_limit = group_per_minute
        self._group_window = group_window
        self._chat_limit = chat_per_second
        self._groups: dict[int, _Window] = {}
        self._chats: dict[int, _Window] = {}
        self._paused_until: dict[int, float] = {}

    def delay(self, chat_id: int, *, counts_for_group: bool) -> float:
        """Seconds to wait before the next call to `chat_id` keeps every limit (0: go now)."""
        now = self._clock()
        waits = [
            self._global.wait(now),
            self._chat(chat_id).wait(now),
            self._paused_until.get(chat_id, 0.0) - now,
        ]
        if counts_for_group and chat_id < 0:
            waits.append(self._group(chat_id).wait(now))
        return max(0.0, *waits)

    def record(self, chat_id: int, *, counts_for_group: bool) -> None:
        now = self._clock()
        self._global.add(now)
        self._chat(chat_id).add(now)
        if counts_for_group and chat_id < 0:
            self._group(chat_id).add(now)

    def pause(self, chat_id: int, seconds: float) -> None:
        """Telegram said `retry_after`: nothing goes to that chat before it has passed."""
        self._paused_until[chat_id] = max(
            self._paused_until.get(chat_id, 0.0), self._clock() + seconds
        )

    def _chat(self, chat_id: int) -> _Window:
        window = self._chats.get(chat_id)
        if window is None:
            window = self._chats[chat_id] = _Window(self._chat_limit, 1.0, self._margin)
        return window

    def _group(self, chat_id: int) -> _Window:
        window = self._groups.get(chat_id)
        if window is None:
            window = self._groups[chat_id] = _Window(
                self._group_limit, self._group_window, self._margin
            )
        return window
