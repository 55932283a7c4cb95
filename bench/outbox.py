"""(b) The outbox draining 1,000 notifications across 50 private chats and 5 groups against
the emulator with Telegram's limits on: achieved rate against the limits, 429s, losses.

Per run it prints the achieved rate (notifications delivered over the time from the start of
the drain to its end), its ratio to the configured global limit against the goal (≥ 97 %,
issue 12 item 4), the 429 answers and how many of them came after the first (goal: none).
Asserts nothing.

    python -m bench.outbox [--runs 2]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from sqlalchemy import func, select

from bot.middlewares import KeepResponseTypes
from bot.outbox import OutboxSender, send_pace
from bot.ratelimit import SendLimiter
from bot.services import notify
from db.engine import create_engine, create_session_factory, write_transaction
from db.migrate import upgrade
from db.models import OutboxMessage, OutboxState
from emulator import BotAPIEmulator, EmulatorLimits

TOKEN = "100000:BENCH-token"
MESSAGES = 1000
PRIVATE_CHATS = [20_000 + n for n in range(50)]
GROUPS = [-100_500_000 - n for n in range(5)]
GLOBAL_PER_SECOND = 30
GROUP_PER_MINUTE = 20
CHAT_PER_SECOND = 1
GOAL = 0.97


async def one_run(run: int) -> None:
    emu = BotAPIEmulator(
        token=TOKEN,
        limits=EmulatorLimits(
            group_per_minute=GROUP_PER_MINUTE, global_per_second=GLOBAL_PER_SECOND
        ),
    )
    await emu.start()
    for chat_id in PRIVATE_CHATS:
        emu.add_user(chat_id, f"U{chat_id}")
    for chat_id in GROUPS:
        emu.add_group(chat_id, f"Группа {chat_id}")
    chats = PRIVATE_CHATS + GROUPS
    with tempfile.TemporaryDirectory() as folder:
        engine = create_engine(f"sqlite+aiosqlite:///{folder}/bench.db")
        await upgrade(engine)
        sessions = create_session_factory(engine)
        async with sessions() as session, write_transaction(session):
            for n in range(MESSAGES):
                notify.send_message(session, chats[n % len(chats)], f"Уведомление {n}")
        bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(emu.base_url)))
        bot.session.middleware(KeepResponseTypes())  # as build_app wires the bot's
        sender = OutboxSender(
            bot,
            sessions,
            SendLimiter(
                global_per_second=GLOBAL_PER_SECOND,
                group_per_minute=GROUP_PER_MINUTE,
                chat_per_second=CHAT_PER_SECOND,
            ),
            pace=send_pace(GLOBAL_PER_SECOND),  # as the bot spreads them
        )
        started = time.perf_counter()
        await sender.drain(timeout=600)
        seconds = time.perf_counter() - started
        async with sessions() as session:
            sent = await session.scalar(
                select(func.count()).where(OutboxMessage.state == OutboxState.SENT)
            )
        await bot.session.close()
        await engine.dispose()
    refused = [call for call in emu.calls if call.error_code == 429]
    await emu.stop()
    delivered = sum(len(emu.bot_messages(chat_id)) for chat_id in chats)
    rate = delivered / seconds
    share = rate / GLOBAL_PER_SECOND
    verdict = "met" if share >= GOAL else "NOT met"
    print(
        f"outbox run {run}: {MESSAGES} notifications over {len(PRIVATE_CHATS)} chats"
        f" + {len(GROUPS)} groups"
    )
    print(f"  drained in         : {seconds:8.1f} s")
    print(
        f"  achieved rate      : {rate:8.2f} msg/s = {share:.1%} of the configured"
        f" {GLOBAL_PER_SECOND}/s (goal ≥ {GOAL:.0%}: {verdict})"
    )
    print(
        f"  429 answers        : {len(refused):8d}, after the first:"
        f" {max(0, len(refused) - 1)} (goal 0)"
    )
    print(f"  429 seen by sender : {sender.stats.rate_limited:8d}")
    print(f"  rows marked sent   : {sent:8d}")
    print(f"  delivered          : {delivered:8d}")
    print(f"  lost               : {MESSAGES - delivered:8d}")


async def main(runs: int) -> None:
    for run in range(1, runs + 1):
        await one_run(run)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2, help="the machine is shared: run twice")
    asyncio.run(main(parser.parse_args().runs))
