"""The workbook import at the service level, on the real migrated database: new rows become
cases published like /case does (group post, leads, manager — outbox rows), a second
import of the same workbook publishes nothing, one bad row stops the whole file and is
named by sheet and line, and the progress callback is told how far it got."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services import roster, workbook_import
from bot.services.errors import Forbidden
from bot.services.workbook_import import WorkbookInvalid
from bot.settings import Settings
from bot.texts import Texts
from db.models import Case, CaseCategory, CaseSource, CaseTab, OutboxMessage
from tests.conftest import CS_CHAT_ID, person
from tests.fixtures.files import workbook

CS, LEAD, MANAGER, OTHER = 1001, 2001, 3001, 3002
ROSTER = """full_name,role,group,position,telegram_id,username
Ольга Смирнова,cs,,Специалист КС,1001,
Андрей Лидеров,lead,Группа Север;Группа Юг,Главный менеджер,2001,
Иван Петров,manager,Группа Север,Менеджер по продажам,3001,
Мария Козлова,manager,Группа Юг,Менеджер по показам,3002,
"""
HEADER = ["Дата", "Менеджер", "Категория", "Источник", "Суть", "Ссылка"]


@pytest.fixture
async def world(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        await roster.import_roster(session, ROSTER.encode(), "roster.csv")


GOOD = {
    "Кейсы": [
        HEADER,
        [
            date(2026, 10, 5),
            "Иван Петров",
            "Ошибка в коммуникации",
            "Онлайн-встреча",
            "Не выявил потребность",
            "https://crm.example.com/1",
        ],
        [
            "06.10.2026",
            "мария  козлова",
            "процесс",
            "исходящий звонок",
            "Не перезвонила клиенту",
            None,
        ],
    ],
    " зоны РОСТА ": [
        HEADER,
        [date(2026, 10, 7), "Иван Петров", "коммуникация", "звонок", "Говорит слишком быстро", ""],
    ],
    "CSI": [
        HEADER[:5],
        [
            date(2026, 10, 8),
            "Мария Козлова",
            "Ошибка в процессе",
            "CSI",
            "Клиент ждал ответа 3 дня",
        ],
    ],
    "Прочее": [["что угодно"], ["не лист кейсов"]],
}


async def run_import(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    texts: Texts,
    data: bytes,
    *,
    actor: int = CS,
    progress: workbook_import.Progress | None = None,
) -> workbook_import.WorkbookImported:
    async with sessions() as session:
        return await workbook_import.import_workbook(
            session,
            await person(session, actor),
            data,
            "Кейсы КС.xlsx",
            settings=settings,
            texts=texts,
            bot_username="cs_bot",
            progress=progress,
        )


async def all_cases(sessions: async_sessionmaker[AsyncSession]) -> list[Case]:
    async with sessions() as session:
        return list((await session.execute(select(Case).order_by(Case.id))).scalars())


async def outbox_count(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count(OutboxMessage.id))) or 0)


async def test_new_rows_become_cases_published_to_the_group_the_leads_and_the_manager(
    world: None, sessions: async_sessionmaker[AsyncSession], settings: Settings, texts: Texts
):
    calls: list[tuple[str, int, int]] = []

    async def progress(stage: str, done: int, total: int) -> None:
        calls.append((stage, done, total))

    result = await run_import(sessions, settings, texts, workbook(GOOD), progress=progress)
    assert (result.new, result.skipped) == (4, 0)
    found = await all_cases(sessions)
    async with sessions() as session:
        cs = await person(session, CS)
    assert [(c.tab, c.category, c.source, c.manager.full_name, c.incident_date) for c in found] == [
        (
            CaseTab.CASES,
            CaseCategory.COMMUNICATION,
            CaseSource.MEETING,
            "Иван Петров",
            date(2026, 10, 5),
        ),
        (CaseTab.CASES, CaseCategory.PROCESS, CaseSource.CALL, "Мария Козлова", date(2026, 10, 6)),
        (
            CaseTab.GROWTH,
            CaseCategory.COMMUNICATION,
            CaseSource.CALL,
            "Иван Петров",
            date(2026, 10, 7),
        ),
        (CaseTab.CSI, CaseCategory.PROCESS, CaseSource.CSI, "Мария Козлова", date(2026, 10, 8)),
    ]
    assert found[0].link == "https://crm.example.com/1"
    assert found[1].link is None
    assert {c.author_id for c in found} == {cs.id}
    assert all(c.import_key and len(c.import_key) == 64 for c in found)
    assert result.case_ids == [c.id for c in found]

    async with sessions() as session:
        sent = list((await session.execute(select(OutboxMessage))).scalars())
    for case in found:
        chats = sorted(m.chat_id for m in sent if m.subject.startswith(f"case:{case.id}:"))
        # The group post, the lead's copy, the manager's notice.
        assert chats == sorted([CS_CHAT_ID, LEAD, case.manager.telegram_id or 0])
    assert calls[-1] == (workbook_import.PUBLISHING, 4, 4)
    assert (workbook_import.CHECKING, 4, 4) in calls
    assert "новых кейсов — 4" in workbook_import.render_imported(texts, result)


async def test_the_same_workbook_twice_publishes_nothing_the_second_time(
    world: None, sessions: async_sessionmaker[AsyncSession], settings: Settings, texts: Texts
):
    await run_import(sessions, settings, texts, workbook(GOOD))
    cases_before, outbox_before = len(await all_cases(sessions)), await outbox_count(sessions)
    again = await run_import(sessions, settings, texts, workbook(GOOD))
    assert (again.new, again.skipped) == (0, 4)
    assert len(await all_cases(sessions)) == cases_before
    assert await outbox_count(sessions) == outbox_before
    assert "Новых кейсов нет" in workbook_import.render_imported(texts, again)

    # A row typed again with other spaces and case is the same row; a new one is published.
    more = {
        "Кейсы": [
            HEADER,
            [
                date(2026, 10, 5),
                "ИВАН ПЕТРОВ",
                "коммуникация",
                "встреча",
                "  не выявил   ПОТРЕБНОСТЬ ",
                None,
            ],
            [date(2026, 10, 9), "Иван Петров", "коммуникация", "обращение", "Новая ошибка", None],
            [date(2026, 10, 9), "Иван Петров", "коммуникация", "обращение", "новая  ошибка", None],
        ]
    }
    third = await run_import(sessions, settings, texts, workbook(more))
    assert (third.new, third.skipped) == (1, 2)
    assert len(await all_cases(sessions)) == cases_before + 1


@pytest.mark.parametrize(
    ("row", "key"),
    [
        (["32.10.2026", "Иван Петров", "процесс", "звонок", "x", None], "import-error-date"),
        (["date", "Иван Петров", "процесс", "звонок", "x", None], "import-error-date"),
        ([None, "Иван Петров", "процесс", "звонок", "x", None], "import-error-date"),
        (["FUTURE", "Иван Петров", "процесс", "звонок", "x", None], "import-error-date-future"),
        (
            [date(2026, 10, 1), "Сидор Сидоров", "процесс", "звонок", "x", None],
            "import-error-manager",
        ),
        (
            [date(2026, 10, 1), "Ольга Смирнова", "процесс", "звонок", "x", None],
            "import-error-manager",
        ),
        ([date(2026, 10, 1), None, "процесс", "звонок", "x", None], "import-error-no-manager"),
        (
            [date(2026, 10, 1), "Иван Петров", "ошибка", "звонок", "x", None],
            "import-error-category",
        ),
        ([date(2026, 10, 1), "Иван Петров", "процесс", "письмо", "x", None], "import-error-source"),
        (
            [date(2026, 10, 1), "Иван Петров", "процесс", "звонок", "  ", None],
            "import-error-summary-empty",
        ),
        (
            [date(2026, 10, 1), "Иван Петров", "процесс", "звонок", "я" * 2001, None],
            "import-error-summary-long",
        ),
        (
            [date(2026, 10, 1), "Иван Петров", "процесс", "звонок", "x", "crm/1"],
            "import-error-link",
        ),
    ],
)
async def test_one_bad_row_imports_nothing_and_is_named_by_sheet_and_line(
    world: None,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    texts: Texts,
    row: list[object],
    key: str,
):
    if row[0] == "FUTURE":
        row = [date.today() + timedelta(days=3), *row[1:]]
    sheets = {title: [list(r) for r in rows] for title, rows in GOOD.items()}
    sheets[" зоны РОСТА "].append(row)
    with pytest.raises(WorkbookInvalid) as caught:
        await run_import(sessions, settings, texts, workbook(sheets))
    invalid = caught.value
    assert [(e.sheet, e.line, e.key) for e in invalid.errors] == [(" зоны РОСТА ", 3, key)]
    assert (invalid.new, invalid.skipped, invalid.rejected) == (4, 0, 1)
    reply = workbook_import.render_rejected(texts, invalid)
    assert "Лист « зоны РОСТА », строка 3: " in reply
    assert "Строк с ошибками — 1, новых — 4" in reply
    assert await all_cases(sessions) == []
    assert await outbox_count(sessions) == 0


async def test_a_sheet_without_its_columns_and_a_file_without_the_sheets(
    world: None, sessions: async_sessionmaker[AsyncSession], settings: Settings, texts: Texts
):
    sheets = {"CSI": [["Дата", "Менеджер"], [date(2026, 10, 1), "Иван Петров"]]}
    with pytest.raises(WorkbookInvalid) as caught:
        await run_import(sessions, settings, texts, workbook(sheets))
    (error,) = caught.value.errors
    assert (error.sheet, error.line, error.key) == ("CSI", 1, "import-error-columns")
    assert error.args == {"columns": "категория, источник, суть"}

    with pytest.raises(WorkbookInvalid) as caught:
        await run_import(sessions, settings, texts, workbook({"Итоги": [["месяц"]]}))
    assert [e.key for e in caught.value.errors] == ["import-error-no-sheets"]
    with pytest.raises(WorkbookInvalid) as caught:
        await run_import(sessions, settings, texts, workbook({"Кейсы": [HEADER]}))
    assert [e.key for e in caught.value.errors] == ["import-error-empty"]


def test_a_workbook_is_told_from_a_results_file():
    assert workbook_import.is_workbook(workbook(GOOD), "a.xlsx")
    assert workbook_import.is_workbook(workbook({"  csi": [["x"]]}), "a.XLSX")
    assert not workbook_import.is_workbook(workbook({"Итоги": [["месяц"]]}), "a.xlsx")
    assert not workbook_import.is_workbook(workbook(GOOD), "a.csv")
    assert not workbook_import.is_workbook(b"damaged", "a.xlsx")


async def test_only_cs_imports_a_workbook(
    world: None, sessions: async_sessionmaker[AsyncSession], settings: Settings, texts: Texts
):
    for actor in (LEAD, MANAGER):
        with pytest.raises(Forbidden):
            await run_import(sessions, settings, texts, workbook(GOOD), actor=actor)
    assert await all_cases(sessions) == []


def test_the_import_key_ignores_case_and_spaces_of_the_summary():
    key = workbook_import.import_key(CaseTab.CASES, date(2026, 10, 1), 7, "Не  выявил\nпотребность")
    assert key == workbook_import.import_key(
        CaseTab.CASES, date(2026, 10, 1), 7, "не выявил потребность"
    )
    assert key != workbook_import.import_key(
        CaseTab.CSI, date(2026, 10, 1), 7, "не выявил потребность"
    )
    assert key != workbook_import.import_key(
        CaseTab.CASES, date(2026, 10, 1), 8, "не выявил потребность"
    )


async def test_a_title_above_the_header_and_dates_as_excel_keeps_them(
    world: None, sessions: async_sessionmaker[AsyncSession], settings: Settings, texts: Texts
):
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Кейсы"
    sheet.append(["Кейсы КС за октябрь"])
    sheet.merge_cells("A1:F1")
    sheet.append(HEADER)
    sheet.append([46300, "Иван Петров", "процесс", "звонок", "Дата без формата", None])
    sheet.append(["06.10.2026 14:30", "Иван Петров", "процесс", "звонок", "Дата со временем", None])
    sheet.append(["07.10.2026", "Иван Петров", "процесс", "звонок", "x", "crm/1"])  # line 5
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(WorkbookInvalid) as caught:
        await run_import(sessions, settings, texts, buffer.getvalue())
    assert [(e.sheet, e.line, e.key) for e in caught.value.errors] == [
        ("Кейсы", 5, "import-error-link")
    ]
    sheet.delete_rows(5)
    buffer = io.BytesIO()
    book.save(buffer)
    done = await run_import(sessions, settings, texts, buffer.getvalue())
    assert done.new == 2
    assert [(c.incident_date, c.summary) for c in await all_cases(sessions)] == [
        (date(2026, 10, 5), "Дата без формата"),
        (date(2026, 10, 6), "Дата со временем"),
    ]


async def test_a_link_cell_that_shows_a_word_gives_its_address(
    world: None, sessions: async_sessionmaker[AsyncSession], settings: Settings, texts: Texts
):
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Кейсы"
    sheet.append(HEADER)
    sheet.append([date(2026, 10, 5), "Иван Петров", "процесс", "звонок", "Не перезвонил", "Запись"])
    sheet["F2"].hyperlink = "https://crm.example.com/calls/15"  # inserted with Ctrl+K
    buffer = io.BytesIO()
    book.save(buffer)
    done = await run_import(sessions, settings, texts, buffer.getvalue())
    assert done.new == 1
    assert [c.link for c in await all_cases(sessions)] == ["https://crm.example.com/calls/15"]


async def test_a_row_about_a_dismissed_manager_says_so(
    world: None, sessions: async_sessionmaker[AsyncSession], settings: Settings, texts: Texts
):
    async with sessions() as session:
        maria = await person(session, OTHER)
        maria.active = False
        await session.commit()
    with pytest.raises(WorkbookInvalid) as caught:
        await run_import(sessions, settings, texts, workbook(GOOD))
    assert [(e.sheet, e.line, e.key) for e in caught.value.errors] == [
        ("Кейсы", 3, "import-error-manager-inactive"),
        ("CSI", 2, "import-error-manager-inactive"),
    ]
    reply = workbook_import.render_rejected(texts, caught.value)
    assert "Мария Козлова" in reply
    assert "не работает" in reply
    assert await all_cases(sessions) == []
