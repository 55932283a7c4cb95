"""The states of the meeting booking dialog."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class MeetingSG(StatesGroup):
    day = State()
    slot = State()
    review = State()
