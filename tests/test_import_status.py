"""The /import status message: a progress edit runs in the background, so the import (which
calls it inside its write transaction) never waits for Telegram; the final edit comes last.
A real aiogram Bot against the loopback emulator, which holds the edit open ("stall")."""

from __future__ import annotations

from collections.abc import AsyncIterator
from zoneinfo import ZoneInfo

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.texts import Texts
from emulator import BotAPIEmulator
from handlers.imports import PROGRESS_EVERY, StatusMessage
from tests.conftest import TOKEN

USER = 1001


@pytest.fixture
async def bot() -> AsyncIterator[tuple[BotAPIEmulator, Bot]]:
    emu = BotAPIEmulator(token=TOKEN)
    await emu.start()
    emu.add_user(USER, "Ольга", "Смирнова")
    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(emu.base_url)))
    yield emu, bot
    emu.release_stalled()
    await bot.session.close()
    await emu.stop()


async def test_a_progress_edit_never_holds_the_import(bot: tuple[BotAPIEmulator, Bot]) -> None:
    emu, telegram = bot
    texts = Texts("ru", tz=ZoneInfo("Europe/Moscow"))
    message = await telegram.send_message(USER, "Файл получен, проверяю…")
    status = StatusMessage(message, texts)
    status.last -= PROGRESS_EVERY  # as if the last edit was long ago

    emu.inject_faults("stall", methods=["editMessageText"])
    await status.progress("publish", 10, 100)  # returns although Telegram has not answered
    await emu.wait_stalled(1)
    stored = emu.state.get_message(USER, message.message_id)
    assert stored is not None
    assert stored.versions == ["Файл получен, проверяю…"]

    status.last -= PROGRESS_EVERY
    await status.progress("publish", 20, 100)  # one edit in flight: this one is skipped
    assert emu.stalled_count() == 1

    emu.release_stalled(process=True)
    await status.finish("✅ Готово")
    assert stored.versions == [
        "Файл получен, проверяю…",
        texts("import-progress-publish", done=10, total=100),
        "✅ Готово",
    ]
