"""What the picker's windows show. aiogram-dialog passes the middleware data (session,
employee, texts) to a getter as keyword arguments."""

from __future__ import annotations

from typing import Any

from aiogram_dialog import DialogManager
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import people
from bot.texts import Texts
from db.models import Employee
from handlers.person_picker.states import PersonPick


def _screen(texts: Texts, ask: PersonPick, body: str) -> str:
    """The heading of the step that asked, what is asked or found, the earlier pick."""
    parts = [texts(ask.heading)] if ask.heading else []
    parts.append(body)
    if ask.current_id:
        parts.append(texts("picker-current", name=ask.current_name))
    return "\n".join(parts)


def _question(texts: Texts, ask: PersonPick) -> str:
    return texts(ask.question, **ask.question_args)


async def buttons_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    """Both windows: which of «Дальше ▶», «Пропустить» and «◀ Назад» the dialog offers."""
    ask = PersonPick.of(dialog_manager.start_data)
    return {"keep": bool(ask.current_id), "skip": ask.skip, "back": ask.back}


async def search_getter(dialog_manager: DialogManager, texts: Texts, **_: Any) -> dict[str, Any]:
    ask = PersonPick.of(dialog_manager.start_data)
    return {"text": _screen(texts, ask, _question(texts, ask))}


async def pick_getter(
    dialog_manager: DialogManager,
    session: AsyncSession,
    employee: Employee | None,
    texts: Texts,
    **_: Any,
) -> dict[str, Any]:
    ask = PersonPick.of(dialog_manager.start_data)
    query = str(dialog_manager.dialog_data.get("query", ""))
    found = await people.people_in(session, employee, ask.scope, group_id=ask.group_id, query=query)
    if query:
        body = texts("picker-found", query=query, count=len(found))
    else:
        body = _question(texts, ask) if found else texts(ask.nobody, **ask.question_args)
    no_group = texts("picker-no-group")
    # Button texts are plain text: no escaping here. One group's people need no group named.
    labels = {
        person.id: person.full_name
        if ask.scope == people.Scope.GROUP
        else f"{person.full_name} — {people.group_of(person) or no_group}"
        for person in found
    }
    return {
        "text": _screen(texts, ask, body),
        "people": list(labels.items()),
    }
