"""Whom a dialog may offer when it asks for a person, and a pick checked against it.

A scope is one rule of «who may be picked here», used both to list and search the people
(the person picker, handlers/person_picker) and to check the pick on the server when a
button comes back: an id that is not in the scope now (a forged button, an old keyboard,
a person dismissed meanwhile) is «not found». The services that file what was picked
(cases, analyses, requests, access) check it again when they save.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import cases, requests
from bot.services.errors import NotFound
from db import employees as employees_db
from db.models import Employee, Role

MAX_QUERY = 100


class Scope(StrEnum):
    """Who may be picked (short values: they travel in a dialog's start data)."""

    STAFF = "staff"  # CS: active managers and leads, whom a case or a call analysis is about
    MY_MANAGERS = "mine"  # a lead: the active managers of his groups (a forwarding)
    GROUP = "group"  # a lead: the active managers of one of his groups (a transfer)
    UNBOUND = "unbound"  # CS: roster entries no Telegram account is bound to (access)


def clean_query(text: str) -> str:
    """A search as typed: white space folded, at most MAX_QUERY characters."""
    return " ".join(text.split())[:MAX_QUERY]


def matches(person: Employee, query: str) -> bool:
    """Part of the name, in any case («козл» finds «Мария Козлова»)."""
    return query.casefold() in person.full_name.casefold()


async def people_in(
    session: AsyncSession,
    actor: Employee | None,
    scope: Scope,
    *,
    group_id: int = 0,
    query: str = "",
) -> list[Employee]:
    """The people of `scope` for `actor` whose name contains `query`, by name; nobody when
    the scope is not the actor's (a manager never sees the roster)."""
    if actor is None or not actor.active:
        return []
    if scope in (Scope.STAFF, Scope.UNBOUND) and actor.role != Role.CS:
        return []
    if scope == Scope.STAFF:
        found = await cases.find_managers(session, query)
    elif scope == Scope.UNBOUND:
        found = list(await employees_db.unbound_active(session))
    elif scope == Scope.MY_MANAGERS:
        found = await requests.forwarding_managers(session, actor)
        found = found if actor.role == Role.LEAD else []
    else:
        found = await requests.group_people(session, actor, group_id)
    return [person for person in found if matches(person, query)]


async def pick(
    session: AsyncSession,
    actor: Employee | None,
    scope: Scope,
    person_id: int,
    *,
    group_id: int = 0,
) -> Employee:
    """The person with `person_id` if he is in the scope now; NotFound otherwise."""
    found = await people_in(session, actor, scope, group_id=group_id)
    person = next((person for person in found if person.id == person_id), None)
    if person is None:
        raise NotFound("picker-not-found")
    return person


def group_of(person: Employee) -> str:
    """The group a pick is filed under: the first (a case goes to it, as the service does)."""
    return person.groups[0].name if person.groups else ""
