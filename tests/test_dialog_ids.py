"""Dialog ids: every dialog a person opens gets an id no other open dialog of his has."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup
from aiogram_dialog.api.entities import Stack

from bot.conversation import unique_intent_ids


class FlowSG(StatesGroup):
    step = State()


def test_dialogs_opened_in_one_second_get_different_ids() -> None:
    unique_intent_ids()
    ids: list[str] = []
    # A flow and the subdialog it opens at once, 2,000 times within a second or two: with
    # aiogram-dialog's own ids (the second plus a random number below 100) at most 200 could
    # differ, and one pair in a hundred collided.
    for _ in range(1000):
        stack = Stack()
        ids += [stack.push(FlowSG.step, None).id, stack.push(FlowSG.step, None).id]
    assert len(set(ids)) == len(ids)
    # As long as aiogram-dialog's, so every button's callback data keeps its length.
    assert max(len(intent) for intent in ids) <= 6
