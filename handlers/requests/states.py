"""The states of the /request dialogs and the order of each kind's steps.

/request opens a small dialog that asks for the kind; each kind is a dialog of its own,
started on top of it (so «◀ Назад» on a kind's first step returns to the choice). A kind's
steps depend on what was answered (a lead picks the manager of a forwarding, a new manager
has a name and an attestation date, a transfer picks a person): `steps()` says which, and
every «Дальше» and «◀ Назад» is decided from it, so there is one order and no copy of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiogram.fsm.state import State, StatesGroup

from bot.services.requests import StaffingChange
from db.models import RequestKind


class KindSG(StatesGroup):
    kind = State()


class ForwardingSG(StatesGroup):
    manager = State()
    from_number = State()
    to_number = State()
    date_from = State()
    date_to = State()
    comment = State()
    review = State()


class StaffingSG(StatesGroup):
    change = State()
    group = State()
    full_name = State()
    employee = State()
    effective = State()
    attestation = State()
    comment = State()
    review = State()


class BadgeSG(StatesGroup):
    item = State()
    quantity = State()
    place = State()
    recipient = State()
    comment = State()
    review = State()


class RejectSG(StatesGroup):
    reason = State()


# The draft's key each step fills: a step whose key is missing has not been answered.
FIELDS: dict[State, str] = {
    ForwardingSG.manager: "manager_id",
    ForwardingSG.from_number: "from_number",
    ForwardingSG.to_number: "to_number",
    ForwardingSG.date_from: "date_from",
    ForwardingSG.date_to: "date_to",
    ForwardingSG.comment: "comment",
    StaffingSG.change: "change",
    StaffingSG.group: "group_id",
    StaffingSG.full_name: "full_name",
    StaffingSG.employee: "employee_id",
    StaffingSG.effective: "effective_date",
    StaffingSG.attestation: "attestation_date",
    StaffingSG.comment: "comment",
    BadgeSG.item: "item",
    BadgeSG.quantity: "quantity",
    BadgeSG.place: "place",
    BadgeSG.recipient: "recipient",
    BadgeSG.comment: "comment",
}


@dataclass(frozen=True)
class Flow:
    """One kind's dialog: its states and which of them a draft walks through."""

    kind: RequestKind
    group: type[StatesGroup]
    comment: State
    review: State

    def steps(self, draft: dict[str, Any], lead: bool) -> list[State]:
        """The steps before the review, in order, for this draft."""
        if self.kind == RequestKind.FORWARDING:
            first = [ForwardingSG.manager] if lead else []
            return [
                *first,
                ForwardingSG.from_number,
                ForwardingSG.to_number,
                ForwardingSG.date_from,
                ForwardingSG.date_to,
                ForwardingSG.comment,
            ]
        if self.kind == RequestKind.STAFFING:
            new = draft.get("change") == StaffingChange.NEW
            return [
                StaffingSG.change,
                StaffingSG.group,
                StaffingSG.full_name if new else StaffingSG.employee,
                StaffingSG.effective,
                *([StaffingSG.attestation] if new else []),
                StaffingSG.comment,
            ]
        return [BadgeSG.item, BadgeSG.quantity, BadgeSG.place, BadgeSG.recipient, BadgeSG.comment]


FLOWS: dict[RequestKind, Flow] = {
    RequestKind.FORWARDING: Flow(
        RequestKind.FORWARDING, ForwardingSG, ForwardingSG.comment, ForwardingSG.review
    ),
    RequestKind.STAFFING: Flow(
        RequestKind.STAFFING, StaffingSG, StaffingSG.comment, StaffingSG.review
    ),
    RequestKind.BADGE: Flow(RequestKind.BADGE, BadgeSG, BadgeSG.comment, BadgeSG.review),
}


def flow_of(state: State | None) -> Flow:
    """The flow a state belongs to."""
    return next(flow for flow in FLOWS.values() if state is not None and state.group is flow.group)
