"""One worker process of `bench.pipeline`: one replica of the bot (or the bare aiogram
dispatcher), fed its share of the users' updates.

    python -m bench.replicas --api-base URL (--database-url URL | --bare) --index I --replicas N
                             [--scenario standards|dialog]
    python -m bench.replicas --api-base URL --database-url URL --seed

It builds the app with `build_app` and runs `App.prepare()` as the bot's start does (the
startup hooks are not called: no menus, no `Leadership`, so no outbox sender or scheduler).
Then two rounds, a warm-up and the measured one: it prints `ready`, waits for a line on
stdin, feeds its share and prints one JSON line: its update count, the monotonic times of
its first update fed and its last one answered, and the CPU seconds it spent meanwhile.
`standards`: the line is `go` and the share is `/standards` from each of its users.
`dialog`: before `ready` it feeds `/request` from each of its users (not measured); the line
is the JSON list of their presses of «Бейдж», made by the emulator (`bench.pipeline`).
With `BENCH_PROFILE=PATH` in the environment the measured round runs under cProfile and
its statistics go to `PATH.<scenario>.<index>` (`.bare` for the bare dispatcher).
With `--seed` it only migrates and seeds the database and imports the roster
(`bench.pipeline.seed`), before the workers start.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import json
import os
import sys

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Update

from bench.pipeline import (
    DIALOG,
    FIRST_USER,
    ROUNDS,
    SCENARIOS,
    STANDARDS,
    TOKEN,
    USERS,
    bare_dispatcher,
    bench_settings,
    command_update,
    feed,
    seed,
    share,
    standards_update,
)
from bot.app import build_app

# The update ids a worker gives its own updates, by round (the presses have the emulator's).
FIRST_IDS = 1_000_000
ROUND_IDS = 100_000


async def worker(
    api_base: str,
    database_url: str | None,
    index: int,
    replicas: int,
    scenario: str,
    answer: str | None = None,
) -> None:
    users = share(index, replicas)
    if database_url is None:
        bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(api_base)))
        dispatcher = bare_dispatcher(json.loads(answer) if answer else None)
        close = bot.session.close
    else:
        app = build_app(bench_settings(database_url, api_base))
        await app.prepare()
        bot, dispatcher, close = app.bot, app.dispatcher, app.close
    # As `python -m bot run` does once its imports are done (bot/__main__.py), and the same
    # for the bare dispatcher: the collector's full collections no longer walk what the
    # imports built (the bot's imports are five times aiogram's alone).
    gc.freeze()
    try:
        for round_ in range(ROUNDS):
            first_id = FIRST_IDS + round_ * ROUND_IDS
            if scenario == DIALOG:
                opened = [command_update(first_id + n, FIRST_USER + n, "/request") for n in users]
                await feed(dispatcher, bot, opened)
            print("ready", flush=True)
            order = await asyncio.to_thread(sys.stdin.readline)
            if scenario == STANDARDS:
                updates = [standards_update(first_id + USERS + n, FIRST_USER + n) for n in users]
            else:
                updates = [Update.model_validate(update) for update in json.loads(order)]
            profile_to = os.environ.get("BENCH_PROFILE") if round_ == ROUNDS - 1 else None
            profiler = cProfile.Profile() if profile_to else None
            if profiler:
                profiler.enable()
            started, ended, cpu = await feed(dispatcher, bot, updates)
            if profiler and profile_to:
                profiler.disable()
                profiler.dump_stats(
                    f"{profile_to}.{scenario}.{'bare' if database_url is None else index}"
                )
            result = {"updates": len(updates), "started": started, "ended": ended, "cpu": cpu}
            print(json.dumps(result), flush=True)
    finally:
        await close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--api-base", required=True)
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--database-url")
    target.add_argument("--bare", action="store_true")
    parser.add_argument("--index", type=int, default=0)
    parser.add_argument("--replicas", type=int, default=1)
    parser.add_argument("--scenario", choices=list(SCENARIOS), default=STANDARDS)
    parser.add_argument("--seed", action="store_true", help="only seed the database")
    parser.add_argument(
        "--answer", help="bare: the app's answer to send (JSON: text, reply_markup)"
    )
    args = parser.parse_args()
    if args.seed:
        assert args.database_url, "--seed needs --database-url"
        asyncio.run(seed(args.database_url, args.api_base))
        return
    assert 0 <= args.index < args.replicas <= USERS
    asyncio.run(
        worker(
            args.api_base,
            args.database_url,
            args.index,
            args.replicas,
            args.scenario,
            args.answer,
        )
    )


if __name__ == "__main__":
    main()
