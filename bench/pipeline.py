"""(a) Updates per second through the bot's full pipeline, against a bare aiogram dispatcher.

Both answer `/standards` from 1,000 different users, fed through `Dispatcher.feed_update`
with the replies going to the loopback emulator (its rate limits off), in the same run.
The full pipeline is the app built by `build_app`: DB session middleware, employee lookup,
role filter, the links query and the rendered answer with URL buttons.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from datetime import UTC, datetime

from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.filters import Command
from aiogram.types import Message, Update

from bot.app import build_app
from bot.services import roster
from bot.settings import Settings
from emulator import BotAPIEmulator, EmulatorLimits

TOKEN = "100000:BENCH-token"
USERS = 1000
CONCURRENCY = 20
FIRST_USER = 10_000


def standards_update(update_id: int, user_id: int) -> Update:
    return Update.model_validate(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": int(datetime.now(UTC).timestamp()),
                "chat": {"id": user_id, "type": "private", "first_name": "U"},
                "from": {"id": user_id, "is_bot": False, "first_name": "U"},
                "text": "/standards",
                "entities": [{"type": "bot_command", "offset": 0, "length": 10}],
            },
        }
    )


async def feed_all(dispatcher: Dispatcher, bot: Bot, first_update_id: int) -> float:
    queue: asyncio.Queue[Update] = asyncio.Queue()
    for n in range(USERS):
        queue.put_nowait(standards_update(first_update_id + n, FIRST_USER + n))

    async def worker() -> None:
        while not queue.empty():
            await dispatcher.feed_update(bot, queue.get_nowait())

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return time.perf_counter() - started


def bare_dispatcher() -> Dispatcher:
    router = Router()

    @router.message(Command("standards"))
    async def standards(message: Message) -> None:
        await message.answer("<b>Стандарты</b>")

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    return dispatcher


async def main() -> None:
    emu = BotAPIEmulator(token=TOKEN, limits=EmulatorLimits(enabled=False))
    await emu.start()
    for n in range(USERS):
        emu.add_user(FIRST_USER + n, f"U{n}")
    lines = ["full_name,role,group,position,telegram_id,username"]
    lines += [f"Сотрудник {n},manager,Группа {n % 50},,{FIRST_USER + n}," for n in range(USERS)]
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            bot_token=TOKEN,  # type: ignore[arg-type]
            cs_chat_id=-100,
            telegram_api_base=emu.base_url,
            database_url=f"sqlite+aiosqlite:///{folder}/bench.db",
        )
        app = build_app(settings)
        await app.prepare()
        async with app.sessions() as session:
            await roster.import_roster(session, "\n".join(lines).encode(), "roster.csv")
        bare_bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(emu.base_url)))
        bare = bare_dispatcher()
        # Warm both paths (connections, caches), then measure each once.
        await feed_all(app.dispatcher, app.bot, 1)
        await feed_all(bare, bare_bot, 1)
        full_seconds = await feed_all(app.dispatcher, app.bot, 100_000)
        bare_seconds = await feed_all(bare, bare_bot, 200_000)
        await bare_bot.session.close()
        await app.close()
    await emu.stop()
    full_rate = USERS / full_seconds
    bare_rate = USERS / bare_seconds
    print(f"pipeline: /standards from {USERS} users, {CONCURRENCY} in flight")
    print(f"  full bot pipeline : {full_rate:8.1f} updates/s ({full_seconds:.2f} s)")
    print(f"  bare aiogram      : {bare_rate:8.1f} updates/s ({bare_seconds:.2f} s)")
    print(f"  full / bare       : {full_rate / bare_rate:8.2f}")


if __name__ == "__main__":
    asyncio.run(main())
