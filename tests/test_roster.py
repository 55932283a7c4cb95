"""The roster import (DESIGN §9): whole-file validation, idempotence, CSV and XLSX, the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.roster import ImportResult, RosterInvalid, RowError, import_roster
from bot.settings import Settings
from bot.texts import Texts
from db import employees as employees_db
from db.models import Employee, Role

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA = PROJECT_ROOT / "tests" / "data"
VALID_CSV = DATA / "roster_valid.csv"
BAD_CSV = DATA / "roster_bad.csv"
VALID_ROWS = 5

Snapshot = dict[str, list[tuple[Any, ...]]]


async def _snapshot(sessions: async_sessionmaker[AsyncSession]) -> Snapshot:
    """Every row of the roster tables, exactly as stored (updated_at included)."""
    queries = {
        "employees": "SELECT * FROM employees ORDER BY id",
        "working_groups": "SELECT * FROM working_groups ORDER BY id",
        "employee_groups": "SELECT * FROM employee_groups ORDER BY employee_id, group_id",
        "audit_log": "SELECT * FROM audit_log ORDER BY id",
    }
    snapshot: Snapshot = {}
    async with sessions() as session:
        for name, query in queries.items():
            snapshot[name] = [tuple(row) for row in (await session.execute(text(query))).all()]
    return snapshot


async def _import(
    sessions: async_sessionmaker[AsyncSession], data: bytes, filename: str = "roster.csv"
) -> ImportResult:
    async with sessions() as session:
        return await import_roster(session, data, filename)


async def _employees(sessions: async_sessionmaker[AsyncSession]) -> dict[str, Employee]:
    async with sessions() as session:
        return {e.full_name: e for e in await employees_db.all_employees(session)}


async def _count(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return await employees_db.count_employees(session)


def _valid_lines() -> list[str]:
    return VALID_CSV.read_text(encoding="utf-8").splitlines()


def _csv(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


async def test_a_valid_csv_imports_every_row(sessions: async_sessionmaker[AsyncSession]) -> None:
    result = await _import(sessions, VALID_CSV.read_bytes(), VALID_CSV.name)

    assert result == ImportResult(created=VALID_ROWS, updated=0, unchanged=0, groups_created=2)
    people = await _employees(sessions)
    assert len(people) == VALID_ROWS

    anna = people["Иванова Анна Сергеевна"]
    assert (anna.role, anna.telegram_id, anna.username) == (Role.CS, 1001, "anna_cs")
    assert anna.groups == []
    assert anna.position == "Специалист клиентского сервиса"
    assert anna.active is True

    lead = people["Петров Пётр Петрович"]
    assert lead.role == Role.LEAD
    assert [g.name for g in lead.groups] == ["Группа 1", "Группа 2"]
    assert lead.username == "petrov_lead"

    sidorov = people["Сидоров Семён Ильич"]
    assert sidorov.telegram_id is None
    assert sidorov.username == "sidorov_s"  # "@" dropped, lower-cased
    assert [g.name for g in sidorov.groups] == ["Группа 1"]

    orlov = people["Орлов Олег Олегович"]
    assert orlov.role == Role.MANAGER  # the Russian alias «менеджер»
    assert (orlov.telegram_id, orlov.username) == (None, None)


async def test_a_lead_of_many_groups_first_does_not_change_the_separator(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Groups are separated by ";" inside a comma-separated file: the header decides."""
    groups = ";".join(f"Группа {number}" for number in range(1, 21))
    data = _csv(
        [
            "full_name,role,group,position,telegram_id,username",
            f"Андрей Лидеров,lead,{groups},Главный менеджер,2001,",
            "Иван Петров,manager,Группа 1,Менеджер,,ivan_petrov",
        ]
    )
    result = await _import(sessions, data)
    assert (result.created, result.groups_created) == (2, 20)
    lead = (await _employees(sessions))["Андрей Лидеров"]
    assert len(lead.groups) == 20


async def test_importing_the_same_file_again_changes_nothing(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await _import(sessions, VALID_CSV.read_bytes(), VALID_CSV.name)
    before = await _snapshot(sessions)

    again = await _import(sessions, VALID_CSV.read_bytes(), VALID_CSV.name)

    assert again == ImportResult(created=0, updated=0, unchanged=VALID_ROWS, groups_created=0)
    assert await _snapshot(sessions) == before


async def test_one_bad_row_rejects_the_file_and_writes_nothing(
    sessions: async_sessionmaker[AsyncSession], texts: Texts
) -> None:
    await _import(sessions, VALID_CSV.read_bytes())
    before = await _snapshot(sessions)

    lines = _valid_lines()
    lines[1] = lines[1].replace("Специалист клиентского сервиса", "Ведущий специалист")
    lines.append("Новиков Никита,boss,Группа 3,Стажёр,2001,")  # line 7
    with pytest.raises(RosterInvalid) as caught:
        await _import(sessions, _csv(lines))

    assert caught.value.errors == [RowError(7, "roster-error-role", {"role": "boss"})]
    error = caught.value.errors[0]
    rendered = texts("roster-line", line=error.line, reason=texts(error.key, **error.args))
    assert rendered.startswith("строка 7: ")
    assert "boss" in rendered
    assert await _snapshot(sessions) == before  # not even the valid change on line 2


@pytest.mark.parametrize(
    ("bad_line", "expected"),
    [
        (
            "Новиков Никита,начальник,,,2001,",
            RowError(7, "roster-error-role", {"role": "начальник"}),
        ),
        (
            "Новиков Никита,cs,,,id2001,",
            RowError(7, "roster-error-telegram-id", {"value": "id2001"}),
        ),
        ("Новиков Никита,manager,,Менеджер,2001,", RowError(7, "roster-error-no-group")),
        (
            "Новиков Никита,manager,Группа 1;Группа 2,,2001,",
            RowError(7, "roster-error-manager-groups"),
        ),
        (",cs,,,2001,", RowError(7, "roster-error-no-name")),
        ("Новиков Никита,cs,,,2001,@no", RowError(7, "roster-error-username", {"value": "@no"})),
    ],
)
async def test_each_kind_of_bad_row_is_named_by_line_and_reason(
    sessions: async_sessionmaker[AsyncSession], texts: Texts, bad_line: str, expected: RowError
) -> None:
    with pytest.raises(RosterInvalid) as caught:
        await _import(sessions, _csv([*_valid_lines(), bad_line]))

    assert caught.value.errors == [expected]
    assert texts(expected.key, **expected.args)  # the reason has a text
    assert await _count(sessions) == 0


async def test_every_bad_row_is_reported(
    sessions: async_sessionmaker[AsyncSession], texts: Texts
) -> None:
    with pytest.raises(RosterInvalid) as caught:
        await _import(sessions, BAD_CSV.read_bytes(), BAD_CSV.name)

    assert caught.value.errors == [
        RowError(3, "roster-error-role", {"role": "boss"}),
        RowError(4, "roster-error-telegram-id", {"value": "12ab"}),
        RowError(5, "roster-error-no-group"),
        RowError(6, "roster-error-duplicate", {"other": 2}),
    ]
    duplicate = texts("roster-error-duplicate", other=2)
    assert "строки 2" in duplicate
    assert await _count(sessions) == 0


async def test_a_telegram_id_repeated_in_the_file_is_reported(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    lines = [*_valid_lines(), "Двойник Анны,cs,,,1001,"]
    with pytest.raises(RosterInvalid) as caught:
        await _import(sessions, _csv(lines))
    assert caught.value.errors == [RowError(7, "roster-error-duplicate", {"other": 2})]
    assert await _count(sessions) == 0


async def test_a_username_repeated_in_the_file_is_reported(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    lines = [*_valid_lines(), "Двойник Анны,cs,,,,@ANNA_CS"]
    with pytest.raises(RosterInvalid) as caught:
        await _import(sessions, _csv(lines))
    assert caught.value.errors == [RowError(7, "roster-error-duplicate", {"other": 2})]


async def test_an_id_or_username_owned_by_another_employee_is_refused(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await _import(sessions, VALID_CSV.read_bytes())
    before = await _snapshot(sessions)

    # Anna's row now claims the username of Petrov, who is not in this file.
    lines = [_valid_lines()[0], "Иванова Анна Сергеевна,cs,,,1001,@petrov_lead"]
    with pytest.raises(RosterInvalid) as caught:
        await _import(sessions, _csv(lines))

    assert caught.value.errors == [
        RowError(2, "roster-error-taken", {"name": "Петров Пётр Петрович"})
    ]
    assert await _snapshot(sessions) == before


async def test_two_rows_describing_one_employee_are_refused(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await _import(sessions, VALID_CSV.read_bytes())
    before = await _snapshot(sessions)

    # One row finds Anna by her id, the other by her username.
    lines = [
        _valid_lines()[0],
        "Иванова Анна Сергеевна,cs,,,1001,",
        "Анна Иванова,cs,,,,@anna_cs",
    ]
    with pytest.raises(RosterInvalid) as caught:
        await _import(sessions, _csv(lines))

    assert caught.value.errors == [RowError(3, "roster-error-same-employee")]
    assert await _snapshot(sessions) == before


async def test_a_cp1251_semicolon_csv_from_excel_imports(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    lines = [
        "full_name;role;group;position;telegram_id;username",
        "Иванова Анна Сергеевна;КС;;Специалист, клиентский сервис;1001;@anna_cs",
        'Петров Пётр Петрович;лидер;"Группа 1;Группа 2";Руководитель;1002;',
    ]
    data = ("\r\n".join(lines) + "\r\n").encode("cp1251")

    assert await _import(sessions, data, "Сотрудники.CSV") == ImportResult(
        created=2, groups_created=2
    )
    people = await _employees(sessions)
    assert people["Иванова Анна Сергеевна"].position == "Специалист, клиентский сервис"
    assert people["Иванова Анна Сергеевна"].role == Role.CS
    assert [g.name for g in people["Петров Пётр Петрович"].groups] == ["Группа 1", "Группа 2"]


async def test_a_changed_position_updates_that_employee_only(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await _import(sessions, VALID_CSV.read_bytes())
    before = await _snapshot(sessions)
    anna_id = (await _employees(sessions))["Иванова Анна Сергеевна"].id

    lines = _valid_lines()
    lines[1] = lines[1].replace("Специалист клиентского сервиса", "Ведущий специалист")
    result = await _import(sessions, _csv(lines))

    assert result == ImportResult(created=0, updated=1, unchanged=VALID_ROWS - 1)
    after = await _snapshot(sessions)
    changed = [row for row in after["employees"] if row not in before["employees"]]
    assert [row[0] for row in changed] == [anna_id]
    assert (await _employees(sessions))["Иванова Анна Сергеевна"].position == "Ведущий специалист"
    assert after["working_groups"] == before["working_groups"]
    assert after["employee_groups"] == before["employee_groups"]
    assert [row for row in after["audit_log"] if row not in before["audit_log"]] != []


async def test_a_changed_group_moves_that_employee_only(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await _import(sessions, VALID_CSV.read_bytes())
    before = await _snapshot(sessions)
    people = await _employees(sessions)
    sidorov_id = people["Сидоров Семён Ильич"].id

    lines = _valid_lines()
    lines[3] = lines[3].replace("manager,Группа 1,", "manager,Группа 3,")
    result = await _import(sessions, _csv(lines))

    assert result == ImportResult(created=0, updated=1, unchanged=VALID_ROWS - 1, groups_created=1)
    after = await _snapshot(sessions)
    assert [g.name for g in (await _employees(sessions))["Сидоров Семён Ильич"].groups] == [
        "Группа 3"
    ]
    others_before = [row for row in before["employee_groups"] if row[0] != sidorov_id]
    others_after = [row for row in after["employee_groups"] if row[0] != sidorov_id]
    assert others_after == others_before
    assert [row for row in after["employees"] if row[0] != sidorov_id] == [
        row for row in before["employees"] if row[0] != sidorov_id
    ]


async def test_a_telegram_id_bound_by_the_bot_survives_a_reimport(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await _import(sessions, VALID_CSV.read_bytes())
    async with sessions() as session, session.begin():
        # /start bound these two: one matched by username, one by full name only.
        await session.execute(
            update(Employee).where(Employee.username == "sidorov_s").values(telegram_id=3003)
        )
        await session.execute(
            update(Employee)
            .where(Employee.full_name == "Орлов Олег Олегович")
            .values(telegram_id=3005, username="orlov")
        )
    before = await _snapshot(sessions)

    result = await _import(sessions, VALID_CSV.read_bytes())

    assert result.unchanged == VALID_ROWS
    people = await _employees(sessions)
    assert people["Сидоров Семён Ильич"].telegram_id == 3003
    assert people["Орлов Олег Олегович"].telegram_id == 3005
    assert people["Орлов Олег Олегович"].username == "orlov"
    assert await _snapshot(sessions) == before


async def test_xlsx_imports_like_csv(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    import csv

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    with VALID_CSV.open(encoding="utf-8", newline="") as source:
        for number, row in enumerate(csv.reader(source)):
            # Spreadsheets hold ids as numbers and empty cells as None.
            cells: list[object] = [
                (int(cell) if number and index == 4 and cell else cell or None)
                for index, cell in enumerate(row)
            ]
            sheet.append(cells)
    path = tmp_path / "roster.xlsx"
    workbook.save(path)

    first = await _import(sessions, path.read_bytes(), path.name)
    assert first == ImportResult(created=VALID_ROWS, groups_created=2)
    people = await _employees(sessions)
    assert people["Иванова Анна Сергеевна"].telegram_id == 1001
    assert [g.name for g in people["Петров Пётр Петрович"].groups] == ["Группа 1", "Группа 2"]

    before = await _snapshot(sessions)
    assert await _import(sessions, path.read_bytes(), path.name) == ImportResult(
        unchanged=VALID_ROWS
    )
    assert await _snapshot(sessions) == before
    # The same roster as CSV is the same roster.
    assert await _import(sessions, VALID_CSV.read_bytes(), VALID_CSV.name) == ImportResult(
        unchanged=VALID_ROWS
    )


async def test_xlsx_bad_rows_are_reported_by_line(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["full_name", "role", "group", "position", "telegram_id", "username"])
    sheet.append(["Иванова Анна Сергеевна", "cs", None, None, 1001, None])
    sheet.append(["Петров Пётр Петрович", "lead", None, None, 1002, None])
    path = tmp_path / "roster.xlsx"
    workbook.save(path)

    with pytest.raises(RosterInvalid) as caught:
        await _import(sessions, path.read_bytes(), path.name)
    assert caught.value.errors == [RowError(3, "roster-error-no-group")]
    assert await _count(sessions) == 0


async def test_a_file_that_is_neither_csv_nor_xlsx_is_refused(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    with pytest.raises(RosterInvalid) as caught:
        await _import(sessions, b"whatever", "roster.pdf")
    assert [error.key for error in caught.value.errors] == ["roster-error-format"]
    with pytest.raises(RosterInvalid) as caught:
        await _import(sessions, b"not a zip", "roster.xlsx")
    assert [error.key for error in caught.value.errors] == ["roster-error-unreadable"]


async def test_missing_columns_are_named(sessions: async_sessionmaker[AsyncSession]) -> None:
    with pytest.raises(RosterInvalid) as caught:
        await _import(sessions, _csv(["full_name,position", "Иванова Анна,КС"]))
    assert caught.value.errors == [RowError(1, "roster-error-columns", {"columns": "role, group"})]


# --- the command line -----------------------------------------------------------------------


def _cli_env(database_url: str) -> dict[str, str]:
    setting_names = {name.upper() for name in Settings.model_fields}
    env = {key: value for key, value in os.environ.items() if key.upper() not in setting_names}
    env["DATABASE_URL"] = database_url
    # Run this checkout's code whatever the working directory and however it is installed.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def _roster_cli(path: Path, database_url: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "roster", "import", str(path)],
        cwd=cwd,
        env=_cli_env(database_url),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )


async def test_cli_reports_each_bad_row_and_exits_1(
    tmp_path: Path, database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    result = _roster_cli(BAD_CSV, database_url, tmp_path)

    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    for number in (3, 4, 5, 6):
        assert any(line.startswith(f"строка {number}: ") for line in lines), result.stderr
    assert any("boss" in line for line in lines)
    assert any("12ab" in line for line in lines)
    assert not any(line.startswith("строка 2:") for line in lines)
    assert result.stdout == ""
    assert await _count(sessions) == 0


async def test_cli_imports_a_valid_file_and_prints_the_summary(
    tmp_path: Path, database_url: str, sessions: async_sessionmaker[AsyncSession], texts: Texts
) -> None:
    result = _roster_cli(VALID_CSV, database_url, tmp_path)

    assert result.returncode == 0, result.stderr
    expected = texts("roster-imported", created=VALID_ROWS, updated=0, unchanged=0, groups=2)
    assert result.stdout.strip() == expected
    async with sessions() as session:
        names = set((await session.execute(select(Employee.full_name))).scalars())
    assert "Петров Пётр Петрович" in names
    assert len(names) == VALID_ROWS


def test_cli_refuses_a_missing_file(tmp_path: Path, database_url: str) -> None:
    result = _roster_cli(tmp_path / "nope.csv", database_url, tmp_path)
    assert result.returncode == 2
    assert "nope.csv" in result.stderr
    assert "Traceback" not in result.stderr
