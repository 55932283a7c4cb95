"""What the picker's windows show. aiogram-dialog passes the middleware data (session,
employee, texts) to a getter as keyword arguments."""

from __future__ import annotations

from typing import Any

from aiogram_dialog import DialogManager
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import people
from bot.texts import Html, Texts
from db.models import Employee
from handlers.person_picker.states import PersonPick


def _screen(texts: Texts, ask: PersonPick, body: str) -> str:
    return texts("picker-screen", heading=Html(texts(ask.heading)), body=Html(body))


async def buttons_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    """Both windows: which of «Пропустить» and «◀ Назад» the dialog that asked offers."""
    ask = PersonPick.of(dialog_manager.start_data)
    return {"skip": ask.skip, "back": ask.back}


async def search_getter(dialog_manager: DialogManager, texts: Texts, **_: Any) -> dict[str, Any]:
    ask = PersonPick.of(dialog_manager.start_data)
    return {"text": _screen(texts, ask, texts(ask.question))}


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
        body = texts(ask.question) if found else texts("picker-nobody")
    no_group = texts("picker-no-group")
    return {
        "text": _screen(texts, ask, body),
        # Button texts are plain text: no escaping here.
        "people": [
            (person.id, f"{person.full_name} — {people.group_of(person) or no_group}")
            for person in found
        ],
    }
