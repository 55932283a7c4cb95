"""What each window of the /analysis dialog shows. aiogram-dialog passes the middleware data
(texts, …) to a getter as keyword arguments."""

from __future__ import annotations

from typing import Any

from aiogram_dialog import DialogManager

from bot.services import analyses
from bot.services.masking import mask_personal_data
from bot.texts import Html, Texts
from db.models import CallRole
from handlers.review_flow import REVIEWING, shortened

SHOWN_NAME = 40


def describe_file(file: dict[str, str] | None, texts: Texts) -> str:
    if not file:
        return texts("analysis-no-file")
    return texts(analyses.FILE_KEYS[file["kind"]], name=shortened(file["file_name"], SHOWN_NAME))


def _step(manager: DialogManager, prompt: str) -> dict[str, Any]:
    """A step's prompt, and whether «Изменить …» on the review opened it."""
    return {"prompt": prompt, REVIEWING: bool(manager.dialog_data.get(REVIEWING))}


async def role_getter(dialog_manager: DialogManager, texts: Texts, **_: Any) -> dict[str, Any]:
    return {
        **_step(dialog_manager, texts("analysis-ask-role")),
        "choices": [(role.value, texts(analyses.ROLE_KEYS[role])) for role in CallRole],
    }


async def text_getter(dialog_manager: DialogManager, texts: Texts, **_: Any) -> dict[str, Any]:
    return _step(dialog_manager, texts("analysis-ask-text", max=analyses.MAX_TEXT))


async def file_getter(dialog_manager: DialogManager, texts: Texts, **_: Any) -> dict[str, Any]:
    return _step(dialog_manager, texts("analysis-ask-file"))


async def link_getter(dialog_manager: DialogManager, texts: Texts, **_: Any) -> dict[str, Any]:
    return _step(dialog_manager, texts("analysis-ask-link"))


async def review_getter(dialog_manager: DialogManager, texts: Texts, **_: Any) -> dict[str, Any]:
    data = dialog_manager.dialog_data
    body = analyses.render_body(
        texts,
        call_role=CallRole(data["call_role"]),
        manager=data.get("manager_name"),
        text=data.get("text", ""),
        link=data.get("link"),
    )
    # The body is appended, not a catalogue argument: see `analyses.render_body`.
    text = texts("analysis-review", file=Html(describe_file(data.get("file"), texts)))
    text += "\n\n" + body
    if mask_personal_data(data.get("text", "")) != data.get("text", ""):
        text += "\n\n" + texts("analysis-review-masked")
    return {"text": text}
