"""The states of /calibrate (CS starts a session) and of a participant's vote."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class CalibrateSG(StatesGroup):
    subject = State()
    category = State()
    participants = State()
    deadline = State()
    review = State()


class CalibrationVoteSG(StatesGroup):
    verdict = State()
    score = State()
    comment = State()
    review = State()
