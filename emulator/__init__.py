"""Telegram Bot API emulator on loopback, for end-to-end tests, demos and benchmarks.

Run the real aiogram bot against it with
``AiohttpSession(api=TelegramAPIServer.from_base(emu.base_url))``::

    emu = BotAPIEmulator(token="123456:TEST-token", limits=EmulatorLimits())
    await emu.start()
    emu.add_user(1001, "Иван", "Петров")           # has opened the bot
    emu.add_group(-1001234567890, "Клиентский сервис")
    mark = emu.mark()
    await emu.send_text(1001, "/start")            # queued for the bot's getUpdates
    menu = await emu.wait_for_message(1001, contains="Выберите", after=mark)
    query_id = await emu.press(1001, menu, "Новое обращение")
    await emu.wait_callback_answer(query_id)
    print(emu.transcript())
    await emu.stop()

Modules: ``server`` (HTTP, faults), ``control`` (acting as users, observing), ``methods``
(the Bot API methods), ``html`` (Telegram-HTML parser), ``markup`` (text/keyboard checks),
``state`` (chats, messages, files, updates), ``webhook`` (delivery by POST after
setWebhook), ``transcript``.
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
