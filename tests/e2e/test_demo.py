"""`make demo` works as the README promises: the scripted scenes play against the emulator
and the transcript is printed (it broke once unnoticed, when texts changed under it)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest


@pytest.mark.slow
async def test_the_demo_plays_every_scene_and_prints_the_transcript(tmp_path: Path) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("BOT_", "CS_", "TELEGRAM_", "DATABASE_", "REDIS_"))
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "demo",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=240)
    transcript = output.decode()
    assert process.returncode == 0, transcript[-3000:]
    for line in (
        "Доступ открыт",  # access
        "📋 Кейс #1",  # a case through its track
        "Апелляция #1",  # an appeal accepted
        "Запрос З-1",  # a request done
        "Итоги месяца",  # the digest
        "📅 Встреча: Андрей Лидеров",  # a meeting booked
        "Иван нажал «👁 Ознакомлен»",  # the manager's acknowledgement
        "📈 Динамика: ваши группы",  # the lead's trend chart
        "Итоги калибровки #1",  # a blind calibration's result
    ):
        assert line in transcript, line
    assert "Traceback" not in transcript
