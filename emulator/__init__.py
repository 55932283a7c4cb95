"""Telegram Bot API emulator on loopback, for end-to-end tests, demos and benchmarks.

Run the real aiogram bot against it with
``AiohttpSession(api=TelegramAPIServer.from_base(emu.base_url))``.
"""

from emulator.errors import ApiError
from emulator.html import EntityParseError, ParsedText, parse_html
from emulator.models import (
    CallbackAnswer,
    CallRecord,
    EmulatorLimits,
    EmulatorStats,
    Mark,
    StoredFile,
    StoredMessage,
    UserInfo,
)
from emulator.server import BotAPIEmulator

__all__ = [
    "ApiError",
    "BotAPIEmulator",
    "CallRecord",
    "CallbackAnswer",
    "EmulatorLimits",
    "EmulatorStats",
    "EntityParseError",
    "Mark",
    "ParsedText",
    "StoredFile",
    "StoredMessage",
    "UserInfo",
    "parse_html",
]
