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
    """Puts `employee` (the active roster entry of the sender, or None) into handler data."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        session: AsyncSession = data["session"]
        data["employee"] = await access.current(session, user.id) if user else None
        return await handler(event, data)
