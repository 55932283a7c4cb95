"""The long-message rule: what fits a Telegram message and how a long text is cut."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from bot.services import longtext


class _Balance(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.ok = True

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.ok = False


def balanced(text: str) -> bool:
    parser = _Balance()
    parser.feed(text)
    parser.close()
    return parser.ok and not parser.stack


def test_a_text_that_fits_is_left_alone() -> None:
    text = "<b>Кейс #1</b>\n" + "а" * 100
    assert longtext.cut(text) == text


@pytest.mark.parametrize("limit", [50, 200, 1024, 4096])
def test_a_long_text_is_cut_within_the_limit_with_balanced_tags(limit: int) -> None:
    text = "<b>Кейс &amp; &lt;разбор&gt;</b>\n" + (
        "<i>Суть: " + "слово " * 2000 + "</i>\n<a href='https://e.x/?a=1&amp;b=2'>запись</a>"
    )
    short = longtext.cut(text, limit, tail=" (полностью — /case 1)")
    assert longtext.visible_length(short) <= limit
    assert short.endswith("… (полностью — /case 1)")
    assert balanced(short)
    assert "&amp;" in short  # an entity is kept whole, never split


def test_the_cut_counts_utf16_units_and_keeps_surrogate_pairs_whole() -> None:
    text = "😀" * 3000  # each takes two UTF-16 units
    short = longtext.cut(text, 101)
    assert longtext.units(longtext.plain_text(short)) <= 101
    short.encode("utf-8")  # no lone surrogate


def test_the_cut_keeps_within_the_entity_limit() -> None:
    text = " ".join(f"<b>{n}</b>" for n in range(300))
    short = longtext.cut(text, entities=100)
    assert longtext.entity_count(short) <= 100
    assert balanced(short)


def test_plain_text_is_what_a_reader_sees() -> None:
    assert longtext.plain_text("<b>a &amp; b</b> &lt;c&gt;") == "a & b <c>"
