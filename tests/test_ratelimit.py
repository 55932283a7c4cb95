"""Telegram's sending limits as sliding windows, on a fake clock: every delay is exact."""

from __future__ import annotations

import pytest

from bot.ratelimit import SendLimiter

GROUP = -1001000000001
OTHER_GROUP = -1001000000002
PRIVATE = 1001


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _limiter(
    clock: FakeClock, *, global_per_second: int = 30, group: int = 20, chat: int = 1
) -> SendLimiter:
    return SendLimiter(
        global_per_second=global_per_second,
        group_per_minute=group,
        chat_per_second=chat,
        clock=clock,
    )


def test_a_fresh_limiter_lets_everything_go(clock: FakeClock) -> None:
    limiter = _limiter(clock)
    assert limiter.delay(PRIVATE, counts_for_group=True) == 0.0
    assert limiter.delay(GROUP, counts_for_group=True) == 0.0


def test_global_limit_per_second(clock: FakeClock) -> None:
    limiter = _limiter(clock, global_per_second=3)
    for chat_id in (1, 2, 3):
        assert limiter.delay(chat_id, counts_for_group=True) == 0.0
        limiter.record(chat_id, counts_for_group=True)
        clock.now += 0.125

    # Three sends at 0, 0.125 and 0.25: the fourth waits until the first is a second old.
    assert clock.now == 0.375
    assert limiter.delay(4, counts_for_group=True) == 0.625
    clock.now = 0.75
    assert limiter.delay(4, counts_for_group=True) == 0.25
    clock.now = 1.0
    assert limiter.delay(4, counts_for_group=True) == 0.0
    limiter.record(4, counts_for_group=True)
    # Now 0.125, 0.25 and 1.0 are in the window: the next slot opens at 1.125.
    assert limiter.delay(5, counts_for_group=True) == 0.125


def test_one_message_a_second_per_chat(clock: FakeClock) -> None:
    limiter = _limiter(clock)
    limiter.record(PRIVATE, counts_for_group=True)
    assert limiter.delay(PRIVATE, counts_for_group=True) == 1.0
    assert limiter.delay(PRIVATE + 1, counts_for_group=True) == 0.0  # other chats are free
    clock.now = 0.5
    assert limiter.delay(PRIVATE, counts_for_group=True) == 0.5
    clock.now = 1.0
    assert limiter.delay(PRIVATE, counts_for_group=True) == 0.0


def test_twenty_messages_a_minute_per_group(clock: FakeClock) -> None:
    limiter = _limiter(clock, group=20)
    for second in range(20):
        clock.now = float(second)
        assert limiter.delay(GROUP, counts_for_group=True) == 0.0
        limiter.record(GROUP, counts_for_group=True)

    clock.now = 20.0
    # The per-second window is clear, but the 21st message waits for the first to be 60 s old.
    assert limiter.delay(GROUP, counts_for_group=True) == 40.0
    assert limiter.delay(OTHER_GROUP, counts_for_group=True) == 0.0
    # Edits do not count towards the group limit.
    assert limiter.delay(GROUP, counts_for_group=False) == 0.0
    clock.now = 59.5
    assert limiter.delay(GROUP, counts_for_group=True) == 0.5
    clock.now = 60.0
    assert limiter.delay(GROUP, counts_for_group=True) == 0.0
    limiter.record(GROUP, counts_for_group=True)
    clock.now = 60.5
    # 1..19 and 60 fill the window again; the chat window also holds 60: wait for 61.
    assert limiter.delay(GROUP, counts_for_group=True) == 0.5


def test_the_group_limit_applies_to_negative_chat_ids_only(clock: FakeClock) -> None:
    limiter = _limiter(clock, group=2)
    for second in range(3):
        clock.now = float(second)
        limiter.record(PRIVATE, counts_for_group=True)
    clock.now = 3.0
    assert limiter.delay(PRIVATE, counts_for_group=True) == 0.0

    for second in range(3, 5):
        clock.now = float(second)
        limiter.record(GROUP, counts_for_group=True)
    clock.now = 5.0
    assert limiter.delay(GROUP, counts_for_group=True) == 58.0


def test_sends_that_do_not_count_for_the_group_leave_its_window_alone(clock: FakeClock) -> None:
    limiter = _limiter(clock, group=1)
    limiter.record(GROUP, counts_for_group=False)
    clock.now = 1.0
    assert limiter.delay(GROUP, counts_for_group=True) == 0.0
    limiter.record(GROUP, counts_for_group=True)
    clock.now = 2.0
    assert limiter.delay(GROUP, counts_for_group=True) == 59.0


def test_pause_holds_one_chat_for_retry_after(clock: FakeClock) -> None:
    limiter = _limiter(clock)
    clock.now = 10.0
    limiter.pause(PRIVATE, 3.0)
    assert limiter.delay(PRIVATE, counts_for_group=False) == 3.0
    # A 429 does not say which limit refused the call: the other chats wait for at most the
    # global window, in case it was the global limit.
    assert limiter.delay(PRIVATE + 1, counts_for_group=False) == 1.0
    assert limiter.chat_delay(PRIVATE + 1, counts_for_group=False) == 0.0
    clock.now = 11.0
    assert limiter.delay(PRIVATE + 1, counts_for_group=False) == 0.0

    # A shorter retry_after does not shorten the pause already in force.
    limiter.pause(PRIVATE, 1.0)
    assert limiter.delay(PRIVATE, counts_for_group=False) == 2.0

    clock.now = 12.0
    assert limiter.delay(PRIVATE, counts_for_group=False) == 1.0
    # A longer one extends it.
    limiter.pause(PRIVATE, 5.0)
    assert limiter.delay(PRIVATE, counts_for_group=False) == 5.0
    clock.now = 17.0
    assert limiter.delay(PRIVATE, counts_for_group=False) == 0.0


def test_a_group_s_long_retry_after_holds_the_others_for_one_second_only(
    clock: FakeClock,
) -> None:
    limiter = _limiter(clock)
    limiter.pause(GROUP, 40.0)
    assert limiter.delay(GROUP, counts_for_group=True) == 40.0
    assert limiter.delay(OTHER_GROUP, counts_for_group=True) == 1.0
    assert limiter.global_delay() == 1.0
    clock.now = 1.0
    assert limiter.delay(OTHER_GROUP, counts_for_group=True) == 0.0
    assert limiter.delay(GROUP, counts_for_group=True) == 39.0


def test_a_call_holds_its_place_from_when_it_left_until_a_window_after_its_answer(
    clock: FakeClock,
) -> None:
    limiter = _limiter(clock, global_per_second=2)
    first = limiter.started(PRIVATE, counts_for_group=True)
    clock.now = 0.25
    limiter.started(PRIVATE + 1, counts_for_group=True)
    # Both in flight: the global window is full for at least a second from now, and the
    # chat's next call waits as long (asked again when an answer comes).
    assert limiter.global_delay() == 1.0
    assert limiter.chat_delay(PRIVATE, counts_for_group=True) == 1.0
    assert limiter.chat_delay(PRIVATE + 2, counts_for_group=True) == 0.0
    clock.now = 5.0  # Telegram answered the first call only now (a slow network)
    assert limiter.global_delay() == 1.0
    limiter.answered(first)
    clock.now = 5.5
    # It may have been counted as late as its answer: its place is free at 6.0, not at 1.0.
    assert limiter.global_delay() == 0.5
    assert limiter.delay(PRIVATE, counts_for_group=True) == 0.5
    clock.now = 6.0
    assert limiter.delay(PRIVATE, counts_for_group=True) == 0.0
    # A second answer does not move the first.
    limiter.answered(first)
    assert limiter.delay(PRIVATE, counts_for_group=True) == 0.0


def test_the_group_window_runs_from_each_answer(clock: FakeClock) -> None:
    limiter = _limiter(clock, group=2)
    calls = [limiter.started(GROUP, counts_for_group=True) for _ in range(2)]
    clock.now = 2.0
    for call in calls:
        limiter.answered(call)
    clock.now = 3.0
    assert limiter.delay(GROUP, counts_for_group=True) == 59.0
    clock.now = 62.0
    assert limiter.delay(GROUP, counts_for_group=True) == 0.0


def test_the_longest_of_all_waits_wins(clock: FakeClock) -> None:
    limiter = _limiter(clock, global_per_second=1)
    limiter.record(GROUP, counts_for_group=True)
    limiter.pause(GROUP, 0.5)
    assert limiter.delay(GROUP, counts_for_group=True) == 1.0  # chat/global window > pause
    limiter.pause(GROUP, 4.0)
    assert limiter.delay(GROUP, counts_for_group=True) == 4.0


def test_a_limit_of_zero_means_no_limit(clock: FakeClock) -> None:
    limiter = _limiter(clock, global_per_second=0, group=0, chat=0)
    for _ in range(100):
        limiter.record(GROUP, counts_for_group=True)
    assert limiter.delay(GROUP, counts_for_group=True) == 0.0


def test_the_margin_widens_every_window(clock: FakeClock) -> None:
    limiter = SendLimiter(
        global_per_second=30, group_per_minute=2, chat_per_second=1, margin=0.05, clock=clock
    )
    limiter.record(7, counts_for_group=True)
    clock.now += 1.0
    assert limiter.delay(7, counts_for_group=True) == pytest.approx(0.05)
    limiter.record(-100, counts_for_group=True)
    limiter.record(-100, counts_for_group=True)
    clock.now += 60.0
    assert limiter.delay(-100, counts_for_group=True) == pytest.approx(0.05)
