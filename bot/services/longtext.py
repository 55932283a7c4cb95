"""The one long-message rule of every view: what fits a Telegram message, and how to cut it.

Telegram counts a message after parsing its HTML, in UTF-16 code units: 4,096 for a text,
1,024 for a caption; it applies only the first 100 entities (bold, links, mentions). A view
that may pass a limit cuts its text with `cut` (tags stay balanced, «…» marks the cut) and
offers the rest another way: pages (`split_messages`) or the full text as a `.txt` document
(`plain_text`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from html.parser import HTMLParser

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
ENTITY_LIMIT = 100
ELLIPSIS = "…"

_TAG = re.compile(r"<[a-zA-Z]")
_ANY_TAG = re.compile(r"<[^>]+>")
# Split points of a long line: whole elements, whole words, spaces.
_PIECE = re.compile(r"<(\w+)[^>]*>.*?</\1>|[^<\s]+|\s+|<", re.S)


def units(text: str) -> int:
    """Length in UTF-16 code units, as Telegram counts."""
    return len(text.encode("utf-16-le")) // 2


def plain_text(html_text: str) -> str:
    """The text a reader sees: tags removed, entities decoded."""
    return html.unescape(_ANY_TAG.sub("", html_text))


def visible_length(html_text: str) -> int:
    """The length Telegram counts once the HTML is parsed."""
    return units(plain_text(html_text))


def entity_count(html_text: str) -> int:
    """How many entities the HTML makes: one per element (opening tag)."""
    return len(_TAG.findall(html_text))


def fits(html_text: str, limit: int = TEXT_LIMIT, entities: int = ENTITY_LIMIT) -> bool:
    return visible_length(html_text) <= limit and entity_count(html_text) <= entities


class _Cutter(HTMLParser):
    """Copies HTML until `budget` visible units are used, keeping tags balanced."""

    def __init__(self, budget: int, entities: int) -> None:
        super().__init__(convert_charrefs=False)
        self.budget = budget
        self.entities = entities
        self.out: list[str] = []
        self.open: list[str] = []
        self.full = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.full or self.entities <= 0:
            self.full = self.full or self.entities <= 0
            return
        self.entities -= 1
        self.open.append(tag)
        self.out.append(self.get_starttag_text() or f"<{tag}>")

    def handle_endtag(self, tag: str) -> None:
        if self.full or tag not in self.open:
            return
        while self.open:
            closed = self.open.pop()
            self.out.append(f"</{closed}>")
            if closed == tag:
                break

    def handle_data(self, data: str) -> None:
        self._text(data, data)

    def handle_entityref(self, name: str) -> None:
        self._text(html.unescape(f"&{name};"), f"&{name};")

    def handle_charref(self, name: str) -> None:
        self._text(html.unescape(f"&#{name};"), f"&#{name};")

    def _text(self, shown: str, source: str) -> None:
        if self.full:
            return
        size = units(shown)
        if size <= self.budget:
            self.budget -= size
            self.out.append(source)
            return
        self.full = True
        if source != shown:  # an entity does not fit: leave it out whole
            return
        kept = ""
        for char in shown:  # a character at a time keeps surrogate pairs whole
            if units(kept + char) > self.budget:
                break
            kept += char
        self.out.append(html.escape(kept, quote=False) if kept else "")

    def result(self) -> str:
        return "".join(self.out) + "".join(f"</{tag}>" for tag in reversed(self.open))


def cut(
    html_text: str,
    limit: int = TEXT_LIMIT,
    *,
    tail: str = "",
    entities: int = ENTITY_LIMIT,
) -> str:
    """`html_text` if it fits `limit`; otherwise its beginning, cut between words where it
    can, with «…» and `tail` (safe HTML, e.g. «полностью — /case 12») after it, the whole
    within `limit` and `entities`."""
    if fits(html_text, limit, entities):
        return html_text
    suffix = ELLIPSIS + tail
    budget = limit - visible_length(suffix)
    parser = _Cutter(max(0, budget), entities - entity_count(suffix))
    parser.feed(html_text)
    parser.close()
    body = parser.result()
    # End on a word boundary if one is near (within 10 % of the text kept).
    trimmed = re.sub(r"\s+\S*$", "", body) if not body.endswith(">") else body
    if trimmed and len(trimmed) > len(body) * 0.9 and _balanced(trimmed):
        body = trimmed
    return body.rstrip() + suffix


def _balanced(html_text: str) -> bool:
    opened = len(_TAG.findall(html_text))
    closed = len(re.findall(r"</[^>]+>", html_text))
    return opened == closed and not re.search(r"<[^>]*$", html_text)


# --- pages ------------------------------------------------------------------------------------


def split_messages(
    parts: Sequence[Sequence[str]], limit: int = TEXT_LIMIT, entities: int = ENTITY_LIMIT
) -> list[str]:
    """Join sections (lists of lines) into messages of at most `limit` characters and
    `entities` elements, separated by a blank line; a section that does not fit the current
    message starts the next one if it fits a message of its own, otherwise it is split
    between lines (a line too long for any message, between words)."""
    result: list[str] = []
    current: list[str] = []

    def fits_all(lines: Iterable[str]) -> bool:
        text = "\n".join(lines)
        return units(text) <= limit and entity_count(text) <= entities

    def flush() -> None:
        while current and not current[-1].strip():
            current.pop()
        if current:
            result.append("\n".join(current))
        current.clear()

    for section in parts:
        lines = [piece for line in section for piece in _fit_line(line, limit)]
        if not lines:
            continue
        joined = ([*current, ""] if current else []) + lines
        if fits_all(joined):
            current[:] = joined
            continue
        if current and fits_all(lines):
            flush()
            current.extend(lines)
            continue
        if current:
            current.append("")
        for line in lines:
            if current and not fits_all([*current, line]):
                flush()
            if current or line.strip():
                current.append(line)
    flush()
    return result


def _fit_line(line: str, limit: int) -> list[str]:
    """A line longer than `limit` cut between words and whole elements."""
    if units(line) <= limit:
        return [line]
    pieces: list[str] = []
    current = ""
    for match in _PIECE.finditer(line):
        piece = match.group(0)
        if units(piece) > limit:  # one element longer than a message: as plain text
            plain = plain_text(piece)
            piece = html.escape(plain[: limit // 6], quote=False)  # an escaped char takes ≤ 6
        if units(current + piece) > limit:
            if current.strip():
                pieces.append(current.rstrip())
            current = piece.lstrip()
        else:
            current += piece
    if current.strip():
        pieces.append(current.rstrip())
    return pieces
