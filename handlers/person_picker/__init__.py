"""The person picker: one subdialog every flow uses to pick a person (search by part of the
name, the people found in pages, a tap), as in Tishka17/aiogram_dialog `example/subdialog.py`.

A dialog opens it with what it asks and takes the pick in its `on_process_result`:

    await manager.start(PersonPickSG.search, data=PersonPick(Scope.STAFF, heading, question).data())
    ...
    picked = Picked.of(result)  # a person, «Пропустить» (person_id None), or None for «◀ Назад»

«◀ Назад» returns to the step it was opened from; «Отмена» ends the whole flow. Who may be
picked is a scope of `bot.services.people`, checked again when a button comes back.

    states   the states, what a dialog asks (PersonPick) and what it gets back (Picked)
    getters  what each window shows
    handlers what its input and buttons do
    windows  the windows and the dialog
"""

from __future__ import annotations

from aiogram import Router

from bot.filters import PrivateChat, RoleFilter
from bot.services.people import Scope
from handlers.person_picker.states import PersonPick, PersonPickSG, Picked
from handlers.person_picker.windows import person_picker_dialog

__all__ = ["PersonPick", "PersonPickSG", "Picked", "Scope", "router"]

router = Router(name=__name__)
# Any employee: the scope says whom each may pick (a manager, nobody).
router.message.filter(RoleFilter(), PrivateChat())
router.callback_query.filter(RoleFilter())
router.include_router(person_picker_dialog)
