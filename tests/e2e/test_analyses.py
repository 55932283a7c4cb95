"""End to end: CS posts a call analysis with /analysis; a lead cannot."""

from __future__ import annotations

import asyncio

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import CallAnalysis, CallRole
from emulator import BotAPIEmulator, StoredMessage
from tests.conftest import CS_CHAT_ID
from tests.e2e.conftest import CS_ID, LEAD_ID
from tests.e2e.harness import BotProcess
from tests.e2e.steps import THINK, say, step, wrong

TEXT = "Хорошо выявила потребность, но не назначила показ. Клиент +7 999 123-45-67 & <b>x</b>"


async def test_cs_posts_an_analysis_with_a_voice(
    emu: BotAPIEmulator, bot: BotProcess, sessions: async_sessionmaker[AsyncSession]
):
    await say(emu, CS_ID, "/analysis", contains="Чей звонок")
    # Text where a button is expected: a hint, and the step is shown again below it.
    dialog = await wrong(emu, CS_ID, "фронт", "Выберите вариант кнопкой", "Чей звонок")
    assert dialog.buttons[:2] == [["фронт", "бэк"], ["по показам", "продажи"]]
    await step(emu, CS_ID, dialog, "по показам", "часть имени или фамилии менеджера")
    picked = await say(emu, CS_ID, "козл", contains="найдено: 1")
    await step(emu, CS_ID, picked, "Мария Козлова — Группа Юг", "Напишите разбор")
    await say(emu, CS_ID, TEXT, contains="Пришлите запись звонка")
    await wrong(emu, CS_ID, "вот запись", "Здесь нужен файл", "Пришлите запись звонка")

    await asyncio.sleep(THINK)
    mark = emu.mark()
    voice = await emu.send_voice(CS_ID, b"OggS voice", duration=3)
    await emu.wait_for_message(CS_ID, contains="Пришлите ссылку", after=mark)
    review = await say(emu, CS_ID, "https://crm.example.com/call/7", contains="Проверьте разбор")
    assert "Файл: голосовое" in review.text
    assert "Роль: по показам" in review.text
    assert "Менеджер: Мария Козлова" in review.text
    assert "Запись: https://crm.example.com/call/7" in review.text
    # The preview is the post as the group will see it: the client's phone already masked.
    assert "+7 999 123-45-67" not in review.text
    assert "Клиент +• ••• •••-••-67 & <b>x</b>" in review.text
    assert "телефоны и e-mail клиентов будут скрыты" in review.text

    # «Изменить» a field: that step, then straight back to the review.
    await step(emu, CS_ID, review, "Изменить роль", "Чей звонок")
    await step(emu, CS_ID, review, "фронт", "Проверьте разбор")
    assert "Роль: фронт" in review.text

    done = await step(emu, CS_ID, review, "✅ Опубликовать", "Разбор #1 опубликован")
    assert done.buttons == []

    post = await emu.wait_for_message(CS_CHAT_ID, contains="Разбор звонка #1")
    assert "Роль: фронт" in post.text
    assert "Менеджер: Мария Козлова" in post.text
    assert "Клиент +• ••• •••-••-67 & <b>x</b>" in post.text

    def replies() -> list[StoredMessage]:
        return [m for m in emu.bot_messages(CS_CHAT_ID) if m.reply_to_message_id == post.message_id]

    await emu.wait_until(lambda: len(replies()) == 1)
    (sent,) = replies()
    assert voice.voice is not None
    assert sent.voice is not None
    assert sent.voice.file_id == voice.voice.file_id
    assert "ERROR" not in bot.log

    async with sessions() as session:
        analysis = (await session.execute(select(CallAnalysis))).scalar_one()
    assert (analysis.call_role, analysis.file_kind) == (CallRole.FRONT, "voice")


async def test_a_lead_cannot_post_an_analysis(
    emu: BotAPIEmulator, bot: BotProcess, sessions: async_sessionmaker[AsyncSession]
):
    reply = await say(emu, LEAD_ID, "/analysis")
    assert "недоступна" in reply.text
    assert reply.buttons == []
    async with sessions() as session:
        assert (await session.execute(select(CallAnalysis))).first() is None
