"""The states of the /export dialog."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class ExportSG(StatesGroup):
    period = State()
    start = State()
    end = State()
