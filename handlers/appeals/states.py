"""The states of the appeal dialog (/appeal, the «Обжаловать» deep link) and of CS's
decision comment."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class AppealSG(StatesGroup):
    pick = State()
    reason = State()
    evidence = State()
    review = State()


class DecisionSG(StatesGroup):
    comment = State()
