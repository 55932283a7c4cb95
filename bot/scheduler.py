"""The scheduler (APScheduler): periodic jobs of the app, started and stopped with it.

Jobs keep no state of their own: what is due lives in the database (reminders), so the
in-memory job store loses nothing on a restart.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services import reminders
from bot.settings import Settings

log = logging.getLogger(__name__)


async def sweep_reminders(
    session_factory: async_sessionmaker[AsyncSession], registry: reminders.ReminderRegistry
) -> None:
    delivered = await reminders.sweep(session_factory, registry)
    if delivered:
        log.info("reminders: %s delivered to the outbox", delivered)


def build_scheduler(
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    registry: reminders.ReminderRegistry,
) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone=settings.tz)
    scheduler.add_job(
        sweep_reminders,
        "interval",
        seconds=settings.reminder_sweep_interval.total_seconds(),
        kwargs={"session_factory": session_factory, "registry": registry},
        id="reminder-sweep",
        next_run_time=datetime.now(UTC),  # at start: deliver what fell due while we were down
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,
    )
    return scheduler
