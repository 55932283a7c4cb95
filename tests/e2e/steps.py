"""The steps every end-to-end test takes, in one place: a person says something, presses a
button, waits for the bot; the small builders the tests share (a PNG, a calendar day).

Test modules import from here, never from one another.
"""

from __future__ import annotations

import asyncio
import struct
import zlib
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services import cases
from bot.texts import Texts
from db.models import Case, CaseCategory, CaseSource, CaseTab, Employee, FsmRecord
from emulator import BotAPIEmulator, StoredMessage
from emulator.control import CallbackAnswer, Mark
from tests.conftest import make_settings
from tests.e2e.conftest import CS_ID, OTHER_MANAGER_ID

MOSCOW = ZoneInfo("Europe/Moscow")
DAY = 86400  # the calendar's callback data counts seconds since 1970-01-01
# A person reads each step before answering. Without a pause the test answers faster than
# Telegram's 30 calls a second, and the bot's replies would be refused with 429.
THINK = 0.12


def today() -> date:
    return datetime.now(MOSCOW).date()


def png(width: int = 2, height: int = 2) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height)))
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


async def say(
    emu: BotAPIEmulator, user_id: int, text: str, contains: str | None = None
) -> StoredMessage:
    """The person sends a text; the bot's next message to him (containing `contains`)."""
    await asyncio.sleep(THINK)
    mark = emu.mark()
    await emu.send_text(user_id, text)
    return await emu.wait_for_message(user_id, contains=contains, after=mark)


async def press(
    emu: BotAPIEmulator, user_id: int, message: StoredMessage, button: str
) -> CallbackAnswer:
    """Press a button; the bot's answer to the callback query (its toast or alert)."""
    await asyncio.sleep(THINK)
    query = await emu.press(user_id, message, button)
    return await emu.wait_callback_answer(query)


async def alert(emu: BotAPIEmulator, user_id: int, message: StoredMessage, button: str) -> str:
    """Press a button; the text of the toast or alert it gets."""
    return (await press(emu, user_id, message, button)).text or ""


async def step(
    emu: BotAPIEmulator, user_id: int, message: StoredMessage, button: str, contains: str
) -> StoredMessage:
    """Press a button of a dialog's message (in a private chat or in a group) and wait until
    it shows the next step; the message as it reads now."""
    await asyncio.sleep(THINK)
    mark = emu.mark()
    query = await emu.press(user_id, message, button)

    def shown() -> bool:
        current = emu.state.get_message(message.chat_id, message.message_id)
        return current is not None and current.edit_seq > mark and contains in current.content

    await emu.wait_until(shown)
    await emu.wait_callback_answer(query)
    current = emu.state.get_message(message.chat_id, message.message_id)
    assert current is not None
    return current


async def wrong(
    emu: BotAPIEmulator,
    user_id: int,
    text: str | None,
    error: str,
    prompt: str,
) -> StoredMessage:
    """Wrong input (a text, or a photo when `text` is None): the bot says what is expected
    and shows the same step again below."""
    await asyncio.sleep(THINK)
    mark = emu.mark()
    if text is None:
        await emu.send_photo(user_id, png())
    else:
        await emu.send_text(user_id, text)
    await emu.wait_for_message(user_id, contains=error, after=mark)
    return await emu.wait_for_message(user_id, contains=prompt, after=mark)


def callback_data(message: StoredMessage, text: str) -> str:
    assert message.reply_markup is not None
    for row in message.reply_markup["inline_keyboard"]:
        for button in row:
            if button["text"] == text:
                return str(button["callback_data"])
    raise AssertionError(f"no button {text!r}: {message.buttons}")


def url_buttons(message: StoredMessage) -> dict[str, str]:
    assert message.reply_markup is not None
    return {
        button["text"]: button["url"]
        for row in message.reply_markup["inline_keyboard"]
        for button in row
        if "url" in button
    }


def day_label(value: date) -> str:
    """A day as aiogram-dialog's calendar labels it (today in brackets)."""
    return f"[{value:%d}]" if value == today() else f"{value:%d}"


async def pick_date(
    emu: BotAPIEmulator, user_id: int, calendar: StoredMessage, day: date
) -> CallbackAnswer:
    """Press a day in the calendar, whatever marks it carries (today, muted)."""
    labels = [label for row in calendar.buttons for label in row]
    label = next((label for label in labels if day_matches(label, day)), None)
    assert label is not None, labels
    return await press(emu, user_id, calendar, label)


async def pick_day_ahead(
    emu: BotAPIEmulator, user_id: int, calendar: StoredMessage, day: date
) -> CallbackAnswer:
    """Press a day of this month or the next one (turning the calendar's page if needed)."""
    if (day.year, day.month) != (today().year, today().month):
        label = next(label for row in calendar.buttons for label in row if label.endswith("▶"))
        mark = emu.mark()
        await press(emu, user_id, calendar, label)

        def turned() -> bool:
            current = emu.state.get_message(user_id, calendar.message_id)
            return current is not None and current.edit_seq > mark

        await emu.wait_until(turned)
        current = emu.state.get_message(user_id, calendar.message_id)
        assert current is not None
        calendar = current
    return await pick_date(emu, user_id, calendar, day)


def day_matches(label: str, day: date) -> bool:
    digits = "".join(ch for ch in label if ch.isdigit())
    return digits in {f"{day.day:02d}", str(day.day)} and len(label.strip()) <= 6


async def wait_for_saved_step(sessions: async_sessionmaker[AsyncSession], state: str) -> None:
    """aiogram-dialog saves a step right after it shows it; wait until it is in the database."""
    for _ in range(200):
        async with sessions() as session:
            records = (await session.execute(select(FsmRecord))).scalars().all()
        if any(record.data.get("state") == state for record in records):
            return
        await asyncio.sleep(0.05)
    raise TimeoutError(f"dialog step {state} was not saved")


def bot_messages_after(
    emu: BotAPIEmulator, mark: Mark, chats: Iterable[int]
) -> dict[int, list[StoredMessage]]:
    """The new messages the bot sent to each of `chats` since `mark` (edits not counted):
    who heard something."""
    return {
        chat: [m for m in emu.bot_messages(chat) if m.created_seq > mark]
        for chat in chats
        if any(m.created_seq > mark for m in emu.bot_messages(chat))
    }


async def register_case(
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    category: CaseCategory,
    summary: str = "Не представился клиенту, не уточнил потребность. Тел. +7 999 123-45-67",
    **settings_overrides: Any,
) -> Case:
    """CS registers a case about Мария Козлова through the service (the /case dialog has its
    own tests; `settings_overrides` as the bot process has them: the reminders' due times are
    set at registration)."""
    settings = make_settings(database_url, **settings_overrides)
    async with sessions() as session:
        author = (
            await session.execute(select(Employee).where(Employee.telegram_id == CS_ID))
        ).scalar_one()
        manager = (
            await session.execute(select(Employee).where(Employee.telegram_id == OTHER_MANAGER_ID))
        ).scalar_one()
        return await cases.register(
            session,
            author,
            cases.CaseDraft(
                manager_id=manager.id,
                tab=CaseTab.CASES,
                category=category,
                source=CaseSource.MEETING,
                incident_date=today() - timedelta(days=1),
                summary=summary,
            ),
            settings=settings,
            texts=Texts("ru", tz=MOSCOW),
            bot_username="cs_test_bot",
        )
