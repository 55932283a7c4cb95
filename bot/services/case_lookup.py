"""Looking cases up (DESIGN §1, §2): the scoped list with filters and pages, one case's card
with its history, and the buttons of a case its viewer may press.

Scope is the same rule as `cases.can_see`: CS sees every case, a lead the cases of his groups
(and his own, if he is the manager of one), a manager his own. It is applied by the database
query, so a page never holds a case its viewer may not see.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from aiogram.types import InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards
from bot.callbacks import CaseAct
from bot.services import case_posts, cases
from bot.services.errors import Forbidden, NotFound, ServiceError
from bot.services.masking import mask_personal_data
from bot.texts import Texts
from db import audit, case_queries
from db.models import FINAL_CASE_STATES, Case, CaseCategory, CaseState, Employee, Role

PAGE_SIZE = 8
MAX_ID = 2**63 - 1
OPEN_STATES = frozenset(CaseState) - FINAL_CASE_STATES

ScopeFilter = Literal["open", "all"]


@dataclass(frozen=True)
class CasePage:
    """One page of a list. `page` counts from 0; `pages` is at least 1 (an empty list has one
    empty page)."""

    items: Sequence[Case]
    page: int
    pages: int
    total: int

    @property
    def number(self) -> int:
        """The page as people count it, from 1."""
        return self.page + 1


@dataclass(frozen=True)
class HistoryEntry:
    """One line of a case's audit log, with the actor's name (None: done by the bot itself)."""

    at: datetime
    actor_name: str | None
    action: str
    from_state: CaseState | None
    to_state: CaseState | None
    comment: str


@dataclass(frozen=True)
class CaseCard:
    case: Case
    history: tuple[HistoryEntry, ...]


def _viewer(viewer: Employee | None) -> Employee:
    if viewer is None or not viewer.active:
        raise Forbidden()
    return viewer


async def list_for(
    session: AsyncSession,
    viewer: Employee | None,
    *,
    scope_filter: ScopeFilter = "open",
    state: CaseState | None = None,
    category: CaseCategory | None = None,
    page: int = 0,
    page_size: int = PAGE_SIZE,
) -> CasePage:
    """The cases `viewer` may see, newest first, one page of them.

    `state`, when given, shows that state only; otherwise `scope_filter` "open" shows the
    cases not yet closed, repeated or withdrawn, and "all" every state. A page past the end
    gives the last page (cases may have been closed since the viewer turned to it).
    """
    viewer = _viewer(viewer)
    if page_size < 1:
        raise ValueError("page_size must be positive")
    group_ids: set[int] | None = None
    manager_id: int | None = None
    if viewer.role == Role.LEAD:
        group_ids, manager_id = viewer.group_ids, viewer.id
    elif viewer.role != Role.CS:
        manager_id = viewer.id
    if state is not None:
        states: set[CaseState] | None = {state}
    elif scope_filter == "open":
        states = set(OPEN_STATES)
    else:
        states = None
    page = max(0, page)
    while True:
        items, total = await case_queries.list_cases(
            session,
            group_ids=group_ids,
            manager_id=manager_id,
            states=states,
            category=category,
            offset=page * page_size,
            limit=page_size,
        )
        pages = max(1, -(-total // page_size))
        if page < pages:
            return CasePage(items=items, page=page, pages=pages, total=total)
        page = pages - 1


async def card(session: AsyncSession, viewer: Employee | None, case_id: int) -> CaseCard:
    """The case and its history, oldest first; NotFound (not Forbidden: a case out of scope
    looks exactly like a missing one) if `viewer` may not see it."""
    if not 0 < case_id <= MAX_ID:  # /case 99999999999999999999 must not overflow SQLite
        raise NotFound("case-error-missing", id=case_id)
    if viewer is not None and not viewer.active:
        viewer = None
    case = await cases.visible_case(session, viewer, case_id)
    entries = await audit.history(session, "case", case.id)
    names = await case_queries.employee_names(
        session, (entry.actor_id for entry in entries if entry.actor_id is not None)
    )
    history = tuple(
        HistoryEntry(
            at=entry.at,
            actor_name=names.get(entry.actor_id) if entry.actor_id is not None else None,
            action=entry.action,
            from_state=_state(entry.from_state),
            to_state=_state(entry.to_state),
            # Comments are free text: masked like everything else a case shows.
            comment=mask_personal_data(entry.comment or ""),
        )
        for entry in entries
    )
    return CaseCard(case=case, history=history)


def _state(value: str | None) -> CaseState | None:
    if value is None:
        return None
    try:
        return CaseState(value)
    except ValueError:
        return None


def actions_keyboard(case: Case, viewer: Employee, texts: Texts) -> InlineKeyboardMarkup | None:
    """The buttons of the case's post that `viewer` may press now: CS gets those of the group
    post, a lead of the case's group those of his copy, anyone else none. Buttons meant for
    somebody else (CS is not shown «Беру в работу») are left out; the press is checked again."""
    if viewer.role == Role.CS:
        audience = case_posts.GROUP
    elif viewer.role == Role.LEAD and case.group_id in viewer.group_ids:
        audience = case_posts.LEAD
    else:
        return None
    acts = [act for act in case_posts.buttons_for(case, audience) if _may_press(case, viewer, act)]
    return keyboards.case_acts(case.id, acts, texts)


def _may_press(case: Case, viewer: Employee, act: CaseAct) -> bool:
    try:
        cases.check(case, act, viewer)
    except ServiceError:
        return False
    return True
