"""What the steps of /calibrate and of the vote do. The drafts live in `dialog_data` (JSON);
the service checks the person, the case, the participants and the day again when the session
starts, and the participant and the session again when the vote is sent."""

from __future__ import annotations

from datetime import date
from typing import Any

from aiogram.types import CallbackQuery, Message
from aiogram_dialog import DialogManager
from aiogram_dialog.widgets.input import ManagedTextInput
from aiogram_dialog.widgets.kbd import Button, ManagedMultiselect

from bot.dialog_widgets import (
    close_dialog,
    employee_of,
    say_and_stay,
    session_of,
    settings_of,
    texts_of,
)
from bot.services import calibration
from bot.services.errors import ServiceError
from db.models import CalibrationVerdict, CaseCategory
from handlers.calibration.getters import PEOPLE
from handlers.calibration.states import CalibrateSG, CalibrationVoteSG

# --- /calibrate ---------------------------------------------------------------------------------


async def subject_given(
    message: Message,
    widget: ManagedTextInput[tuple[int | None, str | None]],
    manager: DialogManager,
    value: tuple[int | None, str | None],
) -> None:
    case_id, link = value
    if case_id is None:
        manager.dialog_data.update(case_id=None, link=link)
        await manager.switch_to(CalibrateSG.category)
        return
    try:
        category = await calibration.check_case(session_of(manager), employee_of(manager), case_id)
    except ServiceError as error:
        await say_and_stay(message, manager, error.key, **error.args_)
        return
    manager.dialog_data.update(case_id=case_id, link=None, category=category.value)
    await manager.switch_to(CalibrateSG.participants)


async def category_picked(
    query: CallbackQuery, widget: Any, manager: DialogManager, value: str
) -> None:
    manager.dialog_data["category"] = CaseCategory(value).value
    await manager.switch_to(CalibrateSG.participants)


async def back_from_participants(
    query: CallbackQuery, button: Button, manager: DialogManager
) -> None:
    """«◀ Назад»: to the category of a recording, to the case number of a case."""
    linked = manager.dialog_data.get("link")
    await manager.switch_to(CalibrateSG.category if linked else CalibrateSG.subject)


async def participants_done(query: CallbackQuery, button: Button, manager: DialogManager) -> None:
    picked = manager.find(PEOPLE)
    assert isinstance(picked, ManagedMultiselect)
    ids = sorted({int(item) for item in picked.get_checked()})
    if len(ids) < calibration.MIN_PARTICIPANTS:
        texts = texts_of(manager)
        await query.answer(
            texts("calibration-error-participants", min=calibration.MIN_PARTICIPANTS),
            show_alert=True,
        )
        return
    manager.dialog_data["participant_ids"] = ids
    await manager.switch_to(CalibrateSG.deadline)


async def deadline_picked(
    query: CallbackQuery, widget: Any, manager: DialogManager, day: date
) -> None:
    manager.dialog_data["deadline_day"] = day.isoformat()
    await manager.switch_to(CalibrateSG.review)


async def launch(query: CallbackQuery, button: Button, manager: DialogManager) -> None:
    texts = texts_of(manager)
    data = manager.dialog_data
    draft = calibration.CalibrationDraft(
        participant_ids=tuple(int(i) for i in data.get("participant_ids", [])),
        deadline_day=date.fromisoformat(data["deadline_day"]),
        case_id=data.get("case_id"),
        link=data.get("link"),
        category=CaseCategory(data["category"]) if data.get("category") else None,
    )
    try:
        started = await calibration.start(
            session_of(manager),
            employee_of(manager),
            draft,
            settings=settings_of(manager),
            texts=texts,
        )
    except ServiceError as error:
        if error.key == "calibration-error-deadline":
            await query.answer(texts(error.key, **error.args_), show_alert=True)
            await manager.switch_to(CalibrateSG.deadline)
            return
        await close_dialog(query, manager, texts(error.key, **error.args_))
        return
    await close_dialog(
        query,
        manager,
        texts(
            "calibration-started",
            id=started.id,
            count=len(draft.participant_ids),
            deadline=started.deadline_at,
        ),
    )


# --- the vote -----------------------------------------------------------------------------------


async def on_vote_start(start_data: Any, manager: DialogManager) -> None:
    if isinstance(start_data, dict) and "session_id" in start_data:
        manager.dialog_data["session_id"] = int(start_data["session_id"])


async def verdict_picked(
    query: CallbackQuery, widget: Any, manager: DialogManager, value: str
) -> None:
    manager.dialog_data["verdict"] = CalibrationVerdict(value).value
    await manager.switch_to(CalibrationVoteSG.score)


async def score_given(
    message: Message, widget: ManagedTextInput[int], manager: DialogManager, value: int
) -> None:
    manager.dialog_data["score"] = value
    await manager.switch_to(CalibrationVoteSG.comment)


async def comment_given(
    message: Message, widget: ManagedTextInput[str], manager: DialogManager, value: str
) -> None:
    manager.dialog_data["comment"] = value
    await manager.switch_to(CalibrationVoteSG.review)


async def skip_comment(query: CallbackQuery, button: Button, manager: DialogManager) -> None:
    manager.dialog_data["comment"] = ""
    await manager.switch_to(CalibrationVoteSG.review)


async def send_vote(query: CallbackQuery, button: Button, manager: DialogManager) -> None:
    texts = texts_of(manager)
    data = manager.dialog_data
    session_id = int(data["session_id"])
    try:
        await calibration.vote(
            session_of(manager),
            employee_of(manager),
            session_id,
            verdict=CalibrationVerdict(data["verdict"]),
            score=int(data["score"]),
            comment=data.get("comment", ""),
            settings=settings_of(manager),
            texts=texts,
        )
    except ServiceError as error:  # a second vote, the session closed meanwhile
        await close_dialog(query, manager, texts(error.key, **error.args_))
        return
    await close_dialog(query, manager, texts("calibration-voted", id=session_id))
