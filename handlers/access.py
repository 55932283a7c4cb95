"""Access requests: an unknown user asks, CS picks his roster entry in the group or rejects."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, InaccessibleMessage, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards
from bot.callbacks import AccessAsk, AccessDecision, AccessStep
from bot.filters import RoleFilter, Unknown
from bot.services import access
from bot.services.errors import ServiceError
from bot.settings import Settings
from bot.texts import Texts
from db.models import Employee, Role

router = Router(name=__name__)

applicants = Router(name=f"{__name__}.applicants")
applicants.callback_query.filter(Unknown())

deciders = Router(name=f"{__name__}.cs")
deciders.callback_query.filter(RoleFilter(Role.CS))

router.include_routers(applicants, deciders)


@applicants.callback_query(AccessAsk.filter(), F.from_user)
async def ask_access(
    query: CallbackQuery, session: AsyncSession, settings: Settings, texts: Texts
) -> None:
    try:
        await access.request_access(
            session, access.Applicant.from_user(query.from_user), settings=settings, texts=texts
        )
    except ServiceError as error:
        await query.answer(texts(error.key, **error.args_), show_alert=True)
        return
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_text(texts("access-requested"))


@deciders.callback_query(AccessDecision.filter())
async def decide(
    query: CallbackQuery,
    callback_data: AccessDecision,
    session: AsyncSession,
    employee: Employee,
    texts: Texts,
) -> None:
    message = query.message
    if message is None or isinstance(message, InaccessibleMessage):
        await query.answer(texts("error-stale-button"))
        return
    try:
        if callback_data.step in {AccessStep.LIST, AccessStep.BACK}:
            request = await access.pending_request(session, callback_data.request_id)
            post = access.render_request(request, texts)
            if callback_data.step == AccessStep.BACK:
                await message.edit_text(
                    post, reply_markup=keyboards.access_request(request.id, texts)
                )
                await query.answer()
                return
            entries = await access.candidates(session, employee, request)
            if not entries:
                await query.answer(texts("access-no-candidates"), show_alert=True)
                return
            markup = keyboards.access_candidates(request.id, entries, callback_data.page, texts)
            await message.edit_text(f"{post}\n\n{texts('access-pick-prompt')}", reply_markup=markup)
            await query.answer()
            return
        if callback_data.step == AccessStep.PICK:
            request = await access.approve(
                session,
                request_id=callback_data.request_id,
                employee_id=callback_data.employee_id,
                actor=employee,
                texts=texts,
            )
            assert request.employee is not None
            outcome = texts(
                "access-approved-post",
                name=request.employee.full_name,
                role=texts(f"role-{request.employee.role}"),
                actor=employee.full_name,
                date=request.decided_at,
            )
        else:
            request = await access.reject(
                session, request_id=callback_data.request_id, actor=employee, texts=texts
            )
            outcome = texts(
                "access-rejected-post", actor=employee.full_name, date=request.decided_at
            )
    except ServiceError as error:
        await query.answer(texts(error.key, **error.args_), show_alert=True)
        return
    await message.edit_text(
        f"{access.render_request(request, texts)}\n\n{outcome}", reply_markup=None
    )
    await query.answer(texts("access-done"))
