"""`python -m bot demo`: the real bot against the loopback emulator, a scripted scene, and the
conversation printed as a chat transcript. No token, no network, a temporary SQLite file.

Each feature adds its scene to `SCENES`.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from bot.app import App, build_app
from bot.services import roster
from bot.settings import Settings
from emulator import BotAPIEmulator, StoredMessage

DEMO_TOKEN = "100000:DEMO-token"  # noqa: S105 - the emulator's, not a secret
CS_CHAT_ID = -1001000000001
ROSTER_FILE = Path(__file__).resolve().parent / "data" / "demo_roster.csv"
WAIT = 10.0


@dataclass(frozen=True)
class Person:
    telegram_id: int
    first_name: str
    last_name: str
    username: str | None = None


OLGA = Person(1001, "Ольга", "Смирнова")  # CS
ANDREY = Person(2001, "Андрей", "Лидеров")  # lead of two groups
IVAN = Person(3001, "Иван", "Петров", "ivan_petrov")  # manager, known by username only
PAVEL = Person(4001, "Павел", "Новиков")  # not bound yet: asks for access
PEOPLE = (OLGA, ANDREY, IVAN, PAVEL)


@dataclass
class DemoWorld:
    emu: BotAPIEmulator
    app: App

    async def say(self, person: Person, text: str, chat_id: int | None = None) -> StoredMessage:
        mark = self.emu.mark()
        await self.emu.send_text(person.telegram_id, text, chat_id=chat_id)
        return await self.emu.wait_for_message(
            chat_id or person.telegram_id, after=mark, timeout=WAIT
        )

    async def press(self, person: Person, message: StoredMessage, button: str) -> None:
        query_id = await self.emu.press(person.telegram_id, message, button)
        await self.emu.wait_callback_answer(query_id, timeout=WAIT)


async def scene_access(world: DemoWorld) -> None:
    """A lead is recognised and reads /standards; a newcomer asks for access, CS approves."""
    emu = world.emu
    await world.say(ANDREY, "/start")
    await world.say(ANDREY, "/standards")
    await world.say(IVAN, "/start")
    greeting = await world.say(PAVEL, "/start")
    mark = emu.mark()
    await world.press(PAVEL, greeting, "Запросить доступ")
    post = await emu.wait_for_message(
        CS_CHAT_ID, contains="Запрос доступа", after=mark, timeout=WAIT
    )
    await world.press(OLGA, post, "Выбрать сотрудника")
    post = await emu.wait_for_edit(CS_CHAT_ID, post.message_id, contains="Выберите", timeout=WAIT)
    mark = emu.mark()
    await world.press(OLGA, post, "Павел Новиков")
    await emu.wait_for_message(
        PAVEL.telegram_id, contains="Доступ открыт", after=mark, timeout=WAIT
    )
    await world.say(PAVEL, "/standards")


SCENES: list[Callable[[DemoWorld], Awaitable[None]]] = [scene_access]


def demo_settings(base_url: str, database_url: str) -> Settings:
    return Settings(
        _env_file=None,
        bot_token=DEMO_TOKEN,
        cs_chat_id=CS_CHAT_ID,
        cs_team_ids=[OLGA.telegram_id],
        telegram_api_base=base_url,
        database_url=database_url,
        outbox_poll_interval=timedelta(seconds=0.1),
        reminder_sweep_interval=timedelta(seconds=0.5),
        log_level="WARNING",
    )


async def demo() -> int:
    with tempfile.TemporaryDirectory(prefix="cs-bot-demo-") as folder:
        emu = BotAPIEmulator(token=DEMO_TOKEN)
        await emu.start()
        emu.add_group(CS_CHAT_ID, "Клиентский сервис")
        for person in PEOPLE:
            emu.add_user(
                person.telegram_id, person.first_name, person.last_name, username=person.username
            )
        app = build_app(demo_settings(emu.base_url, f"sqlite+aiosqlite:///{folder}/demo.db"))
        polling: asyncio.Task[None] | None = None
        try:
            await app.prepare()
            async with app.sessions() as session:
                await roster.import_roster(session, ROSTER_FILE.read_bytes(), ROSTER_FILE.name)
            polling = asyncio.create_task(
                app.dispatcher.start_polling(app.bot, handle_signals=False, polling_timeout=1)
            )
            world = DemoWorld(emu=emu, app=app)
            for scene in SCENES:
                await scene(world)
            await app.sender.drain(timeout=WAIT)
        finally:
            if polling is not None:
                with contextlib.suppress(RuntimeError):
                    await app.dispatcher.stop_polling()
                await polling
            await app.close()
            await emu.stop()
        print(emu.transcript())
    return 0
