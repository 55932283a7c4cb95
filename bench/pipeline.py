"""(a) Updates per second through the bot's full pipeline, on SQLite and on PostgreSQL with
one and with three replicas, against a bare aiogram dispatcher, for two updates:

- `/standards` from the same 1,000 users (a read-only command);
- a step of a dialog: each of the 1,000 users has opened `/request` (not measured) and
  presses «Бейдж» (measured): the app starts the badge dialog on top of the kind's choice and
  edits the message into its first step (aiogram-dialog's stack and contexts saved in the
  FSM storage); the bare dispatcher answers the same press by editing the message with a
  keyboard and answering the callback query.

Each update is fed through `Dispatcher.feed_update`, with the replies going to the loopback
emulator (its rate limits off) that runs in this process; the presses are made by the
emulator (so that their callback queries are its own) and handed to the workers. Each row
runs in worker processes of its own (`python -m bench.replicas`, one per replica), so that
every row pays the same process and HTTP overheads:

- SQLite ×1: one process, the app built by `build_app` on a SQLite file;
- PostgreSQL ×1 and ×3: one or three processes, each with its own `build_app`, on one
  PostgreSQL database (a throwaway server of the tests' `tests.fixtures.postgres`: fsync and
  synchronous commits off, so a commit costs less than on a real server); the users are
  dealt round-robin between the processes, each with its own `CONCURRENCY` updates in flight;
- bare aiogram: one process, a dispatcher with one handler that answers a fixed text (and,
  for the dialog, one that answers `/request` with a button and one that handles its press):
  the goal's reference;
- bare, same answer: the same dispatcher answering with the app's own answer (the HTML text
  and the keyboard the SQLite row's users got), so that the bytes on the wire and the
  `Message` parsed back are the same as the app's and only the pipelines differ: the
  `÷ same` column.

The full pipeline is the app's: the DB session middleware, the employee lookup, the role
filter, aiogram-dialog's middlewares and dialog state (the FSM storage in the database; on
PostgreSQL not cached, and one update at a time per person across processes through
`pg_advisory_xact_lock` on a connection of its own), the links query and the rendered answer
with URL buttons.

Before it takes updates, the database is migrated and seeded as the bot does on start:
`App.prepare()` (Alembic upgrade, the links, the CS team) and the roster of the 1,000 users
imported, in a process of its own before the row, then `App.prepare()` again in every
worker. The startup hooks are not called: no command menus are set and no `Leadership` is
started, so no replica runs the outbox sender or the scheduler (with `/standards` they would
have nothing to send; their polling would cost a little CPU in one replica). Each process
feeds its share once to warm up (connections, caches), then all start together; a row's
rate is its updates over the wall time from the first update fed to the last one answered,
in any process (CLOCK_MONOTONIC is one clock for every process of the machine). Each row is
checked: every update answered once (every press's callback query answered), no error from
the emulator, every user's answer the same text.

    python -m bench.pipeline              every row
    python -m bench.pipeline --sqlite     SQLite and bare aiogram only (PostgreSQL skipped)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot, Dispatcher, F, Router
from aiogram.filters import Command
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)

from bot.app import build_app
from bot.services import roster
from bot.settings import Settings
from emulator import BotAPIEmulator, EmulatorLimits
from emulator.models import StoredMessage

TOKEN = "100000:BENCH-token"
USERS = 1000
CONCURRENCY = 20  # updates in flight in each process
FIRST_USER = 10_000
WORKER_START_TIMEOUT = 180.0  # seconds for a worker to build, prepare and warm up
RUN_TIMEOUT = 600.0
STANDARDS, DIALOG = "standards", "dialog"
SCENARIOS = {STANDARDS: "/standards", DIALOG: "«Бейдж» in /request"}
PRESSED = "Бейдж"  # the button each user presses in /request (bot/locales/ru/requests.ftl)
ROUNDS = 2  # a warm-up round, then the measured one


def command_update(update_id: int, user_id: int, command: str) -> Update:
    return Update.model_validate(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": int(datetime.now(UTC).timestamp()),
                "chat": {"id": user_id, "type": "private", "first_name": "U"},
                "from": {"id": user_id, "is_bot": False, "first_name": "U"},
                "text": command,
                "entities": [{"type": "bot_command", "offset": 0, "length": len(command)}],
            },
        }
    )


def standards_update(update_id: int, user_id: int) -> Update:
    return command_update(update_id, user_id, "/standards")


def share(index: int, replicas: int) -> list[int]:
    """The user numbers (0…USERS-1) dealt to one replica of `replicas`, round-robin."""
    return list(range(index, USERS, replicas))


async def feed_all(
    dispatcher: Dispatcher, bot: Bot, users: Sequence[int], first_update_id: int
) -> tuple[float, float, float]:
    """Feed `/standards` from each user (see `feed`)."""
    updates = [standards_update(first_update_id + n, FIRST_USER + n) for n in users]
    return await feed(dispatcher, bot, updates)


async def feed(
    dispatcher: Dispatcher, bot: Bot, updates: Sequence[Update]
) -> tuple[float, float, float]:
    """Feed the updates, CONCURRENCY at a time; (start, end) in monotonic time and the
    process's CPU seconds meanwhile."""
    queue: asyncio.Queue[Update] = asyncio.Queue()
    for update in updates:
        queue.put_nowait(update)

    async def worker() -> None:
        while not queue.empty():
            await dispatcher.feed_update(bot, queue.get_nowait())

    cpu, started = time.process_time(), time.monotonic()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    flush = getattr(dispatcher.storage, "flush", None)
    if flush is not None:  # the app's dialog state written behind: its last flush counts too
        await flush()
    return started, time.monotonic(), time.process_time() - cpu


def bare_dispatcher(answer: dict[str, Any] | None = None) -> Dispatcher:
    """A bare aiogram dispatcher; with `answer` (the HTML text and keyboard the app answered)
    it answers `/standards`, and edits the pressed message, with that instead of a short
    fixed text: the same bytes each way, so that only the pipelines differ."""
    router = Router()
    markup = None
    if answer is not None and answer.get("reply_markup"):
        markup = InlineKeyboardMarkup.model_validate(answer["reply_markup"])

    @router.message(Command("standards"))
    async def standards(message: Message) -> None:
        if answer is None:
            await message.answer("<b>Стандарты</b>")
        else:
            await message.answer(answer["text"], reply_markup=markup)

    @router.message(Command("request"))
    async def request(message: Message) -> None:
        button = InlineKeyboardButton(text=PRESSED, callback_data="kind:badge")
        keyboard = InlineKeyboardMarkup(inline_keyboard=[[button]])
        await message.answer("<b>Заявка</b>", reply_markup=keyboard)

    @router.callback_query(F.data == "kind:badge")
    async def badge(query: CallbackQuery) -> None:
        assert isinstance(query.message, Message)
        if answer is None:
            button = InlineKeyboardButton(text="Отмена", callback_data="cancel")
            keyboard = InlineKeyboardMarkup(inline_keyboard=[[button]])
            await query.message.edit_text("<b>Бейдж</b>", reply_markup=keyboard)
        else:
            await query.message.edit_text(answer["text"], reply_markup=markup)
        await query.answer()

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    return dispatcher


def bench_settings(database_url: str, api_base: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token=TOKEN,  # type: ignore[arg-type]
        cs_chat_id=-100,
        telegram_api_base=api_base,
        database_url=database_url,
    )


async def seed(database_url: str, api_base: str) -> None:
    """Migrate and seed the database as the bot's start does, and import the 1,000 users.
    (In a process of its own: `build_app` can be called once per process, its routers are
    module-level.)"""
    lines = ["full_name,role,group,position,telegram_id,username"]
    lines += [f"Сотрудник {n},manager,Группа {n % 50},,{FIRST_USER + n}," for n in range(USERS)]
    app = build_app(bench_settings(database_url, api_base))
    try:
        await app.prepare()
        async with app.sessions() as session:
            await roster.import_roster(session, "\n".join(lines).encode(), "roster.csv")
    finally:
        await app.close()


@dataclass
class Replica:
    updates: int
    started: float
    ended: float
    cpu: float  # seconds of CPU (user + system) the process spent on its share

    @property
    def rate(self) -> float:
        return self.updates / (self.ended - self.started)

    @property
    def load(self) -> float:
        """The share of one core the process used while it fed its updates."""
        return self.cpu / (self.ended - self.started)


@dataclass
class Row:
    name: str
    scenario: str
    replicas: list[Replica]
    answer: dict[str, Any]  # what each user got: its HTML text and keyboard

    @property
    def seconds(self) -> float:
        return max(r.ended for r in self.replicas) - min(r.started for r in self.replicas)

    @property
    def rate(self) -> float:
        return sum(r.updates for r in self.replicas) / self.seconds


async def seed_in_child(database_url: str, api_base: str) -> None:
    command = [sys.executable, "-m", "bench.replicas", "--seed", "--api-base", api_base]
    child = await asyncio.create_subprocess_exec(*command, "--database-url", database_url)
    if await asyncio.wait_for(child.wait(), WORKER_START_TIMEOUT) != 0:
        raise RuntimeError(f"seeding {database_url} failed: exit {child.returncode}")


async def run_row(
    name: str,
    emu: BotAPIEmulator,
    database_url: str | None,
    replicas: int,
    scenario: str,
    answer: dict[str, Any] | None = None,
) -> Row:
    """Start `replicas` worker processes (bare aiogram if no `database_url`), run a warm-up
    round and a measured one, starting the workers of a round together, and check the
    emulator saw every answer."""
    sent_before, errors_before = emu.stats.sent, emu.stats.errors
    command = [sys.executable, "-m", "bench.replicas", "--api-base", emu.base_url]
    command += ["--database-url", database_url] if database_url else ["--bare"]
    if answer is not None:
        command += ["--answer", json.dumps(answer, ensure_ascii=False)]
    command += ["--scenario", scenario, "--replicas", str(replicas)]
    workers = [
        await asyncio.create_subprocess_exec(
            *command,
            "--index",
            str(index),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        for index in range(replicas)
    ]
    queries: list[str] = []
    try:
        for _ in range(ROUNDS):
            for worker in workers:
                assert worker.stdout is not None
                line = await asyncio.wait_for(worker.stdout.readline(), WORKER_START_TIMEOUT)
                if line.strip() != b"ready":
                    raise RuntimeError(f"{name}: a worker did not start (said {line!r})")
            orders = [b"go\n"] * replicas
            if scenario == DIALOG:
                presses, round_queries = await press_everywhere(emu)
                queries += round_queries
                orders = [
                    json.dumps([presses[FIRST_USER + n] for n in share(index, replicas)]).encode()
                    + b"\n"
                    for index in range(replicas)
                ]
            for worker, order in zip(workers, orders, strict=True):  # no await between them
                assert worker.stdin is not None
                worker.stdin.write(order)
            results: list[Replica] = []
            for worker in workers:
                assert worker.stdout is not None
                line = await asyncio.wait_for(worker.stdout.readline(), RUN_TIMEOUT)
                results.append(Replica(**json.loads(line)))
        for worker in workers:
            if await asyncio.wait_for(worker.wait(), 60) != 0:
                raise RuntimeError(f"{name}: a worker exited with {worker.returncode}")
    finally:
        for worker in workers:
            if worker.returncode is None:
                worker.kill()
                await worker.wait()
    sent, errors = emu.stats.sent - sent_before, emu.stats.errors - errors_before
    last = [emu.last_bot_message(FIRST_USER + n) for n in range(USERS)]
    answers = {message.text if message else None for message in last}
    unanswered = sum(emu.callback_answer(query) is None for query in queries)
    expected = ROUNDS * USERS  # each /standards and each /request (the presses edit)
    if sent != expected or errors or len(answers) != 1 or unanswered:
        raise RuntimeError(
            f"{name}: {sent} answers for {expected} updates, {errors} errors,"
            f" {len(answers)} different answers, {unanswered} presses unanswered"
        )
    assert last[0] is not None
    answer = {"text": last[0].html or last[0].text, "reply_markup": last[0].reply_markup}
    return Row(name, scenario, results, answer)


async def press_everywhere(emu: BotAPIEmulator) -> tuple[dict[int, dict[str, Any]], list[str]]:
    """Each user presses «Бейдж» under the bot's last message to him (the `/request` the
    worker has just fed); the updates the emulator queued for the presses, by user, taken
    off its queue (no one polls it), and the callback queries' ids."""
    queries = []
    for n in range(USERS):
        message: StoredMessage | None = emu.last_bot_message(FIRST_USER + n)
        if message is None:
            raise RuntimeError(f"user {FIRST_USER + n} has no message to press under")
        queries.append(await emu.press(FIRST_USER + n, message, PRESSED))
    queued = emu.state.deliverable_updates(len(emu.state.updates))
    emu.state.updates = []
    presses = {
        update["callback_query"]["from"]["id"]: update
        for update in queued
        if "callback_query" in update
    }
    return presses, queries


GOAL_RATIO = 0.5  # of bare aiogram's rate, for every row (issue 12, item 1)
GOAL_STANDARDS_SQLITE = 1000.0  # updates/s of /standards on SQLite ×1


def print_table(
    rows: list[Row], bares: dict[str, Row], same: dict[str, Row], skipped: str | None
) -> None:
    """Each row against bare aiogram answering a short fixed text (the goal's reference) and
    against bare aiogram sending the app's own answer (`same`: only the pipelines differ)."""
    print(f"pipeline: {USERS} users, {CONCURRENCY} updates in flight in each process")
    for scenario, title in SCENARIOS.items():
        bare, like = bares[scenario], same.get(scenario)
        print(f"  {title}: bare aiogram {bare.rate:.1f} updates/s is the reference")
        if like is not None:
            print(f"    (bare aiogram sending the app's answer: {like.rate:.1f} updates/s)")
        print(
            f"    {'':<16} {'updates/s':>10} {'seconds':>8} {'÷ bare':>7} {'goal':>14}"
            f" {'÷ same':>7}   per process: updates/s (CPU of one core)"
        )
        references = [bare] + ([like] if like is not None else [])
        for row in [*(row for row in rows if row.scenario == scenario), *references]:
            each = ", ".join(f"{r.rate:.0f} ({r.load:.0%})" for r in row.replicas)
            spread = max(r.started for r in row.replicas) - min(r.started for r in row.replicas)
            if len(row.replicas) > 1:
                each += f"; started within {spread * 1000:.0f} ms"
            goal = ""
            if row not in references:
                goal = (
                    f"≥ {GOAL_RATIO}× {'met' if row.rate / bare.rate >= GOAL_RATIO else 'NOT met'}"
                )
            to_same = f"{row.rate / like.rate:7.2f}" if like is not None else f"{'':>7}"
            print(
                f"    {row.name:<16} {row.rate:10.1f} {row.seconds:8.2f}"
                f" {row.rate / bare.rate:7.2f} {goal:>14} {to_same}   {each}"
            )
        if scenario == STANDARDS:
            sqlite = next((row for row in rows if row.scenario == scenario), None)
            if sqlite is not None:
                verdict = "met" if sqlite.rate >= GOAL_STANDARDS_SQLITE else "NOT met"
                print(
                    f"    {sqlite.name} {sqlite.rate:.0f} updates/s"
                    f" (goal ≥ {GOAL_STANDARDS_SQLITE:,.0f}: {verdict})"
                )
    if skipped:
        print(f"  PostgreSQL rows skipped: {skipped}")


async def main(sqlite_only: bool) -> None:
    # Imported here: the tests' fixture, whose module needs nothing of pytest.
    from tests.fixtures.postgres import PostgresServer, find_binaries, unavailable

    emu = BotAPIEmulator(token=TOKEN, limits=EmulatorLimits(enabled=False))
    await emu.start()
    for n in range(USERS):
        emu.add_user(FIRST_USER + n, f"U{n}")
    rows: list[Row] = []
    bares: dict[str, Row] = {}
    same: dict[str, Row] = {}
    try:
        with tempfile.TemporaryDirectory() as folder:
            sqlite_url = f"sqlite+aiosqlite:///{folder}/bench.db"
            await seed_in_child(sqlite_url, emu.base_url)
            for scenario in SCENARIOS:  # /standards first: it opens no dialog
                rows.append(await run_row("SQLite ×1", emu, sqlite_url, 1, scenario))
        binaries = find_binaries()
        skipped = None
        if sqlite_only:
            skipped = "--sqlite"
        elif binaries is None:
            skipped = "no PostgreSQL binaries (CS_BOT_PG_BIN, PATH, /usr/lib/postgresql/*/bin)"
        elif unavailable() is not None:
            skipped = 'asyncpg is not installed (pip install -e ".[postgres]")'
        else:
            server = PostgresServer(binaries)
            try:
                await asyncio.to_thread(server.start)
                for replicas in (1, 3):
                    url = server.url(await asyncio.to_thread(server.create_database))
                    await seed_in_child(url, emu.base_url)
                    for scenario in SCENARIOS:
                        name = f"PostgreSQL ×{replicas}"
                        rows.append(await run_row(name, emu, url, replicas, scenario))
            finally:
                await asyncio.to_thread(server.stop)
        for scenario in SCENARIOS:
            bares[scenario] = await run_row("bare aiogram", emu, None, 1, scenario)
            app_row = next((row for row in rows if row.scenario == scenario), None)
            if app_row is not None:  # the first row's answer: SQLite's
                same[scenario] = await run_row(
                    "bare, same answer", emu, None, 1, scenario, app_row.answer
                )
    finally:
        await emu.stop()
    print_table(rows, bares, same, skipped)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sqlite", action="store_true", help="skip the PostgreSQL rows")
    asyncio.run(main(parser.parse_args().sqlite))
