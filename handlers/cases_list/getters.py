"""What each window of the /cases dialog shows. aiogram-dialog passes the middleware data
(texts, session, employee) to a getter as keyword arguments."""

from __future__ import annotations

from typing import Any

from aiogram_dialog import DialogManager
from sqlalchemy.ext.asyncio import AsyncSession

from bot.dialog_widgets import scroll_of
from bot.services import case_lookup
from bot.services.errors import ServiceError
from bot.texts import Html, Texts
from db.models import CaseCategory, CaseState, Employee
from handlers.cases_list.cards import card_text, category_name, row_label, state_name
from handlers.cases_list.handlers import ALL, ANY, OPEN, PAGES, category_choice, state_choice


def _state_filter_text(choice: str, texts: Texts) -> str:
    if choice == OPEN:
        return texts("cases-list-state-open")
    if choice == ALL:
        return texts("cases-list-state-all")
    return texts("cases-list-state-one", state=Html(state_name(CaseState(choice), texts)))


def _category_filter_text(choice: str, texts: Texts) -> str:
    if choice == ANY:
        return texts("cases-list-category-any")
    return category_name(CaseCategory(choice), texts)


def _checked(label: str, checked: bool, texts: Texts) -> str:
    return texts("cases-list-option-checked", label=Html(label)) if checked else label


async def browse_getter(
    dialog_manager: DialogManager,
    session: AsyncSession,
    employee: Employee | None,
    texts: Texts,
    **_: Any,
) -> dict[str, Any]:
    state = state_choice(dialog_manager)
    category = category_choice(dialog_manager)
    scroll = scroll_of(dialog_manager, PAGES)
    requested = await scroll.get_page()
    buttons = {
        "state_button": texts(
            "cases-list-btn-state", current=Html(_state_filter_text(state, texts))
        ),
        "category_button": texts(
            "cases-list-btn-category", current=Html(_category_filter_text(category, texts))
        ),
    }
    try:
        page = await case_lookup.list_for(
            session,
            employee,
            scope_filter="all" if state == ALL else "open",
            state=None if state in {OPEN, ALL} else CaseState(state),
            category=None if category == ANY else CaseCategory(category),
            page=requested,
        )
    except ServiceError as error:
        return {"text": texts(error.key, **error.args_), "items": [], "pages": 1, **buttons}
    if page.page != requested:  # the list got shorter since the user turned to that page
        await scroll.set_page(page.page)
    title = texts(
        "cases-list-title",
        filter=Html(
            texts(
                "cases-list-filter",
                state=Html(_state_filter_text(state, texts)),
                category=Html(_category_filter_text(category, texts)),
            )
        ),
    )
    if page.total == 0:
        text = f"{title}\n\n{texts('cases-list-empty')}"
    else:
        counts = texts("cases-list-counts", total=page.total, page=page.number, pages=page.pages)
        text = f"{title}\n{counts}\n\n{texts('cases-list-hint')}"
    return {
        "text": text,
        "items": [(case.id, row_label(case, texts)) for case in page.items],
        "pages": page.pages,
        **buttons,
    }


async def card_getter(
    dialog_manager: DialogManager,
    session: AsyncSession,
    employee: Employee | None,
    texts: Texts,
    **_: Any,
) -> dict[str, Any]:
    case_id = int(dialog_manager.dialog_data.get("case_id", 0))
    try:
        found = await case_lookup.card(session, employee, case_id)
    except ServiceError:
        return {"text": texts("case-error-missing", id=case_id)}
    return {"text": card_text(found, texts)}


async def state_getter(dialog_manager: DialogManager, texts: Texts, **_: Any) -> dict[str, Any]:
    current = state_choice(dialog_manager)
    options = [(OPEN, texts("cases-list-option-open")), (ALL, texts("cases-list-option-all"))]
    options += [(state.value, state_name(state, texts)) for state in CaseState]
    return {
        "text": texts("cases-list-choose-state"),
        "options": [(key, _checked(label, key == current, texts)) for key, label in options],
    }


async def category_getter(dialog_manager: DialogManager, texts: Texts, **_: Any) -> dict[str, Any]:
    current = category_choice(dialog_manager)
    options = [(ANY, texts("cases-list-option-any-category"))]
    options += [(category.value, category_name(category, texts)) for category in CaseCategory]
    return {
        "text": texts("cases-list-choose-category"),
        "options": [(key, _checked(label, key == current, texts)) for key, label in options],
    }
