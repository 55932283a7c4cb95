"""The buttons of a case post, and the short dialogs for acts that need input (a briefing
day and time, a comment, the process analysis). The service checks every act again."""

from __future__ import annotations

from datetime import date, time
from typing import Any

from aiogram import Bot, Router
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import ChatEvent, Dialog, DialogManager, ShowMode, StartMode, Window
from aiogram_dialog.widgets.input import ManagedTextInput, MessageInput, TextInput
from aiogram_dialog.widgets.kbd import (
    Back,
    Button,
    Cancel,
    Group,
    ManagedCalendar,
    Row,
    Select,
    SwitchTo,
)
from aiogram_dialog.widgets.text import Format
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import CaseAct, CaseButton
from bot.dialog_widgets import RuCalendar, T, services_of
from bot.filters import RoleFilter
from bot.services import cases
from bot.services.case_lookup import MAX_ID
from bot.services.errors import Invalid, ServiceError
from bot.settings import Settings
from bot.texts import Texts
from db.models import Employee, Role

router = Router(name=__name__)
router.callback_query.filter(RoleFilter(Role.CS, Role.LEAD))


class BriefingSG(StatesGroup):
    pick = State()
    time = State()


class CommentSG(StatesGroup):
    write = State()


class AnalysisSG(StatesGroup):
    process = State()
    cause = State()
    measures = State()
    due = State()
    review = State()


_INPUT_STATES: dict[CaseAct, State] = {
    CaseAct.SET_BRIEFING: BriefingSG.pick,
    CaseAct.RECHECK_FAILED: CommentSG.write,
    CaseAct.RETURN: CommentSG.write,
    CaseAct.SUBMIT_ANALYSIS: AnalysisSG.process,
}


@router.callback_query(CaseButton.filter())
async def case_button(
    query: CallbackQuery,
    callback_data: CaseButton,
    session: AsyncSession,
    employee: Employee,
    settings: Settings,
    texts: Texts,
    dialog_manager: DialogManager,
) -> None:
    act, case_id = callback_data.act, callback_data.case_id
    if not 1 <= case_id <= MAX_ID:
        await query.answer(texts("error-stale-button"), show_alert=True)
        return
    try:
        if act in _INPUT_STATES:
            await cases.precheck(session, employee, case_id, act)
        else:
            await cases.perform(
                session,
                employee,
                case_id,
                act,
                settings=settings,
                texts=texts,
                bot_username=await _bot_username(query.bot),
            )
    except ServiceError as error:
        await query.answer(texts(error.key, **error.args_), show_alert=True)
        return
    if act not in _INPUT_STATES:
        await query.answer(texts("case-done"))
        return
    data = {"case_id": case_id, "act": act.value}
    private = query.message is not None and query.message.chat.id == query.from_user.id
    if private:
        # A new message: the case post the button is on must stay as it is.
        await dialog_manager.start(
            _INPUT_STATES[act], data=data, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND
        )
        await query.answer()
        return
    # Pressed in the group: the form opens in the user's private chat with the bot.
    background = dialog_manager.bg(user_id=query.from_user.id, chat_id=query.from_user.id)
    await background.start(_INPUT_STATES[act], data=data, mode=StartMode.RESET_STACK)
    await query.answer(texts("case-input-opened"), show_alert=True)


async def _bot_username(bot: Bot | None) -> str:
    """For the manager's «Обжаловать» link (aiogram caches getMe)."""
    return ((await bot.me()).username or "") if bot is not None else ""


# --- shared pieces of the input dialogs -------------------------------------------------


def _start(manager: DialogManager) -> tuple[int, CaseAct]:
    data = manager.start_data
    assert isinstance(data, dict)
    return int(data["case_id"]), CaseAct(data["act"])


async def _perform(
    manager: DialogManager, event: Message | CallbackQuery, data: cases.ActInput, done_key: str
) -> bool:
    """Do the act; on a refusal say why. True when done (the dialog then closes)."""
    session, employee, texts = services_of(manager)
    settings: Settings = manager.middleware_data["settings"]
    case_id, act = _start(manager)
    try:
        case = await cases.perform(
            session,
            employee,
            case_id,
            act,
            settings=settings,
            texts=texts,
            data=data,
            bot_username=await _bot_username(manager.middleware_data.get("bot")),
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


async def _prompt_data(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    _, _, texts = services_of(dialog_manager)
    case_id, act = _start(dialog_manager)
    draft = dialog_manager.dialog_data
    comment_key = (
        "case-ask-failed-comment" if act == CaseAct.RECHECK_FAILED else "case-ask-return-comment"
    )
    day = date.fromisoformat(draft["day"]) if draft.get("day") else None
    return {
        "briefing": texts("case-ask-briefing-date", id=case_id),
        "briefing_time": texts(
            "case-ask-briefing-time" if draft.get("slots") else "case-ask-briefing-no-time",
            id=case_id,
            date=day,
        ),
        "slots": draft.get("slots", []),
        "comment": texts(comment_key, id=case_id),
        "process": texts("case-ask-process", id=case_id),
        "cause": texts("case-ask-cause"),
        "measures": texts("case-ask-measures"),
        "due": texts("case-ask-measures-due"),
        "review": texts(
            "case-analysis-review",
            id=case_id,
            process=draft.get("process", ""),
            cause=draft.get("cause", ""),
            measures=draft.get("measures", ""),
            due=date.fromisoformat(draft["due"]) if draft.get("due") else "",
        ),
    }


async def _not_text(message: Message, widget: MessageInput, manager: DialogManager) -> None:
    _, _, texts = services_of(manager)
    await message.answer(texts("case-error-text-only"))
    manager.show_mode = ShowMode.SEND


def _checked_text(min_length: int) -> Any:
    def factory(text: str) -> str:
        try:
            return cases.clean_text(text, min_length=min_length)
        except Invalid as error:
            raise ValueError(error) from error

    return factory


async def _wrong_text(
    message: Message, widget: ManagedTextInput[str], manager: DialogManager, error: ValueError
) -> None:
    _, _, texts = services_of(manager)
    reason = error.args[0] if error.args else None
    text = texts(reason.key, **reason.args_) if isinstance(reason, ServiceError) else str(error)
    await message.answer(text)
    manager.show_mode = ShowMode.SEND


# --- the briefing: a day, then a time ------------------------------------------------------


def _briefing_day_unavailable(day: date, manager: DialogManager) -> str | None:
    return cases.briefing_day_unavailable(day, manager.middleware_data["settings"])


async def _briefing_day_picked(
    event: ChatEvent, widget: ManagedCalendar, manager: DialogManager, picked: date, /
) -> None:
    # The calendar refused a muted day already (`unavailable`).
    settings: Settings = manager.middleware_data["settings"]
    manager.dialog_data["day"] = picked.isoformat()
    manager.dialog_data["slots"] = [
        slot.strftime("%H:%M") for slot in cases.briefing_slots(picked, settings)
    ]
    await manager.switch_to(BriefingSG.time)


def _slot_id(slot: str) -> str:
    """«09:30» as a button id: 0930 (callback data keeps to digits)."""
    return slot.replace(":", "")


async def _briefing_time_picked(
    query: CallbackQuery, widget: Any, manager: DialogManager, slot: str
) -> None:
    settings: Settings = manager.middleware_data["settings"]
    day = date.fromisoformat(manager.dialog_data["day"])
    if len(slot) != 4 or not slot.isdigit():
        await query.answer()
        return
    picked = time(int(slot[:2]) % 24, int(slot[2:]) % 60)
    moment = cases.briefing_moment(day, picked, settings)
    await _perform(manager, query, cases.ActInput(briefing_at=moment), "case-briefing-saved")


briefing_dialog = Dialog(
    Window(
        Format("{briefing}"),
        RuCalendar(
            id="briefing_date",
            on_click=_briefing_day_picked,
            future_only=True,
            unavailable=_briefing_day_unavailable,
        ),
        Cancel(T("btn-cancel")),
        getter=_prompt_data,
        state=BriefingSG.pick,
    ),
    Window(
        Format("{briefing_time}"),
        Group(
            Select(
                Format("{item}"),
                id="briefing_time",
                item_id_getter=_slot_id,
                items="slots",
                on_click=_briefing_time_picked,
            ),
            width=4,
        ),
        Row(Back(T("btn-back")), Cancel(T("btn-cancel"))),
        getter=_prompt_data,
        state=BriefingSG.time,
    ),
)


# --- a comment (re-check failed; analysis returned) ---------------------------------------


async def _comment_given(
    message: Message, widget: ManagedTextInput[str], manager: DialogManager, text: str
) -> None:
    await _perform(manager, message, cases.ActInput(comment=text), "case-comment-saved")


comment_dialog = Dialog(
    Window(
        Format("{comment}"),
        TextInput(
            id="comment",
            type_factory=_checked_text(3),
            on_success=_comment_given,
            on_error=_wrong_text,
        ),
        MessageInput(_not_text),
        Cancel(T("btn-cancel")),
        getter=_prompt_data,
        state=CommentSG.write,
    ),
)


# --- the process analysis -----------------------------------------------------------------


def _analysis_step(field: str, next_state: State) -> Any:
    async def on_success(
        message: Message, widget: ManagedTextInput[str], manager: DialogManager, text: str
    ) -> None:
        manager.dialog_data[field] = text
        target = AnalysisSG.review if manager.dialog_data.get("reviewing") else next_state
        await manager.switch_to(target)

    return on_success


async def _due_picked(
    event: ChatEvent, widget: ManagedCalendar, manager: DialogManager, picked: date, /
) -> None:
    assert isinstance(event, CallbackQuery)
    query = event
    settings: Settings = manager.middleware_data["settings"]
    _, _, texts = services_of(manager)
    try:
        cases.check_future_date(picked, cases.local_today(settings))
    except Invalid as error:
        await query.answer(texts(error.key, **error.args_), show_alert=True)
        return
    manager.dialog_data["due"] = picked.isoformat()
    await manager.switch_to(AnalysisSG.review)


async def _reviewing(query: CallbackQuery, button: Button, manager: DialogManager) -> None:
    manager.dialog_data["reviewing"] = True


async def _send_analysis(query: CallbackQuery, button: Button, manager: DialogManager) -> None:
    draft = manager.dialog_data
    analysis = cases.Analysis(
        process=draft.get("process", ""),
        cause=draft.get("cause", ""),
        measures=draft.get("measures", ""),
        measures_due=date.fromisoformat(draft["due"]),
    )
    await _perform(manager, query, cases.ActInput(analysis=analysis), "case-analysis-saved")


def _text_window(prompt: str, field: str, next_state: State, state: State) -> Window:
    return Window(
        Format("{" + prompt + "}"),
        TextInput(
            id=f"an_{field}",
            type_factory=_checked_text(2),
            on_success=_analysis_step(field, next_state),
            on_error=_wrong_text,
        ),
        MessageInput(_not_text),
        Cancel(T("btn-cancel")),
        getter=_prompt_data,
        state=state,
    )


analysis_dialog = Dialog(
    _text_window("process", "process", AnalysisSG.cause, AnalysisSG.process),
    _text_window("cause", "cause", AnalysisSG.measures, AnalysisSG.cause),
    _text_window("measures", "measures", AnalysisSG.due, AnalysisSG.measures),
    Window(
        Format("{due}"),
        RuCalendar(id="measures_due", on_click=_due_picked, future_only=True),
        Cancel(T("btn-cancel")),
        getter=_prompt_data,
        state=AnalysisSG.due,
    ),
    Window(
        Format("{review}"),
        SwitchTo(
            T("btn-case-edit-process"), id="r_p", state=AnalysisSG.process, on_click=_reviewing
        ),
        SwitchTo(T("btn-case-edit-cause"), id="r_c", state=AnalysisSG.cause, on_click=_reviewing),
        SwitchTo(
            T("btn-case-edit-measures"), id="r_m", state=AnalysisSG.measures, on_click=_reviewing
        ),
        SwitchTo(T("btn-case-edit-due"), id="r_d", state=AnalysisSG.due, on_click=_reviewing),
        Row(
            Button(T("btn-case-analysis-send"), id="send", on_click=_send_analysis),
            Cancel(T("btn-cancel")),
        ),
        getter=_prompt_data,
        state=AnalysisSG.review,
    ),
)

router.include_routers(briefing_dialog, comment_dialog, analysis_dialog)
