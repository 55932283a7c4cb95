"""(e) Repeats after a crash: the real bot process SIGKILLed in the middle of a 150-message
burst, then started again.

Each run queues 150 notifications (3 to each of 50 people) in one transaction, as a workbook
import of 50 cases commits them, while the bot (`python -m bot run`, Telegram's limits) is
polling the loopback emulator. At a random moment within 2 s after the 50th message has
reached its chat (Telegram's 30 msg/s lets the sends go in bursts: the kill may or may not hit
one) the bot is SIGKILLed and started again at once; the run ends when every row is recorded
as sent and nothing more arrives. A background writer (a short write transaction every 50 ms
in another process, as the bot's other work would be) is turned on with `--load`.

Per run it prints: messages queued, delivered (distinct), duplicates (the same outbox row
delivered more than once: each payload carries its row's tag, and the emulator keeps every
message), how many rows were in flight at the moment of the kill (their request had reached
Telegram, their result was not committed: each may be sent again), and the time from
Telegram's answer to the commit that records it (p50/p99/max; the commit as seen by a reader
polling the database every millisecond). Asserts nothing.

    python -m bench.outbox_crash [--runs 5] [--load]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import sqlite3
import statistics
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bot.services import notify
from db.engine import create_engine, create_session_factory, write_transaction
from db.migrate import upgrade
from emulator import BotAPIEmulator, EmulatorLimits
from tests.e2e.harness import BotProcess

TOKEN = "100000:BENCH-token"
CS_CHAT_ID = -1_001_000_000_001
CS_ID = 1001
PEOPLE = [30_000 + n for n in range(50)]
PER_PERSON = 3
MESSAGES = len(PEOPLE) * PER_PERSON
KILL_AFTER = 50  # delivered messages before the kill may come...
KILL_SPREAD = 2.0  # ...at a random moment within this many seconds after that
TAG = re.compile(r"\[row (\d+)\]")


class CommitWatch(threading.Thread):
    """Notes when each outbox row is first seen as sent, by a reader of its own."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.seen: dict[int, float] = {}
        self.stopping = threading.Event()

    def run(self) -> None:
        connection = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            while not self.stopping.is_set():
                rows = connection.execute("SELECT id FROM outbox WHERE state = 'sent'").fetchall()
                now = time.time()
                for (row_id,) in rows:
                    self.seen.setdefault(row_id, now)
                time.sleep(0.001)
        finally:
            connection.close()


class BackgroundWriter:
    """Another process's short write transactions (the bot's other work), every 50 ms."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        connection = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        connection.execute("CREATE TABLE IF NOT EXISTS bench_load (n INTEGER, at REAL)")
        n = 0
        while not self.stopping.is_set():
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("INSERT INTO bench_load VALUES (?, ?)", (n, time.time()))
            time.sleep(0.005)  # a handler's work inside its transaction
            connection.execute("COMMIT")
            n += 1
            time.sleep(0.05)
        connection.close()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def one_run(number: int, *, load: bool, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    emu = BotAPIEmulator(token=TOKEN, limits=EmulatorLimits())
    await emu.start()
    emu.add_group(CS_CHAT_ID, "Клиентский сервис")
    emu.add_user(CS_ID, "Ольга", "Смирнова")
    for person in PEOPLE:
        emu.add_user(person, f"U{person}")

    arrived: dict[int, float] = {}  # outbox row id → when its first request reached Telegram
    answered: dict[int, list[float]] = {}  # outbox row id → when Telegram answered it
    kill_at: list[float] = []
    loop = asyncio.get_running_loop()
    half = asyncio.Event()
    original = emu.api.handlers["sendmessage"]

    async def send_message(params: Any) -> Any:
        asked = TAG.search(params.get_str("text") or "")
        if asked is not None:
            arrived.setdefault(int(asked.group(1)), time.time())
        result = await original(params)
        match = TAG.search(str(result.get("text", "")))
        if match is not None:
            answered.setdefault(int(match.group(1)), []).append(time.time())
            if len(answered) >= KILL_AFTER:
                half.set()
        return result

    emu.api.handlers["sendmessage"] = send_message

    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        path = workdir / "bench.db"
        url = f"sqlite+aiosqlite:///{path}"
        engine = create_engine(url)
        await upgrade(engine)
        sessions = create_session_factory(engine)
        watch = CommitWatch(path)
        watch.start()
        writer = BackgroundWriter(path) if load else None
        if writer is not None:
            writer.thread.start()
        bot = BotProcess(
            emu,
            token=TOKEN,
            database_url=url,
            workdir=workdir,
            env={
                "CS_CHAT_ID": str(CS_CHAT_ID),
                "CS_TEAM_IDS": str(CS_ID),
                "TIMEZONE": "Europe/Moscow",
                "OUTBOX_POLL_INTERVAL": "0.2",
                "DIGEST_CRON": "off",
                "LOG_LEVEL": "WARNING",
            },
        )
        await bot.start()
        ids: list[int] = []
        async with sessions() as session, write_transaction(session):
            rows = [
                notify.send_message(session, person, f"Уведомление {k + 1} из {PER_PERSON}")
                for k in range(PER_PERSON)
                for person in PEOPLE
            ]
            await session.flush()
            for row in rows:
                row.payload = {**row.payload, "text": f"{row.payload['text']} [row {row.id}]"}
                ids.append(row.id)
        started = loop.time()
        await asyncio.wait_for(half.wait(), timeout=120)
        await asyncio.sleep(rng.uniform(0.0, KILL_SPREAD))
        await bot.kill()
        kill_at.append(time.time())  # dead by now: nothing more comes from that process
        delivered_at_kill = len(answered)
        await bot.start()

        def all_sent() -> bool:
            return all(row_id in watch.seen for row_id in ids)

        while not all_sent():
            if loop.time() - started > 300:
                raise TimeoutError(f"not all sent:\n{bot.log[-3000:]}")
            await asyncio.sleep(0.05)
        await asyncio.sleep(1.0)  # anything more (a repeat) arrives now
        elapsed = loop.time() - started
        await bot.stop()
        watch.stopping.set()
        watch.join()
        if writer is not None:
            writer.stopping.set()
            writer.thread.join()
        await engine.dispose()

    copies: Counter[int] = Counter()
    for person in PEOPLE:
        for message in emu.bot_messages(person):
            match = TAG.search(message.text)
            if match is not None:
                copies[int(match.group(1))] += 1
    await emu.stop()
    killed = kill_at[0]
    # Its request had reached Telegram before the kill, but no result was committed.
    in_window = sum(1 for row_id, at in arrived.items() if at <= killed < watch.seen[row_id])
    # From the answer that a commit records to that commit.
    lags = []
    for row_id, times in answered.items():
        committed = watch.seen[row_id]
        before = [at for at in times if at <= committed]
        if before and (committed <= killed or min(times) > killed):
            lags.append((committed - max(before)) * 1000)
    return {
        "run": number,
        "queued": len(ids),
        "delivered": sum(1 for row_id in ids if copies[row_id] > 0),
        "duplicates": sum(count - 1 for count in copies.values() if count > 1),
        "at_kill": delivered_at_kill,
        "in_window": in_window,
        "lags": lags,
        "seconds": elapsed,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--load", action="store_true", help="a background writer process")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(
        f"outbox crash: {MESSAGES} messages to {len(PEOPLE)} people, SIGKILL after "
        f"{KILL_AFTER} + up to {KILL_SPREAD:.0f}s, {args.runs} runs"
        + (", background writer on" if args.load else "")
    )
    results = []
    for number in range(1, args.runs + 1):
        result = await one_run(number, load=args.load, seed=args.seed * 1000 + number)
        results.append(result)
        lags = result["lags"]
        print(
            f"  run {number}: sent {result['queued']}, delivered {result['delivered']}, "
            f"duplicates {result['duplicates']}; {result['at_kill']} answered at the kill, "
            f"{result['in_window']} in flight (asked, not recorded); answer→commit "
            f"p50 {statistics.median(lags):.1f} ms, p99 {percentile(lags, 0.99):.1f} ms, "
            f"max {max(lags):.1f} ms; {result['seconds']:.1f} s"
        )
    lags = [lag for result in results for lag in result["lags"]]
    duplicates = [result["duplicates"] for result in results]
    print(
        f"  total: {sum(r['queued'] for r in results)} sent, "
        f"{sum(r['delivered'] for r in results)} delivered, duplicates {sum(duplicates)} "
        f"(per run {duplicates}); answer→commit p50 {statistics.median(lags):.1f} ms, "
        f"p99 {percentile(lags, 0.99):.1f} ms, max {max(lags):.1f} ms"
    )


if __name__ == "__main__":
    asyncio.run(main())
