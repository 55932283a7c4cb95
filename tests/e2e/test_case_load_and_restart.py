"""End to end: a re-check reminder survives a restart of the bot, and a burst of cases for one
working group reaches the group (within its flood limit, by waiting) and the lead."""

from __future__ import annotations

import asyncio
import html
import re
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.callbacks import CaseAct
from bot.services import cases
from bot.texts import Texts
from db.models import Case, CaseSource, CaseState, OutboxState, Reminder, ReminderState
from emulator import BotAPIEmulator, EmulatorLimits, StoredMessage
from tests.conftest import CS_CHAT_ID
from tests.e2e.conftest import LEAD_ID, OTHER_MANAGER_ID
from tests.e2e.harness import BotProcess
from tests.e2e.steps import MOSCOW, outbox_rows, wait_until
from tests.e2e.world import act_on_case, register_case

MANAGER_NAME = "Мария Козлова"
GROUP_WINDOW = 3.0
GROUP_LIMIT = 20
BURST = 30
TITLE = re.compile(r"Кейс #(\d+)")

pytestmark = pytest.mark.both_databases  # concurrent writers: PostgreSQL's locks are at stake


@pytest.fixture
def emulator_limits() -> EmulatorLimits:
    """The group flood window shortened to 3 s."""
    return EmulatorLimits(group_per_minute=GROUP_LIMIT, group_window=GROUP_WINDOW)


@pytest.fixture
def bot_env(bot_env: dict[str, str]) -> dict[str, str]:
    return {
        **bot_env,
        # A re-check 5 s after «Брифинг проведён», the CS notice 1 s before it.
        "RECHECK_AFTER": "5",
        "RECHECK_NOTICE": "1",
        # The bot's group limit matches the emulator's shortened one...
        "OUTBOX_GROUP_WINDOW": str(int(GROUP_WINDOW)),
        "OUTBOX_GROUP_PER_MINUTE": str(GROUP_LIMIT),
        # ...and the per-chat pace (which the emulator does not enforce) is raised so that
        # the group limit, not one message a second, is what holds the burst back.
        "OUTBOX_CHAT_PER_SECOND": "10",
    }


def texts() -> Texts:
    return Texts("ru", tz=MOSCOW)


def plain(text: str) -> str:
    """A catalogue text as the chat shows it (tags gone, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def with_text(emu: BotAPIEmulator, chat_id: int, text: str) -> list[StoredMessage]:
    return [m for m in emu.bot_messages(chat_id) if any(text in v for v in m.versions)]


@pytest.mark.slow
async def test_a_restart_between_briefing_held_and_the_recheck_still_delivers_it_once(
    emu: BotAPIEmulator,
    bot: BotProcess,
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
) -> None:
    mark = emu.mark()
    case = await register_case(sessions, database_url, source=CaseSource.CALL)
    copy = await emu.wait_for_message(LEAD_ID, contains=f"Кейс #{case.id}", after=mark)

    # «Беру в работу» and the briefing date through the service, as the lead...
    await act_on_case(sessions, database_url, case.id, LEAD_ID, CaseAct.ACCEPT)
    tomorrow = datetime.now(MOSCOW).date() + timedelta(days=1)
    briefing = datetime.combine(tomorrow, time(11, 0), tzinfo=MOSCOW).astimezone(UTC)
    await act_on_case(
        sessions,
        database_url,
        case.id,
        LEAD_ID,
        CaseAct.SET_BRIEFING,
        cases.ActInput(briefing_at=briefing),
    )
    held_button = texts()("case-btn-briefing-held")
    copy = await emu.wait_for_edit(
        LEAD_ID,
        copy.message_id,
        contains=plain(texts()("case-status-briefing-set", when=briefing)),
    )
    assert [held_button] in copy.buttons

    # ...and «Брифинг проведён» pressed in the lead's chat; the bot goes down right after.
    answer = await emu.wait_callback_answer(await emu.press(LEAD_ID, copy, held_button))
    assert answer.text == texts()("case-done")
    await bot.stop()

    due_text = plain(texts()("case-remind-recheck-today", id=case.id, manager=MANAGER_NAME))
    lead_due_text = plain(
        texts()("case-remind-recheck-today-lead", id=case.id, manager=MANAGER_NAME)
    )
    async with sessions() as session:
        stored = await session.get(Case, case.id)
        assert stored is not None
        assert stored.state == CaseState.RECHECK
        assert stored.recheck_due_at is not None
        due_at = stored.recheck_due_at
        due_reminder = (
            await session.execute(
                select(Reminder).where(
                    Reminder.subject == f"case:{case.id}", Reminder.kind == cases.RECHECK_DUE
                )
            )
        ).scalar_one()
    # The premise: it was not yet due when the bot stopped, so nothing was sent.
    assert due_reminder.state == ReminderState.PENDING
    assert with_text(emu, CS_CHAT_ID, due_text) == []
    assert with_text(emu, LEAD_ID, lead_due_text) == []

    # The due time passes while the bot is down.
    await asyncio.sleep(max(0.0, (due_at - datetime.now(UTC)).total_seconds()) + 1.0)
    assert with_text(emu, CS_CHAT_ID, due_text) == []

    await bot.start()
    await emu.wait_for_message(CS_CHAT_ID, contains=due_text, after=mark)
    await emu.wait_for_message(LEAD_ID, contains=lead_due_text, after=mark)
    await asyncio.sleep(1.5)  # three sweep intervals of the bot: nothing more comes

    assert len(with_text(emu, CS_CHAT_ID, due_text)) == 1
    assert len(with_text(emu, LEAD_ID, lead_due_text)) == 1
    # The notice before the due time fell due while the bot was down too: not doubled.
    soon_marker = f"#{case.id} ({MANAGER_NAME})"
    cs_reminders = [
        m
        for m in emu.bot_messages(CS_CHAT_ID)
        if soon_marker in m.text and TITLE.search(m.text) is None
    ]
    print("CS group reminders after the restart:", [m.text for m in cs_reminders])
    assert len(cs_reminders) <= 2  # at most the notice and the due reminder, once each

    # Another restart does not deliver it again either.
    await bot.stop()
    await bot.start()
    await asyncio.sleep(1.5)
    assert len(with_text(emu, CS_CHAT_ID, due_text)) == 1
    assert len(with_text(emu, LEAD_ID, lead_due_text)) == 1
    async with sessions() as session:
        states = {
            r.kind: r.state
            for r in (
                await session.execute(select(Reminder).where(Reminder.subject == f"case:{case.id}"))
            ).scalars()
        }
    assert states[cases.RECHECK_DUE] == ReminderState.SENT


@pytest.mark.slow
async def test_thirty_cases_in_a_minute_all_reach_the_group_and_the_lead(
    emu: BotAPIEmulator,
    bot: BotProcess,
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    mark = emu.mark()

    # Registered in small concurrent waves, as several CS members would.
    registered: list[Case] = []
    for wave in range(0, BURST, 5):
        registered += await asyncio.gather(
            *(
                register_case(
                    sessions,
                    database_url,
                    summary=f"Ошибка номер {n}, тел. 89991234567",
                    source=CaseSource.CALL,
                )
                for n in range(wave, wave + 5)
            )
        )
    ids = sorted(case.id for case in registered)
    assert len(set(ids)) == BURST

    def numbered(chat_id: int) -> list[int]:
        found = []
        for message in emu.bot_messages(chat_id):
            if message.created_seq <= mark:
                continue
            match = TITLE.search(message.versions[0])
            if match:
                found.append(int(match.group(1)))
        return found

    async def all_posted() -> bool:
        return len(numbered(CS_CHAT_ID)) >= BURST and len(numbered(LEAD_ID)) >= BURST

    await wait_until(all_posted, timeout=30.0)

    async def all_sent() -> bool:
        rows = await outbox_rows(sessions)
        return all(row.state != OutboxState.PENDING for row in rows)

    await wait_until(all_sent, timeout=30.0)
    await asyncio.sleep(0.5)  # nothing more (no duplicates) arrives
    elapsed = loop.time() - started

    group = numbered(CS_CHAT_ID)
    lead = numbered(LEAD_ID)
    manager = numbered(OTHER_MANAGER_ID)
    print(
        f"{BURST} cases in {elapsed:.1f}s; emulator 429s: {emu.stats.rate_limited}; "
        f"group {len(group)}, lead {len(lead)}, manager {len(manager)}"
    )
    refused = [(c.method, c.params.get("chat_id")) for c in emu.calls if c.error_code == 429]
    print("429 answers (method, chat):", refused)
    # Every post exactly once, in the order of the case numbers.
    assert group == ids
    assert lead == ids  # one chat's queue keeps its order
    assert sorted(manager) == ids
    for message in emu.bot_messages(CS_CHAT_ID):
        assert "89991234567" not in message.text

    rows = await outbox_rows(sessions)
    assert len(rows) == 3 * BURST
    assert {row.state for row in rows} == {OutboxState.SENT}
    # The group limit was kept by waiting: the bot never tried more than the limit within
    # one window, give or take one attempt on a window's edge (the bot counts a send when it
    # dispatches it, the emulator when it arrives, a few milliseconds later). A bot without
    # the group limit makes 23 or more here. So the 30 posts took more than one window...
    attempts = sorted(
        call.at
        for call in emu.calls
        if call.method == "sendMessage" and str(call.params.get("chat_id")) == str(CS_CHAT_ID)
    )
    assert len(attempts) >= BURST
    busiest = max(
        sum(1 for other in attempts if at - GROUP_WINDOW < other <= at) for at in attempts
    )
    print(f"group: {len(attempts)} attempts, at most {busiest} in one {GROUP_WINDOW}s window")
    assert busiest <= GROUP_LIMIT + 1
    assert attempts[-1] - attempts[0] >= GROUP_WINDOW
    # ...and the emulator hardly ever had to refuse anything.
    assert emu.stats.rate_limited <= 6
    assert elapsed < 30
