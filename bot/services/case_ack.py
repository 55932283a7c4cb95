"""Acknowledgement: the manager's «Ознакомлен» on the notice of a new case.

The notice of a new case carries «Ознакомлен» and the day by which to tap it. One tap records
when (the case's `acknowledged_at`; the audit log who); the group post and the leads' copies
then show «Менеджер ознакомлен: 03.12.2026 10:42», and the notice keeps only «Обжаловать».
Not acknowledged within ACKNOWLEDGE_WITHIN working days, the manager is nudged once (a
reply to his notice, with the button); a working day later his lead is told. Both are
reminder rows, cancelled by the tap. A case withdrawn or closed before that nudges nobody.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards
from bot.services import notify, reminders, workdays
from bot.services.errors import AlreadyDone, Forbidden, NotFound
from bot.settings import Settings
from bot.texts import Texts
from db import audit
from db import cases as cases_db
from db import outbox as outbox_db
from db.engine import write_transaction
from db.models import FINAL_CASE_STATES, Case, Employee

NUDGE = "case_ack_nudge"
TELL_LEAD = "case_ack_lead"
KINDS = {NUDGE, TELL_LEAD}


def deadline(created_at: datetime, settings: Settings) -> datetime:
    """When the manager's time to tap «Ознакомлен» runs out: ACKNOWLEDGE_WITHIN working days
    after the case was published, at the same time of day."""
    return workdays.add_working_days(created_at, settings.acknowledge_within, settings.tz)


def schedule(session: AsyncSession, case: Case, settings: Settings) -> None:
    """The nudge at the deadline and the lead's notice a working day later (at registration;
    a manager the bot cannot write to gets neither: there is no notice to acknowledge)."""
    if case.manager.telegram_id is None:
        return
    nudge_at = deadline(case.created_at, settings)
    subject, payload = f"case:{case.id}", {"case_id": case.id}
    reminders.schedule(session, kind=NUDGE, due_at=nudge_at, subject=subject, payload=payload)
    reminders.schedule(
        session,
        kind=TELL_LEAD,
        due_at=workdays.add_working_days(nudge_at, 1, settings.tz),
        subject=subject,
        payload=payload,
    )


async def acknowledge(
    session: AsyncSession,
    actor: Employee | None,
    case_id: int,
    *,
    settings: Settings,
    texts: Texts,
    bot_username: str,
) -> Case:
    """The manager taps «Ознакомлен»: only he, once."""
    from bot.services import cases  # the case service imports this module

    async with write_transaction(session):
        case = await cases_db.by_id_for_update(session, case_id)
        if case is None:
            raise NotFound("case-error-missing", id=case_id)
        if actor is None or actor.id != case.manager_id:
            raise Forbidden("case-ack-not-yours")
        if case.acknowledged_at is not None:
            raise AlreadyDone("case-ack-already", when=case.acknowledged_at)
        case.acknowledged_at = datetime.now(UTC)
        audit.record(
            session, actor_id=actor.id, entity="case", entity_id=case.id, action="acknowledge"
        )
        await reminders.cancel(session, f"case:{case.id}", KINDS)
        await cases.refresh_posts(session, case, texts)
        notice = await outbox_db.latest_for_subject(session, f"case:{case.id}:manager")
        if notice is not None:
            notify.edit_message(
                session,
                notice,
                await outbox_db.latest_text(session, notice),
                keyboard=await notice_keyboard(
                    session, case, settings=settings, texts=texts, bot_username=bot_username
                ),
            )
    return case


async def notice_keyboard(
    session: AsyncSession, case: Case, *, settings: Settings, texts: Texts, bot_username: str
) -> Any:
    """The buttons the manager's notice has now: «Ознакомлен» until he tapped it,
    «Обжаловать» while he may appeal."""
    from bot.services import cases

    may_appeal = await cases.may_appeal(session, case, settings, bot_username)
    return keyboards.manager_notice(
        case.id,
        texts,
        acknowledge=case.acknowledged_at is None,
        appeal_url=keyboards.deep_link_url(bot_username, f"appeal_{case.id}")
        if may_appeal
        else None,
    )


def register_reminders(
    registry: reminders.ReminderRegistry, settings: Settings, texts: Texts
) -> None:
    async def unacknowledged(session: AsyncSession, payload: dict[str, Any]) -> Case | None:
        case = await cases_db.by_id(session, int(payload["case_id"]))
        if case is None or case.acknowledged_at is not None:
            return None
        if case.state in FINAL_CASE_STATES or not case.manager.active:
            return None
        return case

    async def nudge(session: AsyncSession, reminder: Any) -> None:
        case = await unacknowledged(session, reminder.payload)
        if case is None or case.manager.telegram_id is None:
            return
        notify.send_message(
            session,
            case.manager.telegram_id,
            texts("case-ack-nudge", id=case.id),
            keyboard=keyboards.manager_notice(case.id, texts, acknowledge=True, appeal_url=None),
            reply_to=await outbox_db.latest_for_subject(session, f"case:{case.id}:manager"),
            subject=f"case:{case.id}:reminder",
        )

    async def tell_lead(session: AsyncSession, reminder: Any) -> None:
        case = await unacknowledged(session, reminder.payload)
        if case is None:
            return
        text = texts(
            "case-ack-lead",
            id=case.id,
            manager=case.manager.full_name,
            date=case.created_at,
        )
        for lead in await cases_db.leads_of_group(session, case.group_id):
            if lead.telegram_id is None:
                continue
            notify.send_message(
                session,
                lead.telegram_id,
                text,
                reply_to=await outbox_db.latest_for_subject(
                    session, f"case:{case.id}:lead:{lead.id}"
                ),
                subject=f"case:{case.id}:reminder",
            )

    registry.register(NUDGE, nudge)
    registry.register(TELL_LEAD, tell_lead)
