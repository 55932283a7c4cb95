"""The steps every end-to-end test takes, in one place: a person says something, presses a
button, picks a day, sends a file, waits for the bot; the small builders the tests share
(a PNG, a calendar day).

Test modules import from here, never from one another.
"""

from __future__ import annotations

import asyncio
import struct
import zlib
from collections.abc import Awaitable, Callable, Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import FsmRecord, OutboxMessage
from emulator import BotAPIEmulator, StoredMessage
from emulator.control import CallbackAnswer, Mark
from tests.conftest import CS_CHAT_ID
from tests.e2e.conftest import CS_ID

MOSCOW = ZoneInfo("Europe/Moscow")
DAY = 86400  # the calendar's callback data counts seconds since 1970-01-01
# A person reads each step before answering. Without a pause the test answers faster than
# Telegram's 30 calls a second, and the bot's replies would be refused with 429.
THINK = 0.12
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def today() -> date:
    return datetime.now(MOSCOW).date()


def next_working_day(start: date) -> date:
    """The first day after `start` that is not a Saturday or a Sunday."""
    day = start + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


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


async def open_below(
    emu: BotAPIEmulator,
    user_id: int,
    message: StoredMessage,
    button: str,
    contains: str | None = None,
) -> StoredMessage:
    """Press a button that opens something below it (a dialog, a calendar): the bot's next
    message to the person (containing `contains`)."""
    await asyncio.sleep(THINK)
    mark = emu.mark()
    query = await emu.press(user_id, message, button)
    await emu.wait_callback_answer(query)
    return await emu.wait_for_message(user_id, contains=contains, after=mark)


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

    try:
        await emu.wait_until(shown)
    except TimeoutError:
        current = emu.state.get_message(message.chat_id, message.message_id)
        raise AssertionError(
            f"«{button}» pressed; the message did not come to show «{contains}»; it reads"
            f" «{current.content[:400] if current else None}»"
        ) from None
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


async def send_file(
    emu: BotAPIEmulator, name: str, data: bytes, contains: str, caption: str | None = None
) -> str:
    """CS sends a document; the text of the bot's answer once it contains `contains`."""
    await asyncio.sleep(THINK)
    mark = emu.mark()
    await emu.send_document(CS_ID, name, data, caption=caption)
    reply = await emu.wait_for_message(CS_ID, contains=contains, after=mark, timeout=15)
    return next(version for version in reply.versions if contains in version)


async def request_access(emu: BotAPIEmulator, user_id: int) -> StoredMessage:
    """An unknown person asks for access from /start; the CS group's post about it."""
    greeting = await say(emu, user_id, "/start", contains="Запросить доступ")
    mark = emu.mark()
    answer = await press(emu, user_id, greeting, "Запросить доступ")
    assert answer is not None
    await emu.wait_for_edit(user_id, greeting.message_id, contains="Запрос доступа отправлен")
    return await emu.wait_for_message(CS_CHAT_ID, contains="Запрос доступа", after=mark)


async def decide_in_group(
    emu: BotAPIEmulator,
    post: StoredMessage,
    button: str,
    comment: str,
    saved: str = "Записано",
    *,
    too_short_first: bool = False,
) -> None:
    """CS presses a decision under an appeal in the group; the comment is asked in the private
    chat (with `too_short_first`, a first «ок» is refused as too short and the step stays)."""
    mark = emu.mark()
    assert await alert(emu, CS_ID, post, button) == "Продолжите в личном чате с ботом."
    await emu.wait_for_message(CS_ID, contains="Напишите комментарий", after=mark)
    if too_short_first:
        await say(emu, CS_ID, "ок", contains="Слишком коротко")
    await say(emu, CS_ID, comment, contains=saved)


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


async def pick_any_day(
    emu: BotAPIEmulator, user_id: int, calendar: StoredMessage, day: date
) -> CallbackAnswer:
    """Send the calendar's callback for `day` as its button would, whatever month the
    calendar shows and whether the day is muted or not shown at all (a forged press)."""
    await asyncio.sleep(THINK)
    # Any day's button gives the widget's prefix; muted days carry an "X" before the day.
    prefix = next(
        button["callback_data"].rsplit(":", 1)[0]
        for row in (calendar.reply_markup or {}).get("inline_keyboard", [])
        for button in row
        if button.get("callback_data", "").rsplit(":", 1)[-1].lstrip("X").isdigit()
    )
    data = f"{prefix}:{DAY * (day - date(1970, 1, 1)).days}"
    query = await emu.send_callback(user_id, calendar.chat_id, calendar.message_id, data)
    return await emu.wait_callback_answer(query)


async def book_meeting(
    emu: BotAPIEmulator, user_id: int, invitation: StoredMessage, day: date, slot: str
) -> StoredMessage:
    """A lead presses «Записаться на встречу» under his invitation (or its reminder), picks
    `day` (this month or the next) and `slot` and books it; the dialog's last message."""
    calendar = await open_below(emu, user_id, invitation, "Записаться на встречу")
    assert "Запись на встречу" in calendar.text
    await pick_day_ahead(emu, user_id, calendar, day)
    await emu.wait_for_edit(user_id, calendar.message_id, contains="выберите время")
    await step(emu, user_id, calendar, slot, "шаг 3 из 3")
    return await step(emu, user_id, calendar, "Записаться", "Вы записаны")


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


async def wait_until(predicate: Callable[[], Awaitable[bool]], timeout: float = 15.0) -> None:
    """Wait until `predicate()` (which may read the database) comes true."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await predicate():
        if loop.time() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(0.05)


async def outbox_rows(sessions: async_sessionmaker[AsyncSession]) -> list[OutboxMessage]:
    async with sessions() as session:
        return list((await session.execute(select(OutboxMessage))).scalars())


def photos(emu: BotAPIEmulator, chat_id: int) -> list[StoredMessage]:
    """The photos the bot sent to a chat (a digest's chart)."""
    return [message for message in emu.bot_messages(chat_id) if message.photo is not None]


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


async def press_forged(
    emu: BotAPIEmulator, user_id: int, message: StoredMessage, data: str
) -> CallbackAnswer:
    """A press under `message` carrying `data` no button of it has (a forged callback); the
    bot's answer to it."""
    await asyncio.sleep(THINK)
    query = await emu.send_callback(user_id, message.chat_id, message.message_id, data)
    return await emu.wait_callback_answer(query)
