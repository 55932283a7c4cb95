"""What the buttons and inputs of the /request dialogs do.

The draft lives in `dialog_data["draft"]` (JSON: dates as ISO strings), so it survives a
restart; the service checks every field again on «Отправить». Forward, «◀ Назад» and
«Изменить …» are decided here from the kind's order of steps (`Flow.steps`), the same for
the three kinds.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import ChatEvent, Data, DialogManager, ShowMode, StartMode
from aiogram_dialog.widgets.input import ManagedTextInput
from aiogram_dialog.widgets.kbd import Button, ManagedCalendar
from sqlalchemy.ext.asyncio import AsyncSession

from bot.dialog_widgets import close_dialog, say_and_stay
from bot.services import requests
from bot.services.errors import Forbidden, Invalid, ServiceError
from bot.services.requests import StaffingChange
from bot.settings import Settings
from bot.texts import Texts
from db.models import Employee, RequestKind, Role
from handlers.person_picker import PersonPick, PersonPickSG, Picked, Scope
from handlers.requests.states import (
    FIELDS,
    FLOWS,
    Flow,
    ForwardingSG,
    KindSG,
    StaffingSG,
    flow_of,
)

# A step whose answer changes what follows: after an edit, the step after it is asked too.
ALWAYS_NEXT: dict[State, State] = {ForwardingSG.date_from: ForwardingSG.date_to}


# --- the update's services (aiogram-dialog passes them in middleware_data) ------------------


def _session(manager: DialogManager) -> AsyncSession:
    session: AsyncSession = manager.middleware_data["session"]
    return session


def _employee(manager: DialogManager) -> Employee | None:
    employee: Employee | None = manager.middleware_data.get("employee")
    return employee


def _texts(manager: DialogManager) -> Texts:
    texts: Texts = manager.middleware_data["texts"]
    return texts


def _settings(manager: DialogManager) -> Settings:
    settings: Settings = manager.middleware_data["settings"]
    return settings


# --- the draft and the way through it -------------------------------------------------------


def draft_of(manager: DialogManager) -> dict[str, Any]:
    draft: dict[str, Any] = manager.dialog_data.setdefault("draft", {})
    return draft


def flow(manager: DialogManager) -> Flow:
    return flow_of(manager.current_context().state)


def steps(manager: DialogManager) -> list[State]:
    return flow(manager).steps(draft_of(manager), bool(manager.dialog_data.get("lead")))


def state_of(manager: DialogManager) -> State:
    state = manager.current_context().state
    assert isinstance(state, State)
    return state


# The steps that pick a person are the person picker, a subdialog opened on top of the kind's
# dialog (they have no window of their own): the draft fields each pick fills.
PICKED: dict[State, tuple[str, str]] = {
    ForwardingSG.manager: ("manager_id", "manager_name"),
    StaffingSG.employee: ("employee_id", "full_name"),
}


def _picker(state: State, manager: DialogManager) -> PersonPick:
    """What a person step asks of the picker: a lead's people, listed at once."""
    draft = draft_of(manager)
    id_field, name_field = PICKED[state]
    forwarding = state == ForwardingSG.manager
    return PersonPick(
        Scope.MY_MANAGERS if forwarding else Scope.GROUP,
        "",
        "request-fw-ask-manager" if forwarding else "request-st-ask-employee",
        question_args={} if forwarding else {"group": draft.get("group_name", "")},
        nobody="request-fw-no-managers" if forwarding else "request-st-no-people",
        group_id=0 if forwarding else int(draft.get("group_id") or 0),
        listed=True,
        current_id=int(draft.get(id_field) or 0),
        current_name=str(draft.get(name_field) or ""),
    )


async def show(manager: DialogManager, target: State) -> None:
    """Step `target`: its window, or the picker for a person step."""
    if target not in PICKED:
        await manager.switch_to(target)
        return
    manager.dialog_data["picking"] = target.state
    await manager.start(PersonPickSG.search, data=_picker(target, manager).data())


async def person_picked(start_data: Data, result: Any, manager: DialogManager) -> None:
    """The picker's answer: the person into the draft and on, or «◀ Назад» from his step."""
    picking = manager.dialog_data.pop("picking", None)
    step = next((state for state in PICKED if state.state == picking), None)
    if step is None:
        return
    picked = Picked.of(result)
    if picked is None or picked.person_id is None:
        await step_back(manager, step)
        return
    id_field, name_field = PICKED[step]
    draft_of(manager).update({id_field: picked.person_id, name_field: picked.name})
    await go_on(manager, step)


async def go_on(manager: DialogManager, current: State | None = None) -> None:
    """Step `current` (the one shown) is answered: on to the next one. After «Изменить …»
    the next is the first step after it still unanswered (a change may need more), else the
    review."""
    current = current or state_of(manager)
    order, draft = steps(manager), draft_of(manager)
    rest = order[order.index(current) + 1 :] if current in order else []
    review = flow(manager).review
    if manager.dialog_data.get("editing"):
        unanswered = (state for state in rest if FIELDS[state] not in draft)
        target = ALWAYS_NEXT.get(current) or next(unanswered, review)
    else:
        target = rest[0] if rest else review
    if target == review:
        manager.dialog_data["editing"] = None
    await show(manager, target)


async def back(query: CallbackQuery, button: Button, manager: DialogManager) -> None:
    await step_back(manager, state_of(manager))


async def step_back(manager: DialogManager, current: State) -> None:
    """«◀ Назад» from `current`: the step before, as it was answered; from an edited field,
    the review; from the first step, the choice of the kind."""
    order = steps(manager)
    review = flow(manager).review
    if manager.dialog_data.get("editing") == current.state:
        manager.dialog_data["editing"] = None
        await manager.switch_to(review)
    elif current == review:
        await show(manager, order[-1])
    elif current in order and order.index(current) > 0:
        await show(manager, order[order.index(current) - 1])
    else:  # the choice again; its draft kept, so choosing the same kind continues it
        drafts = dict(manager.dialog_data.get("drafts", {}))
        drafts[flow(manager).kind.value] = draft_of(manager)
        await manager.start(KindSG.kind, data={"drafts": drafts}, mode=StartMode.RESET_STACK)


async def keep(query: CallbackQuery, button: Button, manager: DialogManager) -> None:
    """«Дальше ▶» on a step answered before: the answer stays."""
    await go_on(manager)


def edit(state: State) -> Any:
    """«Изменить …» on the review: that step, then back to the review."""

    async def on_click(query: CallbackQuery, button: Button, manager: DialogManager) -> None:
        manager.dialog_data["editing"] = state.state
        await show(manager, state)

    return on_click


# --- the choice of the kind ------------------------------------------------------------------


async def choice_begins(start_data: Data, manager: DialogManager) -> None:
    """The choice remembers the drafts of kinds left by «◀ Назад»."""
    if isinstance(start_data, dict):
        manager.dialog_data["drafts"] = dict(start_data.get("drafts", {}))


async def pick_kind(query: CallbackQuery, widget: Any, manager: DialogManager, value: str) -> None:
    """A kind's dialog replaces the choice (one dialog at a time: «Отмена» and «Отправить»
    close it all); «◀ Назад» on its first step starts the choice again."""
    employee = _employee(manager)
    kind = RequestKind(value)
    if employee is None or kind not in requests.kinds_for(employee):  # an old keyboard
        return
    lead = employee.role == Role.LEAD
    drafts: dict[str, Any] = manager.dialog_data.get("drafts", {})
    draft = dict(drafts.get(kind.value, {}))
    if kind == RequestKind.FORWARDING and not lead:
        draft.update(manager_id=employee.id, manager_name=employee.full_name)
    order = FLOWS[kind].steps(draft, lead)
    # A person step has no window: the dialog starts on the next one, the picker on top.
    await manager.start(
        next(state for state in order if state not in PICKED),
        data={"lead": lead, "draft": draft, "drafts": drafts},
        mode=StartMode.RESET_STACK,
    )


async def begin(start_data: Data, manager: DialogManager) -> None:
    """A kind's dialog starts with what the choice passed: the role, the draft so far, and
    the drafts of other kinds (given back to the choice by «◀ Назад»)."""
    assert isinstance(start_data, dict)
    manager.dialog_data.update(
        lead=bool(start_data["lead"]),
        draft=dict(start_data["draft"]),
        drafts=dict(start_data.get("drafts", {})),
    )
    first = steps(manager)[0]
    if first in PICKED:
        await show(manager, first)


# --- answers -----------------------------------------------------------------------------------


def save_text(field: str) -> Any:
    """A TextInput's on_success: the cleaned value into the draft, on to the next step."""

    async def on_success(
        message: Message, widget: ManagedTextInput[Any], manager: DialogManager, value: Any
    ) -> None:
        draft_of(manager)[field] = value
        await go_on(manager)

    return on_success


async def save_to_number(
    message: Message, widget: ManagedTextInput[str], manager: DialogManager, value: str
) -> None:
    draft = draft_of(manager)
    try:
        requests.check_other_phone(str(draft.get("from_number", "")), value)
    except Invalid as error:
        await say_and_stay(message, manager, error.key, **error.args_)
        return
    draft["to_number"] = value
    await go_on(manager)


def save_choice(field: str) -> Any:
    async def on_click(
        query: CallbackQuery, widget: Any, manager: DialogManager, value: str
    ) -> None:
        draft_of(manager)[field] = value
        await go_on(manager)

    return on_click


async def pick_change(
    query: CallbackQuery, widget: Any, manager: DialogManager, value: str
) -> None:
    """The kind of a team change: the steps after it depend on it, so a different one
    forgets the person, the name and the attestation (they are asked again)."""
    draft = draft_of(manager)
    if draft.get("change") != StaffingChange(value):
        for field in ("employee_id", "full_name", "attestation_date"):
            draft.pop(field, None)
    draft["change"] = StaffingChange(value).value
    await go_on(manager)


async def pick_group(
    query: CallbackQuery, widget: Any, manager: DialogManager, item_id: int
) -> None:
    employee = _employee(manager)
    group = next((g for g in (employee.groups if employee else []) if g.id == item_id), None)
    if group is None:
        await say_about(query, manager, "request-error-group")
        return
    draft = draft_of(manager)
    if draft.get("group_id") != group.id and draft.get("change") != StaffingChange.NEW:
        draft.pop("employee_id", None)  # the person is one of the group's: asked again
        draft.pop("full_name", None)
    draft.update(group_id=group.id, group_name=group.name)
    await go_on(manager)


def save_date(field: str, check: Any) -> Any:
    """A calendar's on_click: the day checked again (an old or forged keyboard can send any
    day), then saved. `check(picked, today, draft)` raises Invalid with the reason."""

    async def on_click(
        event: ChatEvent, widget: ManagedCalendar, manager: DialogManager, picked: date, /
    ) -> None:
        assert isinstance(event, CallbackQuery)
        draft = draft_of(manager)
        try:
            check(picked, requests.local_today(_settings(manager)), draft)
        except Invalid as error:
            await say_about(event, manager, error.key, **error.args_)
            return
        draft[field] = picked.isoformat()
        end = draft.get("date_to")
        if field == "date_from" and end and end < picked.isoformat():
            draft.pop("date_to")  # an end before the new start is no answer any more
        await go_on(manager)

    return on_click


def start_day(picked: date, today: date, draft: dict[str, Any]) -> None:
    requests.check_not_past(picked, today)


def end_day(picked: date, today: date, draft: dict[str, Any]) -> None:
    start = date.fromisoformat(draft["date_from"]) if draft.get("date_from") else picked
    requests.check_range(start, picked, today)


def any_day(picked: date, today: date, draft: dict[str, Any]) -> None:
    return None


def attestation_day(picked: date, today: date, draft: dict[str, Any]) -> None:
    requests.check_attestation(picked, today)


def before_start(day: date, manager: DialogManager) -> str | None:
    """The forwarding's last day cannot be before its first: such days are not offered."""
    start = draft_of(manager).get("date_from")
    if start and day < date.fromisoformat(start):
        return "request-error-date-order"
    return None


async def skip_comment(query: CallbackQuery, button: Button, manager: DialogManager) -> None:
    draft_of(manager)["comment"] = ""
    await go_on(manager)


async def say_about(query: CallbackQuery, manager: DialogManager, key: str, **args: Any) -> None:
    """A refusal of a press, said as a message with the step shown again below it: the
    dialog itself answers the callback query, once."""
    if isinstance(query.message, Message):
        await query.message.answer(_texts(manager)(key, **args))
        manager.show_mode = ShowMode.SEND


# --- sending --------------------------------------------------------------------------------


async def send(query: CallbackQuery, button: Button, manager: DialogManager) -> None:
    texts = _texts(manager)
    try:
        request = await requests.submit(
            _session(manager),
            _employee(manager),
            flow(manager).kind,
            dict(draft_of(manager)),
            settings=_settings(manager),
            texts=texts,
        )
    except Forbidden as error:  # the role changed meanwhile: nothing to correct here
        await close_dialog(query, manager, texts(error.key, **error.args_))
        return
    except ServiceError as error:  # e.g. a date passed meanwhile: the review stays
        await say_about(query, manager, error.key, **error.args_)
        return
    # No answer to the query here: the dialog answers it, once, after this returns.
    await close_dialog(query, manager, texts("request-sent", id=request.id))
