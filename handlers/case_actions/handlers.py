"""What the inputs and buttons of the case input dialogs do: each collects the act's input,
then the service performs the act (and checks it again)."""

from __future__ import annotations

from datetime import date, time
from typing import Any

from aiogram import Bot
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import ChatEvent, DialogManager, ShowMode
from aiogram_dialog.widgets.input import ManagedTextInput
from aiogram_dialog.widgets.kbd import Button, ManagedCalendar

from bot.callbacks import CaseAct
from bot.dialog_widgets import employee_of, session_of, settings_of, texts_of
from bot.services import cases
from bot.services.errors import Invalid, ServiceError
from handlers.case_actions.states import AnalysisSG, BriefingSG
from handlers.review_flow import ReviewFlow


async def bot_username(bot: Bot | None) -> str:
    """For the manager's «Обжаловать» link (aiogram caches getMe)."""
    return ((await bot.me()).username or "") if bot is not None else ""


def started(manager: DialogManager) -> tuple[int, CaseAct]:
    """The case and the act the dialog was opened for."""
    data = manager.start_data
    assert isinstance(data, dict)
    return int(data["case_id"]), CaseAct(data["act"])


async def perform(
    manager: DialogManager, event: Message | CallbackQuery, data: cases.ActInput, done_key: str
) -> bool:
    """Do the act; on a refusal say why. True when done (the dialog then closes)."""
    texts = texts_of(manager)
    case_id, act = started(manager)
    try:
        case = await cases.perform(
            session_of(manager),
            employee_of(manager),
            case_id,
            act,
            settings=settings_of(manager),
            texts=texts,
            data=data,
            bot_username=await bot_username(manager.middleware_data.get("bot")),
        )
    except Invalid as error:
        await _say(event, texts(error.key, **error.args_))
        manager.show_mode = ShowMode.SEND
        return False
    except ServiceError as error:
        await _say(event, texts(error.key, **error.args_))
        await manager.done()
        return False
    await _say(
        event,
        texts(
            done_key,
            id=case.id,
            when=case.briefing_at,
            state=texts(f"case-state-{str(case.state).replace('_', '-')}"),
        ),
    )
    await manager.done()
    return True


async def _say(event: Message | CallbackQuery, text: str) -> None:
    if isinstance(event, CallbackQuery):
        if isinstance(event.message, Message):
            await event.message.answer(text)
        await event.answer()
    else:
        await event.answer(text)


def clean_text(min_length: int) -> Any:
    """A comment or an analysis field, as the service takes it."""

    def clean(text: str) -> str:
        return cases.clean_text(text, min_length=min_length)

    return clean


# --- the briefing: a day, then a time ------------------------------------------------------


def briefing_day_unavailable(day: date, manager: DialogManager) -> str | None:
    return cases.briefing_day_unavailable(day, settings_of(manager))


async def briefing_day_picked(
    event: ChatEvent, widget: ManagedCalendar, manager: DialogManager, picked: date, /
) -> None:
    # The calendar refused a muted day already (`unavailable`).
    manager.dialog_data["day"] = picked.isoformat()
    manager.dialog_data["slots"] = [
        slot.strftime("%H:%M") for slot in cases.briefing_slots(picked, settings_of(manager))
    ]
    await manager.switch_to(BriefingSG.time)


def slot_id(slot: str) -> str:
    """«09:30» as a button id: 0930 (callback data keeps to digits)."""
    return slot.replace(":", "")


async def briefing_time_picked(
    query: CallbackQuery, widget: Any, manager: DialogManager, slot: str
) -> None:
    day = date.fromisoformat(manager.dialog_data["day"])
    if len(slot) != 4 or not slot.isdigit():
        await query.answer()
        return
    picked = time(int(slot[:2]) % 24, int(slot[2:]) % 60)
    moment = cases.briefing_moment(day, picked, settings_of(manager))
    await perform(manager, query, cases.ActInput(briefing_at=moment), "case-briefing-saved")


# --- a comment (re-check failed; analysis returned) ---------------------------------------


async def comment_given(
    message: Message, widget: ManagedTextInput[str], manager: DialogManager, text: str
) -> None:
    await perform(manager, message, cases.ActInput(comment=text), "case-comment-saved")


# --- the process analysis -----------------------------------------------------------------


# The way through the analysis: each step on to the next, or back to the review when
# «Изменить …» opened it.
analysis_flow = ReviewFlow(AnalysisSG.review)


async def due_picked(
    event: ChatEvent, widget: ManagedCalendar, manager: DialogManager, picked: date, /
) -> None:
    assert isinstance(event, CallbackQuery)
    try:
        cases.check_future_date(picked, cases.local_today(settings_of(manager)))
    except Invalid as error:
        await event.answer(texts_of(manager)(error.key, **error.args_), show_alert=True)
        return
    manager.dialog_data["due"] = picked.isoformat()
    await manager.switch_to(AnalysisSG.review)


async def send_analysis(query: CallbackQuery, button: Button, manager: DialogManager) -> None:
    draft = manager.dialog_data
    analysis = cases.Analysis(
        process=draft.get("process", ""),
        cause=draft.get("cause", ""),
        measures=draft.get("measures", ""),
        measures_due=date.fromisoformat(draft["due"]),
    )
    await perform(manager, query, cases.ActInput(analysis=analysis), "case-analysis-saved")
