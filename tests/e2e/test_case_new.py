"""End to end: CS registers a case with /case, step by step, and it is published."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.masking import mask_personal_data
from db.models import Case, CaseCategory, CaseSource, CaseTab, FsmRecord
from emulator import BotAPIEmulator, StoredMessage
from tests.conftest import CS_CHAT_ID
from tests.e2e.conftest import CS_ID, LEAD_ID, OTHER_MANAGER_ID
from tests.e2e.harness import BotProcess
from tests.e2e.steps import (
    DAY,
    THINK,
    callback_data,
    png,
    say,
    step,
    today,
    url_buttons,
    wait_for_saved_step,
    wrong,
)


async def open_dialog_and_pick_maria(emu: BotAPIEmulator) -> StoredMessage:
    await say(emu, CS_ID, "/case", contains="Кого касается ошибка")
    picked = await say(emu, CS_ID, "козл", contains="найдено: 1")
    return await step(emu, CS_ID, picked, "Мария Козлова — Группа Юг", "Выберите вкладку")


async def pick_today(emu: BotAPIEmulator, calendar: StoredMessage) -> StoredMessage:
    return await step(emu, CS_ID, calendar, f"[{today():%d}]", "Опишите ошибку")


async def test_cs_registers_a_case_step_by_step(
    emu: BotAPIEmulator, bot: BotProcess, sessions: async_sessionmaker[AsyncSession]
):
    await say(emu, CS_ID, "/case", contains="Кого касается ошибка")
    # An unknown name: the step stays and says what is expected.
    await wrong(emu, CS_ID, "Сидоров", "Никого не нашлось по запросу «Сидоров»", "Кого касается")
    picked = await say(emu, CS_ID, "  козЛ ", contains="найдено: 1")
    assert picked.buttons[0] == ["Мария Козлова — Группа Юг"]
    tab = await step(emu, CS_ID, picked, "Мария Козлова — Группа Юг", "Выберите вкладку")
    assert tab.buttons[:3] == [["Кейсы"], ["Зоны роста"], ["CSI"]]
    # Text where a button is expected: a hint, and the step is shown again below it.
    tab = await wrong(emu, CS_ID, "Кейсы", "Выберите вариант кнопкой", "Выберите вкладку")
    await step(emu, CS_ID, tab, "Кейсы", "категорию")
    await step(emu, CS_ID, tab, "Ошибка в коммуникации", "источник")
    assert ["исходящий звонок"] in tab.buttons
    calendar = await step(emu, CS_ID, tab, "онлайн-встреча", "Выберите дату")
    days = [text for row in calendar.buttons for text in row]
    assert f"[{today():%d}]" in days
    tomorrow = today() + timedelta(days=1)
    if tomorrow.month == today().month:
        assert f"{tomorrow:%d}" not in days  # future days are not offered

    # The calendar ends today; a future day (an old keyboard, a forged press) is refused.
    today_data = callback_data(calendar, f"[{today():%d}]")
    prefix, raw = today_data.rsplit(":", 1)
    query = await emu.send_callback(CS_ID, CS_ID, calendar.message_id, f"{prefix}:{int(raw) + DAY}")
    answer = await emu.wait_callback_answer(query)
    assert answer.show_alert
    assert answer.text is not None
    assert "ещё не наступил" in answer.text
    assert "Выберите дату" in calendar.content
    await pick_today(emu, calendar)

    # The summary: longer than 2,000 characters is refused with the length and the limit.
    await wrong(emu, CS_ID, "о" * 2001, "длиннее 2000 символов (сейчас 2001)", "что произошло")
    await wrong(emu, CS_ID, None, "Опишите ошибку текстом", "что произошло")
    link_step = await say(emu, CS_ID, "Черновик", contains="ссылку на запись")

    # The link: not a URL is refused; then a real one.
    await wrong(emu, CS_ID, "запись в CRM", "Это не ссылка", "ссылку на запись")
    files = await say(emu, CS_ID, "https://example.com/rec/1", contains="Добавлено: нет")
    assert link_step.message_id < files.message_id

    # Attachments: text gets a hint; a photo and a document are counted.
    await wrong(emu, CS_ID, "вот файлы", "Здесь нужны файлы", "Добавлено: нет")
    await asyncio.sleep(THINK)
    mark = emu.mark()
    photo = await emu.send_photo(CS_ID, png())
    await emu.wait_for_message(CS_ID, contains="Добавлено: 1 (фото)", after=mark)
    await asyncio.sleep(THINK)
    mark = emu.mark()
    document = await emu.send_document(
        CS_ID, "отчёт.pdf", b"%PDF-1.4 report", caption="скрин из CRM"
    )
    # A caption is not part of the case: the user is told so, not left to find out.
    await emu.wait_for_message(CS_ID, contains="подпись к нему в кейс не попадёт", after=mark)
    files = await emu.wait_for_message(
        CS_ID, contains="Добавлено: 2 (фото, документ «отчёт.pdf»)", after=mark
    )
    review = await step(emu, CS_ID, files, "Готово", "Проверьте кейс")
    assert "Сотрудник: Мария Козлова (Группа Юг)" in review.content
    assert "Источник: онлайн-встреча" in review.content
    assert f"Дата: {today():%d.%m.%Y}" in review.content
    assert "Запись: https://example.com/rec/1" in review.content
    assert "Вложения: 2 (фото, документ «отчёт.pdf»)" in review.content
    assert len(review.buttons) == 6

    # «Изменить» a field: that step, then straight back to the review.
    await step(emu, CS_ID, review, "Изменить источник", "Выберите источник")
    await step(emu, CS_ID, review, "исходящий звонок", "Проверьте кейс")
    assert "Источник: исходящий звонок" in review.content
    await step(emu, CS_ID, review, "Изменить описание", "Опишите ошибку")
    summary = (
        "Не представилась, перебивала клиента. Клиент: +7 999 123-45-67, "
        "ivan.client@mail.ru. Написала в чат <b>x</b> & y"
    )
    review = await say(emu, CS_ID, summary, contains="Проверьте кейс")
    assert summary in review.text
    assert "телефоны и e-mail клиентов будут скрыты" in review.text

    done = await step(emu, CS_ID, review, "Опубликовать", "Кейс #1 опубликован")
    assert done.buttons == []
    assert "ERROR" not in bot.log

    post = await emu.wait_for_message(CS_CHAT_ID, contains="Кейс #1")
    masked = mask_personal_data(summary)
    assert masked != summary
    assert masked in post.text
    assert "+7 999 123-45-67" not in post.text
    assert "ivan.client@" not in post.text
    assert "•••@mail.ru" in post.text
    assert "<b>x</b> & y" in post.text
    assert "Мария Козлова" in post.text
    assert "Ошибка в коммуникации" in post.text
    assert "исходящий звонок" in post.text
    assert ["Беру в работу"] in post.buttons

    lead_copy = await emu.wait_for_message(LEAD_ID, contains="Кейс #1")
    assert lead_copy.buttons == [["Беру в работу"]]
    assert masked in lead_copy.text
    notice = await emu.wait_for_message(OTHER_MANAGER_ID, contains="кейс #1")
    assert url_buttons(notice) == {"Обжаловать": f"https://t.me/{emu.bot_username}?start=appeal_1"}

    # The files follow the post as replies to it, in the group and in the lead's chat.
    def replies(chat_id: int, to: StoredMessage) -> list[StoredMessage]:
        return [m for m in emu.bot_messages(chat_id) if m.reply_to_message_id == to.message_id]

    await emu.wait_until(lambda: len(replies(CS_CHAT_ID, post)) == 2)
    await emu.wait_until(lambda: len(replies(LEAD_ID, lead_copy)) == 2)
    group_files = replies(CS_CHAT_ID, post)
    assert photo.photo is not None
    assert document.document is not None
    assert group_files[0].photo is not None
    assert group_files[0].photo.file_id == photo.photo.file_id
    assert group_files[1].document is not None
    assert group_files[1].document.file_name == "отчёт.pdf"

    async with sessions() as session:
        case = (await session.execute(select(Case))).scalar_one()
        assert case.id == 1
        assert (case.tab, case.category, case.source) == (
            CaseTab.CASES,
            CaseCategory.COMMUNICATION,
            CaseSource.CALL,
        )
        assert case.manager.full_name == "Мария Козлова"
        assert case.group.name == "Группа Юг"
        assert case.author is not None
        assert case.author.full_name == "Ольга Смирнова"
        assert case.incident_date == today()
        assert case.summary == summary
        assert case.link == "https://example.com/rec/1"
        assert [(a.kind, a.file_id, a.file_name) for a in case.attachments] == [
            ("photo", photo.photo.file_id, ""),
            ("document", document.document.file_id, "отчёт.pdf"),
        ]


async def test_a_lead_and_a_manager_cannot_open_the_dialog(
    emu: BotAPIEmulator, bot: BotProcess, sessions: async_sessionmaker[AsyncSession]
):
    for user_id in (LEAD_ID, OTHER_MANAGER_ID):
        reply = await say(emu, user_id, "/case")
        assert "недоступна" in reply.text
        assert reply.buttons == []
        # What they type next is not taken as a name.
        reply = await say(emu, user_id, "Козлова")
        assert "Не понял" in reply.text
    async with sessions() as session:
        records = (await session.execute(select(FsmRecord))).scalars().all()
        assert not any("CaseNewSG" in json.dumps(r.data) + str(r.state) for r in records)
        assert (await session.execute(select(Case))).first() is None


async def test_a_full_length_cyrillic_summary_is_published(
    emu: BotAPIEmulator, bot: BotProcess, sessions: async_sessionmaker[AsyncSession]
):
    summary = ("Менеджер не перезвонил клиенту в обещанный срок. " * 50)[:1999] + "!"
    assert len(summary) == 2000
    dialog = await open_dialog_and_pick_maria(emu)
    await step(emu, CS_ID, dialog, "Зоны роста", "категорию")
    await step(emu, CS_ID, dialog, "Ошибка в процессе", "источник")
    await step(emu, CS_ID, dialog, "CSI", "Выберите дату")
    await pick_today(emu, dialog)
    link_step = await say(emu, CS_ID, summary, contains="ссылку на запись")
    await step(emu, CS_ID, link_step, "Пропустить", "Добавлено: нет")
    # Audio and voice attachments, re-sent later by file_id with sendAudio/sendVoice.
    await asyncio.sleep(THINK)
    mark = emu.mark()
    audio = await emu.send_audio(CS_ID, b"ID3 call", filename="звонок.mp3")
    await emu.wait_for_message(CS_ID, contains="Добавлено: 1 (аудио «звонок.mp3»)", after=mark)
    await asyncio.sleep(THINK)
    mark = emu.mark()
    voice = await emu.send_voice(CS_ID, b"OggS voice", duration=3)
    files = await emu.wait_for_message(CS_ID, contains="голосовое)", after=mark)
    review = await step(emu, CS_ID, files, "Готово", "Проверьте кейс")
    assert summary in review.text
    assert "Запись: —" in review.text
    assert "Вложения: 2 (аудио «звонок.mp3», голосовое)" in review.text
    await step(emu, CS_ID, review, "Опубликовать", "Кейс #1 опубликован")

    post = await emu.wait_for_message(CS_CHAT_ID, contains="Кейс #1")
    assert summary in post.text
    assert len(post.text) < 4096
    assert "Зоны роста" in post.text
    notice = await emu.wait_for_message(OTHER_MANAGER_ID, contains="кейс #1")
    assert summary in notice.text
    assert len(notice.text) < 4096

    def sent_files() -> list[StoredMessage]:
        return [m for m in emu.bot_messages(CS_CHAT_ID) if m.reply_to_message_id == post.message_id]

    await emu.wait_until(lambda: len(sent_files()) == 2)
    assert audio.audio is not None
    assert voice.voice is not None
    group_audio, group_voice = sent_files()
    assert group_audio.audio is not None
    assert group_audio.audio.file_id == audio.audio.file_id
    assert group_voice.voice is not None
    assert group_voice.voice.file_id == voice.voice.file_id
    async with sessions() as session:
        case = (await session.execute(select(Case))).scalar_one()
        assert (case.tab, case.category, case.source) == (
            CaseTab.GROWTH,
            CaseCategory.PROCESS,
            CaseSource.CSI,
        )
        assert case.summary == summary
        assert case.link is None
        assert [(a.kind, a.file_name) for a in case.attachments] == [
            ("audio", "звонок.mp3"),
            ("voice", ""),
        ]


async def test_cancel_button_and_cancel_command_leave_without_a_case(
    emu: BotAPIEmulator, bot: BotProcess, sessions: async_sessionmaker[AsyncSession]
):
    dialog = await open_dialog_and_pick_maria(emu)
    await step(emu, CS_ID, dialog, "Отмена", "Диалог закрыт")
    assert dialog.buttons == []
    dialog = await open_dialog_and_pick_maria(emu)
    await step(emu, CS_ID, dialog, "Кейсы", "категорию")
    await say(emu, CS_ID, "/cancel", contains="Диалог закрыт")
    reply = await say(emu, CS_ID, "Козлова")
    assert "Не понял" in reply.text
    async with sessions() as session:
        assert (await session.execute(select(Case))).first() is None


async def test_a_half_filled_case_survives_a_crash(
    emu: BotAPIEmulator, bot: BotProcess, sessions: async_sessionmaker[AsyncSession]
):
    dialog = await open_dialog_and_pick_maria(emu)
    await step(emu, CS_ID, dialog, "CSI", "категорию")
    await step(emu, CS_ID, dialog, "Ошибка в процессе", "источник")
    await step(emu, CS_ID, dialog, "обращение", "Выберите дату")
    await pick_today(emu, dialog)
    # The draft, the date included, is stored as JSON with the dialog's step.
    await wait_for_saved_step(sessions, "CaseNewSG:summary")

    await bot.kill()
    await bot.start()

    link_step = await say(emu, CS_ID, "Не предложила запись на показ", contains="ссылку")
    files = await step(emu, CS_ID, link_step, "Пропустить", "Добавлено: нет")
    review = await step(emu, CS_ID, files, "Готово", "Проверьте кейс")
    assert "Сотрудник: Мария Козлова (Группа Юг)" in review.text
    assert "Вкладка: CSI" in review.text
    assert "Источник: обращение" in review.text
    assert f"Дата: {today():%d.%m.%Y}" in review.text
    await step(emu, CS_ID, review, "Опубликовать", "Кейс #1 опубликован")
    await emu.wait_for_message(CS_CHAT_ID, contains="Кейс #1")
