"""One worker process of `bench.pipeline`: one replica of the bot (or the bare aiogram
dispatcher), fed its share of the users' `/standards` updates.

    python -m bench.replicas --api-base URL (--database-url URL | --bare) --index I --replicas N
    python -m bench.replicas --api-base URL --database-url URL --seed

It builds the app with `build_app` and runs `App.prepare()` as the bot's start does (the
startup hooks are not called: no menus, no `Leadership`, so no outbox sender or scheduler),
feeds its share once to warm up, prints `ready`, waits for a line on stdin, feeds its share
again and prints one JSON line: its update count, the monotonic times of its first update
fed and its last one answered, and the CPU seconds it spent meanwhile. With `--seed` it only
migrates and seeds the database and imports the roster (`bench.pipeline.seed`), before the
workers start.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bench.pipeline import (
    TOKEN,
    USERS,
    bare_dispatcher,
    bench_settings,
    feed_all,
    seed,
    share,
)
from bot.app import build_app

WARM_UP_IDS = 1
MEASURED_IDS = 100_000


async def worker(api_base: str, database_url: str | None, index: int, replicas: int) -> None:
    users = share(index, replicas)
    if database_url is None:
        bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(api_base)))
        dispatcher = bare_dispatcher()
        close = bot.session.close
    else:
        app = build_app(bench_settings(database_url, api_base))
        await app.prepare()
        bot, dispatcher, close = app.bot, app.dispatcher, app.close
    try:
        await feed_all(dispatcher, bot, users, WARM_UP_IDS)
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        started, ended, cpu = await feed_all(dispatcher, bot, users, MEASURED_IDS)
        result = {"updates": len(users), "started": started, "ended": ended, "cpu": cpu}
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
    parser.add_argument("--seed", action="store_true", help="only seed the database")
    args = parser.parse_args()
    if args.seed:
        assert args.database_url, "--seed needs --database-url"
        asyncio.run(seed(args.database_url, args.api_base))
        return
    assert 0 <= args.index < args.replicas <= USERS
    asyncio.run(worker(args.api_base, args.database_url, args.index, args.replicas))


if __name__ == "__main__":
    main()
