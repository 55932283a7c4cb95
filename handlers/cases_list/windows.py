"""The windows of the /cases dialog: the list (paged by the database, with its filters), a
case's card, and the choice of a state or a category."""

from __future__ import annotations

from aiogram_dialog import Window
from aiogram_dialog.widgets.kbd import Cancel, Column, Group, SwitchTo
from aiogram_dialog.widgets.text import Format

from bot.conversation import Dialog
from bot.dialog_widgets import T, choices, db_id, db_pager
from handlers.cases_list import getters
from handlers.cases_list import handlers as on
from handlers.cases_list.states import CasesSG

TEXT = Format("{text}")


def back(widget_id: str) -> SwitchTo:
    return SwitchTo(T("btn-back"), id=widget_id, state=CasesSG.browse)


cases_dialog = Dialog(
    Window(
        TEXT,
        Column(choices("case", "items", on.pick_case, type_factory=db_id)),
        db_pager(on.PAGES, "cases-list-btn-prev", "cases-list-btn-next"),
        SwitchTo(Format("{state_button}"), id="f_state", state=CasesSG.pick_state),
        SwitchTo(Format("{category_button}"), id="f_category", state=CasesSG.pick_category),
        Cancel(T("btn-close")),
        getter=getters.browse_getter,
        state=CasesSG.browse,
    ),
    Window(
        TEXT,
        back("card_back"),
        getter=getters.card_getter,
        state=CasesSG.card,
    ),
    Window(
        TEXT,
        Group(choices("state", "options", on.pick_filter("state")), width=2),
        back("state_back"),
        getter=getters.state_getter,
        state=CasesSG.pick_state,
    ),
    Window(
        TEXT,
        Column(choices("category", "options", on.pick_filter("category"))),
        back("category_back"),
        getter=getters.category_getter,
        state=CasesSG.pick_category,
    ),
)
