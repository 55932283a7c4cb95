"""Inline keyboards built by the bot (dialogs build theirs with aiogram-dialog widgets)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callbacks import (
    AccessAsk,
    AccessDecision,
    AccessStep,
    AppealButton,
    CalibrationButton,
    CaseAcknowledge,
    CaseAct,
    CaseButton,
    Decision,
    DigestAct,
    DigestButton,
    MeetingButton,
    OpenDialog,
    QueueKind,
    QueueOpen,
    QueuePage,
    QueueScope,
    RequestAct,
    RequestButton,
    ResultsPage,
    Shortcut,
    TrendsChart,
    TrendsPicker,
)
from bot.texts import Html, Texts
from db.models import Employee

PAGE_SIZE = 8


# --- cases -------------------------------------------------------------------------------


def case_acts(case_id: int, acts: Sequence[CaseAct], texts: Texts) -> InlineKeyboardMarkup | None:
    """The buttons of `acts` on a case, one a row (a post's, a reminder's, a notice's)."""
    if not acts:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=texts(f"case-btn-{act.name.lower().replace('_', '-')}"),
                    callback_data=CaseButton(act=act, case_id=case_id).pack(),
                )
            ]
            for act in acts
        ]
    )


def manager_notice(
    case_id: int, texts: Texts, *, acknowledge: bool, appeal_url: str | None
) -> InlineKeyboardMarkup | None:
    """The manager's notice of a new case: «Ознакомлен» until he taps it, «Обжаловать» while
    he may appeal."""
    rows = []
    if acknowledge:
        rows.append(
            [
                InlineKeyboardButton(
                    text=texts("case-btn-acknowledge"),
                    callback_data=CaseAcknowledge(case_id=case_id).pack(),
                )
            ]
        )
    if appeal_url:
        rows.append([InlineKeyboardButton(text=texts("case-btn-appeal"), url=appeal_url)])
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


def deep_link_url(bot_username: str, payload: str) -> str:
    return f"https://t.me/{bot_username}?start={payload}"


def deep_link(label: str, bot_username: str, payload: str) -> InlineKeyboardMarkup:
    """One URL button that opens the bot's private chat with `/start payload`."""
    url = deep_link_url(bot_username, payload)
    return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text=label, url=url)]])


# --- appeals, requests, meetings ---------------------------------------------------------

APPEAL_BUTTON_KEYS: dict[Decision, str] = {
    Decision.ACCEPT: "appeal-btn-accept",
    Decision.PARTIAL: "appeal-btn-partial",
    Decision.REJECT: "appeal-btn-reject",
}
REQUEST_BUTTON_KEYS: dict[RequestAct, str] = {
    RequestAct.TAKE: "request-btn-take",
    RequestAct.DONE: "request-btn-done",
    RequestAct.REJECT: "request-btn-reject",
}


def appeal_decisions(appeal_id: int, texts: Texts) -> InlineKeyboardMarkup:
    """«Принять» / «Частично» / «Отклонить» of an appeal's CS post."""
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=texts(APPEAL_BUTTON_KEYS[decision]),
                    callback_data=AppealButton(decision=decision, appeal_id=appeal_id).pack(),
                )
                for decision in Decision
            ]
        ]
    )


def request_acts(
    request_id: int, acts: Sequence[RequestAct], texts: Texts
) -> InlineKeyboardMarkup | None:
    """The processing buttons of a request's CS post, in one row."""
    if not acts:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=texts(REQUEST_BUTTON_KEYS[act]),
                    callback_data=RequestButton(act=act, request_id=request_id).pack(),
                )
                for act in acts
            ]
        ]
    )


def meeting_book(invite_id: int, texts: Texts) -> InlineKeyboardMarkup:
    """«Записаться на встречу» of a flagged lead's invitation."""
    button = InlineKeyboardButton(
        text=texts("meeting-book-button"), callback_data=MeetingButton(invite_id=invite_id).pack()
    )
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


# --- /results ---------------------------------------------------------------------------


def results_pages(
    month: int,
    page: int,
    page_count: int,
    *,
    previous: int | None,
    following: int | None,
    texts: Texts,
) -> InlineKeyboardMarkup | None:
    """◀ ▶ between the pages of a month (YYYYMM), then the months before and after (only
    where they exist)."""
    rows: list[list[InlineKeyboardButton]] = []
    paging: list[InlineKeyboardButton] = []
    if page_count > 1 and page > 0:
        paging.append(_results_button("results-btn-page-back", month, page - 1, texts))
    if page_count > 1 and page < page_count - 1:
        paging.append(_results_button("results-btn-page-next", month, page + 1, texts))
    if paging:
        rows.append(paging)
    around: list[InlineKeyboardButton] = []
    if previous is not None:
        around.append(_results_button("results-btn-previous", previous, 0, texts))
    if following is not None:
        around.append(_results_button("results-btn-next", following, 0, texts))
    if around:
        rows.append(around)
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


def _results_button(key: str, month: int, page: int, texts: Texts) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=texts(key), callback_data=ResultsPage(month=month, page=page).pack()
    )


# --- /digest -------------------------------------------------------------------------------


def digest_preview(month: int, *, posted: bool, texts: Texts) -> InlineKeyboardMarkup:
    """«Опубликовать» · «Отмена» under a /digest preview of `month` (YYYYMM); only «Закрыть»
    once that month's digest is posted."""
    close = InlineKeyboardButton(
        text=texts("digest-btn-close" if posted else "btn-cancel"),
        callback_data=DigestButton(act=DigestAct.CLOSE, month=month).pack(),
    )
    if posted:
        return InlineKeyboardMarkup(inline_keyboard=[[close]])
    publish = InlineKeyboardButton(
        text=texts("digest-btn-publish"),
        callback_data=DigestButton(act=DigestAct.PUBLISH, month=month).pack(),
    )
    return InlineKeyboardMarkup(inline_keyboard=[[publish, close]])


# --- the private chat ----------------------------------------------------------------------


def shortcut(what: Shortcut, label: str) -> InlineKeyboardMarkup:
    """A group notice's button that opens the dialog resolving it in the presser's chat."""
    button = InlineKeyboardButton(text=label, callback_data=OpenDialog(what=what).pack())
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


def private_chat(bot_username: str, texts: Texts) -> InlineKeyboardMarkup | None:
    """«Открыть личный чат с ботом»: a URL button, for a command sent to a group."""
    if not bot_username:
        return None
    button = InlineKeyboardButton(
        text=texts("btn-private-chat"), url=f"https://t.me/{bot_username}"
    )
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


def ask_access(texts: Texts) -> InlineKeyboardMarkup:
    button = InlineKeyboardButton(text=texts("btn-access-ask"), callback_data=AccessAsk().pack())
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


def access_request(request_id: int, texts: Texts) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=texts("btn-access-pick"),
        callback_data=AccessDecision(step=AccessStep.LIST, request_id=request_id),
    )
    builder.button(
        text=texts("btn-access-reject"),
        callback_data=AccessDecision(step=AccessStep.REJECT, request_id=request_id),
    )
    builder.adjust(2)
    return builder.as_markup()


def access_candidates(
    request_id: int, entries: Sequence[Employee], page: int, texts: Texts
) -> InlineKeyboardMarkup:
    """A page of roster entries to bind the applicant to, with paging and «Отклонить»."""
    pages = max(1, (len(entries) + PAGE_SIZE - 1) // PAGE_SIZE)
    page = min(max(page, 0), pages - 1)
    builder = InlineKeyboardBuilder()
    for employee in entries[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]:
        label = employee.full_name
        if employee.groups:
            label = f"{label} · {employee.group_names}"
        builder.row(
            InlineKeyboardButton(
                text=label[:60],
                callback_data=AccessDecision(
                    step=AccessStep.PICK, request_id=request_id, employee_id=employee.id, page=page
                ).pack(),
            )
        )
    nav = []
    if page > 0:
        nav.append(_access_page(request_id, page - 1, "◀"))
    if pages > 1:
        nav.append(_access_page(request_id, page, f"{page + 1}/{pages}"))
    if page < pages - 1:
        nav.append(_access_page(request_id, page + 1, "▶"))
    if nav:
        builder.row(*nav)
    builder.row(
        InlineKeyboardButton(
            text=texts("btn-back"),
            callback_data=AccessDecision(step=AccessStep.BACK, request_id=request_id).pack(),
        ),
        InlineKeyboardButton(
            text=texts("btn-access-reject"),
            callback_data=AccessDecision(step=AccessStep.REJECT, request_id=request_id).pack(),
        ),
    )
    return builder.as_markup()


def _access_page(request_id: int, page: int, text: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text,
        callback_data=AccessDecision(step=AccessStep.LIST, request_id=request_id, page=page).pack(),
    )


class _Titled(Protocol):
    @property
    def title(self) -> str: ...
    @property
    def url(self) -> str: ...


def link_buttons(links: Sequence[_Titled]) -> InlineKeyboardMarkup | None:
    rows = [
        [InlineKeyboardButton(text=link.title, url=link.url)]
        for link in links
        if not link.url.startswith("mailto:")
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


def queue_page(
    scope: QueueScope,
    page: int,
    pages: int,
    items: Sequence[tuple[int, QueueKind, int, str]],
    texts: Texts,
) -> InlineKeyboardMarkup:
    """A /queue page: a button per item (its number, kind, id and label), then the paging
    row with «Обновить» between the arrows."""
    builder = InlineKeyboardBuilder()
    for number, kind, item_id, label in items:
        builder.row(
            InlineKeyboardButton(
                text=texts("queue-btn-item", number=number, label=Html(label)),
                callback_data=QueueOpen(kind=kind, item_id=item_id).pack(),
            )
        )
    nav = []
    if page > 0:
        nav.append(_queue_button(texts("queue-btn-prev"), scope, page - 1))
    nav.append(_queue_button(texts("queue-btn-refresh"), scope, page))
    if page < pages - 1:
        nav.append(_queue_button(texts("queue-btn-next"), scope, page + 1))
    builder.row(*nav)
    return builder.as_markup()


def _queue_button(text: str, scope: QueueScope, page: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=QueuePage(scope=scope, page=page).pack())


# --- /results «Динамика» ----------------------------------------------------------------------


def with_trends_button(markup: InlineKeyboardMarkup | None, texts: Texts) -> InlineKeyboardMarkup:
    """A /results keyboard with «Динамика» as its last row."""
    rows = list(markup.inline_keyboard) if markup is not None else []
    button = InlineKeyboardButton(
        text=texts("results-btn-trends"), callback_data=TrendsChart().pack()
    )
    return InlineKeyboardMarkup(inline_keyboard=[*rows, [button]])


def trends_picker(
    groups: Sequence[tuple[int, str]], page: int, shown_group_id: int, texts: Texts
) -> InlineKeyboardMarkup | None:
    """Under a trend chart: a page of the groups to pick (id, name), the paging row, and
    «Общий график» back from one group's chart."""
    pages = max(1, (len(groups) + PAGE_SIZE - 1) // PAGE_SIZE)
    page = min(max(page, 0), pages - 1)
    builder = InlineKeyboardBuilder()
    for group_id, name in groups[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]:
        mark = "• " if group_id == shown_group_id else ""
        builder.row(
            InlineKeyboardButton(
                text=f"{mark}{name}"[:60], callback_data=TrendsChart(group_id=group_id).pack()
            )
        )
    nav = []
    if page > 0:
        nav.append(_trends_page("◀", page - 1, shown_group_id))
    if pages > 1:
        nav.append(_trends_page(f"{page + 1}/{pages}", page, shown_group_id))
    if page < pages - 1:
        nav.append(_trends_page("▶", page + 1, shown_group_id))
    if nav:
        builder.row(*nav)
    if shown_group_id:
        builder.row(
            InlineKeyboardButton(
                text=texts("trends-btn-overview"), callback_data=TrendsChart().pack()
            )
        )
    markup = builder.as_markup()
    return markup if markup.inline_keyboard else None


def _trends_page(text: str, page: int, shown_group_id: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text, callback_data=TrendsPicker(page=page, group_id=shown_group_id).pack()
    )


# --- calibration ------------------------------------------------------------------------


def calibration_vote(session_id: int, texts: Texts) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=texts("calibration-btn-vote"),
                    callback_data=CalibrationButton(session_id=session_id).pack(),
                )
            ]
        ]
    )
