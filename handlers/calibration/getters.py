"""What each window of /calibrate and of the vote shows. The vote's windows show only the
voter's own draft: another participant's vote is never read here."""

from __future__ import annotations

from datetime import date
from typing import Any

from aiogram_dialog import DialogManager
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import calibration
from bot.settings import Settings
from bot.texts import Html, Texts
from db.models import CalibrationSession, CalibrationVerdict, CaseCategory, Employee, Role

PEOPLE = "people"  # the Multiselect of the participants


def _draft_session(data: dict[str, Any]) -> CalibrationSession:
    """An unsaved session, so the review describes the subject as the posts will."""
    return CalibrationSession(
        case_id=data.get("case_id"),
        link=data.get("link"),
        category=CaseCategory(data.get("category", CaseCategory.COMMUNICATION)),
    )


async def subject_getter(texts: Texts, **_: Any) -> dict[str, Any]:
    return {"prompt": texts("calibration-ask-subject")}


async def category_getter(dialog_manager: DialogManager, texts: Texts, **_: Any) -> dict[str, Any]:
    return {
        "prompt": texts("calibration-ask-category", link=dialog_manager.dialog_data.get("link")),
        "choices": [(c.value, texts(f"case-category-{c.value}")) for c in CaseCategory],
    }


async def participants_getter(
    dialog_manager: DialogManager,
    session: AsyncSession,
    employee: Employee | None,
    texts: Texts,
    **_: Any,
) -> dict[str, Any]:
    people = await calibration.possible_participants(session, employee)
    picked = dialog_manager.find(PEOPLE)
    count = len(picked.get_checked()) if picked is not None else 0
    return {
        "prompt": texts(
            "calibration-ask-participants", min=calibration.MIN_PARTICIPANTS, count=count
        ),
        # Button texts are plain text: no escaping here.
        "people": [
            (
                p.id,
                f"{p.full_name} · {texts(f'role-{p.role}')}" if p.role != Role.CS else p.full_name,
            )
            for p in people
        ],
    }


async def deadline_getter(texts: Texts, **_: Any) -> dict[str, Any]:
    return {"prompt": texts("calibration-ask-deadline")}


async def review_getter(
    dialog_manager: DialogManager,
    session: AsyncSession,
    employee: Employee | None,
    settings: Settings,
    texts: Texts,
    **_: Any,
) -> dict[str, Any]:
    data = dialog_manager.dialog_data
    chosen = set(data.get("participant_ids", []))
    names = [
        p.full_name
        for p in await calibration.possible_participants(session, employee)
        if p.id in chosen
    ]
    return {
        "text": texts(
            "calibration-review",
            subject=Html(calibration.describe(_draft_session(data), texts)),
            names=", ".join(names),
            deadline=calibration.deadline_of(date.fromisoformat(data["deadline_day"]), settings),
        )
    }


# --- the vote -----------------------------------------------------------------------------------


def session_id_of(manager: DialogManager) -> int:
    return int(manager.dialog_data.get("session_id", 0))


async def verdict_getter(
    dialog_manager: DialogManager, session: AsyncSession, texts: Texts, **_: Any
) -> dict[str, Any]:
    session_id = session_id_of(dialog_manager)
    found = await calibration.get(session, session_id)
    subject = calibration.describe(found, texts) if found is not None else ""
    return {
        "prompt": texts("calibration-ask-verdict", id=session_id, subject=Html(subject)),
        "verdicts": [
            (v.value, texts(key))
            for v, key in (
                (CalibrationVerdict.CONFIRMED, "calibration-btn-confirmed"),
                (CalibrationVerdict.NO_ERROR, "calibration-btn-no-error"),
                (CalibrationVerdict.PARTLY, "calibration-btn-partly"),
            )
        ],
    }


async def score_getter(texts: Texts, **_: Any) -> dict[str, Any]:
    return {"prompt": texts("calibration-ask-score")}


async def comment_getter(texts: Texts, **_: Any) -> dict[str, Any]:
    return {"prompt": texts("calibration-ask-comment")}


async def vote_review_getter(
    dialog_manager: DialogManager, texts: Texts, **_: Any
) -> dict[str, Any]:
    data = dialog_manager.dialog_data
    verdict = CalibrationVerdict(data["verdict"])
    return {
        "text": texts(
            "calibration-vote-review",
            id=session_id_of(dialog_manager),
            verdict=texts(calibration.VERDICT_KEYS[verdict]),
            score=int(data["score"]),
            comment=data.get("comment") or texts("calibration-no-comment"),
        )
    }
