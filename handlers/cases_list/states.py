"""The states of the /cases dialog."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class CasesSG(StatesGroup):
    browse = State()
    card = State()
    pick_state = State()
    pick_category = State()
