"""«Записаться на встречу»: a flagged lead books the meeting with CS in a short dialog.

Steps: a working day from the calendar, a free slot of that day, then a confirmation with
«Записаться» / «Изменить дату» / «Отмена». The button only names the invitation: the
service checks that the presser is its lead, and checks the day and the slot again when
booking (a slot may be taken meanwhile). A lead already booked sees his time and may move it.

    states   the dialog's states
    getters  what each window shows
    handlers what the calendar, the slots and the buttons do
    windows  the windows and the dialog
"""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery
from aiogram_dialog import DialogManager
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import MeetingButton
from bot.conversation import open_beside
from bot.services import meetings
from bot.services.errors import ServiceError
from bot.texts import Texts
from db.models import Employee
from handlers.meetings.states import MeetingSG
from handlers.meetings.windows import meeting_dialog

router = Router(name=__name__)


@router.callback_query(MeetingButton.filter())
async def meeting_button(
    query: CallbackQuery,
    callback_data: MeetingButton,
    session: AsyncSession,
    employee: Employee | None,
    texts: Texts,
    dialog_manager: DialogManager,
) -> None:
    try:
        invite = await meetings.check_invite(session, employee, callback_data.invite_id)
    except ServiceError as error:
        await query.answer(texts(error.key, **error.args_), show_alert=True)
        return
    # Opened beside the invitation, not on it: the invitation keeps its button (to move the
    # meeting later, and the reminders carry the same one).
    await open_beside(query, dialog_manager, MeetingSG.day, {"invite_id": invite.id})
    await query.answer()


router.include_router(meeting_dialog)
