"""Strict parser of Telegram's HTML parse mode: source → plain text + MessageEntity dicts.

It follows TDLib's parser (the one behind the Bot API): the same tags, the same attribute
rules, UTF-16 offsets, and the same error wording ("Unsupported start tag ... at byte offset N",
"Can't find end tag corresponding to start tag ..."). The only deliberate difference is that
``strict_entities=True`` (the default) rejects an ``&`` that does not start one of the supported
entities, where Telegram would show it literally; the bot is expected to escape its text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

SPACES = " \t\r\n\v\f"
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
}
SUPPORTED_TAGS = {*SIMPLE_TAGS, "a", "code", "pre", "blockquote", "tg-emoji"}
VALUELESS_ATTRIBUTES = {("blockquote", "expandable")}
_USER_LINK = re.compile(r"tg://user\?id=(\d+)$", re.IGNORECASE)
_URL_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*)://", re.IGNORECASE)
_PLAIN = re.compile(r"[^<&]+")
_DOMAIN = re.compile(r"^[\w-]+(\.[\w-]+)+(:\d+)?([/?#].*)?$")

UserLookup = Callable[[int], "dict[str, Any] | None"]


class EntityParseError(ValueError):
    """The text cannot be parsed; ``str(error)`` is the part after "can't parse entities: "."""


@dataclass
class ParsedText:
    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _OpenTag:
    name: str
    argument: str
    utf16_start: int
    out_index: int


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8"))


def _decode_entity(source: str, pos: int) -> tuple[str, int] | None:
    """Decode the entity at ``source[pos] == "&"``: (character, next index) or None."""
    end = pos + 1
    size = len(source)
    if end < size and source[end] == "#":
        end += 1
        base, digits = 10, "0123456789"
        if end < size and source[end] in "xX":
            end += 1
            base, digits = 16, "0123456789abcdefABCDEF"
        start = end
        while end < size and source[end] in digits:
            end += 1
        number = source[start:end]
        if not number or end - pos >= 10:
            return None
        code = int(number, base)
        if code == 0 or code >= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None
        char = chr(code)
    else:
        start = end
        while end < size and source[end].isascii() and source[end].isalpha():
            end += 1
        found = NAMED_ENTITIES.get(source[start:end])
        if found is None:
            return None
        char = found
    if end < size and source[end] == ";":
        end += 1
    return char, end


def _entity_error(source: str, pos: int) -> EntityParseError:
    match = re.match(r"&#?[0-9A-Za-z]{1,32};", source[pos:])
    offset = _byte_offset(source, pos)
    if match:
        return EntityParseError(
            f'Unsupported HTML entity "{match.group(0)}" at byte offset {offset}'
        )
    return EntityParseError(f'Character "&" must be escaped as "&amp;" at byte offset {offset}')


def _check_url(url: str) -> str | None:
    url = url.strip()
    if not url or any(ch in url for ch in SPACES):
        return None
    scheme = _URL_SCHEME.match(url)
    if scheme:
        name = scheme.group(1).lower()
        if name in ("http", "https", "ftp") and len(url) > len(scheme.group(0)):
            return url
        if name in ("tg", "ton") and len(url) > len(scheme.group(0)):
            return url
        return None
    if _DOMAIN.match(url):
        return "http://" + url
    return None


class _Parser:
    def __init__(self, source: str, strict_entities: bool, users: UserLookup | None) -> None:
        self.src = source
        self.strict = strict_entities
        self.users = users
        self.out: list[str] = []
        self.utf16 = 0
        self.stack: list[_OpenTag] = []
        self.entities: list[dict[str, Any]] = []

    def error_at(self, message: str, index: int) -> EntityParseError:
        return EntityParseError(f"{message} at byte offset {_byte_offset(self.src, index)}")

    def emit(self, text: str) -> None:
        self.out.append(text)
        self.utf16 += utf16_len(text)

    def run(self) -> ParsedText:
        src, i = self.src, 0
        while i < len(src):
            plain = _PLAIN.match(src, i)
            if plain:
                self.emit(plain.group())
                i = plain.end()
                continue
            char = src[i]
            if char == "&":
                decoded = _decode_entity(src, i)
                if decoded is not None:
                    self.emit(decoded[0])
                    i = decoded[1]
                    continue
                if self.strict:
                    raise _entity_error(src, i)
            if char != "<":
                self.emit(char)
                i += 1
                continue
            closing = i + 1 < len(src) and src[i + 1] == "/"
            i = self.end_tag(i) if closing else self.start_tag(i)
        if self.stack:
            name = self.stack[-1].name
            raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{name}"')
        for entity in self.entities:
            if entity["type"] == "code":
                entity.pop("language", None)
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return ParsedText("".join(self.out), self.entities)

    def start_tag(self, begin: int) -> int:
        src, size = self.src, len(self.src)
        i = begin + 1
        while i < size and src[i] not in SPACES and src[i] != ">":
            i += 1
        if i >= size:
            raise self.error_at("Unclosed start tag", begin)
        tag = src[begin + 1 : i].lower()
        if tag not in SUPPORTED_TAGS:
            raise self.error_at(f'Unsupported start tag "{tag}"', begin)
        argument = ""
        while True:
            while i < size and src[i] in SPACES:
                i += 1
            if i >= size:
                raise self.error_at("Unclosed start tag", begin)
            if src[i] == ">":
                break
            name_start = i
            while i < size and src[i] not in SPACES and src[i] not in "=>":
                i += 1
            attribute = src[name_start:i].lower()
            if not attribute:
                raise self.error_at(f'Empty attribute name in the tag "{tag}"', begin)
            while i < size and src[i] in SPACES:
                i += 1
            if i >= size or src[i] != "=":
                if (tag, attribute) in VALUELESS_ATTRIBUTES:
                    argument = "1"
                    continue
                message = f'Expected equal sign in declaration of an attribute of the tag "{tag}"'
                raise self.error_at(message, begin)
            i += 1
            while i < size and src[i] in SPACES:
                i += 1
            if i >= size:
                raise self.error_at(f'Unclosed start tag "{tag}"', begin)
            value, i = self.attribute_value(i)
            if i >= size:
                raise self.error_at("Unclosed start tag", begin)
            argument = self.tag_argument(tag, attribute, value, argument)
        if tag == "span" and argument != "spoiler":
            raise self.error_at('Tag "span" must have class "tg-spoiler"', begin)
        if tag == "tg-emoji" and not argument.isdigit():
            raise EntityParseError("Invalid custom emoji identifier specified")
        self.stack.append(_OpenTag(tag, argument, self.utf16, len(self.out)))
        return i + 1

    def attribute_value(self, i: int) -> tuple[str, int]:
        src, size = self.src, len(self.src)
        if src[i] not in "'\"":
            start = i
            while i < size and (src[i].isalnum() or src[i] in ".-"):
                i += 1
            if i < size and src[i] not in SPACES and src[i] != ">":
                raise self.error_at("Unexpected end of name token", start)
            return src[start:i].lower(), i
        quote = src[i]
        i += 1
        value: list[str] = []
        while i < size and src[i] != quote:
            if src[i] == "&":
                decoded = _decode_entity(src, i)
                if decoded is not None:
                    value.append(decoded[0])
                    i = decoded[1]
                    continue
            value.append(src[i])
            i += 1
        if i < size:
            i += 1
        return "".join(value), i

    @staticmethod
    def tag_argument(tag: str, attribute: str, value: str, current: str) -> str:
        if tag == "a" and attribute == "href":
            return value
        if tag == "code" and attribute == "class" and value.startswith("language-"):
            return value[len("language-") :]
        if tag == "span" and attribute == "class" and value.startswith("tg-"):
            return value[len("tg-") :]
        if tag == "tg-emoji" and attribute == "emoji-id":
            return value
        return current

    def end_tag(self, begin: int) -> int:
        src, size = self.src, len(self.src)
        if not self.stack:
            raise self.error_at("Unexpected end tag", begin)
        i = begin + 2
        while i < size and src[i] not in SPACES and src[i] != ">":
            i += 1
        end_name = src[begin + 2 : i].lower()
        while i < size and src[i] in SPACES:
            i += 1
        if i >= size or src[i] != ">":
            raise self.error_at("Unclosed end tag", begin)
        opened = self.stack.pop()
        if end_name and end_name != opened.name:
            raise EntityParseError(
                f"Unmatched end tag at byte offset {_byte_offset(src, begin)}, "
                f'expected "</{opened.name}>", found "</{end_name}>"'
            )
        if self.utf16 > opened.utf16_start:
            self.add_entity(opened)
        return i + 1

    def add_entity(self, tag: _OpenTag) -> None:
        offset, length = tag.utf16_start, self.utf16 - tag.utf16_start
        entity: dict[str, Any] = {"offset": offset, "length": length}
        last = self.entities[-1] if self.entities else None
        same_span = last is not None and (last["offset"], last["length"]) == (offset, length)
        if tag.name in SIMPLE_TAGS:
            entity["type"] = SIMPLE_TAGS[tag.name]
        elif tag.name == "blockquote":
            entity["type"] = "expandable_blockquote" if tag.argument else "blockquote"
        elif tag.name == "tg-emoji":
            entity.update(type="custom_emoji", custom_emoji_id=tag.argument)
        elif tag.name == "code":
            entity["type"] = "code"
            if tag.argument:
                entity["language"] = tag.argument
        elif tag.name == "pre":
            if last is not None and same_span and last["type"] == "code":
                last["type"] = "pre"
                return
            entity["type"] = "pre"
        elif not self.link_entity(tag, entity):
            return
        self.entities.append(entity)

    def link_entity(self, tag: _OpenTag, entity: dict[str, Any]) -> bool:
        url = tag.argument or "".join(self.out[tag.out_index :])
        user_link = _USER_LINK.match(url.strip())
        if user_link:
            user_id = int(user_link.group(1))
            user = (self.users(user_id) if self.users else None) or {
                "id": user_id,
                "is_bot": False,
                "first_name": "",
            }
            entity.update(type="text_mention", user=user)
            return True
        checked = _check_url(url)
        if checked is None:
            return False
        entity.update(type="text_link", url=checked)
        return True


def trim(text: str, entities: list[dict[str, Any]]) -> ParsedText:
    """Strip leading/trailing whitespace like Telegram, shifting and clipping entities."""
    stripped = text.strip(SPACES)
    if stripped == text:
        return ParsedText(text, entities)
    lead = utf16_len(text[: len(text) - len(text.lstrip(SPACES))])
    total = utf16_len(stripped)
    result: list[dict[str, Any]] = []
    for entity in entities:
        start = max(0, entity["offset"] - lead)
        end = min(total, entity["offset"] + entity["length"] - lead)
        if end > start:
            result.append({**entity, "offset": start, "length": end - start})
    return ParsedText(stripped, result)


def parse_html(
    source: str, *, strict_entities: bool = True, users: UserLookup | None = None
) -> ParsedText:
    """Parse Telegram HTML. Raises EntityParseError. The result is not trimmed."""
    return _Parser(source, strict_entities, users).run()


def entity_text(text: str, entity: dict[str, Any]) -> str:
    """The slice of ``text`` an entity covers (offsets are in UTF-16 code units)."""
    encoded = text.encode("utf-16-le")
    start = entity["offset"] * 2
    return encoded[start : start + entity["length"] * 2].decode("utf-16-le")


_COMMAND = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,64}(@[A-Za-z0-9_]{3,64})?(?![\w/@])")


def bot_command_entities(text: str) -> list[dict[str, Any]]:
    """``bot_command`` entities the way Telegram marks them in incoming messages."""
    found = []
    for match in _COMMAND.finditer(text):
        offset = utf16_len(text[: match.start()])
        found.append({"type": "bot_command", "offset": offset, "length": utf16_len(match.group())})
    return found
