"""End to end: texts at their longest allowed length, with markup characters and Cyrillic,
shown by every view: the bot never sends what Telegram would refuse, and /case N of a card
too long for one message sends it cut, with the whole text as a .txt file (defect 4)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services import cases, longtext
from db.engine import write_transaction
from db.models import AuditEntry, Case, CaseCategory, CaseState
from emulator import BotAPIEmulator
from tests.conftest import CS_CHAT_ID
from tests.e2e.conftest import CS_ID, LEAD_ID, OTHER_MANAGER_ID
from tests.e2e.harness import BotProcess
from tests.e2e.steps import say
from tests.e2e.world import register_case


def longest(size: int, word: str = "Ошибка <b>&</b> клиент") -> str:
    """A text of exactly `size` characters made of `word`s."""
    text = (word + " ") * (size // (len(word) + 1) + 1)
    return text[:size]


async def test_a_case_with_every_text_at_its_longest_is_shown_everywhere(
    emu: BotAPIEmulator,
    bot: BotProcess,
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
):
    mark = emu.mark()
    case = await register_case(
        sessions,
        database_url,
        CaseCategory.PROCESS,
        summary=longest(cases.MAX_SUMMARY),
        link="https://example.com/rec?" + "a" * 276,
    )
    post = await emu.wait_for_message(CS_CHAT_ID, contains=f"Кейс #{case.id}", after=mark)
    await emu.wait_for_message(LEAD_ID, contains=f"Кейс #{case.id}", after=mark)
    await emu.wait_for_message(OTHER_MANAGER_ID, contains=f"#{case.id}", after=mark)
    assert longtext.units(post.text) <= longtext.TEXT_LIMIT
    # The lead's analysis (3 × 600) and a 500-character return comment in the history.
    async with sessions() as session, write_transaction(session):
        row = await session.get(Case, case.id)
        assert row is not None
        row.analysis_process = longest(cases.MAX_FIELD)
        row.analysis_cause = longest(cases.MAX_FIELD)
        row.analysis_measures = longest(cases.MAX_FIELD)
        row.state = CaseState.ACCEPTED
        row.last_comment = longest(500)
        session.add(
            AuditEntry(
                at=datetime.now(UTC),
                actor_id=None,
                entity="case",
                entity_id=case.id,
                action="return",
                from_state=CaseState.ANALYSED,
                to_state=CaseState.ACCEPTED,
                comment=longest(500),
            )
        )
    for viewer in (CS_ID, LEAD_ID, OTHER_MANAGER_ID):
        mark = emu.mark()
        card = await say(emu, viewer, f"/case {case.id}", contains=f"Кейс #{case.id}")
        assert "Что-то пошло не так" not in card.text
        assert longtext.units(card.text) <= longtext.TEXT_LIMIT
        assert "полный текст — в файле ниже" in card.text
        document = await emu.wait_for_message(viewer, contains="полностью", after=mark)
        assert document.document is not None
        whole = document.document.content.decode("utf-8")
        assert longest(cases.MAX_SUMMARY) in whole
        assert longest(500) in whole
    # Nothing was refused by Telegram and nothing failed.
    assert "Traceback" not in bot.log
    assert " ERROR " not in bot.log
