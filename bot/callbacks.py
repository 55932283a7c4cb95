"""Typed callback data, all in one place: short prefixes, ids not payloads (64-byte limit)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from aiogram.filters.callback_data import CallbackData
from pydantic import Field

# Numbers travel in callback data as the user's client sends them back, so they are checked as
# they are parsed: an id out of the database's range (1 … 2**63-1), a page or a month that
# cannot be fails to parse, no handler sees it, and the fallback answers that the button is
# stale (it never reaches the database as an OverflowError).
MAX_DB_ID = 2**63 - 1
DbId = Annotated[int, Field(ge=1, le=MAX_DB_ID)]
OptionalDbId = Annotated[int, Field(ge=0, le=MAX_DB_ID)]  # 0: none chosen
Page = Annotated[int, Field(ge=0, le=1_000_000)]
MonthCode = Annotated[int, Field(ge=190001, le=999912)]  # YYYYMM


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
    request_id: DbId
    employee_id: OptionalDbId = 0
    page: Page = 0


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
    case_id: DbId


class CaseAcknowledge(CallbackData, prefix="ck"):
    """«Ознакомлен» on the manager's notice of a new case."""

    case_id: DbId


class ResultsPage(CallbackData, prefix="rs"):
    """/results: a month (YYYYMM) and a page of it; the scope is the server's, every time."""

    month: MonthCode
    page: Page = 0


class DigestAct(StrEnum):
    PUBLISH = "pub"
    CLOSE = "cls"


class DigestButton(CallbackData, prefix="dg"):
    """A button of a /digest preview; `month` is YYYYMM (202610)."""

    act: DigestAct
    month: MonthCode


class MeetingButton(CallbackData, prefix="mt"):
    """«Записаться на встречу» of a flagged lead's invitation (its id; the lead is checked)."""

    invite_id: DbId


class RequestAct(StrEnum):
    """What a button on a request post asks for (short: it travels in callback data)."""

    TAKE = "tk"
    DONE = "dn"
    REJECT = "rj"


class RequestButton(CallbackData, prefix="rq"):
    """«Взять» / «Выполнено» / «Отклонить» of a request's CS post."""

    act: RequestAct
    request_id: DbId


class QueueScope(StrEnum):
    """Whose /queue a message shows (short values: they travel in callback data)."""

    CS = "c"
    LEAD = "l"


class QueueKind(StrEnum):
    """What a /queue item is."""

    APPEAL = "ap"
    REQUEST = "rq"
    CASE = "cs"
    ACCESS = "ac"


class QueuePage(CallbackData, prefix="qp"):
    """/queue: a page of the queue (also «Обновить»). The scope is recomputed from the
    presser on every press and must match; the page is clamped to the list as it is now."""

    scope: QueueScope
    page: Page = 0


class QueueOpen(CallbackData, prefix="qo"):
    """/queue: open one item with the buttons of its action (the id is range-checked and the
    presser's role and scope checked again)."""

    kind: QueueKind
    item_id: DbId


class Decision(StrEnum):
    """What a CS button on an appeal post asks for (short values: they travel in callbacks)."""

    ACCEPT = "acc"
    PARTIAL = "prt"
    REJECT = "rej"


class AppealButton(CallbackData, prefix="ap"):
    """«Принять» / «Частично» / «Отклонить» of an appeal's CS post."""

    decision: Decision
    appeal_id: DbId


class Shortcut(StrEnum):
    """A dialog a group notice opens in the presser's private chat."""

    ANALYSIS = "an"
    IMPORT = "im"


class OpenDialog(CallbackData, prefix="od"):
    """A button of a group notice that resolves it: «Опубликовать разбор» of «no call analysis
    this month», «Загрузить итоги» of «no results for the digest» (CS only, checked)."""

    what: Shortcut


class TrendsChart(CallbackData, prefix="tr"):
    """/results «Динамика»: the 12-month chart of the viewer's scope (`group_id` 0), or of one
    group; the service checks the group against the viewer's scope on every press."""

    group_id: OptionalDbId = 0


class TrendsPicker(CallbackData, prefix="tp"):
    """A page of the groups to pick under a trend chart (`group_id`: the chart shown)."""

    page: Page = 0
    group_id: OptionalDbId = 0


class CalibrationButton(CallbackData, prefix="cv"):
    """«Оценить» on a calibration's invitation: the participant's vote dialog."""

    session_id: DbId
