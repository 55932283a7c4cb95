"""Outer middlewares: one DB session per update, and the employee behind the update."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services import access

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class DbSessionMiddleware(BaseMiddleware):
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = session_factory

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        async with self._sessions() as session:
            data["session"] = session
            return await handler(event, data)


class EmployeeMiddleware(BaseMiddleware):
    """Puts `employee` (the active roster entry of the sender, or None) into handler data.

    A roster member known only by his username is recognised (and his id bound) by whatever
    he sends first, not only by /start: his first /results is answered, not refused.
    """

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        session: AsyncSession = data["session"]
        employee = await access.current(session, user.id) if user else None
        if employee is None and user is not None and user.username and not user.is_bot:
            employee = await access.recognise(session, access.Applicant.from_user(user))
        data["employee"] = employee
        return await handler(event, data)
