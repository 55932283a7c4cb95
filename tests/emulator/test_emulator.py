"""The Bot API emulator driven by a real aiogram Bot over HTTP on loopback."""

from __future__ import annotations

import asyncio
import struct
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.filters import CommandStart
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyParameters,
)
from aiohttp import web

from emulator import BotAPIEmulator, EmulatorLimits, Mark, StoredMessage, parse_html

TOKEN = "123456:TEST-token"
IVAN = 1001
PETR = 1002
ANNA = 1003
GROUP = -1001234567890
FORUM = -1009876543210

EmuFactory = Callable[..., Awaitable[BotAPIEmulator]]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make_bot(emu: BotAPIEmulator, token: str = TOKEN) -> Bot:
    return Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(emu.base_url)))


def keyboard(*rows: list[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=list(rows))


def cb(text: str, data: str | None = None) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data or text)


def png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height)))
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def populate(emu: BotAPIEmulator) -> None:
    emu.add_user(IVAN, "Иван", "Петров", username="ivan")
    emu.add_user(PETR, "Пётр", started=False)
    emu.add_user(ANNA, "Анна", "Смирнова")
    emu.add_group(GROUP, "Клиентский сервис")
    emu.add_group(FORUM, "КС: обращения", is_forum=True)


@pytest.fixture
async def make_emu() -> AsyncIterator[EmuFactory]:
    started: list[BotAPIEmulator] = []

    async def factory(**kwargs: Any) -> BotAPIEmulator:
        emulator = BotAPIEmulator(token=TOKEN, port=0, **kwargs)
        await emulator.start()
        populate(emulator)
        started.append(emulator)
        return emulator

    yield factory
    for emulator in started:
        await emulator.stop()


@pytest.fixture
async def emu(make_emu: EmuFactory) -> BotAPIEmulator:
    return await make_emu()


@pytest.fixture
async def bot(emu: BotAPIEmulator) -> AsyncIterator[Bot]:
    client = make_bot(emu)
    yield client
    await client.session.close()


async def raw_post(emu: BotAPIEmulator, path: str, **kwargs: Any) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(emu.base_url + path, **kwargs) as response,
    ):
        body = await response.text()
        try:
            return response.status, await response.json(content_type=None)
        except ValueError:
            return response.status, body


# --- basics ---------------------------------------------------------------------------------


async def test_get_me_and_base_url(emu: BotAPIEmulator, bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.is_bot, me.username) == (123456, True, "cs_test_bot")
    assert emu.base_url.startswith("http://127.0.0.1:")
    assert emu.calls[-1].method == "getMe"
    assert emu.calls[-1].ok


async def test_send_message_returns_real_message_and_is_stored(
    emu: BotAPIEmulator, bot: Bot
) -> None:
    markup = keyboard([cb("Одобрить", "approve:7"), cb("Отклонить", "reject:7")])
    sent = await bot.send_message(
        IVAN, "<b>Обращение №7</b>\nклиент ждёт", parse_mode="HTML", reply_markup=markup
    )
    assert isinstance(sent, Message)
    assert sent.text == "Обращение №7\nклиент ждёт"
    assert sent.from_user is not None
    assert sent.from_user.is_bot
    assert sent.chat.id == IVAN
    assert sent.chat.first_name == "Иван"
    assert sent.reply_markup is not None
    assert sent.reply_markup.model_dump() == markup.model_dump()
    stored = emu.last_bot_message(IVAN)
    assert stored is not None
    assert stored.message_id == sent.message_id == 1
    assert stored.html == "<b>Обращение №7</b>\nклиент ждёт"
    assert stored.entities == [{"type": "bold", "offset": 0, "length": 12}]
    assert stored.buttons == [["Одобрить", "Отклонить"]]
    assert emu.stats.sent == 1


async def test_message_ids_are_sequential_per_chat(emu: BotAPIEmulator, bot: Bot) -> None:
    await emu.send_text(IVAN, "привет")
    first = await bot.send_message(IVAN, "one")
    in_group = await bot.send_message(GROUP, "group one")
    second = await bot.send_message(IVAN, "two")
    assert (first.message_id, second.message_id, in_group.message_id) == (2, 3, 1)
    assert [m.message_id for m in emu.messages(IVAN)] == [1, 2, 3]
    assert [m.from_bot for m in emu.messages(IVAN)] == [False, True, True]
    assert [m.text for m in emu.bot_messages(IVAN)] == ["one", "two"]


async def test_json_body_request_is_accepted(emu: BotAPIEmulator) -> None:
    status, body = await raw_post(
        emu, f"/bot{TOKEN}/sendMessage", json={"chat_id": IVAN, "text": "json body"}
    )
    assert status == 200
    assert body["ok"] is True
    message = Message.model_validate(body["result"])
    assert message.text == "json body"
    assert message.chat.id == IVAN


async def test_token_and_unknown_method(emu: BotAPIEmulator) -> None:
    wrong = make_bot(emu, "654321:OTHER-token")
    try:
        with pytest.raises(TelegramUnauthorizedError, match="Unauthorized"):
            await wrong.get_me()
    finally:
        await wrong.session.close()
    assert await raw_post(emu, "/botnot-a-token/getMe") == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found"},
    )
    status, body = await raw_post(emu, f"/bot{TOKEN}/sendSticker", data={"chat_id": IVAN})
    assert (status, body["description"]) == (404, "Not Found")
    assert [c.error_code for c in emu.calls] == [401, 404, 404]


# --- HTML parse mode ------------------------------------------------------------------------


async def test_escaped_html_is_shown_literally(emu: BotAPIEmulator, bot: Bot) -> None:
    sent = await bot.send_message(
        IVAN, "&lt;b&gt; &amp; &lt;script&gt; &quot;x&quot; &#65;&#x42;", parse_mode="HTML"
    )
    assert sent.text == '<b> & <script> "x" AB'
    assert sent.entities is None


async def test_html_entities_use_utf16_offsets(emu: BotAPIEmulator, bot: Bot) -> None:
    html = (
        "😀 <i>ж😀</i> <a href='https://example.com/a?b=1&amp;c=2'>link</a> <code>x</code>\n"
        '<pre><code class="language-python">print(1)</code></pre>'
        '<tg-spoiler>s</tg-spoiler><span class="tg-spoiler">p</span>'
        "<blockquote expandable>q</blockquote><u>u</u><s>s</s><strong>B</strong><em>I</em>"
    )
    sent = await bot.send_message(IVAN, html, parse_mode="HTML")
    assert sent.text == "😀 ж😀 link x\nprint(1)spqusBI"
    got = [(e.type, e.offset, e.length, e.url or e.language) for e in sent.entities or []]
    assert got == [
        ("italic", 3, 3, None),
        ("text_link", 7, 4, "https://example.com/a?b=1&c=2"),
        ("code", 12, 1, None),
        ("pre", 14, 8, "python"),
        ("spoiler", 22, 1, None),
        ("spoiler", 23, 1, None),
        ("expandable_blockquote", 24, 1, None),
        ("underline", 25, 1, None),
        ("strikethrough", 26, 1, None),
        ("bold", 27, 1, None),
        ("italic", 28, 1, None),
    ]


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("<script>alert(1)</script>", 'Unsupported start tag "script" at byte offset 0'),
        ("Привет <br> мир", 'Unsupported start tag "br" at byte offset 13'),
        ("<b>жирный", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("a <b", "Unclosed start tag at byte offset 2"),
        ("Tom & Jerry", 'Character "&" must be escaped as "&amp;" at byte offset 4'),
        ("&nbsp;", 'Unsupported HTML entity "&nbsp;" at byte offset 0'),
        ('<span class="red">x</span>', 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
    ],
)
async def test_malformed_html_is_rejected(
    emu: BotAPIEmulator, bot: Bot, html: str, reason: str
) -> None:
    with pytest.raises(TelegramBadRequest) as caught:
        await bot.send_message(IVAN, html, parse_mode="HTML")
    assert caught.value.message == f"Bad Request: can't parse entities: {reason}"
    assert emu.bot_messages(IVAN) == []
    assert emu.stats.sent == 0


async def test_without_parse_mode_tags_stay_text(bot: Bot) -> None:
    sent = await bot.send_message(IVAN, "<b>not bold</b> & co")
    assert sent.text == "<b>not bold</b> & co"
    assert sent.entities is None


async def test_text_empty_and_too_long(emu: BotAPIEmulator, bot: Bot) -> None:
    for text in ("   \n ", "<b></b> "):
        with pytest.raises(TelegramBadRequest, match="Bad Request: message text is empty"):
            await bot.send_message(IVAN, text, parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="Bad Request: message is too long"):
        await bot.send_message(IVAN, "я" * 4097)
    with pytest.raises(TelegramBadRequest, match="Bad Request: message is too long"):
        await bot.send_message(IVAN, "😀" * 2049)  # 2049 characters, 4098 UTF-16 units
    ok = await bot.send_message(IVAN, "<b>" + "&amp;" * 4096 + "</b>", parse_mode="HTML")
    assert ok.text == "&" * 4096
    padded = await bot.send_message(IVAN, "  \n" + "😀" * 2048 + "\n  ")
    assert padded.text == "😀" * 2048


async def test_caption_too_long(emu: BotAPIEmulator, bot: Bot) -> None:
    document = BufferedInputFile(b"report", "report.txt")
    with pytest.raises(TelegramBadRequest, match="Bad Request: message caption is too long"):
        await bot.send_document(IVAN, document, caption="x" * 1025)
    sent = await bot.send_document(IVAN, document, caption="x" * 1024)
    assert sent.caption == "x" * 1024
    assert emu.stats.files_uploaded == 1


def test_parser_standalone() -> None:
    parsed = parse_html("<b>a<i>b</i></b> <a href='tg://user?id=7'>u</a>")
    assert parsed.text == "ab u"
    assert [e["type"] for e in parsed.entities] == ["bold", "italic", "text_mention"]
    assert parsed.entities[2]["user"]["id"] == 7


# --- inline keyboards -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("button", "reason"),
    [
        (InlineKeyboardButton(text="x", callback_data="ж" * 33), "BUTTON_DATA_INVALID"),
        (
            InlineKeyboardButton(text="Просто текст"),
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
        ),
        (
            InlineKeyboardButton(text="Сайт", url="javascript:alert(1)"),
            "inline keyboard button URL 'javascript:alert(1)' is invalid: Wrong HTTP URL",
        ),
        (
            InlineKeyboardButton(text="Сайт", url="ftp://example.com"),
            "inline keyboard button URL 'ftp://example.com' is invalid: Wrong HTTP URL",
        ),
    ],
)
async def test_bad_inline_buttons_are_rejected(
    emu: BotAPIEmulator, bot: Bot, button: InlineKeyboardButton, reason: str
) -> None:
    with pytest.raises(TelegramBadRequest) as caught:
        await bot.send_message(IVAN, "text", reply_markup=keyboard([button]))
    assert caught.value.message == f"Bad Request: {reason}"
    assert emu.bot_messages(IVAN) == []


async def test_keyboard_limits(bot: Bot) -> None:
    exactly_64 = "ж" * 32
    sent = await bot.send_message(
        IVAN,
        "ok",
        reply_markup=keyboard(
            [cb("data", exactly_64)],
            [InlineKeyboardButton(text="tg", url="tg://resolve?domain=telegram")],
            [InlineKeyboardButton(text="web", url="https://example.com/path?q=1")],
        ),
    )
    assert sent.reply_markup is not None
    rows = [[cb(f"b{r}{c}") for c in range(10)] for r in range(10)]
    assert (await bot.send_message(IVAN, "100", reply_markup=keyboard(*rows))).message_id
    rows[0].append(cb("one too many"))
    with pytest.raises(TelegramBadRequest, match="Bad Request: reply markup is too long"):
        await bot.send_message(IVAN, "101", reply_markup=keyboard(*rows))


# --- chats and users ------------------------------------------------------------------------


async def test_chat_reachability(emu: BotAPIEmulator, bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="Bad Request: chat not found"):
        await bot.send_message(424242, "hi")
    with pytest.raises(TelegramBadRequest, match="Bad Request: chat not found"):
        await bot.send_message(-100555, "hi")
    with pytest.raises(
        TelegramForbiddenError, match="Forbidden: bot can't initiate conversation with a user"
    ):
        await bot.send_message(PETR, "hi")
    emu.block_bot(ANNA)
    with pytest.raises(TelegramForbiddenError, match="Forbidden: bot was blocked by the user"):
        await bot.send_message(ANNA, "hi")
    emu.unblock_bot(ANNA)
    assert (await bot.send_message(ANNA, "hi again")).chat.id == ANNA
    await emu.send_text(PETR, "/start")  # writing to the bot opens the private chat
    assert (await bot.send_message(PETR, "welcome")).text == "welcome"


async def test_forum_topics_and_replies(emu: BotAPIEmulator, bot: Bot) -> None:
    question = await emu.send_text(IVAN, "Где отчёт?", chat_id=FORUM, thread_id=42)
    answer = await bot.send_message(
        FORUM, "Вот он", reply_parameters=ReplyParameters(message_id=question.message_id)
    )
    assert answer.message_thread_id == 42
    assert answer.is_topic_message
    assert answer.reply_to_message is not None
    assert answer.reply_to_message.text == "Где отчёт?"
    assert emu.last_bot_message(FORUM) is not None
    assert emu.messages(FORUM)[-1].thread_id == 42
    topic = await bot.send_message(FORUM, "в тему 7", message_thread_id=7)
    assert topic.message_thread_id == 7
    with pytest.raises(TelegramBadRequest, match="message to be replied not found"):
        await bot.send_message(FORUM, "x", reply_to_message_id=999)
    loose = await bot.send_message(
        FORUM,
        "x",
        reply_parameters=ReplyParameters(message_id=999, allow_sending_without_reply=True),
        disable_web_page_preview=True,
    )
    assert loose.reply_to_message is None


async def test_chat_action(emu: BotAPIEmulator, bot: Bot) -> None:
    assert await bot.send_chat_action(IVAN, "typing") is True
    with pytest.raises(TelegramBadRequest, match="wrong parameter action in request"):
        await bot.send_chat_action(IVAN, "dancing")
    assert emu.stats.chat_actions == 1


# --- edits and deletes ----------------------------------------------------------------------


async def test_edit_semantics(emu: BotAPIEmulator, bot: Bot) -> None:
    markup = keyboard([cb("Одобрить")])
    sent = await bot.send_message(IVAN, "Ждёт решения", reply_markup=markup)
    edited = await bot.edit_message_text(
        "<b>Одобрено</b>",
        chat_id=IVAN,
        message_id=sent.message_id,
        parse_mode="HTML",
        reply_markup=markup,
    )
    assert isinstance(edited, Message)
    assert edited.text == "Одобрено"
    assert edited.edit_date
    stored = emu.messages(IVAN)[0]
    assert (stored.text, stored.edits, stored.buttons) == (
        "Одобрено",
        ["Ждёт решения"],
        [["Одобрить"]],
    )
    with pytest.raises(TelegramBadRequest) as caught:
        await bot.edit_message_text(
            "<b>Одобрено</b>",
            chat_id=IVAN,
            message_id=sent.message_id,
            parse_mode="HTML",
            reply_markup=markup,
        )
    assert caught.value.message == (
        "Bad Request: message is not modified: specified new message content and reply markup "
        "are exactly the same as a current content and reply markup of the message"
    )
    # the same text without reply_markup removes the keyboard: that is a modification
    await bot.edit_message_text(
        "<b>Одобрено</b>", chat_id=IVAN, message_id=sent.message_id, parse_mode="HTML"
    )
    assert emu.messages(IVAN)[0].buttons == []
    assert emu.transcript().splitlines()[-1] == "✎ edited #1: кнопки убраны"
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_reply_markup(chat_id=IVAN, message_id=sent.message_id)
    again = await bot.edit_message_reply_markup(
        chat_id=IVAN, message_id=sent.message_id, reply_markup=keyboard([cb("Отменить")])
    )
    assert isinstance(again, Message)
    assert emu.messages(IVAN)[0].buttons == [["Отменить"]]
    assert emu.stats.edited == 3


async def test_delete_semantics(emu: BotAPIEmulator, bot: Bot) -> None:
    sent = await bot.send_message(IVAN, "временное")
    assert await bot.delete_message(IVAN, sent.message_id) is True
    assert emu.messages(IVAN)[0].deleted
    assert emu.last_bot_message(IVAN) is None
    with pytest.raises(TelegramBadRequest, match="Bad Request: message to delete not found"):
        await bot.delete_message(IVAN, sent.message_id)
    with pytest.raises(TelegramBadRequest, match="Bad Request: message to edit not found"):
        await bot.edit_message_text("new", chat_id=IVAN, message_id=sent.message_id)
    with pytest.raises(TelegramBadRequest, match="Bad Request: message to edit not found"):
        await bot.edit_message_reply_markup(
            chat_id=IVAN, message_id=77, reply_markup=keyboard([cb("x")])
        )
    users = await emu.send_text(IVAN, "моё сообщение")
    with pytest.raises(TelegramBadRequest, match="message can't be edited"):
        await bot.edit_message_text("чужое", chat_id=IVAN, message_id=users.message_id)
    assert await bot.delete_message(IVAN, users.message_id) is True


# --- updates, buttons, callback answers -----------------------------------------------------


async def test_get_updates_offsets_and_long_polling(emu: BotAPIEmulator, bot: Bot) -> None:
    assert await bot.get_updates(timeout=0) == []
    await emu.send_text(IVAN, "/start")
    await emu.send_text(ANNA, f"/help@{emu.bot_username} please", chat_id=GROUP)
    updates = await bot.get_updates(timeout=0)
    assert [u.message.text for u in updates if u.message] == [
        "/start",
        "/help@cs_test_bot please",
    ]
    in_group = updates[1].message
    assert in_group is not None
    assert in_group.chat.type == "supergroup"
    assert [(e.type, e.offset, e.length) for e in in_group.entities or []] == [
        ("bot_command", 0, 17)
    ]
    assert len(await bot.get_updates(timeout=0)) == 2  # not confirmed yet
    assert len(await bot.get_updates(timeout=0, limit=1)) == 1
    assert await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0) == []
    assert emu.pending_updates == 0

    async def later() -> None:
        await asyncio.sleep(0.2)
        await emu.send_text(IVAN, "ещё")

    started = time.monotonic()
    writer = asyncio.create_task(later())
    polled = await bot.get_updates(offset=updates[-1].update_id + 1, timeout=5)
    await writer
    assert 0.1 < time.monotonic() - started < 2
    assert [u.message.text for u in polled if u.message] == ["ещё"]
    assert polled[0].update_id == updates[-1].update_id + 1


async def test_long_poll_timeout_returns_empty(emu: BotAPIEmulator, bot: Bot) -> None:
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=1))
    await emu.wait_until(lambda: bool(emu.calls))
    pending = emu.calls[-1]  # a call is logged as soon as it arrives
    assert (pending.method, pending.done, pending.params) == ("getUpdates", False, {"timeout": "1"})
    assert await poll == []
    assert 0.9 < time.monotonic() - started < 3
    assert (pending.done, pending.ok) == (True, True)


async def test_concurrent_get_updates_conflict(emu: BotAPIEmulator) -> None:
    first = asyncio.create_task(raw_post(emu, f"/bot{TOKEN}/getUpdates", data={"timeout": "5"}))
    await asyncio.sleep(0.2)
    second = asyncio.create_task(raw_post(emu, f"/bot{TOKEN}/getUpdates", data={"timeout": "0"}))
    status, body = await asyncio.wait_for(first, 3)
    assert status == 409
    assert body["description"].startswith("Conflict: terminated by other")
    assert (await second)[1] == {"ok": True, "result": []}


async def test_press_button_and_answer(emu: BotAPIEmulator, bot: Bot) -> None:
    sent = await bot.send_message(
        IVAN,
        "Обращение #7",
        reply_markup=keyboard(
            [cb("✅ Одобрить", "approve:7"), cb("❌ Отклонить", "reject:7")],
            [InlineKeyboardButton(text="Открыть", url="https://example.com/7")],
        ),
    )
    stored = emu.last_bot_message(IVAN)
    assert stored is not None
    query_id = await emu.press(IVAN, stored, "Одобрить")  # partial text
    updates = await bot.get_updates(timeout=0)
    query = updates[-1].callback_query
    assert isinstance(query, CallbackQuery)
    assert (query.id, query.data, query.from_user.id) == (query_id, "approve:7", IVAN)
    assert isinstance(query.message, Message)
    assert query.message.message_id == sent.message_id
    assert query.message.reply_markup is not None
    with pytest.raises(TelegramBadRequest, match="Bad Request: MESSAGE_TOO_LONG"):
        await bot.answer_callback_query(query_id, text="x" * 201)
    assert await bot.answer_callback_query(query_id, text="Готово", show_alert=True)
    answer = await emu.wait_callback_answer(query_id, timeout=1)
    assert (answer.text, answer.show_alert) == ("Готово", True)
    invalid = "Bad Request: query is too old and response timeout expired or query ID is invalid"
    for bad_id in (query_id, "12345"):  # answered twice / unknown id
        with pytest.raises(TelegramBadRequest) as caught:
            await bot.answer_callback_query(bad_id)
        assert caught.value.message == invalid


async def test_press_errors_are_clear(emu: BotAPIEmulator, bot: Bot) -> None:
    await bot.send_message(
        IVAN,
        "menu",
        reply_markup=keyboard(
            [cb("Да"), InlineKeyboardButton(text="Сайт", url="https://example.com")]
        ),
    )
    stored = emu.last_bot_message(IVAN)
    assert stored is not None
    with pytest.raises(AssertionError, match=r"no button 'Нет'.*\[\['Да', 'Сайт'\]\]"):
        await emu.press(IVAN, stored, "Нет")
    with pytest.raises(AssertionError, match="not a callback button"):
        await emu.press(IVAN, stored, "Сайт")
    await bot.edit_message_reply_markup(chat_id=IVAN, message_id=stored.message_id)
    with pytest.raises(AssertionError, match="no button 'Да'"):
        await emu.press(IVAN, stored, "Да")  # the current markup counts, not the old one


async def test_forged_callback(emu: BotAPIEmulator, bot: Bot) -> None:
    sent = await bot.send_message(GROUP, "объявление")
    query_id = await emu.send_callback(ANNA, GROUP, sent.message_id, "admin:delete_all")
    gone = await emu.send_callback(ANNA, GROUP, 999, "stale")
    updates = await bot.get_updates(timeout=0)
    queries = [u.callback_query for u in updates if u.callback_query]
    assert [(q.id, q.data) for q in queries] == [
        (query_id, "admin:delete_all"),
        (gone, "stale"),
    ]
    assert queries[1].message is not None
    assert queries[1].message.date == 0


# --- rate limits ----------------------------------------------------------------------------


async def test_group_rate_limit_sliding_minute(make_emu: EmuFactory) -> None:
    clock = FakeClock()
    emu = await make_emu(
        limits=EmulatorLimits(group_per_minute=3, global_per_second=30), clock=clock
    )
    bot = make_bot(emu)
    try:
        for n in range(3):
            await bot.send_message(GROUP, f"msg {n}")
        clock.now += 10
        with pytest.raises(TelegramRetryAfter) as caught:
            await bot.send_message(GROUP, "one too many")
        assert caught.value.retry_after == 50
        assert "Too Many Requests: retry after 50" in caught.value.message
        assert (await bot.send_message(IVAN, "private chats are not limited")).text
        await bot.send_message(FORUM, "another group has its own window")
        clock.now += 30
        with pytest.raises(TelegramRetryAfter) as caught:
            await bot.send_message(GROUP, "still too early")
        assert caught.value.retry_after == 20
        clock.now += 20.5  # the first three have left the window; rejected calls never counted
        for n in range(3):
            await bot.send_message(GROUP, f"again {n}")
        with pytest.raises(TelegramRetryAfter):
            await bot.send_message(GROUP, "and limited again")
        assert len(emu.bot_messages(GROUP)) == 6
        assert emu.stats.rate_limited == 3
    finally:
        await bot.session.close()


async def test_global_rate_limit_per_second(make_emu: EmuFactory) -> None:
    clock = FakeClock()
    emu = await make_emu(limits=EmulatorLimits(global_per_second=4), clock=clock)
    bot = make_bot(emu)
    try:
        first = await bot.send_message(IVAN, "1")
        await bot.send_message(ANNA, "2")
        await bot.edit_message_text("1!", chat_id=IVAN, message_id=first.message_id)
        await bot.send_message(GROUP, "3")
        with pytest.raises(TelegramRetryAfter) as caught:
            await bot.send_message(ANNA, "5th call in the same second")
        assert caught.value.retry_after == 1
        with pytest.raises(TelegramRetryAfter):
            await bot.edit_message_text("1!!", chat_id=IVAN, message_id=first.message_id)
        assert emu.messages(IVAN)[0].text == "1!"
        clock.now += 1.0
        assert (await bot.send_message(ANNA, "next second")).text == "next second"
        assert emu.stats.rate_limited == 2
    finally:
        await bot.session.close()


async def test_real_clock_rate_limit(make_emu: EmuFactory) -> None:
    limits = EmulatorLimits(group_per_minute=100, global_per_second=3, global_window=0.6)
    emu = await make_emu(limits=limits)
    bot = make_bot(emu)
    try:
        results = await asyncio.gather(
            *(bot.send_message(IVAN, str(n)) for n in range(5)), return_exceptions=True
        )
        limited = [r for r in results if isinstance(r, TelegramRetryAfter)]
        assert len(limited) == 2
        assert all(r.retry_after == 1 for r in limited)
        await asyncio.sleep(0.65)
        assert (await bot.send_message(IVAN, "after the window")).text == "after the window"
    finally:
        await bot.session.close()


async def test_limits_can_be_disabled(make_emu: EmuFactory) -> None:
    emu = await make_emu(limits=EmulatorLimits(group_per_minute=1, enabled=False))
    bot = make_bot(emu)
    try:
        for n in range(5):
            await bot.send_message(GROUP, str(n))
        assert len(emu.bot_messages(GROUP)) == 5
        assert emu.stats.rate_limited == 0
        emu.set_limits(EmulatorLimits(group_per_minute=1))
        await bot.send_message(GROUP, "first under the new limit")
        with pytest.raises(TelegramRetryAfter):
            await bot.send_message(GROUP, "second")
        assert emu.stats.rate_limited == 1
    finally:
        await bot.session.close()


# --- files ----------------------------------------------------------------------------------


async def test_document_upload_and_download_round_trip(emu: BotAPIEmulator, bot: Bot) -> None:
    payload = bytes(range(256)) * 40
    sent = await bot.send_document(
        IVAN,
        BufferedInputFile(payload, "итоги.xlsx"),
        caption="<b>Итоги</b> месяца",
        parse_mode="HTML",
    )
    assert sent.document is not None
    assert sent.document.file_name == "итоги.xlsx"
    assert sent.document.file_size == len(payload)
    assert sent.document.mime_type == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert sent.caption == "Итоги месяца"
    assert sent.caption_entities
    file = await bot.get_file(sent.document.file_id)
    assert file.file_path is not None
    downloaded = await bot.download_file(file.file_path)
    assert downloaded is not None
    assert downloaded.read() == payload
    stored = emu.last_bot_message(IVAN)
    assert stored is not None
    assert stored.file_bytes == payload
    assert (stored.text, stored.content) == ("", "Итоги месяца")
    assert stored.document is not None
    assert (stored.document.file_name, stored.document.size) == ("итоги.xlsx", len(payload))
    again = await bot.send_document(ANNA, sent.document.file_id)
    assert again.document is not None
    assert again.document.file_id == sent.document.file_id
    with pytest.raises(TelegramBadRequest, match="wrong file identifier/HTTP URL specified"):
        await bot.send_document(IVAN, "no-such-file-id")
    with pytest.raises(TelegramBadRequest, match="Bad Request: invalid file_id"):
        await bot.get_file("no-such-file-id")


async def test_photo_upload(emu: BotAPIEmulator, bot: Bot) -> None:
    image = png(3, 2)
    sent = await bot.send_photo(IVAN, BufferedInputFile(image, "chart.png"), caption="график")
    assert sent.photo is not None
    assert (sent.photo[-1].width, sent.photo[-1].height) == (3, 2)
    stored = emu.last_bot_message(IVAN)
    assert stored is not None
    assert stored.photo is not None
    assert stored.file_bytes == image
    downloaded = await bot.download(sent.photo[-1].file_id)
    assert downloaded is not None
    assert downloaded.read() == image
    with pytest.raises(TelegramBadRequest, match="Bad Request: IMAGE_PROCESS_FAILED"):
        await bot.send_photo(IVAN, BufferedInputFile(b"not an image", "x.png"))
    with pytest.raises(TelegramBadRequest, match="can't use file of type Photo as Document"):
        await bot.send_document(IVAN, sent.photo[-1].file_id)


async def test_user_document_reaches_the_bot(emu: BotAPIEmulator, bot: Bot) -> None:
    await emu.send_document(IVAN, "выгрузка.csv", b"a;b\n1;2\n", caption="вот файл")
    await emu.send_photo(IVAN, png(1, 1))
    updates = await bot.get_updates(timeout=0)
    document = updates[0].message.document if updates[0].message else None
    assert document is not None
    assert document.file_name == "выгрузка.csv"
    assert document.mime_type == "text/csv"
    content = await bot.download(document.file_id)
    assert content is not None
    assert content.read() == b"a;b\n1;2\n"
    photo = updates[1].message.photo if updates[1].message else None
    assert photo is not None
    assert photo[0].width == 1


# --- fault injection ------------------------------------------------------------------------


async def test_fault_5xx(emu: BotAPIEmulator, bot: Bot) -> None:
    emu.inject_faults("5xx", 2)
    for _ in range(2):
        with pytest.raises(TelegramServerError, match="Internal Server Error"):
            await bot.send_message(IVAN, "lost")
    assert (await bot.send_message(IVAN, "delivered")).text == "delivered"
    assert [m.text for m in emu.bot_messages(IVAN)] == ["delivered"]
    assert emu.stats.faults == 2


async def test_fault_502_html_body(emu: BotAPIEmulator, bot: Bot) -> None:
    emu.inject_faults("502", 1)
    with pytest.raises(ClientDecodeError):
        await bot.send_message(IVAN, "lost")
    status, body = await raw_post(emu, "/bot" + TOKEN + "/getMe")
    assert status == 200
    assert body["ok"]
    emu.inject_faults("502", 1, methods=["getMe"])
    status, body = await raw_post(emu, "/bot" + TOKEN + "/getMe")
    assert status == 502
    assert "<h1>502 Bad Gateway</h1>" in body
    assert emu.bot_messages(IVAN) == []


async def test_fault_429(emu: BotAPIEmulator, bot: Bot) -> None:
    emu.inject_faults("429", 1, retry_after=3)
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(IVAN, "lost")
    assert caught.value.retry_after == 3
    assert emu.stats.rate_limited == 1
    assert emu.bot_messages(IVAN) == []


async def test_fault_drop(emu: BotAPIEmulator, bot: Bot) -> None:
    sent = await bot.send_message(IVAN, "original")
    emu.inject_faults("drop", 1, methods=["editMessageText"])
    with pytest.raises(TelegramNetworkError):
        await bot.edit_message_text("changed", chat_id=IVAN, message_id=sent.message_id)
    assert emu.messages(IVAN)[0].text == "original"
    assert emu.calls[-1].method == "editMessageText"
    assert not emu.calls[-1].ok
    edited = await bot.edit_message_text("changed", chat_id=IVAN, message_id=sent.message_id)
    assert isinstance(edited, Message)
    assert edited.text == "changed"


async def test_fault_stall_then_release(emu: BotAPIEmulator, bot: Bot) -> None:
    emu.inject_faults("stall", 2)
    lost = asyncio.create_task(bot.send_message(IVAN, "stalled"))
    await emu.wait_stalled(1)
    assert emu.stalled_count() == 1
    assert emu.bot_messages(IVAN) == []
    assert (emu.calls[-1].method, emu.calls[-1].done) == ("sendMessage", False)
    assert emu.release_stalled() == 1
    with pytest.raises(TelegramNetworkError):
        await lost
    processed = asyncio.create_task(bot.send_message(IVAN, "late"))
    await emu.wait_stalled(1)
    emu.release_stalled(process=True)
    assert (await processed).text == "late"
    assert [m.text for m in emu.bot_messages(IVAN)] == ["late"]


async def test_fault_stall_times_out_client(emu: BotAPIEmulator, bot: Bot) -> None:
    emu.inject_faults("stall", 1, methods=["sendDocument"])
    with pytest.raises(TelegramNetworkError, match="Request timeout error"):
        await bot.send_document(IVAN, BufferedInputFile(b"x", "x.txt"), request_timeout=1)
    assert emu.bot_messages(IVAN) == []
    assert emu.stats.files_uploaded == 0
    emu.inject_faults("5xx", 5)
    emu.clear_faults()
    assert (await bot.send_message(IVAN, "clean")).text == "clean"


async def test_stop_releases_pending_requests(make_emu: EmuFactory) -> None:
    emu = await make_emu()
    bot = make_bot(emu)
    try:
        emu.inject_faults("stall", 1)
        stalled = asyncio.create_task(bot.send_message(IVAN, "x"))
        polling = asyncio.create_task(bot.get_updates(timeout=30))
        await emu.wait_stalled(1)
        await emu.wait_until(lambda: any(call.method == "getUpdates" for call in emu.calls))
        started = time.monotonic()
        await emu.stop()
        assert time.monotonic() - started < 3
        assert await asyncio.wait_for(polling, 3) == []
        with pytest.raises(TelegramNetworkError):
            await asyncio.wait_for(stalled, 3)
    finally:
        await bot.session.close()


# --- commands, call log ---------------------------------------------------------------------


async def test_commands_per_scope(emu: BotAPIEmulator, bot: Bot) -> None:
    await bot.set_my_commands([BotCommand(command="start", description="Начать")])
    admin = BotCommandScopeChat(chat_id=IVAN)
    await bot.set_my_commands(
        [
            BotCommand(command="start", description="Начать"),
            BotCommand(command="report", description="Отчёт"),
        ],
        scope=admin,
    )
    assert emu.commands() == [{"command": "start", "description": "Начать"}]
    assert [c["command"] for c in emu.commands({"type": "chat", "chat_id": IVAN})] == [
        "start",
        "report",
    ]
    got = await bot.get_my_commands(scope=admin)
    assert [c.command for c in got] == ["start", "report"]
    assert await bot.delete_my_commands(scope=admin)
    assert emu.commands({"type": "chat", "chat_id": IVAN}) == []
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Bad Command", description="x")])
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.set_my_commands(
            [BotCommand(command="x", description="x")], scope=BotCommandScopeChat(chat_id=5)
        )


async def test_call_log_records_everything(emu: BotAPIEmulator, bot: Bot) -> None:
    before = time.time()
    await bot.send_message(IVAN, "hi", reply_markup=keyboard([cb("A", "a")]))
    with pytest.raises(TelegramBadRequest):
        await bot.send_message(777, "nobody")
    first, second = emu.calls
    assert (first.method, first.ok, first.error_code) == ("sendMessage", True, None)
    assert first.params["reply_markup"] == {
        "inline_keyboard": [[{"text": "A", "callback_data": "a"}]]
    }
    assert first.at >= before
    assert (second.ok, second.error_code, second.description) == (
        False,
        400,
        "Bad Request: chat not found",
    )
    assert emu.stats.calls == 2
    assert emu.stats.errors == 1


# --- waiting and the transcript -------------------------------------------------------------


async def test_waits_are_event_driven(emu: BotAPIEmulator, bot: Bot) -> None:
    await bot.send_message(IVAN, "старое меню")
    mark = emu.mark()
    assert isinstance(mark, Mark)

    async def bot_side() -> None:
        await asyncio.sleep(0.05)
        sent = await bot.send_message(IVAN, "⏳ Обрабатываю…")
        await asyncio.sleep(0.05)
        await bot.edit_message_text("Готово: 3 обращения", chat_id=IVAN, message_id=sent.message_id)

    task = asyncio.create_task(bot_side())
    progress = await emu.wait_for_message(IVAN, contains="Обрабатываю", after=mark, timeout=2)
    done = await emu.wait_for_edit(IVAN, progress.message_id, contains="Готово", timeout=2)
    await task
    assert done.text == "Готово: 3 обращения"
    assert done.edits == ["⏳ Обрабатываю…"]
    menu = await emu.wait_for_message(IVAN, contains="меню", timeout=0.1)
    assert menu.message_id == 1
    after_msg = await emu.wait_for_message(IVAN, predicate=lambda m: "3" in m.content, after=1)
    assert after_msg.message_id == 2
    with pytest.raises(TimeoutError, match=r"(?s)containing 'меню'.*after=Mark.*старое меню"):
        await emu.wait_for_message(IVAN, contains="меню", after=mark, timeout=0.2)


def test_stored_message_helpers() -> None:
    message = StoredMessage(
        chat_id=1,
        message_id=5,
        from_bot=True,
        sender_id=9,
        date=0,
        text="новый",
        edits=["старый"],
        reply_markup={"inline_keyboard": [[{"text": "A"}, {"text": "B"}]]},
    )
    assert message.buttons == [["A", "B"]]
    assert message.versions == ["старый", "новый"]
    assert message.file_bytes is None
    assert message.content == "новый"


async def test_transcript_reads_like_a_chat(emu: BotAPIEmulator, bot: Bot) -> None:
    await emu.send_text(IVAN, "/start")
    sent = await bot.send_message(
        IVAN,
        "<b>Заявка №12</b>\nСумма: 5 000 ₽",
        parse_mode="HTML",
        reply_markup=keyboard([cb("Одобрить"), cb("Отклонить")]),
    )
    stored = emu.last_bot_message(IVAN)
    assert stored is not None
    query_id = await emu.press(IVAN, stored, "Одобрить")
    await bot.answer_callback_query(query_id, text="Готово")
    await bot.edit_message_text("Заявка №12 одобрена", chat_id=IVAN, message_id=sent.message_id)
    await bot.send_message(GROUP, "Новая заявка от Ивана")
    await emu.send_text(ANNA, "беру", chat_id=GROUP)
    await bot.send_document(IVAN, BufferedInputFile(b"12345", "акт.pdf"))
    await bot.delete_message(GROUP, 1)
    expected = [
        "[Иван Петров] /start",
        "[Иван Петров] Bot: Заявка №12",
        "  Сумма: 5 000 ₽",
        "  [кнопки: Одобрить | Отклонить]",
        "☞ Иван нажал «Одобрить»",
        "↳ ответ на кнопку: Готово",
        "✎ edited #2: Заявка №12 одобрена",
        "[Клиентский сервис] Bot: Новая заявка от Ивана",
        "[Клиентский сервис] Анна Смирнова: беру",
        "[Иван Петров] Bot: 📎 акт.pdf (5 B)",
        "✗ deleted #1",
    ]
    assert emu.transcript().splitlines() == expected
    assert emu.transcript(chat_id=GROUP).splitlines() == [expected[7], expected[8], expected[10]]


# --- the real dispatcher --------------------------------------------------------------------


async def test_real_dispatcher_polls_the_emulator(emu: BotAPIEmulator) -> None:
    router = Router()

    @router.message(CommandStart())
    async def start(message: Message) -> None:
        name = message.from_user.first_name if message.from_user else "?"
        await message.answer(
            f"Привет, <b>{name}</b>!",
            parse_mode="HTML",
            reply_markup=keyboard([cb("Одобрить", "ok")]),
        )

    @router.callback_query(F.data == "ok")
    async def approve(callback: CallbackQuery) -> None:
        if isinstance(callback.message, Message):
            await callback.message.edit_text("Одобрено ✅")
        await callback.answer("Готово")

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    bot = make_bot(emu)
    polling = asyncio.create_task(
        dispatcher.start_polling(bot, handle_signals=False, polling_timeout=1)
    )
    try:
        mark = emu.mark()
        await emu.send_text(IVAN, "/start")
        hello = await emu.wait_for_message(IVAN, contains="Привет, Иван", after=mark, timeout=5)
        assert hello.entities == [{"type": "bold", "offset": 8, "length": 4}]
        query_id = await emu.press(IVAN, hello, "Одобрить")
        edited = await emu.wait_for_edit(IVAN, hello.message_id, contains="Одобрено", timeout=5)
        answer = await emu.wait_callback_answer(query_id, timeout=5)
        assert edited.buttons == []
        assert answer.text == "Готово"
    finally:
        await dispatcher.stop_polling()
        await asyncio.wait_for(polling, 5)
        await bot.session.close()
    polls = [c for c in emu.calls if c.method == "getUpdates"]
    assert set(polls[0].params["allowed_updates"]) == {"message", "callback_query"}
    assert {c.method for c in emu.calls if c.ok} >= {
        "getMe",
        "sendMessage",
        "editMessageText",
        "answerCallbackQuery",
    }


# --- audio and voice ------------------------------------------------------------------------


async def test_audio_and_voice_upload_resend_and_download(emu: BotAPIEmulator, bot: Bot) -> None:
    sound = b"ID3\x03\x00" + bytes(range(200))
    post = await bot.send_message(GROUP, "Кейс #1")
    sent = await bot.send_audio(
        GROUP,
        BufferedInputFile(sound, "звонок.mp3"),
        caption="<b>Запись</b> звонка",
        parse_mode="HTML",
        duration=95,
        performer="КС",
        title="Звонок клиенту",
        reply_parameters=ReplyParameters(message_id=post.message_id),
    )
    assert sent.audio is not None
    assert (sent.audio.file_name, sent.audio.mime_type) == ("звонок.mp3", "audio/mpeg")
    assert (sent.audio.duration, sent.audio.performer, sent.audio.title) == (
        95,
        "КС",
        "Звонок клиенту",
    )
    assert sent.audio.file_size == len(sound)
    assert sent.caption == "Запись звонка"
    assert sent.reply_to_message is not None
    assert sent.reply_to_message.message_id == post.message_id
    stored = emu.last_bot_message(GROUP)
    assert stored is not None
    assert stored.audio is not None
    assert (stored.file_bytes, stored.content, stored.text) == (sound, "Запись звонка", "")
    assert stored.reply_to_message_id == post.message_id
    downloaded = await bot.download(sent.audio.file_id)
    assert downloaded is not None
    assert downloaded.read() == sound
    # A file Telegram already has is sent again by its file_id.
    again = await bot.send_audio(ANNA, sent.audio.file_id)
    assert again.audio is not None
    assert again.audio.file_id == sent.audio.file_id

    voice_bytes = b"OggS\x00\x02" + bytes(100)
    voice = await bot.send_voice(IVAN, BufferedInputFile(voice_bytes, "v.ogg"), duration=7)
    assert voice.voice is not None
    assert (voice.voice.duration, voice.voice.mime_type) == (7, "audio/ogg")
    assert voice.voice.file_size == len(voice_bytes)
    assert voice.voice.file_id != sent.audio.file_id
    assert voice.text is None
    resent = await bot.send_voice(ANNA, voice.voice.file_id, caption="ещё раз")
    assert resent.voice is not None
    assert resent.voice.file_id == voice.voice.file_id
    assert resent.caption == "ещё раз"
    file = await bot.get_file(voice.voice.file_id)
    assert file.file_path is not None
    assert file.file_path.startswith("voice/")

    # Telegram refuses a file_id of another kind, and one it never issued.
    with pytest.raises(TelegramBadRequest, match="can't use file of type Voice as Document"):
        await bot.send_document(IVAN, voice.voice.file_id)
    with pytest.raises(TelegramBadRequest, match="can't use file of type Voice as Photo"):
        await bot.send_photo(IVAN, voice.voice.file_id)
    with pytest.raises(TelegramBadRequest, match="can't use file of type Audio as Voice"):
        await bot.send_voice(IVAN, sent.audio.file_id)
    with pytest.raises(TelegramBadRequest, match="wrong file identifier/HTTP URL specified"):
        await bot.send_audio(IVAN, "no-such-file-id")
    with pytest.raises(TelegramBadRequest, match="file must be non-empty"):
        await bot.send_voice(IVAN, BufferedInputFile(b"", "v.ogg"))
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await bot.send_voice(IVAN, voice.voice.file_id, caption="x" * 1025)
    # A voice or an audio message has no text to edit.
    with pytest.raises(TelegramBadRequest, match="there is no text in the message to edit"):
        await bot.edit_message_text("текст", chat_id=IVAN, message_id=voice.message_id)
    assert emu.stats.by_method["sendAudio"] == 3
    assert emu.stats.by_method["sendVoice"] == 5


async def test_user_audio_and_voice_reach_the_bot(emu: BotAPIEmulator, bot: Bot) -> None:
    sent_audio = await emu.send_audio(IVAN, b"ID3 music", caption="запись встречи")
    sent_voice = await emu.send_voice(IVAN, b"OggS voice", duration=4)
    named = await emu.send_audio(
        ANNA, b"ID3 x", filename="интервью.mp3", chat_id=GROUP, performer="Анна", title="Итог"
    )
    assert sent_audio.audio is not None
    assert sent_voice.voice is not None
    assert named.audio is not None
    updates = await bot.get_updates(timeout=0)
    assert len(updates) == 3
    first, second, third = (update.message for update in updates)
    assert first is not None
    assert second is not None
    assert third is not None
    assert first.audio is not None
    assert (first.audio.file_name, first.audio.mime_type) == ("a.mp3", "audio/mpeg")
    assert first.audio.file_id == sent_audio.audio.file_id
    assert first.caption == "запись встречи"
    assert first.document is None
    assert second.voice is not None
    assert (second.voice.duration, second.voice.mime_type) == (4, "audio/ogg")
    assert second.audio is None
    assert third.chat.id == GROUP
    assert third.audio is not None
    assert (third.audio.performer, third.audio.title) == ("Анна", "Итог")
    assert third.audio.file_name == "интервью.mp3"
    # The bot re-sends what the user sent, by file_id, as a reply.
    echo = await bot.send_voice(
        GROUP,
        second.voice.file_id,
        reply_parameters=ReplyParameters(message_id=third.message_id),
    )
    assert echo.voice is not None
    assert echo.voice.file_id == second.voice.file_id
    music = await bot.send_audio(GROUP, first.audio.file_id)
    assert music.audio is not None
    downloaded = await bot.download(second.voice.file_id)
    assert downloaded is not None
    assert downloaded.read() == b"OggS voice"
    # The audio is not a document, and Telegram will not send it as one.
    with pytest.raises(TelegramBadRequest, match="can't use file of type Audio as Document"):
        await bot.send_document(GROUP, first.audio.file_id)
    lines = emu.transcript().splitlines()
    assert lines[0] == "[Иван Петров] 🎵 a.mp3 (9 B): запись встречи"
    assert lines[1] == "[Иван Петров] 🎤 голосовое, 4 с (10 B)"
    assert lines[2] == "[Клиентский сервис] Анна Смирнова: 🎵 Итог (5 B)"
    assert lines[3] == "[Клиентский сервис] Bot: 🎤 голосовое, 4 с (10 B)"


async def test_audio_and_voice_faults_are_injected_by_default(
    emu: BotAPIEmulator, bot: Bot
) -> None:
    emu.inject_faults("5xx", 2)
    with pytest.raises(TelegramServerError):
        await bot.send_audio(IVAN, BufferedInputFile(b"ID3", "a.mp3"))
    with pytest.raises(TelegramServerError):
        await bot.send_voice(IVAN, BufferedInputFile(b"OggS", "v.ogg"))
    sent = await bot.send_voice(IVAN, BufferedInputFile(b"OggS", "v.ogg"))
    assert sent.voice is not None


# --- webhook --------------------------------------------------------------------------------


class Receiver:
    """A webhook endpoint on loopback: records each POST, answers with `statuses` in turn
    (then 200), after `delays` seconds in turn (then at once)."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, Any], str | None]] = []
        self.statuses: list[int] = []
        self.delays: list[float] = []
        self.answered: list[int] = []  # update ids, in the order they were answered
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/hook"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        update = await request.json()
        self.received.append((update, request.headers.get("X-Telegram-Bot-Api-Secret-Token")))
        if self.delays:
            await asyncio.sleep(self.delays.pop(0))
        status = self.statuses.pop(0) if self.statuses else 200
        if 200 <= status < 300:
            self.answered.append(update["update_id"])
        return web.json_response({}, status=status)

    def ids(self) -> list[int]:
        return [update["update_id"] for update, _ in self.received]


@pytest.fixture
async def receivers() -> AsyncIterator[Callable[[], Awaitable[Receiver]]]:
    started: list[Receiver] = []

    async def factory() -> Receiver:
        receiver = Receiver()
        await receiver.start()
        started.append(receiver)
        return receiver

    yield factory
    for receiver in started:
        await receiver.stop()


async def test_set_get_and_delete_webhook(
    emu: BotAPIEmulator, bot: Bot, receivers: Callable[[], Awaitable[Receiver]]
) -> None:
    receiver = await receivers()
    empty = await bot.get_webhook_info()
    assert (empty.url, empty.has_custom_certificate, empty.pending_update_count) == ("", False, 0)
    receiver.statuses = [500] * 50  # nothing is taken: the update stays pending
    assert await bot.set_webhook(
        receiver.url, secret_token="s3cret_-X", allowed_updates=["message", "callback_query"]
    )
    await emu.send_text(IVAN, "привет")
    await emu.wait_until(lambda: len(receiver.received) >= 1)
    info = await bot.get_webhook_info()
    assert info.url == receiver.url
    assert info.has_custom_certificate is False
    assert info.pending_update_count == 1
    assert info.allowed_updates == ["message", "callback_query"]
    assert info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
    assert await bot.delete_webhook()
    gone = await bot.get_webhook_info()
    assert (gone.url, gone.pending_update_count) == ("", 1)


async def test_webhook_posts_each_update_with_the_secret(
    emu: BotAPIEmulator, bot: Bot, receivers: Callable[[], Awaitable[Receiver]]
) -> None:
    receiver = await receivers()
    await bot.set_webhook(receiver.url, secret_token="the_secret")
    sent = await emu.send_text(IVAN, "/start")
    await emu.wait_until(lambda: emu.pending_updates == 0 and len(receiver.received) == 1)
    update, secret = receiver.received[0]
    assert secret == "the_secret"
    assert update["message"]["text"] == "/start"
    assert update["message"]["message_id"] == sent.message_id
    assert update["message"]["chat"]["id"] == IVAN
    assert [d.status for d in emu.webhook_deliveries] == [200]
    assert emu.stats.updates_delivered == 1


async def test_get_updates_is_refused_while_a_webhook_is_set(
    emu: BotAPIEmulator, bot: Bot, receivers: Callable[[], Awaitable[Receiver]]
) -> None:
    receiver = await receivers()
    await bot.set_webhook(receiver.url, secret_token="x")
    status, body = await raw_post(emu, f"/bot{TOKEN}/getUpdates")
    assert status == 409
    assert body["description"] == (
        "Conflict: can't use getUpdates method while webhook is active; "
        "use deleteWebhook to delete the webhook first"
    )
    await bot.delete_webhook()
    await emu.send_text(IVAN, "снова опрос")
    updates = await bot.get_updates(timeout=1)
    assert [u.message.text for u in updates if u.message] == ["снова опрос"]


async def test_a_long_poll_ends_with_409_when_a_webhook_is_set(
    emu: BotAPIEmulator, bot: Bot, receivers: Callable[[], Awaitable[Receiver]]
) -> None:
    receiver = await receivers()
    poll = asyncio.create_task(raw_post(emu, f"/bot{TOKEN}/getUpdates", data={"timeout": "10"}))
    await emu.wait_until(lambda: any(c.method == "getUpdates" for c in emu.calls))
    await bot.set_webhook(receiver.url)
    status, body = await asyncio.wait_for(poll, 5)
    assert status == 409
    assert "webhook is active" in body["description"]


async def test_a_non_2xx_answer_is_delivered_again(
    emu: BotAPIEmulator, bot: Bot, receivers: Callable[[], Awaitable[Receiver]]
) -> None:
    receiver = await receivers()
    receiver.statuses = [500, 502]
    await bot.set_webhook(receiver.url)
    await emu.send_text(IVAN, "раз")
    await emu.wait_until(lambda: emu.pending_updates == 0, timeout=5)
    assert len(set(receiver.ids())) == 1
    assert [d.status for d in emu.webhook_deliveries] == [500, 502, 200]
    assert [d.attempt for d in emu.webhook_deliveries] == [1, 2, 3]


async def test_an_update_not_answered_in_time_is_delivered_again(
    emu: BotAPIEmulator, bot: Bot, receivers: Callable[[], Awaitable[Receiver]]
) -> None:
    receiver = await receivers()
    emu.webhook.timeout = 0.3
    receiver.delays = [1.0]
    await bot.set_webhook(receiver.url)
    await emu.send_text(IVAN, "медленно")
    await emu.wait_until(lambda: emu.pending_updates == 0, timeout=5)
    first, second = emu.webhook_deliveries
    assert (first.status, first.error) == (None, "Read timeout expired")
    assert second.ok
    assert first.update_id == second.update_id


async def test_an_unreachable_webhook_keeps_the_update_pending(
    emu: BotAPIEmulator, bot: Bot, receivers: Callable[[], Awaitable[Receiver]]
) -> None:
    receiver = await receivers()
    url = receiver.url
    await receiver.stop()
    await bot.set_webhook(url)
    await emu.send_text(IVAN, "есть кто?")
    await emu.wait_until(lambda: len(emu.webhook_deliveries) >= 2, timeout=5)
    assert {d.error for d in emu.webhook_deliveries} == {"Connection refused"}
    assert emu.pending_updates == 1
    info = await bot.get_webhook_info()
    assert info.pending_update_count == 1
    assert info.last_error_message == "Connection refused"


async def test_updates_of_one_chat_go_in_order_others_meanwhile(
    emu: BotAPIEmulator, bot: Bot, receivers: Callable[[], Awaitable[Receiver]]
) -> None:
    receiver = await receivers()
    receiver.delays = [0.6]  # Ivan's first update is slow to be answered
    receiver.statuses = [500]  # ... and then refused once: it is delivered again, first
    await bot.set_webhook(receiver.url)
    await emu.send_text(IVAN, "один")
    await emu.wait_until(lambda: len(receiver.received) == 1)
    await emu.send_text(IVAN, "два")
    await emu.send_text(ANNA, "соседка")
    await emu.wait_until(lambda: len(receiver.received) == 2)
    texts = [update["message"]["text"] for update, _ in receiver.received]
    assert texts == ["один", "соседка"]  # Ivan's second waits for his first
    await emu.wait_until(lambda: emu.pending_updates == 0, timeout=5)
    ivan = [
        u["message"]["text"] for u, _ in receiver.received if u["message"]["chat"]["id"] == IVAN
    ]
    assert ivan == ["один", "один", "два"]  # refused, delivered again, and only then the next


async def test_round_robin_over_several_targets(
    emu: BotAPIEmulator, bot: Bot, receivers: Callable[[], Awaitable[Receiver]]
) -> None:
    one, two = await receivers(), await receivers()
    emu.webhook_targets = [one.url, two.url]
    await bot.set_webhook(one.url, secret_token="lb")
    for user in (IVAN, ANNA, IVAN, ANNA):
        await emu.send_text(user, "x")
        await emu.wait_until(lambda: emu.pending_updates == 0)
    assert len(one.received) == len(two.received) == 2
    assert [d.url for d in emu.webhook_deliveries] == [one.url, two.url] * 2
    assert {secret for _, secret in one.received + two.received} == {"lb"}


async def test_a_refused_update_goes_to_the_next_target(
    emu: BotAPIEmulator, bot: Bot, receivers: Callable[[], Awaitable[Receiver]]
) -> None:
    one, two = await receivers(), await receivers()
    one.statuses = [503]
    emu.webhook_targets = [one.url, two.url]
    await bot.set_webhook(one.url)
    await emu.send_text(IVAN, "x")
    await emu.wait_until(lambda: emu.pending_updates == 0, timeout=5)
    assert one.ids() == two.ids()
    assert (len(one.answered), len(two.answered)) == (0, 1)


async def test_allowed_updates_of_the_webhook_filter_what_is_posted(
    emu: BotAPIEmulator, bot: Bot, receivers: Callable[[], Awaitable[Receiver]]
) -> None:
    receiver = await receivers()
    await bot.set_webhook(receiver.url, allowed_updates=["message"])
    await bot.send_message(IVAN, "меню", reply_markup=keyboard([cb("Да")]))
    await emu.press(IVAN, emu.bot_messages(IVAN)[-1], "Да")
    await emu.send_text(IVAN, "текст")
    await emu.wait_until(lambda: len(receiver.received) == 1 and emu.pending_updates == 0)
    assert [sorted(u) for u, _ in receiver.received] == [["message", "update_id"]]


async def test_set_webhook_checks_its_arguments(emu: BotAPIEmulator, bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="HTTPS URL must be provided"):
        await bot.set_webhook("ftp://example.com/hook")
    with pytest.raises(TelegramBadRequest, match="secret token contains unallowed characters"):
        await bot.set_webhook("https://example.com/hook", secret_token="не так")
    assert (await bot.get_webhook_info()).url == ""
    await bot.set_webhook("https://example.com/hook")
    await bot.set_webhook("")  # an empty url removes the webhook, as Telegram does
    assert (await bot.get_webhook_info()).url == ""
