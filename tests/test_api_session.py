"""The Bot API session (bot.api_session, issue 12 item 1): a request without a file goes as a
JSON body and means to the emulator (which reads bodies as the Bot API does) exactly what
aiogram's form meant; a request with a file is still a multipart form."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.methods import SendMessage
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup
from aiohttp import FormData, JsonPayload

from bot.api_session import ApiSession
from emulator import BotAPIEmulator

TOKEN = "123456:API-session-test"
USER_ID = 5001


@pytest.fixture
async def emu() -> AsyncIterator[BotAPIEmulator]:
    emulator = BotAPIEmulator(token=TOKEN)
    await emulator.start()
    emulator.add_user(USER_ID, "Анна")
    yield emulator
    await emulator.stop()


@pytest.fixture
async def bot(emu: BotAPIEmulator) -> AsyncIterator[Bot]:
    session = ApiSession(api=TelegramAPIServer.from_base(emu.base_url))
    bot = Bot(
        TOKEN,
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )
    yield bot
    await bot.session.close()


def keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text="Стандарты «звонка»", url="https://example.com/a?b=1&c=д")],
            [InlineKeyboardButton(text="Отмена", callback_data="cancel:1")],
        ]
    )


async def test_a_message_goes_as_json_and_arrives_whole(emu: BotAPIEmulator, bot: Bot) -> None:
    text = "<b>Стандарты</b> &amp; «ссылки» — 100 % 😀 +7 (900) a=b&amp;c"
    method = SendMessage(chat_id=USER_ID, text=text, reply_markup=keyboard())
    assert isinstance(bot.session.build_form_data(bot, method), JsonPayload)

    sent = await bot.send_message(
        USER_ID, text, reply_markup=keyboard(), disable_notification=False
    )
    stored = emu.last_bot_message(USER_ID)
    assert stored is not None
    assert stored.message_id == sent.message_id
    assert stored.text == "Стандарты & «ссылки» — 100 % 😀 +7 (900) a=b&c"  # HTML by default
    assert stored.entities == [{"type": "bold", "offset": 0, "length": 9}]
    assert stored.reply_markup == keyboard().model_dump(exclude_none=True)
    call = next(call for call in reversed(emu.calls) if call.method == "sendMessage")
    assert call.params["parse_mode"] == "HTML"  # the bot's defaults resolved
    assert call.params["link_preview_options"] == {"is_disabled": True}
    assert call.params["disable_notification"] is False  # a false flag is sent, not dropped


async def test_a_message_the_api_refuses_is_refused_as_before(bot: Bot) -> None:
    from aiogram.exceptions import TelegramBadRequest

    with pytest.raises(TelegramBadRequest, match="parse entities"):
        await bot.send_message(USER_ID, "<b>не закрыт")


async def test_a_file_still_goes_as_a_form(emu: BotAPIEmulator, bot: Bot) -> None:
    document = BufferedInputFile("номер;статус\n1;новый\n".encode(), filename="кейсы.csv")
    await bot.send_document(USER_ID, document, caption="<i>Выгрузка</i>")
    stored = emu.last_bot_message(USER_ID)
    assert stored is not None
    assert stored.document is not None
    assert stored.caption == "Выгрузка"
    assert stored.document.content == "номер;статус\n1;новый\n".encode()
    assert stored.document.file_name == "кейсы.csv"


def test_the_body_of_a_file_request_is_a_form(bot: Bot) -> None:
    from aiogram.methods import SendDocument

    method = SendDocument(chat_id=USER_ID, document=BufferedInputFile(b"x", filename="a.txt"))
    assert isinstance(bot.session.build_form_data(bot, method), FormData)
