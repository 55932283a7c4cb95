"""End to end, the month as the team lives it, through the real bot process only: CS imports
the results file with /import, previews the digest with /digest and publishes it (the chart
and the text reach the group, with the figures of the file), the lead of the lowest group is
invited, books a meeting and CS is told."""

from __future__ import annotations

from datetime import datetime, time

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services import months
from db.models import DigestPost, MeetingInvite, MeetingState
from emulator import BotAPIEmulator
from tests.conftest import CS_CHAT_ID
from tests.e2e.conftest import CS_ID, LEAD_ID
from tests.e2e.harness import BotProcess
from tests.e2e.steps import (
    MOSCOW,
    PNG_SIGNATURE,
    alert,
    book_meeting,
    next_working_day,
    photos,
    say,
    send_file,
    today,
)
from tests.fixtures.files import workbook

# (score, evaluations) per group, the month before last and last month.
SCORES = {
    "Группа Север": ((82.0, 30), (71.5, 40)),
    "Группа Юг": ((88.0, 10), (93.0, 24)),
}


def weighted(month_index: int) -> float:
    figures = [scores[month_index] for scores in SCORES.values()]
    return sum(score * count for score, count in figures) / sum(count for _, count in figures)


@pytest.fixture
def bot_env(bot_env: dict[str, str]) -> dict[str, str]:
    return {**bot_env, "DIGEST_LOWEST": "1"}


async def test_import_digest_and_the_flagged_lead_books_a_meeting(
    emu: BotAPIEmulator, bot: BotProcess, sessions: async_sessionmaker[AsyncSession]
):
    last = months.previous(today().replace(day=1))
    before = months.previous(last)
    rows: list[list[object]] = [["Месяц", "Группа", "Оценка", "Оценок"]]
    for index, month in enumerate((before, last)):
        for group, figures in SCORES.items():
            score, count = figures[index]
            rows.append([f"{month:%m.%Y}", group, score, count])

    await say(emu, CS_ID, "/import", contains="Пришлите файл документом")
    done = await send_file(emu, "итоги.xlsx", workbook({"Итоги": rows}), "Итоги загружены")
    assert "4 строки за 2 месяца" in done

    preview = await say(emu, CS_ID, "/digest", contains="Рейтинг групп")
    assert preview.buttons == [["✅ Опубликовать", "Отмена"]]
    (private_chart,) = photos(emu, CS_ID)
    assert photos(emu, CS_CHAT_ID) == []  # a preview: nothing in the group yet

    mark = emu.mark()
    await alert(emu, CS_ID, preview, "✅ Опубликовать")
    text = await emu.wait_for_message(CS_CHAT_ID, contains="Рейтинг групп", after=mark)
    (chart,) = photos(emu, CS_CHAT_ID)
    assert chart.photo is not None
    assert chart.photo.content.startswith(PNG_SIGNATURE)
    assert chart.message_id < text.message_id  # the chart first, then the text
    assert chart.photo.width >= 600  # as the emulator read it from the PNG header
    assert chart.photo.height >= 200
    assert private_chart.photo is not None

    # The figures of the file, computed here on their own.
    overall, previous = weighted(1), weighted(0)
    shown = f"{overall:.1f}".replace(".", ",")
    change = f"{abs(overall - previous):.1f}".replace(".", ",")
    sign = "+" if overall > previous else "−"
    assert f"Общая оценка: {shown} %" in text.text
    assert f"{sign}{change} п.п." in text.text
    assert "1. Группа Юг — 93,0 % (+5,0 п.п.)" in text.text
    assert "2. Группа Север — 71,5 % (−10,5 п.п.)" in text.text
    assert "🔻 Группа Север — 71,5 % (место 2)" in text.text
    assert "Андрей Лидеров" in text.text  # the flagged group's lead is named

    invitation = await emu.wait_for_message(LEAD_ID, contains="отмечены в итогах месяца")
    assert "Группа Север" in invitation.text
    assert "Группа Юг" not in invitation.text
    assert invitation.buttons == [["Записаться на встречу"]]

    day = next_working_day(today())
    await book_meeting(emu, LEAD_ID, invitation, day, "15:00")
    told = await emu.wait_for_message(CS_CHAT_ID, contains="📅 Встреча: ")
    assert f"{day:%d.%m.%Y} 15:00 — группы: Группа Север" in told.text

    async with sessions() as session:
        posted = (await session.execute(select(DigestPost))).scalar_one()
        invite = (await session.execute(select(MeetingInvite))).scalar_one()
    assert posted.month == last
    assert posted.posted_by_id is not None
    assert invite.state == MeetingState.BOOKED
    assert invite.meeting_at == datetime.combine(day, time(15), tzinfo=MOSCOW)
    assert "ERROR" not in bot.log
