"""Role checks every service makes itself: a button is a request, never a proof."""

from __future__ import annotations

from bot.services.errors import Forbidden
from db.models import Employee, Role


def require_role(actor: Employee | None, *roles: Role, key: str = "error-forbidden") -> Employee:
    """The actor, if he is an active employee with one of `roles`; otherwise Forbidden with
    the text `key` (a feature may say more precisely who may act)."""
    if actor is None or not actor.active or actor.role not in roles:
        raise Forbidden(key)
    return actor
