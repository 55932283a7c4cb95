"""Sliding-window flood control like Telegram's: per group chat per minute, global per second."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

from emulator.errors import too_many_requests
from emulator.models import EmulatorLimits


class SlidingWindow:
    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self.hits: deque[float] = deque()

    def retry_after(self, now: float) -> int | None:
        """None if one more hit fits in the window, else whole seconds until it does (≥ 1)."""
        while self.hits and self.hits[0] <= now - self.window:
            self.hits.popleft()
        if len(self.hits) < self.limit:
            return None
        frees_at = self.hits[len(self.hits) - self.limit] + self.window
        return max(1, math.ceil(frees_at - now))

    def record(self, now: float) -> None:
        self.hits.append(now)


class RateLimiter:
    def __init__(self, limits: EmulatorLimits, clock: Callable[[], float] = time.monotonic):
        self.limits = limits
        self.clock = clock
        self.global_window = SlidingWindow(limits.global_per_second, limits.global_window)
        self.group_windows: dict[int, SlidingWindow] = {}

    def _group(self, chat_id: int) -> SlidingWindow:
        window = self.group_windows.get(chat_id)
        if window is None:
            window = SlidingWindow(self.limits.group_per_minute, self.limits.group_window)
            self.group_windows[chat_id] = window
        return window

    def check(self, chat_id: int, is_send: bool) -> None:
        """Raise a 429 ApiError if this send/edit call would exceed a limit."""
        if not self.limits.enabled:
            return
        now = self.clock()
        waits = [self.global_window.retry_after(now)]
        if is_send and chat_id < 0:
            waits.append(self._group(chat_id).retry_after(now))
        worst = max((wait for wait in waits if wait is not None), default=None)
        if worst is not None:
            raise too_many_requests(worst)

    def record(self, chat_id: int, is_send: bool) -> None:
        if not self.limits.enabled:
            return
        now = self.clock()
        self.global_window.record(now)
        if is_send and chat_id < 0:
            self._group(chat_id).record(now)
