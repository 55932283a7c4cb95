"""End to end: texts at their longest allowed length, with markup characters and Cyrillic,
shown by every view: the bot never sends what Telegram would refuse, and /case N of a card
too long for one message sends it cut, with the whole text as a .txt file (defect 4)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.callbacks import Decision
from bot.services import appeals, cases, longtext, requests
from bot.texts import Texts
from db.engine import write_transaction
from db.models import AuditEntry, Case, CaseCategory, CaseState, RequestKind
from emulator import BotAPIEmulator
from tests.conftest import CS_CHAT_ID, make_settings
from tests.e2e.conftest import CS_ID, LEAD_ID, OTHER_MANAGER_ID
from tests.e2e.harness import BotProcess
from tests.e2e.steps import MOSCOW, day_label, say, step, today
from tests.e2e.world import employee, register_case


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


async def test_an_appeal_and_a_request_at_their_longest_fit_every_view(
    emu: BotAPIEmulator,
    bot: BotProcess,
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
):
    settings = make_settings(database_url)
    texts = Texts("ru", tz=MOSCOW)
    case = await register_case(sessions, database_url, CaseCategory.COMMUNICATION)
    mark = emu.mark()
    async with sessions() as session:
        maria = await employee(session, OTHER_MANAGER_ID)
        appeal = await appeals.file(
            session,
            maria,
            appeals.AppealDraft(
                case_id=case.id,
                reason=longest(appeals.MAX_REASON),
                evidence=tuple(
                    {"kind": "link", "url": f"https://e.example/{n}?" + "q" * 960}
                    for n in range(appeals.MAX_EVIDENCE)
                ),
            ),
            settings=settings,
            texts=texts,
        )
        request = await requests.submit(
            session,
            maria,
            RequestKind.BADGE,
            {
                "item": "audio",
                "quantity": "50",
                "place": longest(requests.MAX_NAME),
                "recipient": longest(requests.MAX_NAME),
                "comment": longest(requests.MAX_COMMENT),
            },
            settings=settings,
            texts=texts,
        )
    appeal_post = await emu.wait_for_message(
        CS_CHAT_ID, contains=f"Апелляция #{appeal.id}", after=mark
    )
    request_post = await emu.wait_for_message(CS_CHAT_ID, contains=f"З-{request.id}", after=mark)
    for post in (appeal_post, request_post):
        assert longtext.units(post.text) <= longtext.TEXT_LIMIT
        assert post.buttons  # the decision buttons made it too
    # Every view that lists them: the manager's /my, CS's /queue, the export.
    mine = await say(emu, OTHER_MANAGER_ID, "/my", contains="Мои апелляции и запросы")
    assert f"З-{request.id}" in mine.text
    queue = await say(emu, CS_ID, "/queue", contains="Очередь")
    assert longtext.units(queue.text) <= longtext.TEXT_LIMIT
    dialog = await say(emu, CS_ID, "/export", contains="За какой период")
    mark = emu.mark()
    await step(emu, CS_ID, dialog, "Этот месяц", "Выгрузка за")
    exported = await emu.wait_for_message(
        CS_ID, after=mark, predicate=lambda m: m.document is not None, timeout=20
    )
    assert exported.document is not None
    # CS decides the appeal with the longest comment: the notices fit as well.
    async with sessions() as session:
        cs = await employee(session, CS_ID)
        await appeals.decide(
            session,
            cs,
            appeal.id,
            Decision.REJECT,
            longest(appeals.MAX_COMMENT),
            settings=settings,
            texts=texts,
        )
    notice = await emu.wait_for_message(OTHER_MANAGER_ID, contains=f"#{appeal.id}", after=mark)
    assert longtext.units(notice.text) <= longtext.TEXT_LIMIT
    assert "Traceback" not in bot.log
    assert " ERROR " not in bot.log


async def test_the_case_dialog_at_its_longest_fits_its_review_and_the_posts(
    emu: BotAPIEmulator, bot: BotProcess
):
    await say(emu, CS_ID, "/case", contains="Кого касается ошибка")
    picked = await say(emu, CS_ID, "козл", contains="найдено: 1")
    tab = await step(emu, CS_ID, picked, "Мария Козлова — Группа Юг", "Выберите вкладку")
    await step(emu, CS_ID, tab, "Кейсы", "категорию")
    await step(emu, CS_ID, tab, "Ошибка в коммуникации", "источник")
    calendar = await step(emu, CS_ID, tab, "онлайн-встреча", "Выберите дату")
    await step(emu, CS_ID, calendar, day_label(today()), "Опишите ошибку")
    summary = longest(cases.MAX_SUMMARY)
    await say(emu, CS_ID, summary, contains="ссылку на запись")
    files = await say(emu, CS_ID, "https://example.com/rec?" + "a" * 276, contains="Добавлено: нет")
    review = await step(emu, CS_ID, files, "Готово", "Проверьте кейс")
    assert longtext.units(review.content) <= longtext.TEXT_LIMIT
    mark = emu.mark()
    await step(emu, CS_ID, review, "Опубликовать", "опубликован")
    for chat in (CS_CHAT_ID, LEAD_ID, OTHER_MANAGER_ID):
        shown = await emu.wait_for_message(chat, contains="Ошибка <b>&</b> клиент", after=mark)
        assert longtext.units(shown.text) <= longtext.TEXT_LIMIT
    assert "Traceback" not in bot.log
