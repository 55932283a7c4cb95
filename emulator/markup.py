"""Validation of message text, captions and reply markup with Telegram's error wording."""

from __future__ import annotations

import re
from typing import Any

from emulator import errors
from emulator.errors import ApiError, bad_request
from emulator.html import EntityParseError, ParsedText, UserLookup, parse_html, trim, utf16_len

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_INLINE_BUTTONS = 100
MAX_CALLBACK_DATA = 64
BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_HTTP_URL = re.compile(r"^https?://[^\s/?#:@]+(\.[^\s/?#:@]+)+(:\d{1,5})?([/?#]\S*)?$", re.I)
_TG_URL = re.compile(r"^tg://\S+$", re.I)
MARKUP_JSON_ERROR = "can't parse reply keyboard markup JSON object"


def format_text(
    raw: str | None,
    parse_mode: str | None,
    entities: Any,
    *,
    caption: bool,
    strict_entities: bool = True,
    users: UserLookup | None = None,
) -> ParsedText:
    """Parse a text or caption as Telegram does; raise ApiError on rejection."""
    if raw is None:
        if caption:
            return ParsedText("")
        raise bad_request(errors.TEXT_EMPTY)
    mode = (parse_mode or "").strip().lower()
    if mode == "html":
        try:
            parsed = parse_html(raw, strict_entities=strict_entities, users=users)
        except EntityParseError as error:
            raise bad_request(f"can't parse entities: {error}") from None
    elif mode == "":
        parsed = ParsedText(raw, _given_entities(raw, entities))
    else:
        raise bad_request("unsupported parse_mode")
    parsed = trim(parsed.text, parsed.entities)
    if not caption and not parsed.text:
        raise bad_request(errors.TEXT_EMPTY)
    limit, reason = (MAX_CAPTION, errors.CAPTION_TOO_LONG) if caption else (MAX_TEXT, None)
    if utf16_len(parsed.text) > limit:
        raise bad_request(reason or errors.TEXT_TOO_LONG)
    return parsed


def _given_entities(text: str, entities: Any) -> list[dict[str, Any]]:
    if entities is None:
        return []
    if not isinstance(entities, list):
        raise bad_request("can't parse entities JSON object")
    total = utf16_len(text)
    result: list[dict[str, Any]] = []
    for entity in entities:
        if not isinstance(entity, dict) or "type" not in entity:
            raise bad_request("can't parse MessageEntity JSON object")
        offset, length = int(entity.get("offset", -1)), int(entity.get("length", 0))
        if offset < 0 or offset > total:
            raise bad_request("entity begins after the end of the text")
        if length > 0:
            result.append({**entity, "offset": offset, "length": min(length, total - offset)})
    result.sort(key=lambda e: (e["offset"], -e["length"]))
    return result


def validate_reply_markup(raw: Any, *, inline_only: bool = False) -> dict[str, Any] | None:
    """Check a reply_markup object; returns it (normalised) or None."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise bad_request(MARKUP_JSON_ERROR)
    if "inline_keyboard" in raw:
        return {**raw, "inline_keyboard": _validate_inline(raw["inline_keyboard"])}
    if inline_only:
        raise bad_request("inline keyboard expected")
    if "keyboard" in raw:
        rows = raw["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request('field "keyboard" of the ReplyKeyboardMarkup must be an Array')
        return raw
    if raw.get("remove_keyboard") or raw.get("force_reply"):
        return raw
    raise bad_request(MARKUP_JSON_ERROR)


def _validate_inline(rows: Any) -> list[list[dict[str, Any]]]:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(
            'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
        )
    if sum(len(row) for row in rows) > MAX_INLINE_BUTTONS:
        raise bad_request("reply markup is too long")
    return [[_validate_button(button) for button in row] for row in rows]


def _button_error(reason: str) -> ApiError:
    return bad_request(f"can't parse inline keyboard button: {reason}")


def _validate_button(button: Any) -> dict[str, Any]:
    if not isinstance(button, dict):
        raise _button_error("InlineKeyboardButton must be an Object")
    text = button.get("text")
    if not isinstance(text, str):
        raise _button_error('Field "text" must be of type String')
    # Telegram refuses an empty label but takes a blank one (" "): calendars pad with it.
    if not text:
        raise _button_error("Text must be non-empty")
    actions = [key for key in BUTTON_ACTIONS if button.get(key) is not None]
    if not actions:
        raise _button_error("Text buttons are unallowed in the inline keyboard")
    if "callback_data" in actions:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in actions:
        url = str(button["url"])
        if not (_HTTP_URL.match(url) or _TG_URL.match(url)):
            raise bad_request(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")
    return {key: value for key, value in button.items() if value is not None}


def inline_keyboard(markup: dict[str, Any] | None) -> dict[str, Any] | None:
    """The part of a stored reply_markup that Telegram shows on the message (inline only)."""
    if markup and "inline_keyboard" in markup:
        return {"inline_keyboard": markup["inline_keyboard"]}
    return None
