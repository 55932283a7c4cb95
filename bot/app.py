"""The one factory that builds the app from `Settings`: `run`, the tests, the demo and the
benchmarks all call `build_app`, so they exercise the same wiring."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder
from aiogram.types import BotCommandScopeAllPrivateChats, BotCommandScopeChat
from aiogram_dialog import setup_dialogs
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from bot.api_session import ApiSession
from bot.commands import commands_for, group_commands
from bot.conversation import (
    AnsweredCallbacks,
    CommandLeavesDialog,
    KitMessageManager,
    unique_intent_ids,
)
from bot.leader import OUTBOX_CHANNEL, Leadership
from bot.middlewares import (
    DbSessionMiddleware,
    EmployeeMiddleware,
    FlushStorage,
    KeepResponseTypes,
)
from bot.outbox import OutboxSender, send_pace
from bot.ratelimit import SendLimiter
from bot.scheduler import build_scheduler
from bot.services import (
    access,
    analyses,
    appeals,
    calibration,
    case_ack,
    cases,
    digest,
    links,
    mail,
    meetings,
    requests,
    unreachable,
)
from bot.services.notify import OUTBOX_WRITTEN
from bot.services.reminders import ReminderRegistry
from bot.settings import TELEGRAM_API_BASE, Settings
from bot.texts import Texts
from db.employees import RosterCache
from db.engine import create_engine, create_session_factory, is_shared
from db.fsm_storage import DatabaseStorage
from db.isolation import DatabaseEventIsolation
from db.migrate import upgrade
from handlers import errors, get_routers

log = logging.getLogger(__name__)


@dataclass
class App:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    texts: Texts
    bot: Bot
    dispatcher: Dispatcher
    sender: OutboxSender
    scheduler: AsyncIOScheduler
    reminders: ReminderRegistry
    leadership: Leadership
    storage_engines: tuple[AsyncEngine, ...] = ()
    # Start-up work that runs while polling starts (the command menus); cancelled on close.
    started: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def is_leader(self) -> bool:
        """Whether this process runs the background work (the outbox sender, the reminder
        sweep, the digest, mail): with SQLite always; among replicas on PostgreSQL, the one
        that holds the leader's lock (see bot.leader)."""
        return self.leadership.is_leader

    async def lead(self) -> None:
        """Start the background work (this replica has become the leader)."""
        self.sender.start()
        if not self.scheduler.running:
            self.scheduler.start()
        else:
            self.scheduler.resume()

    async def follow(self) -> None:
        """Stop the background work (another replica leads now, or this one stops)."""
        await self.sender.stop()
        if self.scheduler.running:
            self.scheduler.pause()

    async def prepare(self) -> None:
        """Migrate the database and seed what the bot needs (done on every start)."""
        await upgrade(self.engine)
        async with self.sessions() as session:
            await links.seed(session)
            await access.bootstrap_cs_team(session, self.settings.cs_team_ids)

    def start_soon(self, work: Coroutine[None, None, None]) -> None:
        """Run `work` beside polling, not before it: nothing that the first update needs."""
        task = asyncio.create_task(work)
        self.started.add(task)
        task.add_done_callback(self.started.discard)

    async def close(self) -> None:
        for task in list(self.started):
            task.cancel()
        await asyncio.gather(*self.started, return_exceptions=True)
        await self.leadership.stop()
        await self.sender.stop()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        await self.bot.session.close()
        await self.dispatcher.storage.close()
        await self.engine.dispose()
        for storage_engine in self.storage_engines:
            await storage_engine.dispose()


def build_app(settings: Settings, *, bot: Bot | None = None) -> App:
    texts = Texts("ru", tz=settings.tz)
    engine = create_engine(settings.database_url)
    sender_ref: list[OutboxSender] = []

    def wake_sender() -> None:
        for sender in sender_ref:
            sender.wake()

    sessions = _session_factory(engine, on_outbox_commit=wake_sender)
    if bot is None:
        bot = build_bot(settings)
    sender = OutboxSender(
        bot,
        sessions,
        SendLimiter(
            global_per_second=settings.outbox_global_per_second,
            group_per_minute=settings.outbox_group_per_minute,
            chat_per_second=settings.outbox_chat_per_second,
            group_window=settings.outbox_group_window.total_seconds(),
        ),
        poll_interval=settings.outbox_poll_interval,
        max_backoff=settings.outbox_max_backoff,
        lease=settings.outbox_lease,
        pace=send_pace(settings.outbox_global_per_second),
        on_unreachable=unreachable.reporter(settings, texts),
    )
    sender_ref.append(sender)
    registry = ReminderRegistry()
    cases.register_reminders(registry, settings, texts)
    case_ack.register_reminders(registry, settings, texts)
    calibration.register_reminders(registry, settings, texts)
    appeals.register_reminders(registry, settings, texts)
    requests.register_reminders(registry, settings, texts)
    meetings.register_reminders(registry, settings, texts)
    scheduler = build_scheduler(settings, sessions, registry)
    analyses.schedule_monthly_reminder(scheduler, settings, sessions, texts)
    digest.schedule_digest(scheduler, settings, sessions, texts)
    if settings.smtp_host:
        # Mail to the CS mailbox: a job of its own, stopped with the scheduler.
        scheduler.add_job(
            mail.send_pending_mail,
            "interval",
            seconds=settings.reminder_sweep_interval.total_seconds(),
            kwargs={"session_factory": sessions, "settings": settings},
            id="mail-sender",
            next_run_time=datetime.now(UTC),  # at start: what was queued while we were down
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
        )
    storage, storage_engines = _storage(settings)
    isolation_engine = (
        # Connections of their own: one is held while an update is handled.
        create_engine(settings.database_url, pool_size=5, max_overflow=45)
        if is_shared(settings.database_url) and not settings.redis_url
        else None
    )
    dispatcher = Dispatcher(
        storage=storage,
        # One update at a time per user and chat, in every replica: a quick second press must
        # see the dialog state the first one saved (aiogram-dialog saves it after the handler).
        events_isolation=DatabaseEventIsolation(
            isolation_engine, storage if isinstance(storage, DatabaseStorage) else None
        ),
        settings=settings,
        texts=texts,
        sessions=sessions,
        reminders=registry,
        outbox=sender,
    )
    if isinstance(storage, DatabaseStorage):
        dispatcher.update.outer_middleware(FlushStorage(storage))
    dispatcher.update.outer_middleware(DbSessionMiddleware(sessions))
    dispatcher.update.outer_middleware(EmployeeMiddleware(RosterCache(settings.database_url)))
    dispatcher.include_routers(*get_routers())
    errors.register(dispatcher)
    # The conversation kit: one answer per callback query; a command leaves any dialog (after
    # setup_dialogs, whose middleware loads the dialog stack it empties).
    unique_intent_ids()
    answered = AnsweredCallbacks()
    bot.session.middleware(answered)
    bot.session.middleware(KeepResponseTypes())
    setup_dialogs(dispatcher, message_manager=KitMessageManager(answered))
    dispatcher.message.outer_middleware(CommandLeavesDialog())
    app = App(
        settings=settings,
        engine=engine,
        sessions=sessions,
        texts=texts,
        bot=bot,
        dispatcher=dispatcher,
        sender=sender,
        scheduler=scheduler,
        reminders=registry,
        leadership=Leadership(
            settings.database_url,
            on_gain=lambda: app.lead(),
            on_lose=lambda: app.follow(),
            wake=sender.wake,
        ),
        storage_engines=(*storage_engines, *([isolation_engine] if isolation_engine else [])),
    )
    dispatcher["app"] = app
    dispatcher.startup.register(_on_startup)
    dispatcher.shutdown.register(_on_shutdown)
    return app


def build_bot(settings: Settings) -> Bot:
    assert settings.bot_token is not None
    session = ApiSession()
    if settings.telegram_api_base.rstrip("/") != TELEGRAM_API_BASE:
        session = ApiSession(
            api=TelegramAPIServer.from_base(settings.telegram_api_base.rstrip("/"))
        )
    return Bot(
        settings.bot_token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )


def _session_factory(
    engine: AsyncEngine, *, on_outbox_commit: Callable[[], None]
) -> async_sessionmaker[AsyncSession]:
    class AppSession(Session):
        """Wakes the outbox sender when a transaction that wrote to the outbox commits."""

    @event.listens_for(AppSession, "before_commit")
    def _before_commit(session: Session) -> None:
        # Replicas: the leader, which may be another process, listens (see bot.leader);
        # PostgreSQL delivers the notification only if this transaction commits.
        if session.info.get(OUTBOX_WRITTEN) and session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": OUTBOX_CHANNEL})

    @event.listens_for(AppSession, "after_commit")
    def _after_commit(session: Session) -> None:
        if session.info.pop(OUTBOX_WRITTEN, False):
            on_outbox_commit()

    @event.listens_for(AppSession, "after_rollback")
    def _after_rollback(session: Session) -> None:
        session.info.pop(OUTBOX_WRITTEN, None)

    return create_session_factory(engine, AppSession)


def _storage(settings: Settings) -> tuple[BaseStorage, tuple[AsyncEngine, ...]]:
    if settings.redis_url:
        from aiogram.fsm.storage.redis import RedisStorage

        keys = DefaultKeyBuilder(with_destiny=True, with_bot_id=True)
        return RedisStorage.from_url(settings.redis_url, key_builder=keys), ()
    # A pool of its own: the storage is used while an update already holds a connection of
    # the main pool, and taking a second one from the same pool could deadlock under load.
    engine = create_engine(settings.database_url)
    sessions = create_session_factory(engine)
    # Other replicas write a shared database's records: nothing of it may be cached.
    return DatabaseStorage(sessions, cached=not is_shared(settings.database_url)), (engine,)


async def _on_startup(bot: Bot, app: App) -> None:
    await app.prepare()
    # Two Bot API round trips that no update waits for: made while polling starts.
    app.start_soon(_set_menus(bot, app))
    await app.leadership.start()  # the leader (SQLite: this process) starts the background work
    log.info("bot started")


async def _set_menus(bot: Bot, app: App) -> None:
    """The command menus of unknown users and of the CS group; a known user gets his on /start."""
    texts = app.texts
    try:
        await bot.set_my_commands(commands_for(None, texts), scope=BotCommandScopeAllPrivateChats())
        if app.settings.cs_chat_id is not None:
            await bot.set_my_commands(
                group_commands(texts), scope=BotCommandScopeChat(chat_id=app.settings.cs_chat_id)
            )
    except TelegramAPIError as error:  # a menu is a convenience: never a reason not to start
        log.warning("command menus not set: %s", error)


async def _on_shutdown(app: App) -> None:
    # The background work stops here; App.close shuts the scheduler down (once: APScheduler's
    # shutdown runs later in the event loop, and a second call would find it stopped).
    await app.leadership.stop()
    log.info("bot stopped")
