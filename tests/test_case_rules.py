"""The case state machine (DESIGN §2) against a table written by hand from the design.

Every state × every act × every kind of actor × both tracks: `check()` must allow exactly
the combinations of `ALLOWED` (and name the right target), and refuse every other one with
the right class of error. The expected table is deliberately NOT derived from `RULES`.
"""

from __future__ import annotations

from datetime import date

import pytest

from bot.callbacks import CaseAct
from bot.services import cases
from bot.services.errors import AlreadyDone, Forbidden, Invalid, ServiceError
from db.models import (
    Case,
    CaseCategory,
    CaseSource,
    CaseState,
    CaseTab,
    Employee,
    Role,
    WorkingGroup,
)

NEW = CaseState.NEW
ACCEPTED = CaseState.ACCEPTED
BRIEFING_SET = CaseState.BRIEFING_SET
RECHECK = CaseState.RECHECK
ANALYSED = CaseState.ANALYSED
CLOSED = CaseState.CLOSED
REPEATED = CaseState.REPEATED
WITHDRAWN = CaseState.WITHDRAWN

COMM = CaseCategory.COMMUNICATION
PROC = CaseCategory.PROCESS

# The kinds of actor. "lead" is a lead of the case's group (he also leads another group),
# "lead_other" leads only another group.
CS = "cs"
LEAD = "lead"
LEAD_OTHER = "lead_other"
MANAGER = "manager"
INACTIVE_CS = "inactive_cs"
INACTIVE_LEAD = "inactive_lead"
NOBODY = "none"
ACTORS = [CS, LEAD, LEAD_OTHER, MANAGER, INACTIVE_CS, INACTIVE_LEAD, NOBODY]

FINAL = {CLOSED, REPEATED, WITHDRAWN}
NON_FINAL = [NEW, ACCEPTED, BRIEFING_SET, RECHECK, ANALYSED]

# DESIGN §2, written out by hand: (from state, act, actor, track) -> target state.
ALLOWED: dict[tuple[CaseState, CaseAct, str, CaseCategory], CaseState] = {
    # «Беру в работу»: the lead of the group, on both tracks.
    (NEW, CaseAct.ACCEPT, LEAD, COMM): ACCEPTED,
    (NEW, CaseAct.ACCEPT, LEAD, PROC): ACCEPTED,
    # Communication track: the lead sets (or moves) the briefing date...
    (ACCEPTED, CaseAct.SET_BRIEFING, LEAD, COMM): BRIEFING_SET,
    (BRIEFING_SET, CaseAct.SET_BRIEFING, LEAD, COMM): BRIEFING_SET,
    # ...the lead or CS reports it held...
    (BRIEFING_SET, CaseAct.BRIEFING_HELD, LEAD, COMM): RECHECK,
    (BRIEFING_SET, CaseAct.BRIEFING_HELD, CS, COMM): RECHECK,
    # ...and CS records the re-check.
    (RECHECK, CaseAct.RECHECK_PASSED, CS, COMM): CLOSED,
    (RECHECK, CaseAct.RECHECK_FAILED, CS, COMM): REPEATED,
    # Process track: the lead submits the analysis, CS confirms or returns it.
    (ACCEPTED, CaseAct.SUBMIT_ANALYSIS, LEAD, PROC): ANALYSED,
    (ANALYSED, CaseAct.CONFIRM, CS, PROC): CLOSED,
    (ANALYSED, CaseAct.RETURN, CS, PROC): ACCEPTED,
    # Withdrawal (an accepted appeal, recorded by CS): from any non-final state, both tracks.
    (NEW, CaseAct.WITHDRAW, CS, COMM): WITHDRAWN,
    (ACCEPTED, CaseAct.WITHDRAW, CS, COMM): WITHDRAWN,
    (BRIEFING_SET, CaseAct.WITHDRAW, CS, COMM): WITHDRAWN,
    (RECHECK, CaseAct.WITHDRAW, CS, COMM): WITHDRAWN,
    (ANALYSED, CaseAct.WITHDRAW, CS, COMM): WITHDRAWN,
    (NEW, CaseAct.WITHDRAW, CS, PROC): WITHDRAWN,
    (ACCEPTED, CaseAct.WITHDRAW, CS, PROC): WITHDRAWN,
    (BRIEFING_SET, CaseAct.WITHDRAW, CS, PROC): WITHDRAWN,
    (RECHECK, CaseAct.WITHDRAW, CS, PROC): WITHDRAWN,
    (ANALYSED, CaseAct.WITHDRAW, CS, PROC): WITHDRAWN,
}

# Per act, written by hand as well: who may do it, on which track, and where it leads.
WHO: dict[CaseAct, set[str]] = {
    CaseAct.ACCEPT: {LEAD},
    CaseAct.SET_BRIEFING: {LEAD},
    CaseAct.BRIEFING_HELD: {LEAD, CS},
    CaseAct.RECHECK_PASSED: {CS},
    CaseAct.RECHECK_FAILED: {CS},
    CaseAct.SUBMIT_ANALYSIS: {LEAD},
    CaseAct.CONFIRM: {CS},
    CaseAct.RETURN: {CS},
    CaseAct.WITHDRAW: {CS},
}
TRACKS: dict[CaseAct, set[CaseCategory]] = {
    CaseAct.ACCEPT: {COMM, PROC},
    CaseAct.SET_BRIEFING: {COMM},
    CaseAct.BRIEFING_HELD: {COMM},
    CaseAct.RECHECK_PASSED: {COMM},
    CaseAct.RECHECK_FAILED: {COMM},
    CaseAct.SUBMIT_ANALYSIS: {PROC},
    CaseAct.CONFIRM: {PROC},
    CaseAct.RETURN: {PROC},
    CaseAct.WITHDRAW: {COMM, PROC},
}
TARGET: dict[CaseAct, CaseState] = {
    CaseAct.ACCEPT: ACCEPTED,
    CaseAct.SET_BRIEFING: BRIEFING_SET,
    CaseAct.BRIEFING_HELD: RECHECK,
    CaseAct.RECHECK_PASSED: CLOSED,
    CaseAct.RECHECK_FAILED: REPEATED,
    CaseAct.SUBMIT_ANALYSIS: ANALYSED,
    CaseAct.CONFIRM: CLOSED,
    CaseAct.RETURN: ACCEPTED,
    CaseAct.WITHDRAW: WITHDRAWN,
}


def expected(
    state: CaseState, act: CaseAct, actor: str, category: CaseCategory
) -> CaseState | type[ServiceError]:
    """The target state, or the class of the refusal.

    Precedence: who you are (Forbidden: no such role for this act, inactive, nobody, or a
    lead outside the case's group) comes first, then the track (Invalid), then the state:
    already in the target or in a final state is AlreadyDone, any other state is Invalid.
    """
    allowed = ALLOWED.get((state, act, actor, category))
    if allowed is not None:
        return allowed
    if actor not in WHO[act]:
        # This includes the lead of another group for lead acts (scope), and every
        # inactive or unknown actor.
        return Forbidden
    if category not in TRACKS[act]:
        return Invalid
    if state == TARGET[act] or state in FINAL:
        return AlreadyDone
    return Invalid


NORTH_ID = 1
SOUTH_ID = 2


def _groups() -> tuple[WorkingGroup, WorkingGroup]:
    """Fresh groups for each test (assigning `groups` also fills their `members`)."""
    return (
        WorkingGroup(id=NORTH_ID, name="Группа Север", active=True),
        WorkingGroup(id=SOUTH_ID, name="Группа Юг", active=True),
    )


def _employee(
    employee_id: int, role: Role, groups: list[WorkingGroup], *, active: bool = True
) -> Employee:
    employee = Employee(
        id=employee_id,
        full_name=f"Сотрудник {employee_id}",
        role=role,
        position="",
        telegram_id=employee_id * 10,
        active=active,
    )
    employee.groups = list(groups)
    return employee


def _actor(kind: str) -> Employee | None:
    north, south = _groups()
    actors: dict[str, Employee | None] = {
        CS: _employee(1, Role.CS, []),
        LEAD: _employee(2, Role.LEAD, [north, south]),
        LEAD_OTHER: _employee(3, Role.LEAD, [north]),
        MANAGER: _employee(4, Role.MANAGER, [south]),
        INACTIVE_CS: _employee(5, Role.CS, [], active=False),
        INACTIVE_LEAD: _employee(6, Role.LEAD, [south], active=False),
        NOBODY: None,
    }
    return actors[kind]


def _case(state: CaseState, category: CaseCategory) -> Case:
    _north, south = _groups()
    manager = _employee(7, Role.MANAGER, [south])
    case = Case(
        id=42,
        tab=CaseTab.CASES,
        category=category,
        source=CaseSource.MEETING,
        manager_id=manager.id,
        group_id=SOUTH_ID,
        author_id=1,
        incident_date=date(2025, 3, 1),
        summary="Не представился клиенту",
        state=state,
        repeated=False,
    )
    case.manager = manager
    case.group = south
    return case


COMBINATIONS = [
    (state, act, actor, category)
    for state in CaseState
    for act in CaseAct
    for actor in ACTORS
    for category in CaseCategory
]


def test_the_table_covers_every_state_act_actor_and_track() -> None:
    assert len(COMBINATIONS) == 8 * 9 * 7 * 2
    assert set(CaseState) == set(NON_FINAL) | FINAL
    # Every allowed entry of the hand-written table is consistent with the per-act columns.
    for (state, act, actor, category), target in ALLOWED.items():
        assert actor in WHO[act]
        assert category in TRACKS[act]
        assert target == TARGET[act]
        assert state not in FINAL
    assert len(ALLOWED) == 21


@pytest.mark.parametrize(
    ("state", "act", "actor", "category"),
    COMBINATIONS,
    ids=[f"{s}-{a.name.lower()}-{w}-{c[:4]}" for s, a, w, c in COMBINATIONS],
)
def test_check_allows_exactly_the_design_table(
    state: CaseState, act: CaseAct, actor: str, category: CaseCategory
) -> None:
    case = _case(state, category)
    employee = _actor(actor)
    want = expected(state, act, actor, category)

    if isinstance(want, CaseState):
        rule = cases.check(case, act, employee)
        assert rule.target == want
    else:
        with pytest.raises(ServiceError) as refused:
            cases.check(case, act, employee)
        assert type(refused.value) is want, (
            f"{actor} doing {act.name} to a {category} case in {state}: "
            f"got {type(refused.value).__name__} ({refused.value.key}), want {want.__name__}"
        )
    # check() only decides; it never changes the case.
    assert case.state == state
    assert case.category == category


def test_a_lead_is_refused_outside_his_groups_with_the_scope_reason() -> None:
    """Forbidden for scope and for role carry different reasons (the user reads them)."""
    case = _case(NEW, COMM)
    with pytest.raises(Forbidden) as scope:
        cases.check(case, CaseAct.ACCEPT, _actor(LEAD_OTHER))
    with pytest.raises(Forbidden) as role:
        cases.check(case, CaseAct.ACCEPT, _actor(CS))
    assert scope.value.key != role.value.key


def test_a_lead_who_becomes_a_member_of_the_group_may_act() -> None:
    lead = _actor(LEAD_OTHER)
    assert lead is not None
    case = _case(NEW, PROC)
    with pytest.raises(Forbidden):
        cases.check(case, CaseAct.ACCEPT, lead)
    lead.groups = list(_groups())
    assert cases.check(case, CaseAct.ACCEPT, lead).target == ACCEPTED
