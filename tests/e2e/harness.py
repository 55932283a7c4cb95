"""The real bot process against the loopback emulator: `python -m bot run`, forked from the
tests' zygote (tests/fixtures/zygote.py) when one is given, else exec'd."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

from emulator import BotAPIEmulator
from tests.fixtures.zygote import ForkedProcess, Zygote

READY_TIMEOUT = 30.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (for a bot in webhook mode)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class BotProcess:
    def __init__(
        self,
        emu: BotAPIEmulator,
        *,
        token: str,
        database_url: str,
        workdir: Path,
        env: dict[str, str],
        zygote: Zygote | None = None,
    ) -> None:
        self.emu = emu
        self.zygote = zygote
        self.token = token
        self.database_url = database_url
        self.workdir = workdir
        self.extra_env = env
        self.log_path = workdir / "bot.log"
        self._process: asyncio.subprocess.Process | ForkedProcess | None = None
        self.starts = 0

    def environment(self) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("BOT_", "CS_", "TELEGRAM_", "DATABASE_", "REDIS_"))
        }
        env.update(
            {
                "BOT_TOKEN": self.token,
                "TELEGRAM_API_BASE": self.emu.base_url,
                "DATABASE_URL": self.database_url,
                "PYTHONUNBUFFERED": "1",
                "LOG_LEVEL": "INFO",
            }
        )
        env.update(self.extra_env)
        return env

    async def start(self) -> None:
        """Start the bot and wait until it has finished its start-up: it polls for updates,
        or, with BOT_MODE=webhook, its setWebhook was answered (it listens by then)."""
        mark = len(self.emu.calls)
        with self.log_path.open("ab") as log:
            log.write(f"--- start #{self.starts + 1}\n".encode())
        if self.zygote is not None:
            self._process = await self.zygote.start(
                ["run"], self.environment(), self.workdir, self.log_path
            )
        else:
            with self.log_path.open("ab") as log:
                self._process = await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "bot",
                    "run",
                    cwd=self.workdir,
                    env=self.environment(),
                    stdout=log,
                    stderr=asyncio.subprocess.STDOUT,
                )
        self.starts += 1
        loop = asyncio.get_running_loop()
        deadline = loop.time() + READY_TIMEOUT
        while not self._ready(mark):
            if self._process.returncode is not None:
                raise RuntimeError(f"the bot exited with {self._process.returncode}:\n{self.log}")
            if loop.time() > deadline:
                raise TimeoutError(f"the bot did not start polling:\n{self.log}")
            await asyncio.sleep(0.05)

    @property
    def webhook_mode(self) -> bool:
        return self.extra_env.get("BOT_MODE", "").lower() == "webhook"

    def _ready(self, mark: int) -> bool:
        if self.webhook_mode:
            return any(
                call.method == "setWebhook" and call.done and call.ok
                for call in self.emu.calls[mark:]
            )
        return any(call.method == "getUpdates" for call in self.emu.calls[mark:])

    async def stop(self) -> int | None:
        """A graceful stop (SIGTERM), as a service manager would do."""
        return await self._signal(signal.SIGTERM)

    async def kill(self) -> int | None:
        """SIGKILL: the process dies at once, wherever it is."""
        return await self._signal(signal.SIGKILL)

    async def _signal(self, sig: signal.Signals) -> int | None:
        process = self._process
        if process is None or process.returncode is not None:
            return None if process is None else process.returncode
        process.send_signal(sig)
        try:
            return await asyncio.wait_for(process.wait(), timeout=20)
        except TimeoutError:
            process.kill()
            return await process.wait()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    @property
    def log(self) -> str:
        return (
            self.log_path.read_text(encoding="utf-8", errors="replace")
            if self.log_path.exists()
            else ""
        )
