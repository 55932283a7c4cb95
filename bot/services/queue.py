"""/queue (issue 9): everything waiting for CS, or for a lead, oldest first, with its due time.

CS: open appeals (due APPEAL_DECIDE_WITHIN working days after filing), requests new or in
work (REQUEST_SLA), re-checks due within RECHECK_NOTICE (the day CS is first reminded),
analyses to confirm, access requests. A lead: the cases of his groups that wait for him
(take it, set the briefing, mark it held, fill or redo the analysis), and his own open
requests with the date CS owes an answer. A manager has no queue (his things are in /my).

An item waits "since" the moment it reached its owner's table; the list is ordered by that,
oldest first. The scope is computed from the viewer every time: a page or an item is never
shown on the strength of a button alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import QueueKind, QueueScope
from bot.services import access, appeals, case_lookup, requests
from bot.services.errors import AlreadyDone, Forbidden, NotFound
from bot.settings import Settings
from bot.texts import Html, Texts
from db import queue as queue_db
from db import requests as requests_db
from db.models import (
    AccessRequest,
    Appeal,
    AppealState,
    Case,
    CaseCategory,
    CaseState,
    Employee,
    RequestState,
    Role,
    ServiceRequest,
)

PAGE_SIZE = 8
MAX_ID = 2**63 - 1
# A name or a title in a line, and in a button label: long ones are cut (a page of the
# longest items must stay one message of 4,096 characters; a label stays readable).
SHOWN_NAME = 60
SHOWN_LABEL_NAME = 24
SHOWN_COMMENT = 80


@dataclass(frozen=True)
class QueueItem:
    kind: QueueKind
    item_id: int
    # When it began waiting (the order) and when it is due (None: no deadline).
    since: datetime
    due: datetime | None
    # What it is, safe HTML, and the label of its button (plain text; None: no button, the
    # item is shown for information, as a lead's own request that waits for CS).
    what: str
    label: str | None


@dataclass(frozen=True)
class QueueView:
    scope: QueueScope
    items: tuple[QueueItem, ...]  # this page's
    page: int  # from 0
    pages: int  # at least 1
    total: int
    overdue: int  # over the whole queue
    now: datetime

    @property
    def first_number(self) -> int:
        """The number the first item of this page has in the whole queue (from 1)."""
        return self.page * PAGE_SIZE + 1


def scope_of(viewer: Employee | None) -> QueueScope:
    """Whose queue `viewer` sees; Forbidden for a manager (and anyone else)."""
    if viewer is None or not viewer.active:
        raise Forbidden()
    if viewer.role == Role.CS:
        return QueueScope.CS
    if viewer.role == Role.LEAD:
        return QueueScope.LEAD
    raise Forbidden("queue-error-manager")


def _check_scope(
    viewer: Employee | None, *, in_group: bool, expected: QueueScope | None
) -> QueueScope:
    scope = scope_of(viewer)
    if in_group and scope != QueueScope.CS:
        raise Forbidden("queue-error-group-cs")
    if expected is not None and expected != scope:
        # A list made for someone else, or before the viewer's role changed.
        raise Forbidden("queue-error-stale")
    return scope


async def page(
    session: AsyncSession,
    viewer: Employee | None,
    number: int = 0,
    *,
    settings: Settings,
    texts: Texts,
    in_group: bool = False,
    expected: QueueScope | None = None,
    now: datetime | None = None,
) -> QueueView:
    """One page of `viewer`'s queue. `in_group`: asked in the CS group, where the queue is
    CS's only; `expected`: the scope of the list a paging button belongs to. A page past the
    end gives the last one (items were done since the list was shown)."""
    scope = _check_scope(viewer, in_group=in_group, expected=expected)
    assert viewer is not None
    now = now or datetime.now(UTC)
    if scope == QueueScope.CS:
        items = await _cs_items(session, settings, texts, now)
    else:
        items = await _lead_items(session, viewer, settings, texts, now)
    items.sort(key=lambda item: (item.since, item.kind.value, item.item_id))
    pages = max(1, math.ceil(len(items) / PAGE_SIZE))
    number = min(max(number, 0), pages - 1)
    return QueueView(
        scope=scope,
        items=tuple(items[number * PAGE_SIZE : (number + 1) * PAGE_SIZE]),
        page=number,
        pages=pages,
        total=len(items),
        overdue=sum(1 for item in items if item.due is not None and item.due < now),
        now=now,
    )


# --- what waits for CS -------------------------------------------------------------------------


async def _cs_items(
    session: AsyncSession, settings: Settings, texts: Texts, now: datetime
) -> list[QueueItem]:
    items = [
        _appeal_item(appeal, settings, texts) for appeal in await queue_db.open_appeals(session)
    ]
    items += [
        _request_item(request, settings, texts, for_cs=True)
        for request in await queue_db.open_requests(session)
    ]
    for case in await queue_db.cases_for_cs(session, recheck_before=now + settings.recheck_notice):
        if case.state == CaseState.RECHECK and case.recheck_due_at is not None:
            items.append(
                _case_item(
                    case,
                    "queue-case-recheck",
                    since=case.recheck_due_at - settings.recheck_notice,
                    due=case.recheck_due_at,
                    texts=texts,
                )
            )
        elif case.state == CaseState.ANALYSED:
            items.append(
                _case_item(
                    case, "queue-case-analysed", since=case.updated_at, due=None, texts=texts
                )
            )
    items += [
        _access_item(request, texts) for request in await queue_db.pending_access_requests(session)
    ]
    return items


def _appeal_item(appeal: Appeal, settings: Settings, texts: Texts) -> QueueItem:
    manager = appeal.case.manager.full_name
    return QueueItem(
        kind=QueueKind.APPEAL,
        item_id=appeal.id,
        since=appeal.created_at,
        due=appeals.decide_by(appeal.created_at, settings),
        what=texts(
            "queue-appeal", id=appeal.id, case=appeal.case_id, manager=_short(manager, SHOWN_NAME)
        ),
        label=texts(
            "queue-btn-appeal", id=appeal.id, manager=Html(_short(manager, SHOWN_LABEL_NAME))
        ),
    )


def _request_item(
    request: ServiceRequest, settings: Settings, texts: Texts, *, for_cs: bool
) -> QueueItem:
    kind = Html(requests.kind_name(request.kind, texts))
    if request.state == RequestState.IN_WORK and request.processor is not None:
        state = texts("queue-request-in-work", name=_short(request.processor.full_name, SHOWN_NAME))
    else:
        state = texts("queue-request-new")
    who = _short(request.requester.full_name, SHOWN_NAME)
    return QueueItem(
        kind=QueueKind.REQUEST,
        item_id=request.id,
        since=request.created_at,
        due=requests.sla_due(request.created_at, settings),
        what=texts(
            "queue-request" if for_cs else "queue-request-own",
            id=request.id,
            kind=kind,
            requester=who,
            state=Html(state),
        ),
        label=(
            texts(
                "queue-btn-request",
                id=request.id,
                requester=Html(_short(request.requester.full_name, SHOWN_LABEL_NAME)),
            )
            if for_cs
            else None
        ),
    )


def _case_item(
    case: Case,
    key: str,
    *,
    since: datetime,
    due: datetime | None,
    texts: Texts,
    **args: object,
) -> QueueItem:
    return QueueItem(
        kind=QueueKind.CASE,
        item_id=case.id,
        since=since,
        due=due,
        what=texts(key, id=case.id, manager=_short(case.manager.full_name, SHOWN_NAME), **args),
        label=texts(
            "queue-btn-case",
            id=case.id,
            manager=Html(_short(case.manager.full_name, SHOWN_LABEL_NAME)),
        ),
    )


def _access_item(request: AccessRequest, texts: Texts) -> QueueItem:
    return QueueItem(
        kind=QueueKind.ACCESS,
        item_id=request.id,
        since=request.created_at,
        due=None,
        what=texts("queue-access", id=request.id, name=_short(request.telegram_name, SHOWN_NAME)),
        label=texts(
            "queue-btn-access",
            id=request.id,
            name=Html(_short(request.telegram_name, SHOWN_LABEL_NAME)),
        ),
    )


# --- what waits for a lead ---------------------------------------------------------------------


async def _lead_items(
    session: AsyncSession, lead: Employee, settings: Settings, texts: Texts, now: datetime
) -> list[QueueItem]:
    today = now.astimezone(settings.tz).date()
    tomorrow = datetime.combine(today + timedelta(days=1), time(0), tzinfo=settings.tz)
    items: list[QueueItem] = []
    cases = await queue_db.cases_for_lead(
        session, lead.group_ids, briefing_before=tomorrow, today=today
    )
    for case in cases:
        if case.state == CaseState.NEW:
            items.append(
                _case_item(
                    case,
                    "queue-case-new",
                    since=case.created_at,
                    due=case.created_at + settings.ack_sla,
                    texts=texts,
                )
            )
        elif case.state == CaseState.BRIEFING_SET:
            items.append(_briefing_item(case, settings, texts))
        elif case.state == CaseState.ACCEPTED:
            items.append(_accepted_item(case, texts))
    items += [
        _request_item(request, settings, texts, for_cs=False)
        for request in await queue_db.open_requests(session, requester_id=lead.id)
    ]
    return items


def _briefing_item(case: Case, settings: Settings, texts: Texts) -> QueueItem:
    """A briefing whose day has come: the lead marks it held. It waits from its time (a case
    from before briefings had a time: from the start of its day)."""
    if case.briefing_at is not None:
        since, when = case.briefing_at, texts.datetime(case.briefing_at)
    else:
        assert case.briefing_date is not None
        since = datetime.combine(case.briefing_date, time(0), tzinfo=settings.tz)
        when = texts.date(case.briefing_date)
    return _case_item(
        case, "queue-case-briefing-held", since=since, due=None, texts=texts, when=when
    )


def _accepted_item(case: Case, texts: Texts) -> QueueItem:
    since = case.accepted_at or case.created_at
    if case.category == CaseCategory.COMMUNICATION:
        return _case_item(case, "queue-case-set-briefing", since=since, due=None, texts=texts)
    if case.last_comment:  # CS returned the analysis with this comment
        return _case_item(
            case,
            "queue-case-returned",
            since=case.updated_at,
            due=None,
            texts=texts,
            comment=_short(case.last_comment, SHOWN_COMMENT),
        )
    return _case_item(case, "queue-case-analysis", since=since, due=None, texts=texts)


# --- one item, opened --------------------------------------------------------------------------

Opened = case_lookup.CaseCard | Appeal | ServiceRequest | AccessRequest


async def open_item(
    session: AsyncSession,
    viewer: Employee | None,
    kind: QueueKind,
    item_id: int,
    *,
    in_group: bool = False,
) -> Opened:
    """The item a /queue button opens, if `viewer` may act on it: a case in his scope (CS
    all, a lead his groups'), an appeal, a request or an access request (CS only) that still
    waits. The act itself is checked again by its own service when its button is pressed."""
    scope = _check_scope(viewer, in_group=in_group, expected=None)
    if not 0 < item_id <= MAX_ID:
        raise NotFound("queue-error-missing")
    if kind == QueueKind.CASE:
        try:
            return await case_lookup.card(session, viewer, item_id)
        except (NotFound, Forbidden) as error:
            raise NotFound("queue-error-missing") from error
    if scope != QueueScope.CS:
        raise Forbidden("queue-error-cs-only")
    if kind == QueueKind.APPEAL:
        appeal = await appeals.get(session, item_id)
        if appeal is None:
            raise NotFound("queue-error-missing")
        if appeal.state != AppealState.NEW:
            raise AlreadyDone("queue-error-done")
        return appeal
    if kind == QueueKind.REQUEST:
        request = await requests_db.by_id(session, item_id)
        if request is None:
            raise NotFound("queue-error-missing")
        if request.state in requests.FINAL_STATES:
            raise AlreadyDone("queue-error-done")
        return request
    try:
        return await access.pending_request(session, item_id)
    except NotFound as error:
        raise NotFound("queue-error-missing") from error
    except AlreadyDone as error:
        raise AlreadyDone("queue-error-done") from error


# --- how the queue reads -----------------------------------------------------------------------


def render(view: QueueView, texts: Texts) -> str:
    """The message of a page: title, counts, the items with their due times (safe HTML)."""
    lead = view.scope == QueueScope.LEAD
    title = texts("queue-title-lead" if lead else "queue-title-cs", total=view.total)
    if not view.items:
        return f"{title}\n\n{texts('queue-empty-lead' if lead else 'queue-empty-cs')}"
    head = [title]
    if view.overdue:
        head.append(texts("queue-overdue", count=view.overdue))
    if view.pages > 1:
        head.append(texts("queue-counts", page=view.page + 1, pages=view.pages))
    lines = [
        texts(
            "queue-line",
            number=view.first_number + index,
            what=Html(item.what),
            when=Html(_when(item, view.now, texts)),
        )
        for index, item in enumerate(view.items)
    ]
    return "\n".join([*head, "", *lines, "", texts("queue-hint")])


def _when(item: QueueItem, now: datetime, texts: Texts) -> str:
    if item.due is None:
        return texts("queue-since", since=item.since)
    if item.due < now:
        return texts("queue-due-overdue", due=item.due)
    return texts("queue-due", due=item.due)


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def buttons(view: QueueView) -> list[tuple[int, QueueKind, int, str]]:
    """The page's items that have a button: (number in the queue, kind, id, label)."""
    return [
        (view.first_number + index, item.kind, item.item_id, item.label)
        for index, item in enumerate(view.items)
        if item.label is not None
    ]
