"""Outer middlewares: one DB session per update, the employee behind the update, the dialog
state written when the update is done; and the bot session's `KeepResponseTypes`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiogram.types import TelegramObject, User
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services import access
from db.employees import RosterCache
from db.fsm_storage import DatabaseStorage

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class DbSessionMiddleware(BaseMiddleware):
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = session_factory

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        async with self._sessions() as session:
            data["session"] = session
            return await handler(event, data)


class FlushStorage(BaseMiddleware):
    """Starts writing the dialog state an update changed when the update is done, without
    waiting for it (see db.fsm_storage: the storage holds its changes back, so that the
    updates ending while one flush writes share the next commit)."""

    def __init__(self, storage: DatabaseStorage) -> None:
        self._storage = storage

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        try:
            return await handler(event, data)
        finally:
            self._storage.flush_soon()


class EmployeeMiddleware(BaseMiddleware):
    """Puts `employee` (the active roster entry of the sender, or None) into handler data.

    A roster member known only by his username is recognised (and his id bound) by whatever
    he sends first, not only by /start: his first /results is answered, not refused.
    The lookup's answers are kept by `roster` until the roster changes (see
    db.employees.RosterCache); the role filters and the services check what it returns.
    """

    def __init__(self, roster: RosterCache | None = None) -> None:
        self._roster = roster or RosterCache(None)

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        session: AsyncSession = data["session"]
        employee = await self._roster.employee(session, user.id, access.current) if user else None
        if employee is None and user is not None and user.username and not user.is_bot:
            employee = await access.recognise(session, access.Applicant.from_user(user))
        data["employee"] = employee
        return await handler(event, data)


class KeepResponseTypes(BaseRequestMiddleware):
    """Holds on to the `Response[…]` class of each method's result type.

    aiogram builds `Response[Message]` for every answer it parses; pydantic keeps the
    class only weakly, so every garbage collection that finds it unused makes the next
    answer build it again (≈7 ms: about once in 14 updates under load, measured by
    bench.pipeline's profile). One reference each keeps them built.
    """

    def __init__(self) -> None:
        self._types: dict[Any, Any] = {}

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        returning = method.__returning__
        if returning not in self._types:
            self._types[returning] = Response[returning]  # type: ignore[valid-type]
        return await make_request(bot, method)
