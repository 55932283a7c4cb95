"""(e) Start and memory of a bot process against a bare aiogram polling bot (issue 12, item 2).

Each process is started as the end-to-end tests start the bot (tests/e2e/harness.py): its
settings in the environment, its Bot API the loopback emulator that runs in this process, its
database a SQLite file in a temporary folder. Three kinds, `ROUNDS` times each, their order
turned round every round so that a busy moment of the shared machine falls on each:

- bare aiogram: `python -m bench.bare_bot` (one handler, `dp.start_polling`);
- the bot on a fresh database: `python -m bot run` on a folder with no database yet (the
  migrations run at start);
- the bot restarted: `python -m bot run` on the database the fresh start left (the usual case:
  at head already; every end-to-end test starts the bot this way, often several times).

For each: the wall time from just before the exec to the first `getUpdates` the emulator
receives (its arrival time), and the resident memory (VmRSS of /proc/PID/status) after
`IDLE` seconds of idle polling. Then SIGTERM, as a service manager stops it. Prints the
medians and minima, the ratio of the start times to bare aiogram's (goal ≤ 1.5×) and the
difference of idle memory (goal ≤ +40 MB). Asserts nothing.

    python -m bench.start [--rounds N] [--idle SECONDS]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from emulator import BotAPIEmulator

TOKEN = "100000:BENCH-token"
CS_CHAT_ID = -1001000000001
CS_ID = 1001
ROUNDS = 5
IDLE = 3.0
READY_TIMEOUT = 60.0
CHECKOUT = Path(__file__).resolve().parent.parent
START_GOAL = 1.5  # × bare aiogram
MEMORY_GOAL_MB = 40.0  # bare aiogram + this

BARE = "bare aiogram"
FRESH = "bot, fresh database"
RESTART = "bot, restart"


@dataclass
class Runs:
    starts: list[float] = field(default_factory=list)  # seconds, exec → first getUpdates
    cpu: list[float] = field(default_factory=list)  # CPU seconds used by then
    rss: list[float] = field(default_factory=list)  # MB, after IDLE seconds of polling


def environment(emu: BotAPIEmulator, database_url: str) -> dict[str, str]:
    """The bot's settings as the end-to-end tests give them (tests/e2e/conftest.py bot_env)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("BOT_", "CS_", "TELEGRAM_", "DATABASE_", "REDIS_"))
    }
    env.update(
        {
            "BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE": emu.base_url,
            "DATABASE_URL": database_url,
            "PYTHONUNBUFFERED": "1",
            "LOG_LEVEL": "INFO",
            "CS_CHAT_ID": str(CS_CHAT_ID),
            "CS_TEAM_IDS": str(CS_ID),
            "TIMEZONE": "Europe/Moscow",
            "DIGEST_CRON": "off",
            # bench/ is not installed: the bare bot's module is found from the checkout.
            "PYTHONPATH": os.pathsep.join(
                filter(None, [str(CHECKOUT), os.environ.get("PYTHONPATH")])
            ),
        }
    )
    return env


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far: unlike the wall time, it hardly
    changes with the load of the shared machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def vm_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


async def start_once(
    emu: BotAPIEmulator, module_args: list[str], workdir: Path, idle: float
) -> tuple[float, float, float]:
    """Start one process: its start time (s), the CPU it used by then (s), its idle RSS (MB)."""
    mark = len(emu.calls)
    log_path = workdir / "process.log"
    with log_path.open("ab") as log:
        started = time.time()
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            *module_args,
            cwd=workdir,
            env=environment(emu, f"sqlite+aiosqlite:///{workdir / 'bot.db'}"),
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            polls = [call for call in emu.calls[mark:] if call.method == "getUpdates"]
            if polls:
                cpu = cpu_seconds(process.pid)
                break
            if process.returncode is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"{module_args} did not poll (exit {process.returncode}):\n"
                    + log_path.read_text(errors="replace")[-3000:]
                )
            await asyncio.sleep(0.01)
        seconds = polls[0].at - started
        await asyncio.sleep(idle)
        rss = vm_rss_mb(process.pid)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), timeout=20)
            except TimeoutError:
                process.kill()
                await process.wait()
    return seconds, cpu, rss


async def main(rounds: int, idle: float) -> None:
    emu = BotAPIEmulator(token=TOKEN)
    await emu.start()
    emu.add_group(CS_CHAT_ID, "Клиентский сервис")
    emu.add_user(CS_ID, "Ольга", "Смирнова")
    runs = {BARE: Runs(), FRESH: Runs(), RESTART: Runs()}
    print(
        f"start → first getUpdates and idle RSS ({idle:g} s of polling), {rounds} rounds, "
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs"
    )
    try:
        with tempfile.TemporaryDirectory(prefix="bench-start-") as tmp:
            for number in range(rounds):
                workdir = Path(tmp) / f"round-{number}"
                workdir.mkdir()
                order = [BARE, FRESH, RESTART] if number % 2 == 0 else [FRESH, RESTART, BARE]
                for kind in order:
                    args = ["bench.bare_bot"] if kind == BARE else ["bot", "run"]
                    seconds, cpu, rss = await start_once(emu, args, workdir, idle)
                    runs[kind].starts.append(seconds)
                    runs[kind].cpu.append(cpu)
                    runs[kind].rss.append(rss)
                    print(
                        f"  round {number + 1}: {kind:<20} {seconds:5.2f} s "
                        f"(CPU {cpu:5.2f} s)  {rss:6.1f} MB"
                    )
    finally:
        await emu.stop()
    report(runs)


def report(runs: dict[str, Runs]) -> None:
    bare_start = statistics.median(runs[BARE].starts)
    bare_cpu = statistics.median(runs[BARE].cpu)
    bare_rss = statistics.median(runs[BARE].rss)
    print()
    for kind, run in runs.items():
        start = statistics.median(run.starts)
        cpu = statistics.median(run.cpu)
        rss = statistics.median(run.rss)
        line = (
            f"{kind:<20} start → first getUpdates: median {start:5.2f} s, "
            f"min {min(run.starts):5.2f} s"
        )
        if kind != BARE:
            line += f" = {start / bare_start:.2f}× bare (goal ≤ {START_GOAL:g}×)"
        print(line)
        line = f"{'':<20} CPU by then: median {cpu:5.2f} s, min {min(run.cpu):5.2f} s"
        if kind != BARE:
            line += f" = {cpu / bare_cpu:.2f}× bare"
        print(line)
        line = f"{'':<20} idle RSS: median {rss:6.1f} MB, min {min(run.rss):6.1f} MB"
        if kind != BARE:
            line += f" = bare {rss - bare_rss:+.1f} MB (goal ≤ +{MEMORY_GOAL_MB:g} MB)"
        print(line)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.start", description=__doc__)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--idle", type=float, default=IDLE, help="seconds of idle polling")
    options = parser.parse_args()
    asyncio.run(main(options.rounds, options.idle))
