"""A bare aiogram polling bot, the reference of `bench.start`: one handler and
`dp.start_polling`, its token and Bot API server from the environment as the bot's
(BOT_TOKEN, TELEGRAM_API_BASE). Run as `python -m bench.bare_bot`."""

from __future__ import annotations

import asyncio
import os

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.filters import Command
from aiogram.types import Message

dispatcher = Dispatcher()


@dispatcher.message(Command("start"))
async def start(message: Message) -> None:
    await message.answer("Привет")


async def main() -> None:
    session = AiohttpSession(api=TelegramAPIServer.from_base(os.environ["TELEGRAM_API_BASE"]))
    bot = Bot(os.environ["BOT_TOKEN"], session=session)
    await dispatcher.start_polling(bot, handle_signals=True)


if __name__ == "__main__":
    asyncio.run(main())
