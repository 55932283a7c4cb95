"""End to end: a lead's /results (his groups, rank and change, «◀ Предыдущий месяц» edits the
message), CS /export of last month (the document arrives and holds the rows), a typed
period, and a lead refused /export."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services import months
from db.engine import write_transaction
from db.models import (
    Appeal,
    Case,
    CaseCategory,
    CaseSource,
    CaseTab,
    Employee,
    MonthlyResult,
    RequestKind,
    ServiceRequest,
    WorkingGroup,
)
from emulator import BotAPIEmulator, StoredMessage
from tests.e2e.conftest import CS_ID, LEAD_ID
from tests.e2e.harness import BotProcess
from tests.e2e.steps import say, step, wrong

MOSCOW = ZoneInfo("Europe/Moscow")
SEPTEMBER, OCTOBER = date(2026, 9, 1), date(2026, 10, 1)


async def _ids(session: AsyncSession) -> dict[str, int]:
    groups = {g.name: g.id for g in (await session.execute(select(WorkingGroup))).scalars()}
    people = {e.full_name: e.id for e in (await session.execute(select(Employee))).scalars()}
    return {**groups, **people}


async def test_a_lead_sees_his_groups_ranked_and_goes_back_a_month(
    emu: BotAPIEmulator, bot_process: BotProcess, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with sessions() as session, write_transaction(session):
        west = WorkingGroup(name="Группа Запад")
        session.add(west)
        await session.flush()
        ids = await _ids(session)
        rows = [
            (SEPTEMBER, "Группа Север", None, 80.0, 10),
            (OCTOBER, "Группа Север", None, 85.0, 20),
            (OCTOBER, "Группа Юг", "Мария Козлова", 90.0, 10),
            (OCTOBER, "Группа Юг", "Павел Новиков", 70.0, 30),
            (OCTOBER, "Группа Запад", None, 95.5, 5),
        ]
        for month, group, manager, score, evaluations in rows:
            session.add(
                MonthlyResult(
                    month=month,
                    group_id=ids[group],
                    manager_id=ids[manager] if manager else None,
                    score=score,
                    evaluations=evaluations,
                )
            )
    await bot_process.start()

    shown = await say(emu, LEAD_ID, "/results", contains="Итоги за октябрь 2026")
    assert "2 из 3. Группа Север — 85,0 % (+5,0 п.п.), оценок: 20" in shown.text
    assert "3 из 3. Группа Юг — 75,0 % (—), оценок: 40" in shown.text
    assert "· Мария Козлова — 90,0 %, оценок: 10" in shown.text
    assert "Запад" not in shown.text
    assert "Общий балл" not in shown.text
    assert shown.buttons == [["◀ Предыдущий месяц"], ["📈 Динамика"]]

    earlier = await step(emu, LEAD_ID, shown, "◀ Предыдущий месяц", "сентябрь 2026")
    assert "1 из 1. Группа Север — 80,0 % (—), оценок: 10" in earlier.text
    assert "Группа Юг" not in earlier.text
    assert earlier.buttons == [["Следующий месяц ▶"], ["📈 Динамика"]]
    # The same message was edited: no second one.
    assert len([m for m in emu.bot_messages(LEAD_ID) if "Итоги за" in m.text]) == 1

    back = await step(emu, LEAD_ID, earlier, "Следующий месяц ▶", "октябрь 2026")
    assert "2 из 3. Группа Север" in back.text
    assert "ERROR" not in bot_process.log


def _last_month(today: date) -> tuple[date, date]:
    start = months.previous(today.replace(day=1))
    return start, months.following(start) - timedelta(days=1)


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=MOSCOW).astimezone(UTC)


async def _document(emu: BotAPIEmulator, after: int) -> StoredMessage:
    def sent() -> list[StoredMessage]:
        return [
            m for m in emu.bot_messages(CS_ID) if m.document is not None and m.message_id > after
        ]

    await emu.wait_until(lambda: len(sent()) == 1)
    return sent()[0]


async def test_cs_exports_last_month_and_a_typed_period(
    emu: BotAPIEmulator, bot_process: BotProcess, sessions: async_sessionmaker[AsyncSession]
) -> None:
    start, end = _last_month(datetime.now(MOSCOW).date())
    async with sessions() as session, write_transaction(session):
        ids = await _ids(session)
        made = []
        for day, summary in ((start, "Первый день"), (end, "Последний день"), (end, "Вне")):
            case = Case(
                tab=CaseTab.CASES,
                category=CaseCategory.COMMUNICATION,
                source=CaseSource.CALL,
                manager_id=ids["Мария Козлова"],
                group_id=ids["Группа Юг"],
                author_id=ids["Ольга Смирнова"],
                incident_date=day,
                summary=summary,
                # 00:30 of the first day and 23:30 of the last are in; the day after is not.
                created_at=_at(day, 0) + timedelta(minutes=30)
                if summary == "Первый день"
                else _at(day, 23) + timedelta(minutes=30)
                if summary == "Последний день"
                else _at(day + timedelta(days=1), 0),
            )
            session.add(case)
            made.append(case)
        await session.flush()
        session.add(
            Appeal(
                case_id=made[0].id,
                filer_id=ids["Мария Козлова"],
                reason="Клиент сам отказался",
                created_at=_at(start, 12),
            )
        )
        session.add(
            ServiceRequest(
                kind=RequestKind.BADGE,
                requester_id=ids["Андрей Лидеров"],
                group_id=ids["Группа Юг"],
                fields={"item": "cover", "quantity": 3, "place": "Юг", "recipient": "Мария"},
                created_at=_at(start, 13),
            )
        )
        session.add(
            MonthlyResult(month=start, group_id=ids["Группа Юг"], score=77.7, evaluations=7)
        )
        await session.flush()
        case_ids = [case.id for case in made]
    await bot_process.start()

    dialog = await say(emu, CS_ID, "/export", contains="За какой период")
    assert ["Этот месяц", "Прошлый месяц"] in dialog.buttons
    assert ["Свой период"] in dialog.buttons
    mark = max((m.message_id for m in emu.bot_messages(CS_ID)), default=0)
    await step(emu, CS_ID, dialog, "Прошлый месяц", "Выгрузка за")
    document = await _document(emu, mark)
    assert document.document is not None
    assert document.document.file_name == f"cs-export-{start:%Y-%m-%d}_{end:%Y-%m-%d}.xlsx"
    assert f"Выгрузка за {start:%d.%m.%Y} — {end:%d.%m.%Y}" in document.content
    assert "Кейсы: 2" in document.content
    assert "Апелляции: 1" in document.content
    assert "Запросы: 1" in document.content
    assert "Итоги: 1" in document.content

    book = load_workbook(io.BytesIO(document.document.content))
    cases_rows = list(book["Кейсы"].iter_rows(values_only=True))
    assert [(r[0], r[4], r[5], r[8]) for r in cases_rows[1:]] == [
        (case_ids[0], "новый", "Мария Козлова", "Первый день"),
        (case_ids[1], "новый", "Мария Козлова", "Последний день"),
    ]
    assert cases_rows[1][12] == datetime.combine(start, time(0, 30))
    appeals_rows = list(book["Апелляции"].iter_rows(values_only=True))
    assert appeals_rows[1][:4] == (
        appeals_rows[1][0],
        case_ids[0],
        "Мария Козлова",
        "Клиент сам отказался",
    )
    requests_rows = list(book["Запросы"].iter_rows(values_only=True))
    assert requests_rows[1][1:4] == ("Бейдж", "Андрей Лидеров", "Группа Юг")
    assert list(book["Итоги"].iter_rows(values_only=True))[1] == (
        datetime.combine(start, time()),
        "Группа Юг",
        None,
        77.7,
        7,
    )

    # «Свой период», typed: a wrong one is refused and the step stays; then the file.
    custom = await say(emu, CS_ID, "/export", contains="За какой период")
    await step(emu, CS_ID, custom, "Свой период", "Выберите первый день")
    await wrong(emu, CS_ID, "прошлый месяц", "Не понял период", "Выберите первый день")
    day_after = end + timedelta(days=1)
    mark = max(m.message_id for m in emu.bot_messages(CS_ID))
    await say(emu, CS_ID, f"{end:%d.%m.%Y}–{day_after:%d.%m.%Y}", contains="Собираю выгрузку")
    typed = await _document(emu, mark)
    assert typed.document is not None
    rows = list(
        load_workbook(io.BytesIO(typed.document.content))["Кейсы"].iter_rows(values_only=True)
    )
    assert [r[8] for r in rows[1:]] == ["Последний день", "Вне"]
    assert "ERROR" not in bot_process.log


async def test_a_lead_cannot_export(emu: BotAPIEmulator, bot: BotProcess) -> None:
    reply = await say(emu, LEAD_ID, "/export")
    assert "недоступна" in reply.text
    assert reply.buttons == []
    assert all(m.document is None for m in emu.bot_messages(LEAD_ID))


async def test_cs_is_told_when_the_file_does_not_reach_him(
    emu: BotAPIEmulator, bot: BotProcess
) -> None:
    dialog = await say(emu, CS_ID, "/export", contains="За какой период")
    emu.inject_faults("500", count=1, methods={"sendDocument"})
    # Not left with «Собираю выгрузку…» for good: the dialog's message says it failed.
    await step(emu, CS_ID, dialog, "Прошлый месяц", "Не получилось собрать выгрузку")
    assert all(m.document is None for m in emu.bot_messages(CS_ID))
