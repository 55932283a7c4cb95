"""End to end with the real bot process: CS previews the digest privately and publishes it
(the chart and the text reach the group), a second publish says it was posted; a lead is
refused; the scheduled digest fires at its time in TIMEZONE, once, also across a restart."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.callbacks import DigestAct, DigestButton
from bot.services import months
from bot.texts import Texts
from db.models import DigestPost
from emulator import BotAPIEmulator
from tests.conftest import CS_CHAT_ID
from tests.e2e.conftest import CS_ID, LEAD_ID
from tests.e2e.harness import BotProcess
from tests.e2e.steps import MOSCOW, PNG_SIGNATURE, THINK, alert, photos, say
from tests.e2e.world import month_results

OCT, SEP = date(2026, 10, 1), date(2026, 9, 1)


async def test_cs_previews_and_publishes_the_digest_once(
    emu: BotAPIEmulator, bot: BotProcess, sessions: async_sessionmaker[AsyncSession]
):
    await month_results(sessions, SEP, {"Группа Север": 80.0, "Группа Юг": 85.0})
    await month_results(sessions, OCT, {"Группа Север": 78.5, "Группа Юг": 91.0})

    preview = await say(emu, CS_ID, "/digest", contains="Рейтинг групп")
    (chart,) = photos(emu, CS_ID)
    assert chart.file_bytes.startswith(PNG_SIGNATURE)
    assert "Итоги месяца: октябрь 2026" in chart.content
    assert "84,8 %" in chart.content  # (78,5·20 + 91·20) / 40
    assert "1. Группа Юг — 91,0 % (+6,0 п.п.)" in preview.text
    assert "2. Группа Север — 78,5 % (−1,5 п.п.)" in preview.text
    assert "предпросмотр" in preview.text
    assert preview.buttons == [["✅ Опубликовать", "Отмена"]]
    assert photos(emu, CS_CHAT_ID) == []  # nothing in the group before «Опубликовать»
    assert chart.message_id < preview.message_id

    assert await alert(emu, CS_ID, preview, "✅ Опубликовать") == ""
    await emu.wait_for_message(CS_ID, contains="Итоги за октябрь 2026 опубликованы")
    text = await emu.wait_for_message(CS_CHAT_ID, contains="Рейтинг групп")
    (posted,) = photos(emu, CS_CHAT_ID)
    assert posted.message_id < text.message_id  # the chart first, then the text
    assert posted.file_bytes == chart.file_bytes
    assert "1. Группа Юг — 91,0 %" in text.text
    assert "Андрей Лидеров" in text.text  # the flagged groups' lead is mentioned
    assert "предпросмотр" not in text.text
    # Both groups are flagged (two groups, DIGEST_LOWEST 3): their lead is invited privately.
    invite = await emu.wait_for_message(LEAD_ID, contains="встреч")
    assert any("Записаться на встречу" in text for row in invite.buttons for text in row)
    current = emu.state.get_message(CS_ID, preview.message_id)
    assert current is not None
    assert current.buttons == []

    # The same button again (an old preview, a second CS member): posted already, nothing new.
    stale = DigestButton(act=DigestAct.PUBLISH, month=202610).pack()
    await asyncio.sleep(THINK)
    query = await emu.send_callback(CS_ID, CS_ID, preview.message_id, stale)
    answer = await emu.wait_callback_answer(query)
    assert answer.text is not None
    assert answer.text.startswith("Итоги за октябрь 2026 уже опубликованы ")
    again = await say(emu, CS_ID, "/digest 10.2026", contains="Рейтинг групп")
    assert "уже опубликованы" in again.text
    assert again.buttons == [["Закрыть"]]
    assert (
        await alert(emu, CS_ID, again, "Закрыть") == "Предпросмотр закрыт, ничего не опубликовано."
    )
    await asyncio.sleep(1)
    assert len(photos(emu, CS_CHAT_ID)) == 1
    async with sessions() as session:
        assert await session.scalar(select(func.count(DigestPost.id))) == 1
    assert "ERROR" not in bot.log


async def test_bad_months_and_a_lead_are_answered_clearly(
    emu: BotAPIEmulator, bot: BotProcess, sessions: async_sessionmaker[AsyncSession]
):
    reply = await say(emu, CS_ID, "/digest")
    assert "Итогов ещё нет ни за один месяц" in reply.text
    await month_results(sessions, OCT, {"Группа Север": 78.5, "Группа Юг": 91.0})
    reply = await say(emu, CS_ID, "/digest 13.2026")
    assert "Не понял месяц «13.2026»" in reply.text
    reply = await say(emu, CS_ID, "/digest 11.2026")
    assert "Итогов за ноябрь 2026 нет" in reply.text

    reply = await say(emu, LEAD_ID, "/digest")
    assert "недоступна" in reply.text
    assert photos(emu, LEAD_ID) == []
    # A forged «Опубликовать» from the lead: refused by the service, nothing posted.
    forged = DigestButton(act=DigestAct.PUBLISH, month=202610).pack()
    await asyncio.sleep(THINK)
    query = await emu.send_callback(LEAD_ID, LEAD_ID, reply.message_id, forged)
    answer = await emu.wait_callback_answer(query)
    assert answer.text == "Итоги месяца публикует только команда клиентского сервиса."
    await asyncio.sleep(1)
    assert photos(emu, CS_CHAT_ID) == []
    async with sessions() as session:
        assert await session.scalar(select(func.count(DigestPost.id))) == 0


async def test_the_scheduled_digest_fires_at_its_time_once_across_a_restart(
    emu: BotAPIEmulator,
    bot_process: BotProcess,
    bot_env: dict[str, str],
    sessions: async_sessionmaker[AsyncSession],
):
    fire = (datetime.now(MOSCOW) + timedelta(seconds=8)).replace(microsecond=0)
    bot_env["DIGEST_CRON"] = f"{fire.second} {fire.minute} {fire.hour} {fire.day} {fire.month} *"
    month = months.previous(fire.date().replace(day=1))
    await month_results(sessions, month, {"Группа Север": 70.0, "Группа Юг": 90.0})
    await bot_process.start()
    assert photos(emu, CS_CHAT_ID) == []  # not before its time

    text = await emu.wait_for_message(CS_CHAT_ID, contains="Рейтинг групп", timeout=30)
    assert datetime.now(MOSCOW) >= fire
    label = f"Итоги месяца: {months.label(Texts('ru', tz=MOSCOW), month)}"
    assert label in text.text
    (chart,) = photos(emu, CS_CHAT_ID)
    assert chart.file_bytes.startswith(PNG_SIGNATURE)
    async with sessions() as session:
        post = (await session.execute(select(DigestPost))).scalar_one()
    assert (post.month, post.posted_by_id) == (month, None)

    # A restart after the time: the catch-up finds the month posted and stays silent.
    await bot_process.stop()
    await bot_process.start()
    await asyncio.sleep(2)
    assert len(photos(emu, CS_CHAT_ID)) == 1
    assert len([m for m in emu.bot_messages(CS_CHAT_ID) if "Рейтинг групп" in m.text]) == 1
    assert "ERROR" not in bot_process.log


pytestmark = pytest.mark.timeout(120)
