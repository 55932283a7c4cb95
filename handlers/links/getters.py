"""What each window of the /links dialog shows. aiogram-dialog passes the middleware data
(texts, session, …) to a getter as keyword arguments."""

from __future__ import annotations

from typing import Any

from aiogram_dialog import DialogManager
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import links
from bot.texts import Texts
from db.models import LinkItem


async def browse_getter(session: AsyncSession, texts: Texts, **_: Any) -> dict[str, Any]:
    items = [(link.id, link.title) for link in await links.all_links(session)]
    return {"items": items, "text": texts("links-list")}


async def _link(manager: DialogManager, session: AsyncSession) -> LinkItem:
    return await links.get(session, int(manager.dialog_data["link_id"]))


async def card_getter(
    dialog_manager: DialogManager, session: AsyncSession, texts: Texts, **_: Any
) -> dict[str, Any]:
    link = await _link(dialog_manager, session)
    return {
        "text": texts(
            "links-card",
            title=link.title,
            url=link.url,
            note=link.note or texts("links-no-note"),
            updated=link.updated_at,
        )
    }


async def edit_getter(
    dialog_manager: DialogManager, session: AsyncSession, texts: Texts, **_: Any
) -> dict[str, Any]:
    link = await _link(dialog_manager, session)
    field = dialog_manager.dialog_data.get("field", links.LinkField.TITLE)
    return {
        "ask": texts(
            "links-ask-field",
            field=texts(f"links-field-{field}"),
            current=getattr(link, str(field)) or texts("links-no-note"),
        )
    }


async def confirm_delete_getter(
    dialog_manager: DialogManager, session: AsyncSession, texts: Texts, **_: Any
) -> dict[str, Any]:
    link = await _link(dialog_manager, session)
    return {"confirm": texts("links-confirm-delete", title=link.title)}


async def ask_title_getter(texts: Texts, **_: Any) -> dict[str, Any]:
    return {"ask": texts("links-ask-title", max=links.MAX_TITLE)}


async def ask_url_getter(texts: Texts, **_: Any) -> dict[str, Any]:
    return {"ask": texts("links-ask-url")}


async def ask_note_getter(texts: Texts, **_: Any) -> dict[str, Any]:
    return {"ask": texts("links-ask-note", max=links.MAX_NOTE)}


async def review_getter(dialog_manager: DialogManager, texts: Texts, **_: Any) -> dict[str, Any]:
    draft = dialog_manager.dialog_data.get("draft", {})
    return {
        "review": texts(
            "links-review",
            title=draft.get("title", ""),
            url=draft.get("url", ""),
            note=draft.get("note") or texts("links-no-note"),
        )
    }
