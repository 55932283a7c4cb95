"""Webhook mode: Telegram POSTs each update to the path of WEBHOOK_URL; this server (aiohttp,
on WEBHOOK_LISTEN) feeds it to the app's dispatcher and answers once it was handled.

Why not aiogram's `SimpleRequestHandler`: by default it answers at once and handles the
update in the background (Telegram then never delivers again an update lost in a crash), and
in the waiting mode `feed_webhook_update` still answers after 55 s while the handler goes on.
Here the answer always waits for the handler.

What each request is answered:
- 401 without the matching `X-Telegram-Bot-Api-Secret-Token` header; nothing is fed.
- 200 once `feed_update` returned. That includes an update whose handler raised and whose
  error was handled by `handlers/errors.py` (logged, the person told «что-то пошло не так»):
  a retry would run the same code on the same state and tell him twice.
- When an exception escaped the dispatcher (even the error handler failed), it depends on
  whether a retry can help: 500 for a transient failure (the Bot API unreachable, its 5xx or
  429; the database unreachable), so that Telegram delivers the update again; 200 for any
  other (a 4xx of the Bot API, a bug), which would fail the same way on every re-delivery:
  a press delivered again after its query was answered cannot be answered twice, and 500
  there would have Telegram deliver it for ever.
- What was committed before a failure stays. A second run of a use case is refused by its
  own state check («Уже сделано», a stale dialog button): that is the idempotence the bot
  relies on, here as with two quick presses. Updates are not de-duplicated by update_id.
- 400 for a body that is not an update: the same body would fail the same way again.

`GET /healthz` on the same listener: 200 `{"database": "ok", "leader": …, "outbox_pending":
N}`, or 503 with `"database": "unreachable"` when a fresh connection to the database cannot
be opened and queried within HEALTH_TIMEOUT. A fresh connection, not the app's pool: a pool
holds SQLite's file open (a file gone or unreadable goes unnoticed) and may hide a server
that no longer takes new connections.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import signal
from typing import Any

from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.methods import TelegramMethod
from aiogram.types import Update
from aiohttp import web
from pydantic import ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.pool import NullPool

from bot.app import App
from bot.settings import WEBHOOK_SECRET_FORMAT, Settings
from db.outbox import count_pending

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
HEALTH_PATH = "/healthz"
HEALTH_TIMEOUT = 5.0
# How long a stop waits for the updates being handled before it cancels them.
SHUTDOWN_TIMEOUT = 15.0
BAD_WEBHOOK_KEY = (
    "WEBHOOK_SECRET: 1–256 символов A-Z, a-z, 0-9, _ и - (правило Telegram). / "
    "WEBHOOK_SECRET: 1–256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule)."
)


def settings_problem(settings: Settings) -> str | None:
    """One line saying what is wrong with the webhook settings, or None."""
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""
    if not WEBHOOK_SECRET_FORMAT.fullmatch(secret):
        return BAD_WEBHOOK_KEY
    return None


class UpdateHandler:
    """The POST of an update: checked, fed, answered after it was handled."""

    def __init__(self, app: App, secret: str) -> None:
        self._app = app
        self._secret = secret.encode()

    async def __call__(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not secrets.compare_digest(given, self._secret):
            log.warning(
                "webhook: refused a request without the right secret from %s", request.remote
            )
            return web.Response(status=401, text="Unauthorized")
        bot, dispatcher = self._app.bot, self._app.dispatcher
        try:
            update = Update.model_validate(await request.json(), context={"bot": bot})
        except (ValueError, ValidationError) as error:
            log.warning("webhook: not an update (%s)", type(error).__name__)
            return web.Response(status=400, text="Bad Request")
        try:
            response = await dispatcher.feed_update(bot, update)
            if isinstance(response, TelegramMethod):  # as polling does with a handler's method
                await dispatcher.silent_call_request(bot=bot, result=response)
        except Exception as error:
            log.exception("update %s failed and its error was not handled", update.update_id)
            if retry_can_help(error):
                return web.Response(status=500, text="Internal Server Error")
        return web.Response(status=200)


def retry_can_help(error: BaseException) -> bool:
    """Whether the failure is of the kind that passes: the Bot API or the database out of
    reach, overloaded or timing out."""
    transient = (
        TelegramNetworkError,
        TelegramServerError,
        TelegramRetryAfter,
        OperationalError,
        InterfaceError,
        TimeoutError,
        ConnectionError,
    )
    return isinstance(error, transient) or (
        isinstance(error, DBAPIError) and error.connection_invalidated
    )


class Health:
    """`GET /healthz`."""

    def __init__(self, app: App) -> None:
        self._app = app
        self._engine = probe_engine(app.settings.database_url)

    async def __call__(self, request: web.Request) -> web.Response:
        body: dict[str, Any] = {"database": "ok", "leader": self._app.is_leader}
        try:
            async with asyncio.timeout(HEALTH_TIMEOUT), AsyncSession(self._engine) as session:
                body["outbox_pending"] = await count_pending(session)
        except Exception as error:  # whatever the driver raises, the answer is the same
            log.warning("healthz: the database is unreachable (%s)", type(error).__name__)
            body.update(database="unreachable", outbox_pending=None)
            return web.json_response(body, status=503)
        return web.json_response(body)

    async def close(self) -> None:
        await self._engine.dispose()


def probe_engine(database_url: str) -> AsyncEngine:
    """An engine that opens a new connection for every probe; SQLite's file is opened
    read-write without being created (a missing file is unreachable, not a new database)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        url = url.set(database=f"file:{url.database}", query={"mode": "rw", "uri": "true"})
    return create_async_engine(url, poolclass=NullPool)


def build_web_app(app: App) -> tuple[web.Application, Health]:
    settings = app.settings
    assert settings.webhook_secret is not None
    health = Health(app)
    web_app = web.Application()
    web_app.router.add_post(
        settings.webhook_path, UpdateHandler(app, settings.webhook_secret.get_secret_value())
    )
    web_app.router.add_get(HEALTH_PATH, health)
    return web_app, health


async def serve(app: App) -> int:
    """Start (migrations, menus, background work), listen, set the webhook, and run until
    SIGTERM or SIGINT; then stop listening, let the updates in hand finish, shut down.

    The webhook is not deleted on stop: with several replicas the others go on serving it,
    and with one Telegram keeps the updates until the bot is back."""
    settings = app.settings
    dispatcher, bot = app.dispatcher, app.bot
    assert settings.webhook_url is not None
    assert settings.webhook_secret is not None
    workflow = {"dispatcher": dispatcher, "bots": [bot], **dispatcher.workflow_data, "bot": bot}
    web_app, health = build_web_app(app)
    # handler_cancellation off (aiohttp's default): a handler is never cut off because
    # Telegram gave up waiting; it finishes, and a re-delivery meets the state it left.
    runner = web.AppRunner(web_app, access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await dispatcher.emit_startup(**workflow)
    try:
        await runner.setup()
        host, port = settings.webhook_bind
        await web.TCPSite(runner, host, port).start()
        await bot.set_webhook(
            settings.webhook_url,
            secret_token=settings.webhook_secret.get_secret_value(),
            allowed_updates=dispatcher.resolve_used_update_types(),
            drop_pending_updates=False,
        )
        log.info("webhook set; listening on %s:%s", host, port)
        await stop.wait()
        log.info("stopping: no new updates, finishing those in hand")
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        await runner.cleanup()
        await health.close()
        await dispatcher.emit_shutdown(**workflow)
    return 0
