"""What each window of the appeal dialog and of the decision comment shows. aiogram-dialog
passes the middleware data (session, employee, settings, texts) to a getter as keyword
arguments."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiogram_dialog import DialogManager
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import appeals
from bot.settings import Settings
from bot.texts import Html, Texts
from db.models import Employee
from handlers.appeals.handlers import decision_of
from handlers.review_flow import REVIEWING, shortened

SHOWN_REASON = 2000


async def _procedure(session: AsyncSession, texts: Texts) -> Html:
    """The appeal procedure's link from /links, or nothing."""
    link = await appeals.procedure_link(session)
    if link is None:
        return Html("")
    return Html(
        texts("appeal-procedure", url=Html(html.escape(link.url, quote=True)), title=link.title)
    )


def _days(settings: Settings) -> int:
    return max(1, round(settings.appeal_window.total_seconds() / 86400))


def _evidence_summary(items: list[dict[str, str]], texts: Texts) -> Html:
    """«нет», or the links and the files one per line (safe HTML)."""
    if not items:
        return Html(texts("appeal-evidence-none"))
    return Html("\n" + appeals.describe_evidence(items, texts))


@dataclass(frozen=True)
class _AboutCase:
    """What the steps say of the draft's case (empty when he may no longer see it)."""

    id: int
    manager: str
    posted: datetime | str
    closes: datetime | str


async def _about_case(
    manager: DialogManager, session: AsyncSession, employee: Employee | None, settings: Settings
) -> _AboutCase:
    case_id = int(manager.dialog_data.get("case_id", 0))
    case = await appeals.case_of(session, employee, case_id)
    if case is None:
        return _AboutCase(case_id, "", "", "")
    return _AboutCase(
        case_id, case.manager.full_name, case.created_at, appeals.window_closes(case, settings)
    )


async def pick_getter(
    dialog_manager: DialogManager,
    session: AsyncSession,
    employee: Employee | None,
    settings: Settings,
    texts: Texts,
    **_: Any,
) -> dict[str, Any]:
    found = await appeals.open_cases(session, employee, settings=settings)
    key = "appeal-ask-case" if found else "appeal-no-cases"
    return {
        "text": texts(key, days=_days(settings), procedure=await _procedure(session, texts)),
        REVIEWING: bool(dialog_manager.dialog_data.get(REVIEWING)),
        # Button texts are plain text: no escaping here.
        "cases": [
            (case.id, f"#{case.id} · {texts.date(case.created_at)} · {case.manager.full_name}")
            for case in found
        ],
    }


async def reason_getter(
    dialog_manager: DialogManager,
    session: AsyncSession,
    employee: Employee | None,
    settings: Settings,
    texts: Texts,
    **_: Any,
) -> dict[str, Any]:
    case = await _about_case(dialog_manager, session, employee, settings)
    return {
        "prompt": texts(
            "appeal-ask-reason",
            id=case.id,
            manager=case.manager,
            closes=case.closes,
            min=appeals.MIN_REASON,
            max=appeals.MAX_REASON,
            procedure=await _procedure(session, texts),
        ),
    }


async def evidence_getter(dialog_manager: DialogManager, texts: Texts, **_: Any) -> dict[str, Any]:
    data = dialog_manager.dialog_data
    evidence = data.get("evidence", [])
    return {
        "has_evidence": bool(evidence),
        "no_evidence": not evidence,
        "prompt": texts(
            "appeal-ask-evidence",
            id=int(data.get("case_id", 0)),
            max=appeals.MAX_EVIDENCE,
            evidence=_evidence_summary(evidence, texts),
        ),
    }


async def review_getter(
    dialog_manager: DialogManager,
    session: AsyncSession,
    employee: Employee | None,
    settings: Settings,
    texts: Texts,
    **_: Any,
) -> dict[str, Any]:
    data = dialog_manager.dialog_data
    case = await _about_case(dialog_manager, session, employee, settings)
    return {
        "text": texts(
            "appeal-review",
            id=case.id,
            manager=case.manager,
            posted=case.posted,
            closes=case.closes,
            reason=shortened(data.get("reason", ""), SHOWN_REASON),
            evidence=_evidence_summary(data.get("evidence", []), texts),
        ),
    }


async def comment_getter(
    dialog_manager: DialogManager, session: AsyncSession, texts: Texts, **_: Any
) -> dict[str, Any]:
    appeal_id, decision = decision_of(dialog_manager)
    appeal = await appeals.get(session, appeal_id)
    return {
        "prompt": texts(
            "appeal-ask-comment",
            id=appeal_id,
            case=appeal.case_id if appeal else 0,
            state=str(appeals.DECISION_STATE[decision]),
            min=appeals.MIN_COMMENT,
        )
    }
