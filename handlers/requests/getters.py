"""What each window of the /request dialogs shows. aiogram-dialog passes the middleware data
(session, employee, texts, settings) to a getter as keyword arguments."""

from __future__ import annotations

from datetime import date
from typing import Any

from aiogram_dialog import DialogManager
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import requests
from bot.services.requests import BadgeItem, StaffingChange
from bot.texts import Html, Texts
from db.models import Employee, Role
from handlers.requests.handlers import draft_of, flow, state_of
from handlers.requests.states import FIELDS


async def kind_getter(texts: Texts, employee: Employee | None, **_: Any) -> dict[str, Any]:
    kinds = requests.kinds_for(employee)
    return {
        "kinds": [(kind.value, requests.kind_name(kind, texts)) for kind in kinds],
        "prompt": texts("request-ask-kind" if kinds else "request-no-kinds"),
    }


def _day(value: Any) -> date | str:
    return date.fromisoformat(str(value)) if value else ""


def _shown(field: str, draft: dict[str, Any], texts: Texts) -> Any:
    """A draft's answer as the step shows it («Сейчас: …»)."""
    value = draft[field]
    if field == "manager_id":
        return draft.get("manager_name", "")
    if field == "group_id":
        return draft.get("group_name", "")
    if field == "employee_id":
        return draft.get("full_name", "")
    if field in {"date_from", "date_to", "effective_date", "attestation_date"}:
        return _day(value)
    if field == "change":
        return Html(texts(requests.CHANGE_KEYS[StaffingChange(value)]))
    if field == "item":
        return Html(texts(requests.ITEM_KEYS[BadgeItem(value)]))
    return value if value != "" else Html(texts("request-none"))


async def step_getter(dialog_manager: DialogManager, texts: Texts, **_: Any) -> dict[str, Any]:
    """Every step of a kind's dialog: its earlier answer, kept when the user came «◀ Назад»."""
    draft = draft_of(dialog_manager)
    field = FIELDS.get(state_of(dialog_manager))
    answered = field is not None and field in draft
    return {
        "current": texts("request-current", value=_shown(field, draft, texts))
        if field is not None and answered
        else "",
        "answered": answered,
    }


async def link_getter(
    dialog_manager: DialogManager, session: AsyncSession, texts: Texts, **_: Any
) -> dict[str, Any]:
    """A kind's first step: its instruction or regulation link."""
    link = await requests.link_for(session, flow(dialog_manager).kind)
    return {
        "link_hint": texts("request-link-hint") if link else "",
        "link_title": link.title if link else "",
        "link_url": link.url if link else "",
    }


async def end_getter(dialog_manager: DialogManager, texts: Texts, **_: Any) -> dict[str, Any]:
    start = draft_of(dialog_manager).get("date_from")
    return {"prompt": texts("request-fw-ask-end", start=_day(start))}


async def groups_getter(employee: Employee | None, **_: Any) -> dict[str, Any]:
    groups = employee.groups if employee is not None and employee.role == Role.LEAD else []
    return {"groups": [(group.id, group.name) for group in groups]}


async def quantity_getter(texts: Texts, **_: Any) -> dict[str, Any]:
    return {
        "prompt": texts(
            "request-bd-ask-quantity", min=requests.MIN_QUANTITY, max=requests.MAX_QUANTITY
        )
    }


async def comment_getter(texts: Texts, **_: Any) -> dict[str, Any]:
    return {"prompt": texts("request-ask-comment", max=requests.MAX_COMMENT)}


async def review_getter(dialog_manager: DialogManager, texts: Texts, **_: Any) -> dict[str, Any]:
    kind = flow(dialog_manager).kind
    draft = draft_of(dialog_manager)
    new = draft.get("change") == StaffingChange.NEW
    return {
        "review": texts(
            "request-review",
            kind=Html(requests.kind_name(kind, texts)),
            fields=Html("\n".join(requests.field_lines(kind, draft, texts))),
        ),
        # Which «Изменить …» the review offers: the fields of this kind and this draft.
        "lead": bool(dialog_manager.dialog_data.get("lead")),
        "new": new,
        "other": not new,
    }


async def reason_getter(dialog_manager: DialogManager, texts: Texts, **_: Any) -> dict[str, Any]:
    data = dialog_manager.start_data
    assert isinstance(data, dict)
    return {"prompt": texts("request-ask-reason", id=int(data["request_id"]))}


async def changes_getter(texts: Texts, **_: Any) -> dict[str, Any]:
    return {"changes": [(c.value, texts(requests.CHANGE_KEYS[c])) for c in StaffingChange]}


async def items_getter(texts: Texts, **_: Any) -> dict[str, Any]:
    return {"items": [(i.value, texts(requests.ITEM_KEYS[i])) for i in BadgeItem]}
