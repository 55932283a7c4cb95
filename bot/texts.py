"""The text catalogue: Fluent files under `bot/locales/`, Russian first.

Arguments are HTML-escaped unless wrapped in `Html`, so user text can never break a message
or inject markup; numbers are shown without digit grouping (#1234, not #1 234); a datetime
is shown as dd.mm.yyyy HH:MM in TIMEZONE and a date as dd.mm.yyyy.
"""

from __future__ import annotations

import html
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path
from typing import Any

import babel
from babel.plural import PluralRule
from fluent.runtime import FluentBundle
from fluent.runtime.resolver import CurrentEnvironment, Message, Pattern, ResolverEnvironment
from fluent.runtime.types import FluentInt, FluentNone
from fluent.syntax import FluentParser
from fluent.syntax import ast as ftl

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
LONG_VALUE = 1000  # longer arguments bypass Fluent's limit on a placeable (see Texts.__call__)
# The plural rules of CLDR (as babel has them: tests/test_texts_locale.py compares) for the locales
# with a catalogue, so that babel's locale data is not loaded for them (see _Locale).
PLURAL_RULES: dict[str, dict[str, str]] = {
    "ru": {
        "one": "v in 0 and i mod 10 in 1 and i mod 100 not in 11",
        "few": "v in 0 and i mod 10 in 2..4 and i mod 100 not in 12..14",
        "many": "v in 0 and i mod 10 in 0 or v in 0 and i mod 10 in 5..9 "
        "or v in 0 and i mod 100 in 11..14",
    },
}


class Html(str):
    """Trusted markup built by the bot itself: inserted as is."""

    __slots__ = ()


def quote(value: object) -> str:
    return html.escape(str(value), quote=False)


class _Locale(babel.Locale):
    """babel's locale with its plural rule given: Fluent needs only that rule to choose a
    variant ([one], [few], …), and babel's whole CLDR data for the locale (5 MB in a
    process, loaded by `Locale.plural_form`) then loads only if a message formats with it
    (NUMBER(), DATETIME(): the catalogue uses neither)."""

    def __init__(self, identifier: str, plural_rules: dict[str, str]) -> None:
        super().__init__(identifier)
        self._plural_rule = PluralRule(plural_rules)

    @property
    def plural_form(self) -> PluralRule:
        return self._plural_rule


class _Integer(FluentInt):
    """An integer argument, shown without digit grouping: its digits and a leading «-», as
    babel shows an ungrouped integer in the catalogue's locales (tests/test_texts_locale.py
    compares), without babel's number patterns and symbols of the locale."""

    def format(self, locale: babel.Locale) -> str:
        return str(int(self))


class _Bundle(FluentBundle):
    """FluentBundle with babel's locale data left out (see `_Locale`, `_Integer`) and each
    message kept as its source text, parsed and compiled on its first use: the parsed
    catalogue (its syntax tree, which FluentBundle keeps until a message is compiled) took
    1.2 MB, its text takes a tenth of it."""

    def __init__(self, locales: list[str], *, use_isolating: bool) -> None:
        super().__init__(locales, use_isolating=use_isolating)
        self._parser = FluentParser(with_spans=False)
        self._sources: dict[str, str] = {}  # a message's id, or "-" and a term's: its text

    def add_source(self, source: str) -> None:
        # The positions of the entries, to cut them out of the source: the tree is dropped.
        for entry in FluentParser().parse(source).body:
            if isinstance(entry, (ftl.Message, ftl.Term)) and entry.span is not None:
                key = f"-{entry.id.name}" if isinstance(entry, ftl.Term) else entry.id.name
                self._sources.setdefault(key, source[entry.span.start : entry.span.end])

    def has_message(self, message_id: str) -> bool:
        return not message_id.startswith("-") and message_id in self._sources

    def _lookup(self, entry_id: str, term: bool = False) -> Message:
        key = f"-{entry_id}" if term else entry_id
        compiled = self._compiled.get(key)
        if compiled is None:
            entry = self._parser.parse_entry(self._sources[key])
            if not isinstance(entry, (ftl.Message, ftl.Term)):
                raise ValueError(f"{key!r} does not parse again: {entry}")
            compiled = self._compiled[key] = self._compiler(entry)
        return compiled

    # FluentBundle's own hook (fluent.runtime 0.4, pinned in pyproject.toml); a change there
    # shows in tests/test_lazy_imports.py and tests/test_texts_locale.py.
    def _get_babel_locale(self) -> babel.Locale:
        locale = self.locales[0]
        if locale in PLURAL_RULES:
            return _Locale(locale, PLURAL_RULES[locale])
        return super()._get_babel_locale()

    def format_pattern(
        self, pattern: Pattern, args: dict[str, Any] | None = None
    ) -> tuple[str | FluentNone, list[Exception]]:
        """FluentBundle's, with the arguments taken as they are (Texts._prepare made them
        strings or Fluent values): FluentBundle would turn an `_Integer` back into a
        FluentInt, whose formatting loads the locale's data."""
        errors: list[Exception] = []
        env = ResolverEnvironment(
            context=self, current=CurrentEnvironment(args=args or {}), errors=errors
        )
        try:
            result = pattern(env)
        except ValueError as error:
            errors.append(error)
            result = "{???}"
        return result, errors


class Texts:
    def __init__(self, locale: str = "ru", tz: tzinfo = UTC) -> None:
        self.tz = tz
        self._bundle = _Bundle([locale], use_isolating=False)
        files = sorted((LOCALES_DIR / locale).glob("*.ftl"))
        if not files:
            raise FileNotFoundError(f"no .ftl files for locale {locale!r} in {LOCALES_DIR}")
        for path in files:
            self._bundle.add_source(path.read_text(encoding="utf-8"))

    def has(self, key: str) -> bool:
        return self._bundle.has_message(key)

    def __call__(self, key: str, **args: object) -> str:
        if not self._bundle.has_message(key):
            raise KeyError(f"no text {key!r} in the catalogue")
        message = self._bundle.get_message(key)
        if message.value is None:
            raise KeyError(f"text {key!r} has no value")
        prepared = self._prepare(args, self.tz)
        # Fluent refuses a placeable longer than 2,500 characters (a 2,000-character summary
        # of «<» and «&» is 8,000 once escaped): a long value goes in as a marker, replaced
        # after formatting.
        long_values = {
            f"\x00{name}\x00": value
            for name, value in prepared.items()
            if isinstance(value, str) and len(value) > LONG_VALUE
        }
        for marker in long_values:
            prepared[marker.strip("\x00")] = marker
        text, errors = self._bundle.format_pattern(message.value, prepared)
        if errors:
            raise ValueError(f"text {key!r}: {errors}")
        result = str(text)
        for marker, value in long_values.items():
            result = result.replace(marker, str(value))
        return result

    def date(self, value: datetime | date) -> str:
        """dd.mm.yyyy in TIMEZONE (DESIGN §12)."""
        if isinstance(value, datetime):
            value = value.astimezone(self.tz)
        return value.strftime("%d.%m.%Y")

    def datetime(self, value: datetime) -> str:
        return value.astimezone(self.tz).strftime("%d.%m.%Y %H:%M")

    @staticmethod
    def _prepare(args: dict[str, object], tz: tzinfo) -> dict[str, object]:
        prepared: dict[str, object] = {}
        for name, value in args.items():
            if value is None:
                prepared[name] = ""
            elif isinstance(value, bool):
                prepared[name] = "да" if value else "нет"
            elif isinstance(value, int):
                prepared[name] = _Integer(value)
            elif isinstance(value, datetime):
                prepared[name] = value.astimezone(tz).strftime("%d.%m.%Y %H:%M")
            elif isinstance(value, date):
                prepared[name] = value.strftime("%d.%m.%Y")
            elif isinstance(value, Html):
                prepared[name] = str(value)
            else:
                prepared[name] = quote(value)
        return prepared
