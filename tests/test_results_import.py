"""The monthly results import at the service level, on the real migrated database: CSV and
XLSX, every month format, percent cells, a re-import replacing a month, every kind of bad
row named by its line (and nothing written), the role check, and the command line."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services import results_import, roster
from bot.services.errors import Forbidden
from bot.services.results_import import ResultsInvalid
from bot.texts import Texts
from db.models import AuditEntry, MonthlyResult
from tests.conftest import TOKEN, person

CS, LEAD, MANAGER = 1001, 2001, 3001
ROSTER = """full_name,role,group,position,telegram_id,username
Ольга Смирнова,cs,,Специалист КС,1001,
Андрей Лидеров,lead,Группа Север;Группа Юг,Главный менеджер,2001,
Иван Петров,manager,Группа Север,Менеджер по продажам,3001,
Мария Козлова,manager,Группа Юг,Менеджер по показам,3002,
Пётр Двойников,manager,Группа Юг,Менеджер,3003,
Пётр Двойников,manager,Группа Север,Менеджер,3004,
"""
GOOD_CSV = """Месяц;Группа;Оценка;Оценок;Менеджер
2026-10;Группа Север;87,5;12;Иван Петров
2026-10;группа  юг;90%;4;
"""


@pytest.fixture
async def world(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        await roster.import_roster(session, ROSTER.encode(), "roster.csv")


async def run_import(
    sessions: async_sessionmaker[AsyncSession],
    data: bytes,
    filename: str,
    actor: int | None = CS,
) -> results_import.ResultsImported:
    async with sessions() as session:
        employee = await person(session, actor) if actor is not None else None
        return await results_import.import_results(session, employee, data, filename)


async def stored(sessions: async_sessionmaker[AsyncSession]) -> list[MonthlyResult]:
    async with sessions() as session:
        result = await session.execute(select(MonthlyResult).order_by(MonthlyResult.id))
        return list(result.scalars())


def xlsx(rows: list[list[object]], formats: dict[str, str] | None = None) -> bytes:
    """A one-sheet workbook; `formats` gives number formats by cell ("C2": "0.0%")."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    for address, number_format in (formats or {}).items():
        sheet[address].number_format = number_format
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def test_a_good_csv_is_imported_with_the_importer_and_an_audit_record(
    world: None, sessions: async_sessionmaker[AsyncSession], texts: Texts
):
    result = await run_import(sessions, GOOD_CSV.encode(), "итоги.csv")
    assert [(o.month, o.rows, o.replaced) for o in result.months] == [(date(2026, 10, 1), 2, 0)]
    rows = await stored(sessions)
    async with sessions() as session:
        cs = await person(session, CS)
        ivan = await person(session, MANAGER)
        audit = (
            await session.execute(select(AuditEntry).where(AuditEntry.entity == "monthly_results"))
        ).scalar_one()
    assert [(r.group.name, r.manager_id, r.score, r.evaluations) for r in rows] == [
        ("Группа Север", ivan.id, 87.5, 12),
        ("Группа Юг", None, 90.0, 4),
    ]
    assert {r.imported_by_id for r in rows} == {cs.id}
    assert (audit.actor_id, audit.entity_id, audit.action) == (cs.id, 202610, "import")
    reply = results_import.render_imported(texts, result)
    assert "Итоги за октябрь 2026 загружены: 2 строки." in reply


async def test_a_good_xlsx_with_every_month_format_and_percent_cells(
    world: None, sessions: async_sessionmaker[AsyncSession]
):
    data = xlsx(
        [
            ["Month", "Working group", "Score, %", "Количество оценок", "Manager"],
            ["2026-07", "Группа Север", 80, 10, None],
            ["08.2026", "Группа Север", "81,5", "11", None],
            [date(2026, 9, 15), "Группа Север", 0.825, 12.0, None],  # percent cell
            [datetime(2026, 10, 1, 0, 0), "Группа Север", "83.5%", 13, None],
            ["01.11.2026", "Группа Юг", 0.9, 2, "мария  КОЗЛОВА"],  # percent cell
        ],
        formats={"C4": "0.0%", "C6": "0%"},
    )
    result = await run_import(sessions, data, "Итоги.XLSX")
    assert [o.month for o in result.months] == [date(2026, m, 1) for m in (7, 8, 9, 10, 11)]
    rows = await stored(sessions)
    assert [(r.month.month, r.score, r.evaluations) for r in rows] == [
        (7, 80.0, 10),
        (8, 81.5, 11),
        (9, 82.5, 12),
        (10, 83.5, 13),
        (11, 90.0, 2),
    ]
    assert rows[-1].manager is not None
    assert rows[-1].manager.full_name == "Мария Козлова"


async def test_a_reimport_replaces_the_month_and_says_so(
    world: None, sessions: async_sessionmaker[AsyncSession], texts: Texts
):
    await run_import(sessions, GOOD_CSV.encode(), "a.csv")
    again = "месяц,группа,оценка,оценок\n10.2026,Группа Север,70,5\n11.2026,Группа Юг,75,6\n"
    result = await run_import(sessions, again.encode(), "b.csv")
    assert [(o.month.month, o.rows, o.replaced) for o in result.months] == [(10, 1, 2), (11, 1, 0)]
    assert [(r.month.month, r.score) for r in await stored(sessions)] == [(10, 70.0), (11, 75.0)]
    reply = results_import.render_imported(texts, result)
    assert "Итоги за октябрь 2026 заменены: было 2 строки, стало 1." in reply
    assert "Итоги за ноябрь 2026 загружены: 1 строка." in reply


HEADER = "месяц,группа,оценка,оценок,менеджер\n"
GOOD_ROW = "2026-10,Группа Север,80,10,\n"


@pytest.mark.parametrize(
    ("row", "key", "text"),
    [
        ("2026-13,Группа Север,80,10,", "import-error-month", "не понял месяц «2026-13»"),
        (",Группа Север,80,10,", "import-error-month", "не понял месяц «—»"),
        ("2026-10,Группа Запад,80,10,", "import-error-group", "нет такой рабочей группы"),
        ("2026-10,,80,10,", "import-error-no-group", "не указана рабочая группа"),
        ("2026-11,Группа Север,101,10,", "import-error-score", "оценка «101»"),
        ("2026-11,Группа Север,-1,10,", "import-error-score", "оценка «-1»"),
        ("2026-11,Группа Север,много,10,", "import-error-score", "оценка «много»"),
        ("2026-11,Группа Север,80,0,", "import-error-evaluations", "число оценок «0»"),
        ("2026-11,Группа Север,80,2.5,", "import-error-evaluations", "число оценок «2.5»"),
        ("2026-11,Группа Север,80,10,Сидор Сидоров", "import-error-manager", "«Сидор Сидоров»"),
        ("2026-11,Группа Юг,80,10,Пётр Двойников", "import-error-manager-ambiguous", "(2)"),
        ("2026-11,Группа Юг,80,10,Иван Петров", "import-error-manager-group", "не в группе"),
        ("2026-10,группа север,81,3,", "import-error-duplicate", "повторяет строку 2"),
        ("2026-10,Группа Север,81,3,Иван Петров", "import-error-mixed", "(строка 2)"),
    ],
)
async def test_a_bad_row_names_its_line_and_reason_and_nothing_is_written(
    world: None,
    sessions: async_sessionmaker[AsyncSession],
    texts: Texts,
    row: str,
    key: str,
    text: str,
):
    data = (HEADER + GOOD_ROW + row + "\n").encode()
    with pytest.raises(ResultsInvalid) as caught:
        await run_import(sessions, data, "bad.csv")
    assert [(e.line, e.key) for e in caught.value.errors] == [(3, key)]
    reply = results_import.render_rejected(texts, caught.value)
    assert "\nСтрока 3: " in reply
    assert text in reply
    assert await stored(sessions) == []


async def test_every_bad_row_is_listed_and_an_earlier_month_is_kept(
    world: None, sessions: async_sessionmaker[AsyncSession]
):
    await run_import(sessions, GOOD_CSV.encode(), "a.csv")
    data = (
        HEADER + GOOD_ROW + "x,Группа Север,80,10,\n" + GOOD_ROW + "2026-10,Нет,1,1,\n"
    ).encode()
    with pytest.raises(ResultsInvalid) as caught:
        await run_import(sessions, data, "bad.csv")
    assert [(e.line, e.key) for e in caught.value.errors] == [
        (3, "import-error-month"),
        (4, "import-error-duplicate"),
        (5, "import-error-group"),
    ]
    assert len(await stored(sessions)) == 2  # October as imported before


@pytest.mark.parametrize(
    ("data", "filename", "key"),
    [
        (b"", "empty.csv", "import-error-empty"),
        (HEADER.encode(), "header-only.csv", "import-error-empty"),
        (b"month,group\n2026-10,x\n", "columns.csv", "import-error-columns"),
        (b"not a zip", "damaged.xlsx", "import-error-unreadable"),
        (b"%PDF-1.4", "report.pdf", "import-error-format"),
    ],
)
async def test_a_file_that_is_not_a_results_table_is_refused(
    world: None,
    sessions: async_sessionmaker[AsyncSession],
    texts: Texts,
    data: bytes,
    filename: str,
    key: str,
):
    with pytest.raises(ResultsInvalid) as caught:
        await run_import(sessions, data, filename)
    assert [e.key for e in caught.value.errors] == [key]
    if key == "import-error-columns":
        assert caught.value.errors[0].args == {"columns": "оценка, оценок"}
    assert results_import.render_rejected(texts, caught.value)
    assert await stored(sessions) == []


async def test_only_cs_imports_and_only_the_command_line_imports_without_an_actor(
    world: None, sessions: async_sessionmaker[AsyncSession]
):
    for actor in (LEAD, MANAGER, None):
        with pytest.raises(Forbidden) as caught:
            await run_import(sessions, GOOD_CSV.encode(), "a.csv", actor=actor)
        assert caught.value.key == "import-refused"
    async with sessions() as session:
        cs = await person(session, CS)
        with pytest.raises(ValueError, match="system"):
            await results_import.import_results(
                session, cs, GOOD_CSV.encode(), "a.csv", by_cli=True
            )
        result = await results_import.import_results(
            session, None, GOOD_CSV.encode(), "a.csv", by_cli=True
        )
    assert result.rows == 2
    assert {r.imported_by_id for r in await stored(sessions)} == {None}


def test_the_error_list_fits_one_message(texts: Texts):
    errors = [
        results_import.RowError(line, "import-error-group", {"name": "Г" * 60})
        for line in range(2, 500)
    ]
    reply = results_import.render_rejected(texts, ResultsInvalid(errors))
    assert len(reply) < 4096
    assert "Строка 2:" in reply
    assert "…и ещё ошибок:" in reply


def test_the_command_line_imports_and_reports_bad_rows(
    world: None, database_url: str, tmp_path: Path
):
    env = {"BOT_TOKEN": TOKEN, "CS_CHAT_ID": "-1", "DATABASE_URL": database_url, "PATH": ""}

    def cli(path: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", "results", "import", str(path)],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=60,
            check=False,
        )

    good = tmp_path / "good.csv"
    good.write_text(GOOD_CSV, encoding="utf-8")
    first = cli(good)
    assert first.returncode == 0, first.stderr
    assert "Итоги за октябрь 2026 загружены: 2 строки." in first.stdout
    second = cli(good)
    assert "Итоги за октябрь 2026 заменены: было 2 строки, стало 2." in second.stdout

    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "2026-10,Группа Север,180,10,\n2026-10,Нет,1,1,\n", encoding="utf-8")
    failed = cli(bad)
    assert failed.returncode == 1
    assert "Строка 2: оценка «180»" in failed.stderr
    assert "Строка 3: нет такой рабочей группы: «Нет»" in failed.stderr


def test_the_outcome_of_many_months_fits_one_message(texts: Texts):
    outcomes = [
        results_import.MonthOutcome(date(2000 + i // 12, i % 12 + 1, 1), 120, 118)
        for i in range(50)
    ]
    reply = results_import.render_imported(texts, results_import.ResultsImported(outcomes))
    assert len(reply) < 4096
    assert reply.startswith("✅ Итоги загружены: 6000 строк за 50 месяцев.")
    assert "Итоги за январь 2000 заменены: было 118 строк, стало 120." in reply
    assert reply.endswith("…и ещё месяцев: 10.")


# --- files as people make them in Excel and Google Sheets -----------------------------------


def _with_dimension(data: bytes, ref: str) -> bytes:
    """The workbook with its first sheet's <dimension> rewritten (some tools write a wrong one)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = re.sub(
                    rb'<dimension ref="[^"]*"', f'<dimension ref="{ref}"'.encode(), content
                )
            target.writestr(item, content)
    return out.getvalue()


async def test_a_title_row_above_the_header_is_passed_over_and_lines_stay_the_files(
    world: None, sessions: async_sessionmaker[AsyncSession], texts: Texts
):
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Итоги оценки за октябрь 2026"])
    sheet.merge_cells("A1:E1")
    sheet.append([])
    sheet.append(["Месяц", "Группа", "Оценка", "Оценок", "Менеджер"])
    sheet.append(["2026-10", "Группа Север", 87.5, 12, None])
    buffer = io.BytesIO()
    book.save(buffer)
    result = await run_import(sessions, buffer.getvalue(), "итоги.xlsx")
    assert result.rows == 1
    assert [(r.group.name, r.score) for r in await stored(sessions)] == [("Группа Север", 87.5)]

    sheet.append(["2026-10", "Группа Запад", 80, 3, None])  # line 5 of the file
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(ResultsInvalid) as caught:
        await run_import(sessions, buffer.getvalue(), "итоги.xlsx")
    assert [(e.line, e.key) for e in caught.value.errors] == [(5, "import-error-group")]


async def test_csv_from_russian_excel_and_unicode_text(
    world: None, sessions: async_sessionmaker[AsyncSession]
):
    text = "Месяц;Группа;Оценка, %;Оценок\r\n10.2026;Группа Север;87,5\xa0%;1\xa0204\r\n"
    await run_import(sessions, text.encode("cp1251"), "a.csv")
    assert [(r.score, r.evaluations) for r in await stored(sessions)] == [(87.5, 1204)]
    # Excel's «Unicode text»: UTF-16 with a BOM, tab-separated.
    text = "Месяц\tГруппа\tОценка\tОценок\r\n11.2026\tГруппа Юг\t91,5\t8\r\n"
    result = await run_import(sessions, text.encode("utf-16"), "итоги.txt")
    assert [(o.month, o.rows) for o in result.months] == [(date(2026, 11, 1), 1)]


async def test_a_csv_that_is_no_text_is_unreadable_not_a_crash(
    world: None, sessions: async_sessionmaker[AsyncSession]
):
    # 0x98 is no character in Windows-1251 either (a binary file named .csv).
    with pytest.raises(ResultsInvalid) as caught:
        await run_import(sessions, b"PK\x03\x04\x98\x00\x00binary", "итоги.csv")
    assert [e.key for e in caught.value.errors] == ["import-error-unreadable"]


async def test_a_month_as_an_excel_serial_number_and_a_percent_sign_in_the_format(
    world: None, sessions: async_sessionmaker[AsyncSession]
):
    data = xlsx(
        [
            ["Месяц", "Группа", "Оценка", "Оценок"],
            [46296, "Группа Север", 87.5, 12],  # 01.10.2026 in a General cell
            [10.2020, "Группа Юг", 70, 5],  # «10.2020» typed, taken as a number (10.202)
            ["11.2026", "Группа Север", 88.5, 12],  # 88.5 shown as «88,5%» by the format
        ],
        formats={"C4": '0.0"%"'},
    )
    await run_import(sessions, data, "итоги.xlsx")
    assert [(r.month, r.score) for r in await stored(sessions)] == [
        (date(2020, 10, 1), 70.0),
        (date(2026, 10, 1), 87.5),
        (date(2026, 11, 1), 88.5),
    ]


async def test_every_row_is_read_even_if_the_file_states_a_wrong_size(
    world: None, sessions: async_sessionmaker[AsyncSession]
):
    rows: list[list[object]] = [["Месяц", "Группа", "Оценка", "Оценок"]]
    rows += [[f"{month:02}.2026", "Группа Север", 80, 10] for month in range(1, 13)]
    data = _with_dimension(xlsx(rows), "A1:B2")
    result = await run_import(sessions, data, "итоги.xlsx")
    assert result.rows == 12


def test_a_text_file_that_is_no_table_is_called_so() -> None:
    # A letter saved as .txt: «not XLSX or CSV», not «line 1: no columns …» (defect 12).
    letter = "Добрый день!\nВысылаю итоги за октябрь во вложении.\nС уважением, Ольга".encode()
    with pytest.raises(results_import.ResultsInvalid) as refused:
        results_import.parse_results(letter, "итоги.txt")
    assert [error.key for error in refused.value.errors] == ["import-error-format"]
