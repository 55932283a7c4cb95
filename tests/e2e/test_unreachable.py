"""End to end: a lead who never opened the bot. CS is told once who he is and what he misses;
his /start brings the waiting case notices, with their buttons, below the greeting."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from emulator import BotAPIEmulator
from tests.conftest import CS_CHAT_ID
from tests.e2e.conftest import LEAD_ID, OTHER_MANAGER_ID
from tests.e2e.harness import BotProcess
from tests.e2e.steps import press, say
from tests.e2e.world import register_case

NOTICE = "Не удаётся доставить"


def notices(emu: BotAPIEmulator) -> list[str]:
    return [m.text for m in emu.bot_messages(CS_CHAT_ID) if "Андрей Лидеров — лидер" in m.text]


async def test_a_lead_who_never_started_the_bot_is_reported_once_and_gets_his_cases_on_start(
    emu: BotAPIEmulator,
    bot: BotProcess,
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
):
    emu.add_user(LEAD_ID, "Андрей", "Лидеров", started=False)
    mark = emu.mark()
    first = await register_case(sessions, database_url, summary="Не представился клиенту")
    second = await register_case(sessions, database_url, summary="Не уточнил потребность")

    # Both posts reach the group and the manager; the lead's two copies are refused.
    await emu.wait_for_message(CS_CHAT_ID, contains=f"Кейс #{second.id}", after=mark)
    await emu.wait_for_message(OTHER_MANAGER_ID, contains=f"кейс #{second.id}", after=mark)
    notice = await emu.wait_for_message(CS_CHAT_ID, contains=NOTICE, after=mark)
    notice = await emu.wait_for_edit(
        CS_CHAT_ID, notice.message_id, contains=f"кейс #{first.id}, кейс #{second.id}"
    )
    assert notice.text == (
        "📵 Не удаётся доставить сообщения\n"
        "Кому: Андрей Лидеров — лидер рабочей группы, Группа Север, Группа Юг\n"
        f"Не доставлено: кейс #{first.id}, кейс #{second.id}\n"
        "Бот не может написать первым, пока человек не откроет бота (или не разблокирует его).\n"
        "Попросите его открыть бота и нажать «Старт» — всё, что ждёт, придёт сразу."
    )
    assert notice.buttons == []
    # Exactly one message to CS about him, though two messages failed; Telegram was asked once.
    assert len(notices(emu)) == 1
    assert [m.text for m in emu.bot_messages(CS_CHAT_ID)].count(notice.text) == 1
    refused = [
        call
        for call in emu.calls
        if call.method == "sendMessage" and str(call.params.get("chat_id")) == str(LEAD_ID)
    ]
    assert len(refused) == 1
    assert emu.bot_messages(LEAD_ID) == []

    # He presses «Старт»: the greeting, what waits, then both case notices with their buttons.
    mark = emu.mark()
    await say(emu, LEAD_ID, "/start", contains="Здравствуйте, Андрей Лидеров")
    copy = await emu.wait_for_message(LEAD_ID, contains=f"Кейс #{second.id}", after=mark)
    received = emu.bot_messages(LEAD_ID)
    assert [m.text.split(" · ")[0] for m in received[1:]] == [
        "📬 Пока бот не мог вам написать, для вас накопилось 2 сообщения. "
        "Присылаю их ниже, по порядку.",
        f"📋 Кейс #{first.id}",
        f"📋 Кейс #{second.id}",
    ]
    assert "Не уточнил потребность" in copy.text
    assert received[2].buttons == copy.buttons == [["Беру в работу"]]

    # The buttons work, and the later edits find the re-sent copy.
    answer = await press(emu, LEAD_ID, received[2], "Беру в работу")
    assert answer.text == "Готово."
    taken = await emu.wait_for_edit(LEAD_ID, received[2].message_id, contains="🛠")
    assert taken.buttons == [["Назначить брифинг"]]

    # CS's message now says the messages went out; CS got no second message about him.
    resolved = await emu.wait_for_edit(CS_CHAT_ID, notice.message_id, contains="✅")
    assert "отправлены: 2" in resolved.text
    assert len(notices(emu)) == 1
    assert "Traceback" not in bot.log
