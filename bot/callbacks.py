"""Typed callback data, all in one place: short prefixes, ids not payloads (64-byte limit)."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData


class AccessAsk(CallbackData, prefix="aa"):
    """An unknown user asks for access."""


class AccessStep(StrEnum):
    LIST = "l"
    PICK = "p"
    REJECT = "r"
    BACK = "b"


class AccessDecision(CallbackData, prefix="ad"):
    """CS deals with an access request in the group."""

    step: AccessStep
    request_id: int
    employee_id: int = 0
    page: int = 0


class CaseAct(StrEnum):
    """What a button on a case post asks for (short values: they travel in callback data)."""

    ACCEPT = "acc"
    SET_BRIEFING = "brf"
    BRIEFING_HELD = "hld"
    RECHECK_PASSED = "ok"
    RECHECK_FAILED = "rep"
    SUBMIT_ANALYSIS = "ana"
    CONFIRM = "cnf"
    RETURN = "ret"
    WITHDRAW = "wdr"


class CaseButton(CallbackData, prefix="cs"):
    act: CaseAct
    case_id: int


class ResultsPage(CallbackData, prefix="rs"):
    """/results: a month (YYYYMM) and a page of it; the scope is the server's, every time."""

    month: int
    page: int = 0


class DigestAct(StrEnum):
    PUBLISH = "pub"
    CLOSE = "cls"


class DigestButton(CallbackData, prefix="dg"):
    """A button of a /digest preview; `month` is YYYYMM (202610)."""

    act: DigestAct
    month: int


class MeetingButton(CallbackData, prefix="mt"):
    """«Записаться на встречу» of a flagged lead's invitation (its id; the lead is checked)."""

    invite_id: int
