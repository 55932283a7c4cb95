"""End to end: the real bot in webhook mode, the emulator POSTing updates to it."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import AuditEntry, Base, Case, CaseState
from emulator import BotAPIEmulator
from tests.conftest import TOKEN
from tests.e2e.conftest import CS_ID, LEAD_ID, MANAGER_ID
from tests.e2e.harness import BotProcess, free_port
from tests.e2e.steps import say
from tests.e2e.world import register_case

SECRET = "webhook_Secret-42"
HOOK_PATH = "/telegram/updates"


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def bot_env(bot_env: dict[str, str], port: int) -> dict[str, str]:
    return {
        **bot_env,
        "BOT_MODE": "webhook",
        "WEBHOOK_URL": f"http://127.0.0.1:{port}{HOOK_PATH}",
        "WEBHOOK_SECRET": SECRET,
        "WEBHOOK_LISTEN": f"127.0.0.1:{port}",
    }


async def post_update(port: int, update: dict[str, Any], secret: str | None) -> int:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"http://127.0.0.1:{port}{HOOK_PATH}", json=update, headers=headers) as answer,
    ):
        return answer.status


async def health(port: int) -> tuple[int, dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}/healthz") as answer,
    ):
        return answer.status, await answer.json()


async def snapshot(sessions: async_sessionmaker[AsyncSession]) -> dict[str, list[Any]]:
    """Every row of every table."""
    async with sessions() as session:
        return {
            table.name: sorted(map(repr, (await session.execute(select(table))).all()))
            for table in Base.metadata.sorted_tables
        }


def standards_from_manager(update_id: int) -> dict[str, Any]:
    """Иван Петров (in the roster by username only: whatever he sends binds his id) types
    /standards."""
    person = {"id": MANAGER_ID, "is_bot": False, "first_name": "Иван", "username": "Ivan_Petrov"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": int(time.time()),
            "chat": {"id": MANAGER_ID, "type": "private", "first_name": "Иван"},
            "from": person,
            "text": "/standards",
            "entities": [{"type": "bot_command", "offset": 0, "length": 10}],
        },
    }


async def test_the_bot_sets_its_webhook_and_answers_through_it(
    emu: BotAPIEmulator, bot: BotProcess, port: int
) -> None:
    webhook = emu.state.webhook
    assert webhook is not None
    assert webhook.url == f"http://127.0.0.1:{port}{HOOK_PATH}"
    assert webhook.secret_token == SECRET
    assert webhook.allowed_updates is not None
    assert {"message", "callback_query"} <= set(webhook.allowed_updates)
    call = next(c for c in emu.calls if c.method == "setWebhook")
    assert call.params.get("drop_pending_updates") in (False, "false"), call.params  # JSON or form
    links = await say(emu, CS_ID, "/standards", contains="Стандарты")
    assert links.reply_markup is not None
    await emu.wait_until(lambda: emu.pending_updates == 0)
    assert [d.status for d in emu.webhook_deliveries] == [200]
    assert not any(c.method == "getUpdates" for c in emu.calls)


async def test_a_request_without_the_right_secret_gets_401_and_changes_nothing(
    emu: BotAPIEmulator, bot: BotProcess, port: int, sessions: async_sessionmaker[AsyncSession]
) -> None:
    before = await snapshot(sessions)
    assert await post_update(port, standards_from_manager(900_000_001), None) == 401
    assert await post_update(port, standards_from_manager(900_000_002), "wrong") == 401
    assert await post_update(port, standards_from_manager(900_000_003), SECRET[:-1]) == 401
    assert await snapshot(sessions) == before
    assert emu.bot_messages(MANAGER_ID) == []
    # The same update with the secret is handled: the check above could have failed.
    assert await post_update(port, standards_from_manager(900_000_004), SECRET) == 200
    assert emu.bot_messages(MANAGER_ID)  # answered before the 200
    assert await snapshot(sessions) != before  # his Telegram id is bound now
    assert SECRET not in bot.log


async def test_healthz_says_whether_the_database_is_reachable(
    bot: BotProcess, port: int, database_url: str
) -> None:
    status, body = await health(port)
    assert (status, body) == (200, {"database": "ok", "leader": True, "outbox_pending": 0})
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        pytest.skip("the database is made unreachable by swapping its SQLite file")
    # The file is gone and a folder stands in its place: nothing can open it.
    path = Path(str(url.database))
    away = path.with_name(path.name + ".away")
    path.rename(away)
    path.mkdir()
    try:
        status, body = await health(port)
        assert (status, body) == (
            503,
            {"database": "unreachable", "leader": True, "outbox_pending": None},
        )
    finally:
        path.rmdir()
        away.rename(path)
    assert (await health(port))[0] == 200
    assert not path.with_name(path.name + ".away").exists()


async def test_a_slow_update_is_answered_only_after_it_was_handled(
    emu: BotAPIEmulator, bot: BotProcess
) -> None:
    emu.inject_faults("stall", 1, methods=["sendMessage"])
    await emu.send_text(CS_ID, "/standards")
    await emu.wait_stalled(1)  # the handler is in the middle of its reply
    assert emu.webhook.in_flight == 1
    assert emu.webhook_deliveries == []  # so the POST is not answered yet
    emu.release_stalled(process=True)
    await emu.wait_until(lambda: emu.pending_updates == 0)
    assert [d.status for d in emu.webhook_deliveries] == [200]
    assert "Стандарты" in emu.bot_messages(CS_ID)[-1].text


async def test_a_redelivered_press_is_not_applied_twice(
    emu: BotAPIEmulator,
    bot: BotProcess,
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
) -> None:
    """«Беру в работу» whose answer to Telegram comes too late: Telegram delivers the press
    again (on another replica, it could be) while the first is still being handled. The
    second run meets the state the first committed and is told «Уже сделано»: one
    transition. (No de-duplication by update_id: the state checks make presses idempotent.)"""
    mark = emu.mark()
    case = await register_case(sessions, database_url)
    copy = await emu.wait_for_message(LEAD_ID, contains=f"Кейс #{case.id}", after=mark)
    emu.webhook.timeout = 1.0
    emu.inject_faults("stall", 1, methods=["answerCallbackQuery"])
    query = await emu.press(LEAD_ID, copy, "Беру в работу")
    await emu.wait_stalled(1)
    await emu.wait_until(lambda: len(emu.webhook_deliveries) >= 2, timeout=10)
    assert {d.status for d in emu.webhook_deliveries} == {None}  # no answer in time, twice
    emu.webhook.timeout = 10.0
    emu.release_stalled(process=True)
    await emu.wait_until(lambda: emu.pending_updates == 0, timeout=15)
    update_ids = {d.update_id for d in emu.webhook_deliveries}
    assert len(update_ids) == 1
    assert emu.webhook_deliveries[-1].ok
    async with sessions() as session:
        stored = await session.get(Case, case.id)
        assert stored is not None
        assert stored.state == CaseState.ACCEPTED
        taken = await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.entity == "case", AuditEntry.entity_id == case.id)
            .where(AuditEntry.to_state == CaseState.ACCEPTED)
        )
    assert taken == 1
    answer = emu.callback_answer(query)
    assert answer is not None
    # And a real second press, after all that, is still told so.
    again = await emu.send_callback(LEAD_ID, LEAD_ID, copy.message_id, f"cs:acc:{case.id}")
    assert "Уже сделано" in (await emu.wait_callback_answer(again)).text


async def test_webhook_mode_without_a_secret_does_not_start(bot_process: BotProcess) -> None:
    bot_process.extra_env.pop("WEBHOOK_SECRET")
    with pytest.raises(RuntimeError, match="exited with 2"):
        await bot_process.start()
    lines = [line for line in bot_process.log.splitlines() if not line.startswith("---")]
    assert len(lines) == 1
    assert "WEBHOOK_SECRET" in lines[0]


async def test_a_secret_telegram_would_refuse_is_named_not_shown(bot_process: BotProcess) -> None:
    bot_process.extra_env["WEBHOOK_SECRET"] = "has spaces and ünicode"
    with pytest.raises(RuntimeError, match="exited with 2"):
        await bot_process.start()
    lines = [line for line in bot_process.log.splitlines() if not line.startswith("---")]
    assert len(lines) == 1
    assert "WEBHOOK_SECRET" in lines[0]
    assert "has spaces" not in bot_process.log
    assert TOKEN not in bot_process.log


async def test_sigterm_lets_the_update_in_hand_finish(emu: BotAPIEmulator, bot: BotProcess) -> None:
    emu.inject_faults("stall", 1, methods=["sendMessage"])
    await emu.send_text(CS_ID, "/standards")
    await emu.wait_stalled(1)
    stopping = asyncio.create_task(bot.stop())
    await asyncio.sleep(1.0)  # the stop has begun; the reply is still held
    assert not stopping.done()
    emu.release_stalled(process=True)
    assert await stopping == 0
    assert [d.status for d in emu.webhook_deliveries] == [200]
    assert "Стандарты" in emu.bot_messages(CS_ID)[-1].text
