"""The states of the /case registration dialog (the person is picked by the person picker,
opened on top of the tab step)."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class CaseNewSG(StatesGroup):
    tab = State()
    category = State()
    source = State()
    incident_date = State()
    summary = State()
    link = State()
    attachments = State()
    review = State()
