"""The catalogue as bot/texts.py keeps it (each message's text, parsed on first use; no
babel locale data: the plural rule given, integers shown by the bot): every text as a plain
FluentBundle with babel's data for the locale makes it."""

from __future__ import annotations

import babel
import pytest
from babel.plural import PluralRule
from fluent.runtime import FluentBundle
from fluent.runtime.types import fluent_number
from fluent.syntax import FluentParser
from fluent.syntax import ast as ftl

from bot.texts import LOCALES_DIR, PLURAL_RULES, Texts

# Each plural category of Russian several times over, the numeric variants ([1] … [12]),
# zero, negatives and a number babel would group.
NUMBERS = [*range(-25, 130), 1000, 1001, 1011, 1012, 1021, 10_000, 1_234_567, -1_234_567]


def _with_babels_data(locale: str) -> FluentBundle:
    """The bundle as Texts made it before: babel's locale, every integer a FluentInt."""
    bundle = FluentBundle([locale], use_isolating=False)
    for path in sorted((LOCALES_DIR / locale).glob("*.ftl")):
        bundle.add_resource(FluentParser().parse(path.read_text(encoding="utf-8")))
    return bundle


def _variables(node: object, messages: dict[str, ftl.Message], seen: set[str]) -> set[str]:
    """The variables a message needs, with those of the messages it refers to."""
    if isinstance(node, ftl.VariableReference):
        return {node.id.name}
    if isinstance(node, ftl.MessageReference):
        if node.id.name in seen:
            return set()
        seen.add(node.id.name)
        return _variables(messages[node.id.name], messages, seen)
    if isinstance(node, ftl.TermReference):
        return set()  # a term has its own arguments
    found: set[str] = set()
    if isinstance(node, ftl.BaseNode):
        for value in vars(node).values():
            for item in value if isinstance(value, list) else [value]:
                found |= _variables(item, messages, seen)
    return found


@pytest.mark.parametrize("locale", sorted(PLURAL_RULES))
def test_the_plural_rules_are_babels(locale: str) -> None:
    assert PluralRule(PLURAL_RULES[locale]).rules == babel.Locale.parse(locale).plural_form.rules


@pytest.mark.parametrize("locale", sorted(PLURAL_RULES))
def test_every_text_is_as_with_babels_locale_data(locale: str) -> None:
    texts = Texts(locale)
    reference = _with_babels_data(locale)
    messages = {
        entry.id.name: entry
        for path in sorted((LOCALES_DIR / locale).glob("*.ftl"))
        for entry in FluentParser().parse(path.read_text(encoding="utf-8")).body
        if isinstance(entry, ftl.Message) and entry.value is not None
    }
    checked = 0
    for key, entry in messages.items():
        names = _variables(entry, messages, {key})
        pattern = reference.get_message(key).value
        assert pattern is not None
        for number in NUMBERS if names else [0]:
            value = fluent_number(number, useGrouping=False)
            expected, errors = reference.format_pattern(pattern, dict.fromkeys(names, value))
            assert errors == [], key
            assert texts(key, **dict.fromkeys(names, number)) == expected, (key, number)
            checked += 1
    assert checked > 100 * len(NUMBERS)
