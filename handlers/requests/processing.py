"""CS at work on a request: «Взять» / «Выполнено» / «Отклонить» of its group post, and the
dialog that asks for the reason of a rejection (in the CS member's private chat)."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import DialogManager, Window
from aiogram_dialog.widgets.input import ManagedTextInput, TextInput
from aiogram_dialog.widgets.kbd import Cancel
from aiogram_dialog.widgets.text import Format
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import RequestAct, RequestButton
from bot.conversation import Dialog, open_in_private
from bot.dialog_widgets import T, hint, say_and_stay
from bot.services import requests
from bot.services.errors import Invalid, ServiceError
from bot.settings import Settings
from bot.texts import Texts
from db.models import Employee
from handlers.requests.getters import reason_getter
from handlers.requests.states import RejectSG

router = Router(name=__name__)


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
    # The id is in range here: RequestButton refuses any other (the fallback says the button
    # is stale), so it never reaches the database.
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
    await open_in_private(
        query,
        dialog_manager,
        RejectSG.reason,
        {"request_id": request_id},
        opened_key="request-reject-opened",
    )


async def reason_given(
    message: Message, widget: ManagedTextInput[str], manager: DialogManager, reason: str
) -> None:
    data = manager.start_data
    assert isinstance(data, dict)
    texts: Texts = manager.middleware_data["texts"]
    try:
        request = await requests.perform(
            manager.middleware_data["session"],
            manager.middleware_data.get("employee"),
            int(data["request_id"]),
            RequestAct.REJECT,
            settings=manager.middleware_data["settings"],
            texts=texts,
            reason=reason,
        )
    except Invalid as error:  # the reason itself: say what is expected, stay
        await say_and_stay(message, manager, error.key, **error.args_)
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
        TextInput(id="in_reason", on_success=reason_given),
        hint("request-hint-text"),
        Cancel(T("btn-cancel")),
        getter=reason_getter,
        state=RejectSG.reason,
    ),
)
