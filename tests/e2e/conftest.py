"""The end-to-end world: the emulator with the CS group and five people, a roster in the
database, and the real bot process."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services import roster
from emulator import BotAPIEmulator, EmulatorLimits
from tests.conftest import CS_CHAT_ID, TOKEN
from tests.e2e.harness import BotProcess
from tests.fixtures.zygote import Zygote

CS_ID = 1001
LEAD_ID = 2001
MANAGER_ID = 3001  # in the roster by username only
OTHER_MANAGER_ID = 3002
UNKNOWN_ID = 4001
EVIL_ID = 4002

ROSTER = """full_name,role,group,position,telegram_id,username
Ольга Смирнова,cs,,Специалист КС,1001,
Андрей Лидеров,lead,Группа Север;Группа Юг,Главный менеджер,2001,
Иван Петров,manager,Группа Север,Менеджер по продажам,,ivan_petrov
Мария Козлова,manager,Группа Юг,Менеджер по показам,3002,
Павел Новиков,manager,Группа Юг,Фронт-менеджер,,
"""


@pytest.fixture
def emulator_limits() -> EmulatorLimits:
    """Telegram's limits as the emulator enforces them; a test module may shorten them."""
    return EmulatorLimits()


@pytest.fixture
async def emu(emulator_limits: EmulatorLimits) -> AsyncIterator[BotAPIEmulator]:
    emulator = BotAPIEmulator(token=TOKEN, limits=emulator_limits)
    await emulator.start()
    emulator.add_group(CS_CHAT_ID, "Клиентский сервис")
    emulator.add_user(CS_ID, "Ольга", "Смирнова")
    emulator.add_user(LEAD_ID, "Андрей", "Лидеров")
    emulator.add_user(MANAGER_ID, "Иван", "Петров", username="Ivan_Petrov")
    emulator.add_user(OTHER_MANAGER_ID, "Мария", "Козлова")
    emulator.add_user(UNKNOWN_ID, "Павел", "Новиков")
    emulator.add_user(EVIL_ID, "<b>Evil</b> & <script>", None, username="evil_user")
    yield emulator
    await emulator.stop()


@pytest.fixture
async def world(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        await roster.import_roster(session, ROSTER.encode(), "roster.csv")


@pytest.fixture
def bot_env() -> dict[str, str]:
    """Settings of the bot process; a test may change them before `bot` starts it."""
    return {
        "CS_CHAT_ID": str(CS_CHAT_ID),
        "CS_TEAM_IDS": str(CS_ID),
        "TIMEZONE": "Europe/Moscow",
        "OUTBOX_POLL_INTERVAL": "0.2",
        "REMINDER_SWEEP_INTERVAL": "0.5",
        "OUTBOX_MAX_BACKOFF": "2",
        # No scheduled digest unless a test asks for one: its catch-up run at start would
        # post into the CS group of every test on the first days of a month.
        "DIGEST_CRON": "off",
    }


@pytest.fixture(scope="session")
def zygote() -> Iterator[Zygote | None]:
    """What starts the bot: a zygote that imported it once (each start a fork, see
    tests/fixtures/zygote.py), or None with CS_BOT_TEST_EXEC=1: `python -m bot run` each time."""
    if os.environ.get("CS_BOT_TEST_EXEC") == "1":
        yield None
        return
    forks = Zygote()
    yield forks
    forks.close()


@pytest.fixture
async def bot_process(
    emu: BotAPIEmulator,
    world: None,
    database_url: str,
    tmp_path: Path,
    bot_env: dict[str, str],
    zygote: Zygote | None,
) -> AsyncIterator[BotProcess]:
    """The bot process, not started yet."""
    process = BotProcess(
        emu, token=TOKEN, database_url=database_url, workdir=tmp_path, env=bot_env, zygote=zygote
    )
    yield process
    await process.stop()
    # Shown by pytest only when the test failed: what the bot was doing at the end.
    print("--- the bot's log, last 80 lines ---")
    print("\n".join(process.log.splitlines()[-80:]))
    # Whatever happened in the test, the token never reaches the logs.
    assert TOKEN not in process.log
    assert TOKEN.split(":")[1] not in process.log


@pytest.fixture
async def bot(bot_process: BotProcess) -> BotProcess:
    """The bot process, started and polling."""
    await bot_process.start()
    return bot_process
