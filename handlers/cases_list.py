"""/cases: the cases a user may see, filtered and paged, each opening its card with the history
(an aiogram-dialog dialog); /case 123: one case's card as a message, with the buttons its
viewer may press. Scope is the service's: CS all, a lead his groups', a manager his own."""

from __future__ import annotations

from datetime import date
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram_dialog import DialogManager, StartMode, Window
from aiogram_dialog.widgets.common import ManagedScroll
from aiogram_dialog.widgets.kbd import (
    Cancel,
    Column,
    Group,
    NextPage,
    PrevPage,
    Row,
    Select,
    StubScroll,
    SwitchTo,
)
from aiogram_dialog.widgets.text import Format
from sqlalchemy.ext.asyncio import AsyncSession

from bot.conversation import Dialog
from bot.dialog_widgets import T, db_id, services_of
from bot.filters import RoleFilter
from bot.services import case_lookup, case_posts, longtext
from bot.services.errors import ServiceError
from bot.texts import Html, Texts
from db.models import Case, CaseCategory, CaseState, Employee

router = Router(name=__name__)
router.message.filter(RoleFilter(), F.chat.type == "private")
router.callback_query.filter(RoleFilter())

# One message (the long-message rule): a long history loses its oldest lines first.
MAX_CARD_TEXT = longtext.TEXT_LIMIT
PAGES = "cases_page"
OPEN, ALL, ANY = "open", "all", "any"

STATE_KEYS = case_posts.STATE_KEYS
CATEGORY_KEYS = case_posts.CATEGORY_KEYS


class CasesSG(StatesGroup):
    browse = State()
    card = State()
    pick_state = State()
    pick_category = State()


# --- /case 123 ------------------------------------------------------------------------------


@router.message(Command("case", magic=F.args.regexp(r"^\s*#?\d+\s*$")))
async def show_case(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    employee: Employee,
    texts: Texts,
) -> None:
    assert command.args is not None
    case_id = int(command.args.strip().lstrip("#"))
    try:
        found = await case_lookup.card(session, employee, case_id)
    except ServiceError:
        # Missing and out of scope read the same: the answer never reveals that a case exists.
        await message.answer(texts("case-error-missing", id=case_id))
        return
    whole = card_fits(found, texts)
    # Too long for one message: the card cut to fit, and the whole of it as a .txt file.
    tail = None if whole else texts("cases-list-card-cut-file")
    await message.answer(
        card_text(found, texts, tail=tail),
        reply_markup=case_lookup.actions_keyboard(found.case, employee, texts),
    )
    if not whole:
        await message.answer_document(
            BufferedInputFile(
                card_full_text(found, texts).encode("utf-8"), filename=f"case-{case_id}.txt"
            ),
            caption=texts("cases-list-card-file", id=case_id),
        )


# --- /cases ---------------------------------------------------------------------------------


@router.message(Command("cases"))
async def open_cases(message: Message, dialog_manager: DialogManager) -> None:
    await dialog_manager.start(CasesSG.browse, mode=StartMode.RESET_STACK)


# --- rendering ------------------------------------------------------------------------------


def state_name(state: CaseState, texts: Texts) -> str:
    return texts(STATE_KEYS[state])


def category_name(category: CaseCategory, texts: Texts) -> str:
    return texts(CATEGORY_KEYS[category])


def card_text(
    card: case_lookup.CaseCard,
    texts: Texts,
    limit: int = MAX_CARD_TEXT,
    *,
    tail: str | None = None,
) -> str:
    """The case with its full texts, then its history, within one message: the oldest
    history lines go first, then the text is cut with `tail` (by default «полностью —
    /case N»)."""
    head = case_posts.render(card.case, texts, full=True)
    lines = [history_line(entry, texts) for entry in card.history]
    if tail is None:
        tail = texts("cases-list-card-cut", id=card.case.id)
    if not lines:
        body = [texts("cases-list-history-empty")]
        return longtext.cut(_card(head, body, texts), limit, tail=tail)
    shown = len(lines)
    while True:
        hidden = len(lines) - shown
        body = lines[hidden:]
        if hidden:
            body = [texts("cases-list-history-more", count=hidden), *body]
        text = _card(head, body, texts)
        if longtext.fits(text, limit) or shown <= 1:
            return longtext.cut(text, limit, tail=tail)
        shown -= 1


def card_full_text(card: case_lookup.CaseCard, texts: Texts) -> str:
    """The whole card, every history line, as plain text (the .txt of a long card)."""
    lines = [history_line(entry, texts) for entry in card.history]
    head = case_posts.render(card.case, texts, full=True)
    return longtext.plain_text(_card(head, lines or [texts("cases-list-history-empty")], texts))


def card_fits(card: case_lookup.CaseCard, texts: Texts) -> bool:
    """Whether the whole card, with its full summary and every history line, is one message."""
    lines = [history_line(entry, texts) for entry in card.history]
    head = case_posts.render(card.case, texts, full=True)
    return longtext.fits(_card(head, lines or [texts("cases-list-history-empty")], texts))


def _card(head: str, body: list[str], texts: Texts) -> str:
    return "\n".join([head, "", texts("cases-list-history-title"), *body])


def history_line(entry: case_lookup.HistoryEntry, texts: Texts) -> str:
    when, who = entry.at, entry.actor_name or texts("cases-list-history-bot")
    if entry.from_state is None and entry.to_state is not None:
        line = texts(
            "cases-list-history-created",
            when=when,
            who=who,
            new=Html(state_name(entry.to_state, texts)),
        )
    elif entry.from_state is not None and entry.to_state is not None:
        line = texts(
            "cases-list-history-change",
            when=when,
            who=who,
            old=Html(state_name(entry.from_state, texts)),
            new=Html(state_name(entry.to_state, texts)),
        )
    else:
        key = f"cases-list-action-{entry.action}"
        action = texts(key) if texts.has(key) else texts("cases-list-action-other")
        line = texts("cases-list-history-other", when=when, who=who, action=action)
    if not entry.comment:
        return line
    return texts("cases-list-history-comment", line=Html(line), comment=_comment(entry, texts))


def _comment(entry: case_lookup.HistoryEntry, texts: Texts) -> str:
    """The audit comment; a briefing date is stored as 2026-11-20 and shown as 20.11.2026."""
    try:
        return texts.date(date.fromisoformat(entry.comment))
    except ValueError:
        return entry.comment


def row_label(case: Case, texts: Texts) -> str:
    """A list button: «#12 · Иван Петров · в работе · 20.11». Button labels are plain text, not
    HTML, so the name goes in unescaped (escaping would show "&amp;")."""
    return texts(
        "cases-list-row",
        id=case.id,
        manager=Html(case.manager.full_name),
        state=Html(state_name(case.state, texts)),
        date=Html(case.created_at.astimezone(texts.tz).strftime("%d.%m")),
    )


# --- the chosen filter ------------------------------------------------------------------------


def _state_choice(manager: DialogManager) -> str:
    value = manager.dialog_data.get("state", OPEN)
    return value if value in {OPEN, ALL} or value in set(CaseState) else OPEN


def _category_choice(manager: DialogManager) -> str:
    value = manager.dialog_data.get("category", ANY)
    return value if value in set(CaseCategory) else ANY


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


# --- data for the windows -----------------------------------------------------------------


async def browse_data(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    session, employee, texts = services_of(dialog_manager)
    state_choice = _state_choice(dialog_manager)
    category_choice = _category_choice(dialog_manager)
    scroll = _scroll(dialog_manager)
    requested = await scroll.get_page()
    buttons = {
        "state_button": texts(
            "cases-list-btn-state", current=Html(_state_filter_text(state_choice, texts))
        ),
        "category_button": texts(
            "cases-list-btn-category", current=Html(_category_filter_text(category_choice, texts))
        ),
    }
    try:
        page = await case_lookup.list_for(
            session,
            employee,
            scope_filter="all" if state_choice == ALL else "open",
            state=None if state_choice in {OPEN, ALL} else CaseState(state_choice),
            category=None if category_choice == ANY else CaseCategory(category_choice),
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
                state=Html(_state_filter_text(state_choice, texts)),
                category=Html(_category_filter_text(category_choice, texts)),
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


async def card_data(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    session, employee, texts = services_of(dialog_manager)
    case_id = int(dialog_manager.dialog_data.get("case_id", 0))
    try:
        found = await case_lookup.card(session, employee, case_id)
    except ServiceError:
        return {"text": texts("case-error-missing", id=case_id)}
    return {"text": card_text(found, texts)}


async def state_options(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    _, _, texts = services_of(dialog_manager)
    current = _state_choice(dialog_manager)
    options = [(OPEN, texts("cases-list-option-open")), (ALL, texts("cases-list-option-all"))]
    options += [(state.value, state_name(state, texts)) for state in CaseState]
    return {
        "text": texts("cases-list-choose-state"),
        "options": [(key, _checked(label, key == current, texts)) for key, label in options],
    }


async def category_options(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    _, _, texts = services_of(dialog_manager)
    current = _category_choice(dialog_manager)
    options = [(ANY, texts("cases-list-option-any-category"))]
    options += [(category.value, category_name(category, texts)) for category in CaseCategory]
    return {
        "text": texts("cases-list-choose-category"),
        "options": [(key, _checked(label, key == current, texts)) for key, label in options],
    }


# --- buttons ----------------------------------------------------------------------------------


async def pick_case(
    query: CallbackQuery, widget: Select[int], manager: DialogManager, case_id: int
) -> None:
    manager.dialog_data["case_id"] = case_id
    await manager.switch_to(CasesSG.card)


async def pick_state(
    query: CallbackQuery, widget: Select[str], manager: DialogManager, choice: str
) -> None:
    manager.dialog_data["state"] = choice
    await _scroll(manager).set_page(0)
    await manager.switch_to(CasesSG.browse)


async def pick_category(
    query: CallbackQuery, widget: Select[str], manager: DialogManager, choice: str
) -> None:
    manager.dialog_data["category"] = choice
    await _scroll(manager).set_page(0)
    await manager.switch_to(CasesSG.browse)


def _scroll(manager: DialogManager) -> ManagedScroll:
    scroll = manager.find(PAGES)
    assert isinstance(scroll, ManagedScroll)
    return scroll


def _not_first(data: dict[str, Any], widget: Any, manager: DialogManager) -> bool:
    return bool(data["current_page"] > 0)


def _not_last(data: dict[str, Any], widget: Any, manager: DialogManager) -> bool:
    return bool(data["current_page"] < data["pages"] - 1)


def _options(widget_id: str, on_click: Any) -> Select[str]:
    return Select(
        Format("{item[1]}"),
        id=widget_id,
        item_id_getter=lambda item: item[0],
        items="options",
        on_click=on_click,
    )


cases_dialog = Dialog(
    Window(
        Format("{text}"),
        Column(
            Select(
                Format("{item[1]}"),
                id="case",
                item_id_getter=lambda item: item[0],
                items="items",
                type_factory=db_id,
                on_click=pick_case,
            ),
        ),
        Row(
            # The database pages the list; the scroll only keeps the page number. It sits in
            # the row of its buttons so that it adds no empty keyboard row of its own.
            StubScroll(id=PAGES, pages="pages"),
            PrevPage(scroll=PAGES, id="prev", text=T("cases-list-btn-prev"), when=_not_first),
            NextPage(scroll=PAGES, id="next", text=T("cases-list-btn-next"), when=_not_last),
        ),
        SwitchTo(Format("{state_button}"), id="f_state", state=CasesSG.pick_state),
        SwitchTo(Format("{category_button}"), id="f_category", state=CasesSG.pick_category),
        Cancel(T("btn-close")),
        getter=browse_data,
        state=CasesSG.browse,
    ),
    Window(
        Format("{text}"),
        SwitchTo(T("btn-back"), id="card_back", state=CasesSG.browse),
        getter=card_data,
        state=CasesSG.card,
    ),
    Window(
        Format("{text}"),
        Group(_options("state", pick_state), width=2),
        SwitchTo(T("btn-back"), id="state_back", state=CasesSG.browse),
        getter=state_options,
        state=CasesSG.pick_state,
    ),
    Window(
        Format("{text}"),
        Column(_options("category", pick_category)),
        SwitchTo(T("btn-back"), id="category_back", state=CasesSG.browse),
        getter=category_options,
        state=CasesSG.pick_category,
    ),
)
router.include_router(cases_dialog)
