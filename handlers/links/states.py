"""The states of the /links dialog."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class LinksSG(StatesGroup):
    browse = State()
    card = State()
    edit = State()
    confirm_delete = State()
    add_title = State()
    add_url = State()
    add_note = State()
    review = State()
