"""What each window of the case input dialogs shows. aiogram-dialog passes the middleware
data (texts, session, employee, settings) to a getter as keyword arguments."""

from __future__ import annotations

from datetime import date
from typing import Any

from aiogram_dialog import DialogManager

from bot.callbacks import CaseAct
from bot.texts import Texts
from handlers.case_actions.handlers import started


async def briefing_day_getter(
    dialog_manager: DialogManager, texts: Texts, **_: Any
) -> dict[str, Any]:
    case_id, _act = started(dialog_manager)
    return {"prompt": texts("case-ask-briefing-date", id=case_id)}


async def briefing_time_getter(
    dialog_manager: DialogManager, texts: Texts, **_: Any
) -> dict[str, Any]:
    case_id, _act = started(dialog_manager)
    draft = dialog_manager.dialog_data
    day = date.fromisoformat(draft["day"]) if draft.get("day") else None
    return {
        "prompt": texts(
            "case-ask-briefing-time" if draft.get("slots") else "case-ask-briefing-no-time",
            id=case_id,
            date=day,
        ),
        "slots": draft.get("slots", []),
    }


async def comment_getter(dialog_manager: DialogManager, texts: Texts, **_: Any) -> dict[str, Any]:
    case_id, act = started(dialog_manager)
    key = "case-ask-failed-comment" if act == CaseAct.RECHECK_FAILED else "case-ask-return-comment"
    return {"prompt": texts(key, id=case_id)}


async def process_getter(dialog_manager: DialogManager, texts: Texts, **_: Any) -> dict[str, Any]:
    case_id, _act = started(dialog_manager)
    return {"prompt": texts("case-ask-process", id=case_id)}


async def cause_getter(texts: Texts, **_: Any) -> dict[str, Any]:
    return {"prompt": texts("case-ask-cause")}


async def measures_getter(texts: Texts, **_: Any) -> dict[str, Any]:
    return {"prompt": texts("case-ask-measures")}


async def due_getter(texts: Texts, **_: Any) -> dict[str, Any]:
    return {"prompt": texts("case-ask-measures-due")}


async def review_getter(dialog_manager: DialogManager, texts: Texts, **_: Any) -> dict[str, Any]:
    case_id, _act = started(dialog_manager)
    draft = dialog_manager.dialog_data
    return {
        "prompt": texts(
            "case-analysis-review",
            id=case_id,
            process=draft.get("process", ""),
            cause=draft.get("cause", ""),
            measures=draft.get("measures", ""),
            due=date.fromisoformat(draft["due"]) if draft.get("due") else "",
        )
    }
