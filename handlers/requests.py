"""/request: a manager or a lead files a request to CS in a guided dialog (aiogram-dialog);
the «Взять» / «Выполнено» / «Отклонить» buttons of its CS post, and the reason dialog.

The draft lives in `dialog_data` (JSON: dates as ISO strings), so it survives a restart;
the service checks every field again on «Отправить», and role, scope and state on every
button. The router lets any known user through: the command itself is for managers and
leads (a filter on its handler), while CS members answer the reason dialog here too.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import ChatEvent, Dialog, DialogManager, ShowMode, StartMode, Window
from aiogram_dialog.widgets.input import ManagedTextInput, TextInput
from aiogram_dialog.widgets.kbd import (
    Button,
    Cancel,
    Group,
    ManagedCalendar,
    Row,
    ScrollingGroup,
    Select,
    SwitchTo,
    Url,
)
from aiogram_dialog.widgets.text import Format
from sqlalchemy.ext.asyncio import AsyncSession

from bot.dialog_widgets import (
    RuCalendar,
    T,
    cancel_dialog,
    checked,
    close_dialog,
    hint,
    say_and_stay,
    services_of,
    wrong_text,
)
from bot.filters import RoleFilter
from bot.services import requests
from bot.services.errors import Forbidden, Invalid, ServiceError
from bot.services.requests import BadgeItem, RequestAct, RequestButton, StaffingChange
from bot.settings import Settings
from bot.texts import Html, Texts
from db.models import Employee, RequestKind, Role

log = logging.getLogger(__name__)
router = Router(name=__name__)
router.message.filter(RoleFilter(), F.chat.type == "private")
router.callback_query.filter(RoleFilter())


_close = close_dialog
_cancel = cancel_dialog


class RequestSG(StatesGroup):
    kind = State()
    fw_manager = State()
    fw_from = State()
    fw_to = State()
    fw_start = State()
    fw_end = State()
    st_change = State()
    st_group = State()
    st_name = State()
    st_employee = State()
    st_effective = State()
    st_attestation = State()
    bd_item = State()
    bd_quantity = State()
    bd_place = State()
    bd_recipient = State()
    comment = State()
    review = State()


class RejectSG(StatesGroup):
    reason = State()


@router.message(Command("request"), RoleFilter(Role.MANAGER, Role.LEAD))
async def open_request_dialog(message: Message, dialog_manager: DialogManager) -> None:
    await dialog_manager.start(RequestSG.kind, mode=StartMode.RESET_STACK)


# --- the CS post's buttons ----------------------------------------------------------------


@router.callback_query(RequestButton.filter())
async def request_button(
    query: CallbackQuery,
    callback_data: RequestButton,
    session: AsyncSession,
    employee: Employee,
    settings: Settings,
    texts: Texts,
    dialog_manager: DialogManager,
) -> None:
    act, request_id = callback_data.act, callback_data.request_id
    try:
        if act == RequestAct.REJECT:
            await requests.precheck(session, employee, request_id, act)
        else:
            await requests.perform(
                session, employee, request_id, act, settings=settings, texts=texts
            )
    except ServiceError as error:
        await query.answer(texts(error.key, **error.args_), show_alert=True)
        return
    if act != RequestAct.REJECT:
        await query.answer(
            texts("request-taken" if act == RequestAct.TAKE else "request-marked-done")
        )
        return
    data = {"request_id": request_id}
    if query.message is not None and query.message.chat.id == query.from_user.id:
        await dialog_manager.start(
            RejectSG.reason, data=data, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND
        )
        await query.answer()
        return
    # Pressed in the group: the reason is asked in the user's private chat with the bot.
    background = dialog_manager.bg(user_id=query.from_user.id, chat_id=query.from_user.id)
    await background.start(RejectSG.reason, data=data, mode=StartMode.RESET_STACK)
    await query.answer(texts("request-reject-opened"), show_alert=True)


# --- shared pieces ------------------------------------------------------------------------


def _draft(manager: DialogManager) -> dict[str, Any]:
    draft: dict[str, Any] = manager.dialog_data.setdefault("draft", {})
    return draft


def _kind(manager: DialogManager) -> RequestKind | None:
    value = manager.dialog_data.get("kind")
    return RequestKind(value) if value else None


async def _next(manager: DialogManager, state: State) -> None:
    """On to `state`, or back to the review if the step was opened by «Изменить»."""
    await manager.switch_to(RequestSG.review if manager.dialog_data.get("reviewing") else state)


CANCEL = Button(T("btn-cancel"), id="cancel", on_click=_cancel)


_say = say_and_stay
_hint = hint
_checked = checked
_wrong_text = wrong_text("request-hint-text")


def _text_step(field: str, clean: Any, next_state: State) -> list[Any]:
    async def on_success(
        message: Message, widget: ManagedTextInput[Any], manager: DialogManager, value: Any
    ) -> None:
        _draft(manager)[field] = value
        await _next(manager, next_state)

    return [
        TextInput(
            id=f"in_{field}",
            type_factory=_checked(clean),
            on_success=on_success,
            on_error=_wrong_text,
        ),
        _hint("request-hint-text"),
    ]


def _picked_date(field: str, check: Any, next_state: State, *, always: bool = False) -> Any:
    """A calendar's on_click: check the day (a forged or old keyboard can send any), save it."""

    async def on_click(
        event: ChatEvent, widget: ManagedCalendar, manager: DialogManager, picked: date, /
    ) -> None:
        assert isinstance(event, CallbackQuery)
        settings: Settings = manager.middleware_data["settings"]
        _, _, texts = services_of(manager)
        try:
            check(picked, requests.local_today(settings), _draft(manager))
        except Invalid as error:
            await event.answer(texts(error.key, **error.args_), show_alert=True)
            return
        _draft(manager)[field] = picked.isoformat()
        if always:
            await manager.switch_to(next_state)
        else:
            await _next(manager, next_state)

    return on_click


def _choice(field: str, next_state: State, *, walk: bool = False) -> Any:
    async def on_click(
        query: CallbackQuery, widget: Any, manager: DialogManager, value: str
    ) -> None:
        _draft(manager)[field] = value
        if walk:  # a choice the following steps depend on: walk them again
            manager.dialog_data["reviewing"] = False
        await _next(manager, next_state)

    return on_click


def _select(items: str, widget_id: str, on_click: Any, *, numbers: bool = False) -> Select[Any]:
    return Select(
        Format("{item[1]}"),
        id=widget_id,
        item_id_getter=lambda item: item[0],
        items=items,
        type_factory=int if numbers else str,
        on_click=on_click,
    )


# --- step: the kind -------------------------------------------------------------------------


async def _pick_kind(query: CallbackQuery, widget: Any, manager: DialogManager, value: str) -> None:
    _, employee, _ = services_of(manager)
    kind = RequestKind(value)
    manager.dialog_data.update(kind=kind.value, draft={}, reviewing=False)
    if kind == RequestKind.FORWARDING:
        if employee is not None and employee.role == Role.MANAGER:
            _draft(manager).update(manager_id=employee.id, manager_name=employee.full_name)
            await manager.switch_to(RequestSG.fw_from)
        else:
            await manager.switch_to(RequestSG.fw_manager)
    elif kind == RequestKind.STAFFING:
        await manager.switch_to(RequestSG.st_change)
    else:
        await manager.switch_to(RequestSG.bd_item)


# --- forwarding -------------------------------------------------------------------------------


async def _managers_data(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    session, employee, _ = services_of(dialog_manager)
    found = await requests.forwarding_managers(session, employee)
    return {"managers": [(p.id, p.full_name) for p in found], "no_managers": not found}


async def _pick_manager(
    query: CallbackQuery, widget: Any, manager: DialogManager, item_id: int
) -> None:
    session, employee, texts = services_of(manager)
    person = next(
        (p for p in await requests.forwarding_managers(session, employee) if p.id == item_id), None
    )
    if person is None:
        await query.answer(texts("request-error-manager"), show_alert=True)
        return
    _draft(manager).update(manager_id=person.id, manager_name=person.full_name)
    await _next(manager, RequestSG.fw_from)


async def _to_number(
    message: Message, widget: ManagedTextInput[str], manager: DialogManager, value: str
) -> None:
    try:
        requests.check_other_phone(str(_draft(manager).get("from_number", "")), value)
    except Invalid as error:
        await _say(message, manager, error.key, **error.args_)
        return
    _draft(manager)["to_number"] = value
    await _next(manager, RequestSG.fw_start)


def _start_day(picked: date, today: date, draft: dict[str, Any]) -> None:
    requests.check_not_past(picked, today)


def _end_day(picked: date, today: date, draft: dict[str, Any]) -> None:
    start = date.fromisoformat(draft["date_from"]) if draft.get("date_from") else picked
    requests.check_range(start, picked, today)


# --- staffing ---------------------------------------------------------------------------------


async def _groups_data(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    _, employee, _ = services_of(dialog_manager)
    groups = employee.groups if employee is not None and employee.role == Role.LEAD else []
    return {"groups": [(g.id, g.name) for g in groups]}


async def _pick_group(
    query: CallbackQuery, widget: Any, manager: DialogManager, item_id: int
) -> None:
    _, employee, texts = services_of(manager)
    group = next((g for g in (employee.groups if employee else []) if g.id == item_id), None)
    if group is None:
        await query.answer(texts("request-error-group"), show_alert=True)
        return
    draft = _draft(manager)
    if draft.get("group_id") != group.id:
        draft.pop("employee_id", None)
    draft.update(group_id=group.id, group_name=group.name)
    # The person depends on the group: always asked next, even after «Изменить».
    new = draft.get("change") == StaffingChange.NEW
    await manager.switch_to(RequestSG.st_name if new else RequestSG.st_employee)


async def _people_data(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    session, employee, _ = services_of(dialog_manager)
    group_id = int(_draft(dialog_manager).get("group_id") or 0)
    found = await requests.group_people(session, employee, group_id)
    return {"people": [(p.id, p.full_name) for p in found], "no_people": not found}


async def _pick_person(
    query: CallbackQuery, widget: Any, manager: DialogManager, item_id: int
) -> None:
    session, employee, texts = services_of(manager)
    draft = _draft(manager)
    found = await requests.group_people(session, employee, int(draft.get("group_id") or 0))
    person = next((p for p in found if p.id == item_id), None)
    if person is None:
        await query.answer(texts("request-error-employee"), show_alert=True)
        return
    draft.update(employee_id=person.id, full_name=person.full_name)
    await _next(manager, RequestSG.st_effective)


def _any_day(picked: date, today: date, draft: dict[str, Any]) -> None:
    return None


def _attestation_day(picked: date, today: date, draft: dict[str, Any]) -> None:
    requests.check_attestation(picked, today)


async def _effective_picked(
    event: ChatEvent, widget: ManagedCalendar, manager: DialogManager, picked: date, /
) -> None:
    draft = _draft(manager)
    draft["effective_date"] = picked.isoformat()
    new = draft.get("change") == StaffingChange.NEW
    if new and not draft.get("attestation_date"):
        await manager.switch_to(RequestSG.st_attestation)
    else:
        await _next(manager, RequestSG.st_attestation if new else RequestSG.comment)


# --- comment, review, sending -------------------------------------------------------------------


async def _skip_comment(query: CallbackQuery, button: Button, manager: DialogManager) -> None:
    _draft(manager)["comment"] = ""
    await manager.switch_to(RequestSG.review)


async def _mark_reviewing(query: CallbackQuery, button: Button, manager: DialogManager) -> None:
    manager.dialog_data["reviewing"] = True


async def _send(query: CallbackQuery, button: Button, manager: DialogManager) -> None:
    session, employee, texts = services_of(manager)
    settings: Settings = manager.middleware_data["settings"]
    kind = _kind(manager)
    assert kind is not None
    try:
        request = await requests.submit(
            session, employee, kind, dict(_draft(manager)), settings=settings, texts=texts
        )
    except Forbidden as error:
        await query.answer(texts(error.key, **error.args_), show_alert=True)
        await _close(query, manager, texts("cancelled"))
        return
    except ServiceError as error:  # e.g. a date passed meanwhile: the review stays
        await query.answer(texts(error.key, **error.args_), show_alert=True)
        return
    await query.answer()
    await _close(query, manager, texts("request-sent", id=request.id))


async def _prompts(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    session, employee, texts = services_of(dialog_manager)
    data = dialog_manager.dialog_data
    draft = data.get("draft", {})
    kind = _kind(dialog_manager)
    link = await requests.link_for(session, kind) if kind is not None else None
    kinds = requests.kinds_for(employee)
    start = draft.get("date_from")
    return {
        "kinds": [(k.value, requests.kind_name(k, texts)) for k in kinds],
        "kind_prompt": texts("request-ask-kind" if kinds else "request-no-kinds"),
        "link_title": link.title if link else "",
        "link_url": link.url if link else "",
        "is_fw": kind == RequestKind.FORWARDING,
        "is_st": kind == RequestKind.STAFFING,
        "is_bd": kind == RequestKind.BADGE,
        "is_lead": employee is not None and employee.role == Role.LEAD,
        "is_new": draft.get("change") == StaffingChange.NEW,
        "is_other": draft.get("change") in {StaffingChange.BACK, StaffingChange.DISMISSAL},
        "changes": [(c.value, texts(requests.CHANGE_KEYS[c])) for c in StaffingChange],
        "items": [(i.value, texts(requests.ITEM_KEYS[i])) for i in BadgeItem],
        "kind_chosen": kind is not None,
        "fw_manager": texts("request-fw-ask-manager") + "\n" + texts("request-link-hint"),
        "fw_no_managers": texts("request-fw-no-managers"),
        "fw_from": texts("request-fw-ask-from") + "\n" + texts("request-link-hint"),
        "fw_to": texts("request-fw-ask-to"),
        "fw_start": texts("request-fw-ask-start"),
        "fw_end": texts("request-fw-ask-end", start=date.fromisoformat(start) if start else ""),
        "st_change": texts("request-st-ask-change") + "\n" + texts("request-link-hint"),
        "st_group": texts("request-st-ask-group"),
        "st_name": texts("request-st-ask-name"),
        "st_employee": texts("request-st-ask-employee", group=draft.get("group_name", "")),
        "st_no_people": texts("request-st-no-people", group=draft.get("group_name", "")),
        "st_effective": texts("request-st-ask-effective"),
        "st_attestation": texts("request-st-ask-attestation"),
        "bd_item": texts("request-bd-ask-item") + "\n" + texts("request-link-hint"),
        "bd_quantity": texts(
            "request-bd-ask-quantity", min=requests.MIN_QUANTITY, max=requests.MAX_QUANTITY
        ),
        "bd_place": texts("request-bd-ask-place"),
        "bd_recipient": texts("request-bd-ask-recipient"),
        "comment": texts("request-ask-comment", max=requests.MAX_COMMENT),
        "review": texts(
            "request-review",
            kind=Html(requests.kind_name(kind, texts)) if kind else "",
            fields=Html("\n".join(requests.field_lines(kind, draft, texts))) if kind else "",
        ),
    }


LINK = Url(Format("{link_title}"), Format("{link_url}"), when="link_url")


def _edit(field: str, state: State, when: str) -> SwitchTo:
    """«Изменить …» on the review: that step, then straight back to the review."""
    return SwitchTo(
        T("request-btn-edit-" + field),
        id=f"edit_{field}",
        state=state,
        on_click=_mark_reviewing,
        when=when,
    )


def _window(prompt: str, *widgets: Any, state: State, getter: Any = _prompts) -> Window:
    return Window(Format("{" + prompt + "}"), *widgets, CANCEL, getter=getter, state=state)


request_dialog = Dialog(
    _window(
        "kind_prompt",
        Group(_select("kinds", "pick_kind", _pick_kind), width=1),
        _hint("request-hint-button"),
        state=RequestSG.kind,
    ),
    # Call forwarding.
    _window(
        "fw_manager",
        Format("{fw_no_managers}", when="no_managers"),
        LINK,
        ScrollingGroup(
            _select("managers", "pick_manager", _pick_manager, numbers=True),
            id="managers_page",
            width=1,
            height=8,
            hide_on_single_page=True,
        ),
        _hint("request-hint-button"),
        state=RequestSG.fw_manager,
        getter=[_prompts, _managers_data],
    ),
    _window(
        "fw_from",
        LINK,
        *_text_step("from_number", requests.clean_phone, RequestSG.fw_to),
        state=RequestSG.fw_from,
    ),
    _window(
        "fw_to",
        TextInput(
            id="in_to_number",
            type_factory=_checked(requests.clean_phone),
            on_success=_to_number,
            on_error=_wrong_text,
        ),
        _hint("request-hint-text"),
        state=RequestSG.fw_to,
    ),
    _window(
        "fw_start",
        RuCalendar(
            id="fw_start",
            on_click=_picked_date("date_from", _start_day, RequestSG.fw_end, always=True),
            future_only=True,
        ),
        _hint("request-hint-date"),
        state=RequestSG.fw_start,
    ),
    _window(
        "fw_end",
        RuCalendar(
            id="fw_end",
            on_click=_picked_date("date_to", _end_day, RequestSG.comment),
            future_only=True,
        ),
        _hint("request-hint-date"),
        state=RequestSG.fw_end,
    ),
    # Team changes.
    _window(
        "st_change",
        LINK,
        Group(
            _select("changes", "pick_change", _choice("change", RequestSG.st_group, walk=True)),
            width=1,
        ),
        _hint("request-hint-button"),
        state=RequestSG.st_change,
    ),
    _window(
        "st_group",
        Group(_select("groups", "pick_group", _pick_group, numbers=True), width=1),
        _hint("request-hint-button"),
        state=RequestSG.st_group,
        getter=[_prompts, _groups_data],
    ),
    _window(
        "st_name",
        *_text_step("full_name", requests.clean_name, RequestSG.st_effective),
        state=RequestSG.st_name,
    ),
    Window(
        Format("{st_employee}", when="people"),
        Format("{st_no_people}", when="no_people"),
        ScrollingGroup(
            _select("people", "pick_person", _pick_person, numbers=True),
            id="people_page",
            width=1,
            height=8,
            hide_on_single_page=True,
        ),
        SwitchTo(T("request-btn-edit-group"), id="to_group", state=RequestSG.st_group),
        _hint("request-hint-button"),
        CANCEL,
        getter=[_prompts, _people_data],
        state=RequestSG.st_employee,
    ),
    _window(
        "st_effective",
        RuCalendar(id="st_effective", on_click=_effective_picked),
        _hint("request-hint-date"),
        state=RequestSG.st_effective,
    ),
    _window(
        "st_attestation",
        RuCalendar(
            id="st_attestation",
            on_click=_picked_date("attestation_date", _attestation_day, RequestSG.comment),
            past_only=True,
        ),
        _hint("request-hint-date"),
        state=RequestSG.st_attestation,
    ),
    # Badges.
    _window(
        "bd_item",
        LINK,
        Group(_select("items", "pick_item", _choice("item", RequestSG.bd_quantity)), width=1),
        _hint("request-hint-button"),
        state=RequestSG.bd_item,
    ),
    _window(
        "bd_quantity",
        *_text_step("quantity", requests.clean_quantity, RequestSG.bd_place),
        state=RequestSG.bd_quantity,
    ),
    _window(
        "bd_place",
        *_text_step("place", requests.clean_name, RequestSG.bd_recipient),
        state=RequestSG.bd_place,
    ),
    _window(
        "bd_recipient",
        *_text_step("recipient", requests.clean_name, RequestSG.comment),
        state=RequestSG.bd_recipient,
    ),
    # Every kind ends with a comment and the review.
    _window(
        "comment",
        *_text_step("comment", requests.clean_comment, RequestSG.review),
        Button(T("btn-skip"), id="skip_comment", on_click=_skip_comment),
        state=RequestSG.comment,
    ),
    Window(
        Format("{review}"),
        Group(
            _edit("manager", RequestSG.fw_manager, "is_lead"),
            _edit("from", RequestSG.fw_from, "is_fw"),
            _edit("to", RequestSG.fw_to, "is_fw"),
            _edit("dates", RequestSG.fw_start, "is_fw"),
            _edit("change", RequestSG.st_change, "is_st"),
            _edit("group", RequestSG.st_group, "is_st"),
            _edit("name", RequestSG.st_name, "is_new"),
            _edit("employee", RequestSG.st_employee, "is_other"),
            _edit("effective", RequestSG.st_effective, "is_st"),
            _edit("attestation", RequestSG.st_attestation, "is_new"),
            _edit("item", RequestSG.bd_item, "is_bd"),
            _edit("quantity", RequestSG.bd_quantity, "is_bd"),
            _edit("place", RequestSG.bd_place, "is_bd"),
            _edit("recipient", RequestSG.bd_recipient, "is_bd"),
            _edit("comment", RequestSG.comment, "kind_chosen"),
            width=2,
        ),
        Row(Button(T("request-btn-send"), id="send", on_click=_send), CANCEL),
        getter=_prompts,
        state=RequestSG.review,
    ),
)


# --- the reason of a rejection (CS) ---------------------------------------------------------------


async def _reason_data(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    _, _, texts = services_of(dialog_manager)
    data = dialog_manager.start_data
    assert isinstance(data, dict)
    return {"prompt": texts("request-ask-reason", id=int(data["request_id"]))}


async def _reason_given(
    message: Message, widget: ManagedTextInput[str], manager: DialogManager, reason: str
) -> None:
    session, employee, texts = services_of(manager)
    settings: Settings = manager.middleware_data["settings"]
    data = manager.start_data
    assert isinstance(data, dict)
    try:
        request = await requests.perform(
            session,
            employee,
            int(data["request_id"]),
            RequestAct.REJECT,
            settings=settings,
            texts=texts,
            reason=reason,
        )
    except Invalid as error:  # the reason itself: say what is expected, stay
        await _say(message, manager, error.key, **error.args_)
        return
    except ServiceError as error:  # taken, done or rejected by someone else meanwhile
        await message.answer(texts(error.key, **error.args_))
        await manager.done()
        return
    await message.answer(texts("request-rejected-saved", id=request.id))
    await manager.done()


reject_dialog = Dialog(
    Window(
        Format("{prompt}"),
        TextInput(id="in_reason", on_success=_reason_given),
        _hint("request-hint-text"),
        Cancel(T("btn-cancel")),
        getter=_reason_data,
        state=RejectSG.reason,
    ),
)

router.include_routers(request_dialog, reject_dialog)
