"""End to end: CS sends the monthly results and the team's workbook with /import; a bad
file is refused with its rows named and the step stays; a lead cannot import."""

from __future__ import annotations

import asyncio
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import Case, MonthlyResult
from emulator import BotAPIEmulator
from tests.conftest import CS_CHAT_ID
from tests.e2e.conftest import CS_ID, LEAD_ID, OTHER_MANAGER_ID, UNKNOWN_ID
from tests.e2e.harness import BotProcess
from tests.e2e.steps import THINK, say, send_file
from tests.fixtures.files import workbook


async def test_cs_imports_results_after_a_bad_file(
    emu: BotAPIEmulator, bot: BotProcess, sessions: async_sessionmaker[AsyncSession]
):
    await say(emu, CS_ID, "/import", contains="Пришлите файл документом")
    await say(emu, CS_ID, "/cancel", contains="Диалог закрыт")
    await say(emu, CS_ID, "/import", contains="Пришлите файл документом")
    await say(emu, CS_ID, "вот итоги", contains="Пришлите файл документом: XLSX или CSV")
    await send_file(emu, "итоги.pdf", b"%PDF-1.4", "не XLSX и не CSV")

    bad = "месяц;группа;оценка;оценок\n2026-10;Группа Север;87,5;12\n2026-10;Группа Запад;90;3\n"
    refused = await send_file(emu, "итоги.csv", bad.encode(), "Итоги не загружены")
    assert "Строка 3: нет такой рабочей группы: «Группа Запад»" in refused
    async with sessions() as session:
        assert await session.scalar(select(func.count(MonthlyResult.id))) == 0

    # The step stayed: the corrected file is taken without a new /import.
    good = workbook(
        {
            "Итоги": [
                ["Месяц", "Группа", "Оценка", "Оценок", "Менеджер"],
                ["10.2026", "Группа Север", 87.5, 12, None],
                [date(2026, 10, 1), "Группа Юг", "90%", 4, None],
            ]
        }
    )
    done = await send_file(emu, "итоги.xlsx", good, "Итоги за октябрь 2026 загружены")
    assert "2 строки" in done
    async with sessions() as session:
        rows = (await session.execute(select(MonthlyResult).order_by(MonthlyResult.id))).scalars()
        assert [(r.group.name, r.score, r.evaluations) for r in rows] == [
            ("Группа Север", 87.5, 12),
            ("Группа Юг", 90.0, 4),
        ]
    # The dialog is over: text now is just text.
    reply = await say(emu, CS_ID, "спасибо")
    assert "Пришлите файл" not in reply.text
    assert "ERROR" not in bot.log


async def test_cs_imports_the_workbook_with_a_caption_and_again_publishes_nothing(
    emu: BotAPIEmulator, bot: BotProcess, sessions: async_sessionmaker[AsyncSession]
):
    header = ["Дата", "Менеджер", "Категория", "Источник", "Суть", "Ссылка"]
    book = workbook(
        {
            "Кейсы": [
                header,
                [
                    "05.10.2026",
                    "Мария Козлова",
                    "Ошибка в процессе",
                    "обращение",
                    "Не перезвонила",
                    None,
                ],
            ],
            "Зоны роста": [
                header,
                [
                    date(2026, 10, 6),
                    "Иван Петров",
                    "коммуникация",
                    "звонок",
                    "Перебивает клиента",
                    None,
                ],
            ],
        }
    )
    done = await send_file(emu, "кейсы.xlsx", book, "Таблица кейсов загружена", caption="/import")
    assert "новых кейсов — 2" in done
    await emu.wait_for_message(CS_CHAT_ID, contains="Не перезвонила")
    await emu.wait_for_message(CS_CHAT_ID, contains="Перебивает клиента")
    await emu.wait_for_message(OTHER_MANAGER_ID, contains="Не перезвонила")
    async with sessions() as session:
        assert await session.scalar(select(func.count(Case.id))) == 2

    def case_posts() -> int:
        return sum("Кейс #" in m.text for m in emu.bot_messages(CS_CHAT_ID))

    assert case_posts() == 2
    again = await send_file(emu, "кейсы.xlsx", book, "Новых кейсов нет", caption="/import")
    assert "(2)" in again
    async with sessions() as session:
        assert await session.scalar(select(func.count(Case.id))) == 2
    assert case_posts() == 2

    bad = workbook({"CSI": [header, ["01.10.2026", "Никто Никтов", "процесс", "CSI", "x", None]]})
    refused = await send_file(emu, "csi.xlsx", bad, "Кейсы не загружены", caption="/import")
    assert "Лист «CSI», строка 2: нет такого сотрудника в списке: «Никто Никтов»" in refused
    assert "ERROR" not in bot.log


async def test_a_lead_cannot_import_and_a_stranger_is_pointed_to_access(
    emu: BotAPIEmulator, bot: BotProcess
):
    reply = await say(emu, LEAD_ID, "/import")
    assert "только команда клиентского сервиса" in reply.text
    await asyncio.sleep(THINK)
    mark = emu.mark()
    await emu.send_document(LEAD_ID, "итоги.csv", b"x", caption="/import")
    refused = await emu.wait_for_message(LEAD_ID, after=mark)
    assert "только команда клиентского сервиса" in refused.text
    stranger = await say(emu, UNKNOWN_ID, "/import")
    assert "нужен доступ" in stranger.text
