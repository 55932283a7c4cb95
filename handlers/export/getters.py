"""What each window of the /export dialog shows. aiogram-dialog passes the middleware data
(texts, …) to a getter as keyword arguments."""

from __future__ import annotations

from datetime import date
from typing import Any

from aiogram_dialog import DialogManager

from bot.services import export
from bot.texts import Texts


async def period_getter(texts: Texts, **_: Any) -> dict[str, Any]:
    return {
        "prompt": texts("export-ask-period"),
        "presets": [(preset.value, texts(export.PRESET_KEYS[preset])) for preset in export.Preset],
    }


async def start_getter(texts: Texts, **_: Any) -> dict[str, Any]:
    return {"prompt": texts("export-ask-start")}


async def end_getter(dialog_manager: DialogManager, texts: Texts, **_: Any) -> dict[str, Any]:
    start = dialog_manager.dialog_data.get("start")
    return {"prompt": texts("export-ask-end", start=date.fromisoformat(start)) if start else ""}
