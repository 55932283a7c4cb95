"""Filters that put role checks on routers (the services check again)."""

from __future__ import annotations

from aiogram.filters import Filter
from aiogram.types import TelegramObject

from db.models import Employee, Role


class PrivateChat(Filter):
    """Passes for a message in the sender's private chat with the bot (`~PrivateChat()`:
    in a group). `F.chat.type == "private"` says the same, but aiogram calls a filter that
    is not a coroutine (a magic one included) in a worker thread: a thread hop for each
    router a message passes through."""

    async def __call__(self, event: TelegramObject) -> bool:
        chat = getattr(event, "chat", None)
        return chat is not None and chat.type == "private"


class RoleFilter(Filter):
    """Passes when the sender is an active employee with one of `roles` (any role if none)."""

    def __init__(self, *roles: Role) -> None:
        self.roles = set(roles) or set(Role)

    async def __call__(self, event: TelegramObject, employee: Employee | None = None) -> bool:
        return employee is not None and employee.role in self.roles


class Unknown(Filter):
    """Passes when the sender is not in the roster (or is deactivated)."""

    async def __call__(self, event: TelegramObject, employee: Employee | None = None) -> bool:
        return employee is None
