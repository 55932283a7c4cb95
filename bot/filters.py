"""Filters that put role checks on routers (the services check again)."""

from __future__ import annotations

from aiogram.filters import Filter
from aiogram.types import TelegramObject

from db.models import Employee, Role


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
