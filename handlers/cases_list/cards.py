"""A case as text: its card with the history (the /cases dialog, /case N, /queue) and its
row in the list. One message (the long-message rule): a long history loses its oldest lines
first."""

from __future__ import annotations

from datetime import date

from bot.services import case_lookup, case_posts, longtext
from bot.texts import Html, Texts
from db.models import Case, CaseCategory, CaseState

MAX_CARD_TEXT = longtext.TEXT_LIMIT
STATE_KEYS = case_posts.STATE_KEYS
CATEGORY_KEYS = case_posts.CATEGORY_KEYS


def state_name(state: CaseState, texts: Texts) -> str:
    return texts(STATE_KEYS[state])


def category_name(category: CaseCategory, texts: Texts) -> str:
    return texts(CATEGORY_KEYS[category])


def card_text(
    card: case_lookup.CaseCard,
    texts: Texts,
    limit: int = MAX_CARD_TEXT,
    *,
    tail: str | None = None,
) -> str:
    """The case with its full texts, then its history, within one message: the oldest
    history lines go first, then the text is cut with `tail` (by default «полностью —
    /case N»)."""
    head = case_posts.render(card.case, texts, full=True)
    lines = [history_line(entry, texts) for entry in card.history]
    if tail is None:
        tail = texts("cases-list-card-cut", id=card.case.id)
    if not lines:
        body = [texts("cases-list-history-empty")]
        return longtext.cut(_card(head, body, texts), limit, tail=tail)
    shown = len(lines)
    while True:
        hidden = len(lines) - shown
        body = lines[hidden:]
        if hidden:
            body = [texts("cases-list-history-more", count=hidden), *body]
        text = _card(head, body, texts)
        if longtext.fits(text, limit) or shown <= 1:
            return longtext.cut(text, limit, tail=tail)
        shown -= 1


def card_full_text(card: case_lookup.CaseCard, texts: Texts) -> str:
    """The whole card, every history line, as plain text (the .txt of a long card)."""
    lines = [history_line(entry, texts) for entry in card.history]
    head = case_posts.render(card.case, texts, full=True)
    return longtext.plain_text(_card(head, lines or [texts("cases-list-history-empty")], texts))


def card_fits(card: case_lookup.CaseCard, texts: Texts) -> bool:
    """Whether the whole card, with its full summary and every history line, is one message."""
    lines = [history_line(entry, texts) for entry in card.history]
    head = case_posts.render(card.case, texts, full=True)
    return longtext.fits(_card(head, lines or [texts("cases-list-history-empty")], texts))


def _card(head: str, body: list[str], texts: Texts) -> str:
    return "\n".join([head, "", texts("cases-list-history-title"), *body])


def history_line(entry: case_lookup.HistoryEntry, texts: Texts) -> str:
    when, who = entry.at, entry.actor_name or texts("cases-list-history-bot")
    if entry.from_state is None and entry.to_state is not None:
        line = texts(
            "cases-list-history-created",
            when=when,
            who=who,
            new=Html(state_name(entry.to_state, texts)),
        )
    elif entry.from_state is not None and entry.to_state is not None:
        line = texts(
            "cases-list-history-change",
            when=when,
            who=who,
            old=Html(state_name(entry.from_state, texts)),
            new=Html(state_name(entry.to_state, texts)),
        )
    else:
        key = f"cases-list-action-{entry.action}"
        action = texts(key) if texts.has(key) else texts("cases-list-action-other")
        line = texts("cases-list-history-other", when=when, who=who, action=action)
    if not entry.comment:
        return line
    return texts("cases-list-history-comment", line=Html(line), comment=_comment(entry, texts))


def _comment(entry: case_lookup.HistoryEntry, texts: Texts) -> str:
    """The audit comment; a briefing date is stored as 2026-11-20 and shown as 20.11.2026."""
    try:
        return texts.date(date.fromisoformat(entry.comment))
    except ValueError:
        return entry.comment


def row_label(case: Case, texts: Texts) -> str:
    """A list button: «#12 · Иван Петров · в работе · 20.11». Button labels are plain text, not
    HTML, so the name goes in unescaped (escaping would show "&amp;")."""
    return texts(
        "cases-list-row",
        id=case.id,
        manager=Html(case.manager.full_name),
        state=Html(state_name(case.state, texts)),
        date=Html(case.created_at.astimezone(texts.tz).strftime("%d.%m")),
    )
