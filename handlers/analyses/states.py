"""The states of the /analysis dialog (the manager is picked by the person picker, opened on
top of the role step)."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class CallAnalysisSG(StatesGroup):
    role = State()
    text = State()
    file = State()
    link = State()
    review = State()
