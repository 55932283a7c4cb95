"""What each window of the /case dialog shows. aiogram-dialog passes the middleware data
(texts, …) to a getter as keyword arguments."""

from __future__ import annotations

from datetime import date
from typing import Any

from aiogram_dialog import DialogManager

from bot.services import cases
from bot.services.masking import mask_personal_data
from bot.texts import Html, Texts
from db.models import CaseCategory, CaseSource, CaseTab
from handlers.case_new.handlers import MAX_ATTACHMENTS
from handlers.review_flow import REVIEWING, shortened

# How much of a file name or of the link the review shows: with a 2,000-character summary
# the review must still fit in one message (4,096 characters).
SHOWN_NAME = 40
SHOWN_LINK = 300


def describe_attachments(files: list[dict[str, str]], texts: Texts) -> str:
    """«нет», or «2 (фото, документ «отчёт.pdf»)»: safe HTML."""
    if not files:
        return texts("case-new-attachments-none")
    items = []
    for item in files:
        key = f"case-new-attachment-{item['kind']}"
        if item["kind"] in ("document", "audio") and not item.get("file_name"):
            key += "-unnamed"
        items.append(texts(key, name=shortened(item.get("file_name", ""), SHOWN_NAME)))
    return texts("case-new-attachments-list", count=len(files), items=Html(", ".join(items)))


def _step(manager: DialogManager, prompt: str) -> dict[str, Any]:
    """A step's prompt, and whether «Изменить …» on the review opened it."""
    return {"prompt": prompt, REVIEWING: bool(manager.dialog_data.get(REVIEWING))}


async def tab_getter(dialog_manager: DialogManager, texts: Texts, **_: Any) -> dict[str, Any]:
    manager_name = dialog_manager.dialog_data.get("manager_name", "")
    return {
        **_step(dialog_manager, texts("case-new-ask-tab", manager=manager_name)),
        "choices": [(tab.value, texts(f"case-tab-{tab}")) for tab in CaseTab],
    }


async def category_getter(dialog_manager: DialogManager, texts: Texts, **_: Any) -> dict[str, Any]:
    return {
        **_step(dialog_manager, texts("case-new-ask-category")),
        "choices": [(c.value, texts(f"case-category-{c}")) for c in CaseCategory],
    }


async def source_getter(dialog_manager: DialogManager, texts: Texts, **_: Any) -> dict[str, Any]:
    return {
        **_step(dialog_manager, texts("case-new-ask-source")),
        "choices": [(source.value, texts(f"case-source-{source}")) for source in CaseSource],
    }


async def date_getter(dialog_manager: DialogManager, texts: Texts, **_: Any) -> dict[str, Any]:
    return _step(dialog_manager, texts("case-new-ask-date"))


async def summary_getter(dialog_manager: DialogManager, texts: Texts, **_: Any) -> dict[str, Any]:
    return _step(dialog_manager, texts("case-new-ask-summary", max=cases.MAX_SUMMARY))


async def link_getter(dialog_manager: DialogManager, texts: Texts, **_: Any) -> dict[str, Any]:
    return _step(dialog_manager, texts("case-new-ask-link"))


async def attachments_getter(
    dialog_manager: DialogManager, texts: Texts, **_: Any
) -> dict[str, Any]:
    files = dialog_manager.dialog_data.get("attachments", [])
    prompt = texts(
        "case-new-ask-attachments",
        max=MAX_ATTACHMENTS,
        attachments=Html(describe_attachments(files, texts)),
    )
    return {**_step(dialog_manager, prompt), "has_files": bool(files)}


async def review_getter(dialog_manager: DialogManager, texts: Texts, **_: Any) -> dict[str, Any]:
    data = dialog_manager.dialog_data
    summary = data.get("summary", "")
    text = texts(
        "case-new-review",
        manager=data.get("manager_name", ""),
        group=data.get("group_name", ""),
        tab=texts(f"case-tab-{data['tab']}"),
        category=texts(f"case-category-{data['category']}"),
        source=texts(f"case-source-{data['source']}"),
        date=date.fromisoformat(data["incident_date"]),
        link=shortened(data.get("link") or "", SHOWN_LINK) or texts("case-new-no-link"),
        attachments=Html(describe_attachments(data.get("attachments", []), texts)),
        summary=summary,
    )
    if mask_personal_data(summary) != summary:
        text += "\n\n" + texts("case-new-review-masked")
    return {"text": text}
