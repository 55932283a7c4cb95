"""End to end: three replicas of the bot on one PostgreSQL database, in webhook mode behind the
emulator's round-robin delivery (a load balancer).

100 cases are registered and driven through both tracks, the presses landing on every
replica; two replicas take one button at once; the leader (the replica running the outbox
sender and the scheduler) is SIGKILLed in the middle of the work, just before the scheduled
digest and a batch of reminders fall due; a fourth replica is started afterwards and takes
part. Every notification arrives, the repeats are counted and printed, the digest and each
reminder come once.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.callbacks import CaseAct
from bot.services import cases, months
from bot.texts import Texts
from db.models import (
    AuditEntry,
    Case,
    CaseCategory,
    CaseSource,
    CaseState,
    DigestPost,
    OutboxState,
    Reminder,
    ReminderState,
)
from emulator import BotAPIEmulator, EmulatorLimits, StoredMessage
from tests.conftest import CS_CHAT_ID, TOKEN
from tests.e2e.conftest import CS_ID, LEAD_ID, OTHER_MANAGER_ID
from tests.e2e.harness import BotProcess, free_port
from tests.e2e.steps import MOSCOW, THINK, outbox_rows, wait_until
from tests.e2e.world import (
    act_on_case,
    an_analysis,
    briefing_tomorrow,
    month_results,
    register_case,
)

pytestmark = [
    pytest.mark.both_databases,
    pytest.mark.postgres_only,  # replicas share a database: PostgreSQL's
    pytest.mark.timeout(420),
    pytest.mark.slow,
]

CASES = 100
UNTAKEN = 3  # cases nobody takes: their reminders fall due right after the leader's death
HOOK_PATH = "/telegram/updates"
SECRET = "replicas-Secret-7"
GROUP_WINDOW = 3.0
GROUP_LIMIT = 20
START_UP = 10.0  # seconds three replicas take to start, about
# Seconds after that: the leader dies then... (room for 100 cases' 300 messages at the limits,
# and for the other test workers sharing the machine's cores meanwhile)
KILL_AFTER = 60.0
DIGEST_AFTER = 1.5  # ...and the digest falls due this much later
PRESSING = 3.0  # seconds of presses before the kill
TITLE = re.compile(r"📋 Кейс #(\d+) · ")  # a post's or a copy's first line
NOTICE = re.compile(r"По вашей работе зарегистрирован кейс #(\d+)")
TEXTS = Texts("ru", tz=MOSCOW)
ACCEPT = TEXTS("case-btn-accept")
HELD = TEXTS("case-btn-briefing-held")
PASSED = TEXTS("case-btn-recheck-passed")
CONFIRM = TEXTS("case-btn-confirm")
DONE = TEXTS("case-done")
ALREADY = "Уже сделано"


@pytest.fixture
def emulator_limits() -> EmulatorLimits:
    """Telegram's limits, the group window shortened to 3 s (as in the load test)."""
    return EmulatorLimits(group_per_minute=GROUP_LIMIT, group_window=GROUP_WINDOW)


def replica_env(bot_env: dict[str, str], port: int, digest_at: datetime) -> dict[str, str]:
    return {
        **bot_env,
        "BOT_MODE": "webhook",
        # Every replica gives Telegram the load balancer's address; each listens on its own.
        "WEBHOOK_URL": f"http://127.0.0.1:9{HOOK_PATH}",
        "WEBHOOK_SECRET": SECRET,
        "WEBHOOK_LISTEN": f"127.0.0.1:{port}",
        "OUTBOX_GROUP_WINDOW": str(int(GROUP_WINDOW)),
        "OUTBOX_GROUP_PER_MINUTE": str(GROUP_LIMIT),
        "OUTBOX_CHAT_PER_SECOND": "10",
        "DIGEST_CRON": (
            f"{digest_at.second} {digest_at.minute} {digest_at.hour}"
            f" {digest_at.day} {digest_at.month} *"
        ),
    }


async def health(port: int) -> dict[str, Any] | None:
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session,
            session.get(f"http://127.0.0.1:{port}/healthz") as answer,
        ):
            return dict(await answer.json()) if answer.status == 200 else None
    except (aiohttp.ClientError, TimeoutError):
        return None


def first_versions(emu: BotAPIEmulator, chat_id: int, pattern: re.Pattern[str]) -> list[int]:
    """The case numbers of the bot's messages in a chat, by their first text (a post, a copy,
    a notice), each as many times as it was sent."""
    found = []
    for message in emu.bot_messages(chat_id):
        match = pattern.match(message.versions[0])
        if match:
            found.append(int(match.group(1)))
    return found


def by_case(emu: BotAPIEmulator, chat_id: int) -> dict[int, StoredMessage]:
    """A case's post (the group) or copy (the lead's chat): the first message titled with it."""
    found: dict[int, StoredMessage] = {}
    for message in emu.bot_messages(chat_id):
        match = TITLE.match(message.versions[0])
        if match:
            found.setdefault(int(match.group(1)), message)
    return found


def has_button(emu: BotAPIEmulator, message: StoredMessage, text: str) -> bool:
    current = emu.state.get_message(message.chat_id, message.message_id)
    return current is not None and any(text in label for row in current.buttons for label in row)


async def press_when_shown(
    emu: BotAPIEmulator, user_id: int, message: StoredMessage, button: str
) -> tuple[str, str]:
    """Press `button` once the message shows it (its edit goes through the leader's outbox);
    the callback query's id and the answer's text."""
    await emu.wait_until(lambda: has_button(emu, message, button), timeout=60)
    await asyncio.sleep(THINK)  # a person's pace
    query = await emu.press(user_id, message, button)
    answer = await emu.wait_callback_answer(query, timeout=60)
    return query, answer.text or ""


async def test_three_replicas_share_the_work_and_survive_the_leaders_death(
    emu: BotAPIEmulator,
    world: None,
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    tmp_path: Path,
    bot_env: dict[str, str],
) -> None:
    ports = [free_port() for _ in range(4)]
    urls = [f"http://127.0.0.1:{port}{HOOK_PATH}" for port in ports]
    # The replicas take a few seconds to start: the digest's time (a cron line's, in whole
    # seconds) is set now, and the leader dies DIGEST_AFTER before it.
    digest_at = (datetime.now(MOSCOW) + timedelta(seconds=START_UP + KILL_AFTER)).replace(
        microsecond=0
    )
    digest_month = months.previous(digest_at.date().replace(day=1))
    await month_results(sessions, digest_month, {"Группа Север": 70.0, "Группа Юг": 90.0})
    replicas = []
    for number, port in enumerate(ports):
        workdir = tmp_path / f"replica{number + 1}"
        workdir.mkdir()
        replicas.append(
            BotProcess(
                emu,
                token=TOKEN,
                database_url=database_url,
                workdir=workdir,
                env=replica_env(bot_env, port, digest_at),
            )
        )
    emu.webhook_targets = urls[:3]
    answers: list[str] = []
    try:
        for replica in replicas[:3]:
            await replica.start()
        kill_in = (digest_at - datetime.now(MOSCOW)).total_seconds() - DIGEST_AFTER
        kill_at = time.monotonic() + kill_in
        roles = [await health(port) for port in ports[:3]]
        assert [bool(role and role["leader"]) for role in roles] == [True, False, False]

        # --- 100 cases and 3 that nobody takes ------------------------------------------
        registered: list[Case] = []
        for wave in range(0, CASES, 5):
            registered += await asyncio.gather(
                *(
                    register_case(
                        sessions,
                        database_url,
                        CaseCategory.COMMUNICATION if n % 2 else CaseCategory.PROCESS,
                        f"Ошибка номер {n}",
                        source=CaseSource.CALL,
                    )
                    for n in range(wave, wave + 5)
                )
            )
        # Their first reminder falls due a second after the leader's death.
        reminders_due = digest_at - timedelta(seconds=DIGEST_AFTER - 1)
        untaken = [
            await register_case(
                sessions,
                database_url,
                summary=f"Без реакции {n}",
                source=CaseSource.CALL,
                ack_sla=reminders_due - datetime.now(MOSCOW),
            )
            for n in range(UNTAKEN)
        ]
        ids = [case.id for case in registered]
        kinds = {case.id: case.category for case in registered}

        async def copies_out() -> bool:
            return set(ids) <= set(by_case(emu, LEAD_ID)) and set(ids) <= set(
                by_case(emu, CS_CHAT_ID)
            )

        await wait_until(copies_out, timeout=90)
        copies, posts = by_case(emu, LEAD_ID), by_case(emu, CS_CHAT_ID)

        # --- two replicas, one button, at once -------------------------------------------
        both = ids[0]
        first = await emu.press(LEAD_ID, copies[both], ACCEPT)
        second = await emu.press(LEAD_ID, posts[both], ACCEPT)  # another chat: delivered at once
        replies = await asyncio.gather(
            emu.wait_callback_answer(first, timeout=30),
            emu.wait_callback_answer(second, timeout=30),
        )
        texts_of = sorted(reply.text or "" for reply in replies)
        assert texts_of[0] == DONE
        assert texts_of[1].startswith(ALREADY), texts_of
        both_updates = {emu.state.callbacks[query].update_id for query in (first, second)}

        def delivered() -> list[str]:  # a POST is recorded once answered, after the reply
            return [d.url for d in emu.webhook_deliveries if d.ok and d.update_id in both_updates]

        await emu.wait_until(lambda: len(delivered()) == 2, timeout=30)
        assert len(set(delivered())) == 2  # two replicas took them

        # --- the lead takes the cases; the leader dies in the middle ----------------------
        async def take(case_ids: list[int]) -> None:
            for case_id in case_ids:
                _, answer = await press_when_shown(emu, LEAD_ID, copies[case_id], ACCEPT)
                answers.append(answer)

        # The presses start a little before the kill, so that it falls in their midst (and in
        # the burst of edits and notices they make), just before the digest's time.
        await asyncio.sleep(max(0.0, kill_at - PRESSING - time.monotonic()))
        taking = asyncio.create_task(take(ids[1:]))
        await asyncio.sleep(max(0.0, kill_at - time.monotonic()))
        assert not taking.done(), "the presses should still be going when the leader dies"
        assert datetime.now(MOSCOW) < digest_at, "the start took too long: the digest came first"
        killed_at = time.monotonic()
        await replicas[0].kill()
        emu.webhook_targets = urls[1:3]
        survivors = ports[1:3]
        while True:
            roles = [await health(port) for port in survivors]
            if any(role and role["leader"] for role in roles):
                break
            assert time.monotonic() - killed_at < 15, "nobody took over within 15 s"
            await asyncio.sleep(0.1)
        takeover = time.monotonic() - killed_at
        # A fourth replica joins behind the load balancer.
        await replicas[3].start()
        emu.webhook_targets = [*urls[1:3], urls[3]]
        await taking

        # --- both tracks to the end: the input steps through the service, the rest pressed --
        for case_id in ids:
            if kinds[case_id] == CaseCategory.COMMUNICATION:
                act, data = CaseAct.SET_BRIEFING, briefing_tomorrow(database_url)
            else:
                act, data = CaseAct.SUBMIT_ANALYSIS, an_analysis()
            await act_on_case(sessions, database_url, case_id, LEAD_ID, act, data)

        async def lead_side() -> None:
            for case_id in ids:
                if kinds[case_id] == CaseCategory.COMMUNICATION:
                    _, answer = await press_when_shown(emu, LEAD_ID, copies[case_id], HELD)
                    answers.append(answer)

        async def cs_side() -> None:
            for case_id in ids:
                button = PASSED if kinds[case_id] == CaseCategory.COMMUNICATION else CONFIRM
                _, answer = await press_when_shown(emu, CS_ID, posts[case_id], button)
                answers.append(answer)

        await asyncio.gather(lead_side(), cs_side())

        async def all_closed() -> bool:
            async with sessions() as session:
                states = (
                    await session.execute(select(Case.state).where(Case.id.in_(ids)))
                ).scalars()
                return all(state == CaseState.CLOSED for state in states)

        await wait_until(all_closed, timeout=60)

        async def all_sent() -> bool:
            return all(row.state != OutboxState.PENDING for row in await outbox_rows(sessions))

        await wait_until(all_sent, timeout=120)
        await emu.wait_for_message(CS_CHAT_ID, contains="Рейтинг групп", timeout=30)
        await asyncio.sleep(1.5)  # nothing more arrives

        # --- what must hold ----------------------------------------------------------------
        # One transition for the button taken twice at once.
        async with sessions() as session:
            accepted = await session.scalar(
                select(func.count(AuditEntry.id)).where(
                    AuditEntry.entity == "case",
                    AuditEntry.entity_id == both,
                    AuditEntry.to_state == CaseState.ACCEPTED,
                )
            )
        print(f"audit entries of «{ACCEPT}» on case #{both}: {accepted}")
        assert accepted == 1

        # Every notification arrived; repeats counted.
        group, lead, manager = (
            Counter(first_versions(emu, CS_CHAT_ID, TITLE)),
            Counter(first_versions(emu, LEAD_ID, TITLE)),
            Counter(first_versions(emu, OTHER_MANAGER_ID, NOTICE)),
        )
        everyone = [*ids, *(case.id for case in untaken)]
        for name, counted in (("group", group), ("lead", lead), ("manager", manager)):
            missing = [case_id for case_id in everyone if counted[case_id] == 0]
            assert missing == [], f"{name}: no message for cases {missing}"
        repeats = sum(count - 1 for counted in (group, lead, manager) for count in counted.values())
        rows = await outbox_rows(sessions)
        assert {row.state for row in rows} == {OutboxState.SENT}
        # The scheduled digest once, though its leader died just before its time.
        digests = [m for m in emu.bot_messages(CS_CHAT_ID) if "Рейтинг групп" in m.text]
        async with sessions() as session:
            posted = await session.scalar(select(func.count(DigestPost.id)))
            reminders = (
                (
                    await session.execute(
                        select(Reminder).where(
                            Reminder.subject.in_([f"case:{case.id}" for case in untaken])
                        )
                    )
                )
                .scalars()
                .all()
            )
        assert (len(digests), posted) == (1, 1)
        # Each reminder that fell due, once.
        sent = [r for r in reminders if r.state == ReminderState.SENT]
        assert {r.kind for r in sent} >= {cases.ACK}
        for reminder in sent:
            case_id = int(reminder.subject.split(":")[1])
            marker = f"Кейс #{case_id} "
            chat = LEAD_ID if reminder.kind == cases.ACK else CS_CHAT_ID
            heard = [
                m
                for m in emu.bot_messages(chat)
                if marker in m.versions[0] and not TITLE.match(m.versions[0])
            ]
            assert len(heard) == 1, (reminder.kind, [m.text for m in heard])

        # Every replica took presses; one leader among the living.
        pressed = {record.update_id for record in emu.state.callbacks.values()}
        took = Counter(
            delivery.url
            for delivery in emu.webhook_deliveries
            if delivery.ok and delivery.update_id in pressed
        )
        roles = [await health(port) for port in ports[1:]]
        leaders = [bool(role and role["leader"]) for role in roles]
        print(
            f"{CASES} cases through both tracks on 3 replicas (+1 later); takeover after the"
            f" leader's SIGKILL: {takeover:.1f} s; repeated messages: {repeats}"
            f" (group {sum(group.values()) - len(group)}, lead {sum(lead.values()) - len(lead)},"
            f" manager {sum(manager.values()) - len(manager)}); presses per replica:"
            f" {[took[url] for url in urls]}; answers «Уже сделано»:"
            f" {sum(a.startswith(ALREADY) for a in answers)}; emulator 429s:"
            f" {emu.stats.rate_limited}; leaders now {leaders}"
        )
        assert all(took[url] > 0 for url in urls), took
        assert sum(leaders) == 1
        assert takeover < 15
        # A repeat is only a message in flight when the leader died (at most the sender's
        # concurrency), and the limits held for the bot as a whole.
        assert repeats <= 16
        assert emu.stats.rate_limited <= 10
        assert all(answer == DONE or answer.startswith(ALREADY) for answer in answers)
    finally:
        for replica in replicas:
            await replica.stop()
        for number, replica in enumerate(replicas):
            lines = [line for line in replica.log.splitlines() if " ERROR " in line]
            print(f"--- replica {number + 1}: {len(lines)} ERROR lines", *lines[:5], sep="\n")
            assert TOKEN not in replica.log
