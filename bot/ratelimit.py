"""Telegram's sending limits as sliding windows, so the sender waits instead of being refused.

Telegram allows about 30 messages a second in all, 20 a minute into one group and about one
a second into one chat; past that it answers 429 with `retry_after`.

Telegram counts a call when it reaches it, somewhere between the moment the request left and
the moment its answer came back; the sender sees neither end of that from Telegram's side.
So a call holds its place in every window from the moment it leaves (`started`) until a
window's length after its answer (`answered`): the answer is the latest moment Telegram can
have counted it, and the next call that takes its place leaves later than that, so it reaches
Telegram more than a window after it, whatever the network's delay and jitter. This costs one
round trip per window's turn, where a fixed margin would cost the margin every time (50 ms a
second, 5 % of the global limit) and still be too little when the round trip grows.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class Call:
    """One call to Telegram, counted from when it left: `answered_at` is None while in flight."""

    __slots__ = ("answered_at",)

    def __init__(self) -> None:
        self.answered_at: float | None = None


class _Window:
    def __init__(self, limit: int, seconds: float, margin: float = 0.0) -> None:
        self.limit = limit
        self.seconds = seconds + margin
        self.calls: list[Call] = []

    def wait(self, now: float) -> float:
        """Seconds until one more call fits. A call in flight may be answered at any moment
        from now on: it is counted as answered now, the least it can hold its place."""
        if self.limit <= 0:
            return 0.0
        self.calls = [
            call
            for call in self.calls
            if call.answered_at is None or call.answered_at > now - self.seconds
        ]
        if len(self.calls) < self.limit:
            return 0.0
        frees = sorted(now if call.answered_at is None else call.answered_at for call in self.calls)
        return frees[len(frees) - self.limit] + self.seconds - now

    def add(self, call: Call) -> None:
        if self.limit > 0:
            self.calls.append(call)


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
        """`margin` widens every window a little. The sender needs none (see the module's
        note); it is there for a server whose clock runs measurably faster than ours."""
        self._clock = clock
        self._margin = margin
        self._global = _Window(global_per_second, 1.0, margin)
        self._group_limit = group_per_minute
        self._group_window = group_window
        self._chat_limit = chat_per_second
        self._groups: dict[int, _Window] = {}
        self._chats: dict[int, _Window] = {}
        self._paused_until: dict[int, float] = {}
        self._all_paused_until = 0.0

    def delay(self, chat_id: int, *, counts_for_group: bool) -> float:
        """Seconds to wait before the next call to `chat_id` keeps every limit (0: go now).

        While a call that holds the decisive place is in flight this is the least wait: ask
        again when it is answered."""
        return max(self.global_delay(), self.chat_delay(chat_id, counts_for_group=counts_for_group))

    def global_delay(self) -> float:
        """Seconds to wait before any call keeps the global limit."""
        now = self._clock()
        return max(0.0, self._global.wait(now), self._all_paused_until - now)

    def chat_delay(self, chat_id: int, *, counts_for_group: bool) -> float:
        """Seconds to wait before a call to `chat_id` keeps its own limits (the chat's, the
        group's, its `retry_after`), the global one aside."""
        now = self._clock()
        waits = [self._chat(chat_id).wait(now), self._paused_until.get(chat_id, 0.0) - now]
        if counts_for_group and chat_id < 0:
            waits.append(self._group(chat_id).wait(now))
        return max(0.0, *waits)

    def started(self, chat_id: int, *, counts_for_group: bool) -> Call:
        """A call to `chat_id` leaves now; tell `answered` when Telegram has answered it."""
        call = Call()
        self._global.add(call)
        self._chat(chat_id).add(call)
        if counts_for_group and chat_id < 0:
            self._group(chat_id).add(call)
        return call

    def answered(self, call: Call) -> None:
        """Telegram answered `call` (or it failed or was cut off): its window starts now."""
        if call.answered_at is None:
            call.answered_at = self._clock()

    def record(self, chat_id: int, *, counts_for_group: bool) -> None:
        """A call made and answered now."""
        self.answered(self.started(chat_id, counts_for_group=counts_for_group))

    def pause(self, chat_id: int, seconds: float) -> None:
        """Telegram said `retry_after`: nothing goes to that chat before it has passed.

        A 429 does not say which limit refused the call. If it was the chat's or the group's,
        the chat's pause is enough; if it was the global one (calls this limiter does not
        see, such as the bot's answers to updates, filled it), every chat would be refused
        the same way, so the others wait too, for at most the global window: no longer than
        a global refusal can ask for, and a group's long `retry_after` does not stop them."""
        now = self._clock()
        self._paused_until[chat_id] = max(self._paused_until.get(chat_id, 0.0), now + seconds)
        self._all_paused_until = max(
            self._all_paused_until, now + min(seconds, self._global.seconds)
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
