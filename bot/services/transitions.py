"""The rule shape of every state machine of the bot (a case's track, a request's status):
a transition is allowed from some states, to one state, for some roles; a refusal says
whether it was already done or cannot be done from here.

A machine's own checks (a lead's group, a case's track) come between the role and the
state, in its `check`, so the order of refusals is the same everywhere: who, whose, which
track, then when.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

from bot.services.errors import AlreadyDone, Invalid
from bot.services.roles import require_role
from db.models import Employee, Role

S = TypeVar("S", bound=StrEnum)


@dataclass(frozen=True)
class Transition(Generic[S]):
    sources: frozenset[S]
    target: S
    roles: frozenset[Role]


@dataclass(frozen=True)
class Refusals:
    """The catalogue keys of a machine's refusals."""

    forbidden: str  # the actor's role may not
    already_done: str  # the state is the target already, or final
    wrong_state: str  # not from this state


def allowed(
    transition: Transition[S],
    current: S,
    actor: Employee | None,
    *,
    final: frozenset[S],
    refusals: Refusals,
    guards: Iterable[Callable[[Employee], None]] = (),
    **args: object,
) -> Employee:
    """The actor, if he may make `transition` from the `current` state now; otherwise the refusal
    (Forbidden, a guard's error, AlreadyDone or Invalid, with `args` for its text)."""
    actor = require_role(actor, *transition.roles, key=refusals.forbidden)
    for guard in guards:
        guard(actor)
    if current not in transition.sources:
        if current == transition.target or current in final:
            raise AlreadyDone(refusals.already_done, **args)
        raise Invalid(refusals.wrong_state, **args)
    return actor
