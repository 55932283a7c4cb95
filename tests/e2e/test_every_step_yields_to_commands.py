"""End to end: every dialog and list of the bot yields to a command at every step (issue 9,
«a test walks every dialog and list and, at every step, sends a command»).

The walker opens a flow, goes to one of its steps and there sends a command the person may
use (/cases, /my, /help, /request in turn; CS has no /request, and in the CS group the group's
own /queue and /standards): the first thing the bot answers must be that command's own
answer, and the dialog's message must lose its buttons (the dialog is closed, not merely
covered). Then it opens the flow again and goes one step further, until every step is done.

The flows walked (a step written «…» is the flow's last):

- CS: /case (person search, pick, tab, category, source, date, summary, link, files,
  review); /analysis (role, person search, pick, text, file, link, review); /export (period,
  first day, last day); /links (list, card, edit a field; delete confirmation; new link:
  title, address, note, review); /import; /cases (list, card, state filter, category
  filter); /my and /queue (the queue, an item opened); /digest (the preview); /results (a
  month, the previous one).
- A lead: /request as a forwarding (kind, manager, number, target, first day, last day,
  comment, review), a team change (kind of change, group, name, effective day, attestation,
  comment, review; a dismissal's person step), a badge (item, quantity, place, recipient,
  comment, review); /cases (list, card); /my; /queue (the list, an item); the meeting booking
  (day, time, confirmation); the briefing (day, time); the process analysis (process, cause,
  measures, due date, review).
- A manager: /appeal (case, reason, evidence, review) and its deep link from the case
  notice; /request (kind, the forwarding's first step); /my; /cases (list, card); /results.
- CS from the group's buttons (the dialog opens in the private chat): the comment of a
  failed re-check, of an analysis returned, of an appeal's decision, the reason of a request
  rejected; the access flow (the unknown user's /start, the group post and its list of
  roster entries).
"""

from __future__ import annotations

import asyncio
import itertools
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.callbacks import CaseAct
from db.models import CaseCategory
from emulator import BotAPIEmulator, StoredMessage
from tests.conftest import CS_CHAT_ID
from tests.e2e.conftest import CS_ID, LEAD_ID, OTHER_MANAGER_ID, UNKNOWN_ID
from tests.e2e.harness import BotProcess
from tests.e2e.steps import (
    THINK,
    day_label,
    next_working_day,
    pick_day_ahead,
    press,
    say,
    step,
    today,
)
from tests.e2e.world import (
    act_on_case,
    an_analysis,
    briefing_tomorrow,
    meeting_invitation,
    month_results,
    new_request,
    open_appeal,
    register_case,
)

MARIA = OTHER_MANAGER_ID
OCT, SEP = date(2026, 10, 1), date(2026, 9, 1)
SCORES = {"Группа Север": 91.5, "Группа Юг": 78.0}

# Each command's own answer: what the first line of its reply says.
ANSWERS = {
    "/cases": "Кейсы — ",
    "/help": "Что можно сделать",
    "/request": "Какой запрос отправить в клиентский сервис?",
    "/queue": "Очередь клиентского сервиса",
    "/standards": "Стандарты работы",
}
MY = {
    CS_ID: "Очередь клиентского сервиса",
    LEAD_ID: "Апелляции и запросы: мои и моих групп",
    MARIA: "Мои апелляции и запросы",
}
UNKNOWN_HELP = "Я помогаю команде клиентского сервиса"
CS_COMMANDS = ("/cases", "/my", "/help")
STAFF_COMMANDS = ("/cases", "/my", "/help", "/request")
GROUP_COMMANDS = ("/queue", "/standards")

Move = Callable[[StoredMessage], Awaitable[StoredMessage]]


@dataclass
class Flow:
    """A dialog or a list: how it opens (its first step's message), then each next step's
    name and the move that reaches it from the step before."""

    name: str
    user: int
    first: str
    open: Callable[[], Awaitable[StoredMessage]]
    steps: Sequence[tuple[str, Move]] = ()
    # A dialog's message loses its buttons when a command leaves it; a plain message with
    # buttons (/queue, /results, a group post) is no dialog and keeps them.
    dialog: bool = True
    # Steps before this one are walked by another flow already (a shared beginning).
    check_from: int = 0
    # Where the command is typed: the person's private chat, or a group.
    chat: int | None = None
    commands: Sequence[str] | None = None


class Walker:
    """Walks flows, sending the commands of `commands` in turn; remembers each step done."""

    def __init__(self, emu: BotAPIEmulator, commands: Sequence[str]) -> None:
        self.emu = emu
        self.rotation = itertools.cycle(commands)
        self.done: list[str] = []

    async def walk(self, flow: Flow) -> None:
        names = [flow.first, *(name for name, _ in flow.steps)]
        rotation = itertools.cycle(flow.commands) if flow.commands else self.rotation
        for reached in range(flow.check_from, len(names)):
            message = await flow.open()
            for _, move in flow.steps[:reached]:
                message = await move(message)
            await self.command_at(flow, names[reached], message, next(rotation))

    async def command_at(
        self, flow: Flow, where: str, message: StoredMessage, command: str
    ) -> None:
        chat = flow.chat or flow.user
        place = f"{flow.name}, at «{where}»"
        await asyncio.sleep(THINK)
        mark = self.emu.mark()
        await self.emu.send_text(flow.user, command, chat_id=flow.chat)
        answer = await self.emu.wait_for_message(chat, after=mark)
        expected = expected_answer(command, flow.user)
        first_line = answer.content.split("\n", 1)[0]
        assert expected in first_line, (
            f"{place}: {command} was answered «{answer.content[:300]}», not with its own answer"
            f" «{expected}»"
        )
        if flow.dialog:
            try:
                await self.emu.wait_until(lambda: no_buttons(self.emu, message), timeout=5)
            except TimeoutError:
                current = self.emu.state.get_message(message.chat_id, message.message_id)
                raise AssertionError(
                    f"{place}: {command} ran, but the dialog's message kept its buttons"
                    f" {current.buttons if current else None}"
                ) from None
        self.done.append(f"{place}: {command}")


def expected_answer(command: str, user: int) -> str:
    if user == UNKNOWN_ID:
        return UNKNOWN_HELP
    return MY[user] if command == "/my" else ANSWERS[command]


def no_buttons(emu: BotAPIEmulator, message: StoredMessage) -> bool:
    current = emu.state.get_message(message.chat_id, message.message_id)
    return current is not None and not current.buttons


# --- moves ----------------------------------------------------------------------------------


def press_to(emu: BotAPIEmulator, user: int, button: str, contains: str) -> Move:
    """Press a button of the step; the same message shows the next step."""

    async def move(message: StoredMessage) -> StoredMessage:
        return await step(emu, user, message, button, contains)

    return move


def type_to(emu: BotAPIEmulator, user: int, text: str, contains: str) -> Move:
    """Answer the step with a text; the next step comes as a new message."""

    async def move(message: StoredMessage) -> StoredMessage:
        return await say(emu, user, text, contains)

    return move


def opens(emu: BotAPIEmulator, user: int, button: str, contains: str) -> Move:
    """Press a button that shows something in the person's private chat (a queue item, the
    dialog of a post's button): a new message, or the open dialog's message showing it."""

    async def move(message: StoredMessage) -> StoredMessage:
        mark = emu.mark()
        await press(emu, user, message, button)

        def shown() -> StoredMessage | None:
            return next(
                (
                    m
                    for m in reversed(emu.bot_messages(user))
                    if (m.created_seq > mark or m.edit_seq > mark) and contains in m.content
                ),
                None,
            )

        try:
            await emu.wait_until(lambda: shown() is not None)
        except TimeoutError:
            raise AssertionError(
                f"«{button}» did not show «{contains}» in the private chat:\n"
                f"{emu.transcript(user)[-2500:]}"
            ) from None
        found = shown()
        assert found is not None
        return found

    return move


def day_to(emu: BotAPIEmulator, user: int, day: date, contains: str) -> Move:
    """Pick a day of the calendar (turning to the next month if needed)."""

    async def move(message: StoredMessage) -> StoredMessage:
        mark = emu.mark()
        await pick_day_ahead(emu, user, message, day)

        def shown() -> bool:
            current = emu.state.get_message(message.chat_id, message.message_id)
            return current is not None and current.edit_seq > mark and contains in current.content

        await emu.wait_until(shown)
        current = emu.state.get_message(message.chat_id, message.message_id)
        assert current is not None
        return current

    return move


def first_slot(emu: BotAPIEmulator, user: int, contains: str) -> Move:
    """Press the first «HH:MM» button of a time step."""

    async def move(message: StoredMessage) -> StoredMessage:
        labels = [label for row in message.buttons for label in row]
        slot = next(label for label in labels if re.fullmatch(r"\d\d:\d\d", label))
        return await step(emu, user, message, slot, contains)

    return move


def saying(
    emu: BotAPIEmulator, user: int, text: str, contains: str
) -> Callable[[], Awaitable[StoredMessage]]:
    async def open_() -> StoredMessage:
        return await say(emu, user, text, contains)

    return open_


async def say_nothing() -> StoredMessage:
    raise AssertionError("not reopened")


def with_button(button: str) -> Callable[[StoredMessage], bool]:
    return lambda message: any(button in label for row in message.buttons for label in row)


# --- CS in the private chat -------------------------------------------------------------------


@pytest.mark.slow
async def test_every_step_of_cs_dialogs_and_lists_yields_to_a_command(
    emu: BotAPIEmulator,
    bot_process: BotProcess,
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
) -> None:
    case = await register_case(sessions, database_url, CaseCategory.COMMUNICATION)
    request = await new_request(sessions, database_url)
    await month_results(sessions, SEP, SCORES)
    await month_results(sessions, OCT, SCORES)
    await bot_process.start()
    # The world's posts are out before the walk (nothing else reaches the chats meanwhile).
    await emu.wait_for_message(CS_CHAT_ID, contains=f"Кейс #{case.id}")
    await emu.wait_for_message(CS_CHAT_ID, contains=f"З-{request.id}")

    cs = CS_ID
    walker = Walker(emu, CS_COMMANDS)
    await walker.walk(
        Flow(
            "/case",
            cs,
            "сотрудник: поиск",
            saying(emu, cs, "/case", "Кого касается ошибка"),
            [
                ("сотрудник: выбор", type_to(emu, cs, "Козлова", "найдено")),
                ("вкладка", press_to(emu, cs, "Мария Козлова", "шаг 2 из 8")),
                ("категория", press_to(emu, cs, "Кейсы", "шаг 3 из 8")),
                ("источник", press_to(emu, cs, "Ошибка в коммуникации", "шаг 4 из 8")),
                ("дата", press_to(emu, cs, "онлайн-встреча", "шаг 5 из 8")),
                ("описание", press_to(emu, cs, day_label(today()), "шаг 6 из 8")),
                ("ссылка", type_to(emu, cs, "Не представился клиенту", "шаг 7 из 8")),
                ("вложения", press_to(emu, cs, "Пропустить", "шаг 8 из 8")),
                ("проверка", press_to(emu, cs, "Готово", "Проверьте кейс")),
            ],
        )
    )
    await walker.walk(
        Flow(
            "/analysis",
            cs,
            "роль",
            saying(emu, cs, "/analysis", "шаг 1 из 5"),
            [
                ("менеджер: поиск", press_to(emu, cs, "фронт", "шаг 2 из 5")),
                ("менеджер: выбор", type_to(emu, cs, "Козлова", "найдено")),
                ("текст", press_to(emu, cs, "Мария Козлова", "шаг 3 из 5")),
                (
                    "файл",
                    type_to(emu, cs, "Хорошо выявила потребность, не закрыла сделку.", "шаг 4"),
                ),
                ("ссылка", press_to(emu, cs, "Пропустить", "шаг 5 из 5")),
                ("проверка", press_to(emu, cs, "Пропустить", "Проверьте разбор")),
            ],
        )
    )
    await walker.walk(
        Flow(
            "/export",
            cs,
            "период",
            saying(emu, cs, "/export", "За какой период"),
            [
                ("первый день", press_to(emu, cs, "Свой период", "Выберите первый день")),
                ("последний день", press_to(emu, cs, day_label(today()), "Первый день:")),
            ],
        )
    )
    links = saying(emu, cs, "/links", "Ссылки /standards")
    card = ("ссылка", press_to(emu, cs, "Стандарты", "Адрес:"))
    await walker.walk(
        Flow(
            "/links",
            cs,
            "список",
            links,
            [card, ("новое значение", press_to(emu, cs, "Изменить название", "Новое значение"))],
        )
    )
    await walker.walk(
        Flow(
            "/links",
            cs,
            "список",
            links,
            [card, ("удаление", press_to(emu, cs, "Удалить", "Удалить ссылку"))],
            check_from=2,
        )
    )
    await walker.walk(
        Flow(
            "/links",
            cs,
            "список",
            links,
            [
                ("новая: название", press_to(emu, cs, "Добавить ссылку", "Введите название")),
                ("новая: адрес", type_to(emu, cs, "Памятка", "Введите адрес")),
                ("новая: пометка", type_to(emu, cs, "https://example.com/memo", "пометку")),
                ("новая: проверка", press_to(emu, cs, "Пропустить", "Новая ссылка")),
            ],
            check_from=1,
        )
    )
    await walker.walk(Flow("/import", cs, "файл", saying(emu, cs, "/import", "Загрузка файла")))
    await walker.walk(
        Flow(
            "/cases",
            cs,
            "список",
            saying(emu, cs, "/cases", "Кейсы — "),
            [("кейс", press_to(emu, cs, f"#{case.id}", f"Кейс #{case.id}"))],
        )
    )
    for name, button, prompt in (
        ("фильтр статуса", "Статус:", "Какие кейсы показать"),
        ("фильтр категории", "Категория:", "Кейсы какой категории"),
    ):
        await walker.walk(
            Flow(
                "/cases",
                cs,
                "список",
                saying(emu, cs, "/cases", "Кейсы — "),
                [(name, press_to(emu, cs, button, prompt))],
                check_from=1,
            )
        )
    item = ("открытый пункт", opens(emu, cs, f"З-{request.id}", f"З-{request.id}"))
    await walker.walk(
        Flow(
            "/queue",
            cs,
            "очередь",
            saying(emu, cs, "/queue", "Очередь клиентского сервиса"),
            [item],
            dialog=False,
        )
    )
    await walker.walk(
        Flow(
            "/my",
            cs,
            "очередь",
            saying(emu, cs, "/my", "Очередь клиентского сервиса"),
            [item],
            dialog=False,
        )
    )

    async def digest_preview() -> StoredMessage:
        await asyncio.sleep(THINK)
        mark = emu.mark()
        await emu.send_text(cs, "/digest")
        return await emu.wait_for_message(cs, predicate=with_button("Опубликовать"), after=mark)

    await walker.walk(Flow("/digest", cs, "предпросмотр", digest_preview, dialog=False))
    await walker.walk(
        Flow(
            "/results",
            cs,
            "месяц",
            saying(emu, cs, "/results", "Итоги за октябрь 2026"),
            [("предыдущий месяц", press_to(emu, cs, "Предыдущий месяц", "Итоги за сентябрь"))],
            dialog=False,
        )
    )
    assert len(walker.done) == 40, walker.done


# --- a lead -----------------------------------------------------------------------------------


@pytest.mark.slow
async def test_every_step_of_a_leads_dialogs_and_lists_yields_to_a_command(
    emu: BotAPIEmulator,
    bot_process: BotProcess,
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
) -> None:
    talk = await register_case(sessions, database_url, CaseCategory.COMMUNICATION)
    await act_on_case(sessions, database_url, talk.id, LEAD_ID, CaseAct.ACCEPT)
    process = await register_case(sessions, database_url, CaseCategory.PROCESS)
    await act_on_case(sessions, database_url, process.id, LEAD_ID, CaseAct.ACCEPT)
    await bot_process.start()
    lead = LEAD_ID
    # The group posts (with the buttons of their state) and the lead's copies are out. The
    # briefing and the analysis are opened from the group post: a press on the lead's own
    # copy takes the copy's buttons away (see the last test).
    talk_post = await emu.wait_for_message(
        CS_CHAT_ID, contains=f"Кейс #{talk.id}", predicate=with_button("Назначить брифинг")
    )
    process_post = await emu.wait_for_message(
        CS_CHAT_ID, contains=f"Кейс #{process.id}", predicate=with_button("Заполнить разбор")
    )
    await emu.wait_for_message(
        lead, contains=f"Кейс #{process.id}", predicate=with_button("Заполнить")
    )

    walker = Walker(emu, STAFF_COMMANDS)
    request = saying(emu, lead, "/request", "Какой запрос")
    await walker.walk(
        Flow(
            "/request переадресация",
            lead,
            "вид запроса",
            request,
            [
                ("менеджер", press_to(emu, lead, "Переадресация", "Для кого настроить")),
                ("номер", press_to(emu, lead, "Мария Козлова", "Какой номер")),
                ("куда", type_to(emu, lead, "5555", "На какой номер")),
                ("первый день", type_to(emu, lead, "6666", "Первый день")),
                ("последний день", press_to(emu, lead, day_label(today()), "Последний день")),
                ("комментарий", press_to(emu, lead, day_label(today()), "Комментарий")),
                ("проверка", press_to(emu, lead, "Пропустить", "Проверьте запрос")),
            ],
        )
    )
    staffing = ("что изменилось", press_to(emu, lead, "Состав команды", "Что изменилось"))
    await walker.walk(
        Flow(
            "/request состав команды",
            lead,
            "вид запроса",
            request,
            [
                staffing,
                (
                    "группа",
                    press_to(emu, lead, "новый менеджер после аттестации", "Рабочая группа"),
                ),
                ("ФИО", press_to(emu, lead, "Группа Юг", "ФИО нового")),
                ("дата изменения", type_to(emu, lead, "Пётр Новый", "С какой даты")),
                ("дата аттестации", press_to(emu, lead, day_label(today()), "Дата аттестации")),
                ("комментарий", press_to(emu, lead, day_label(today()), "Комментарий")),
                ("проверка", press_to(emu, lead, "Пропустить", "Проверьте запрос")),
            ],
            check_from=1,
        )
    )
    await walker.walk(
        Flow(
            "/request состав команды",
            lead,
            "вид запроса",
            request,
            [
                staffing,
                ("группа", press_to(emu, lead, "увольнение", "Рабочая группа")),
                ("сотрудник", press_to(emu, lead, "Группа Юг", "Кого касается")),
            ],
            check_from=3,
        )
    )
    await walker.walk(
        Flow(
            "/request бейдж",
            lead,
            "вид запроса",
            request,
            [
                ("что нужно", press_to(emu, lead, "Бейдж", "Что нужно")),
                ("количество", press_to(emu, lead, "аудиобейдж", "Сколько штук")),
                ("шоурум", type_to(emu, lead, "3", "Шоурум или рабочая группа")),
                ("получатель", type_to(emu, lead, "Шоурум Юг", "Кто получит")),
                ("комментарий", type_to(emu, lead, "Мария Козлова", "Комментарий")),
                ("проверка", press_to(emu, lead, "Пропустить", "Проверьте запрос")),
            ],
            check_from=1,
        )
    )
    await walker.walk(
        Flow(
            "/cases",
            lead,
            "список",
            saying(emu, lead, "/cases", "Кейсы — "),
            [("кейс", press_to(emu, lead, f"#{talk.id}", f"Кейс #{talk.id}"))],
        )
    )
    await walker.walk(Flow("/my", lead, "список", saying(emu, lead, "/my", "Апелляции и запросы")))
    await walker.walk(
        Flow(
            "/queue",
            lead,
            "очередь",
            saying(emu, lead, "/queue", "Ваша очередь"),
            [("открытый пункт", opens(emu, lead, f"Кейс #{talk.id}", f"Кейс #{talk.id}"))],
            dialog=False,
        )
    )

    async def briefing() -> StoredMessage:
        return await opens(emu, lead, "Назначить брифинг", "выберите дату брифинга")(talk_post)

    tomorrow = today() + timedelta(days=1)
    await walker.walk(
        Flow(
            "брифинг",
            lead,
            "день",
            briefing,
            [("время", day_to(emu, lead, tomorrow, "выберите время"))],
        )
    )

    async def analysis() -> StoredMessage:
        return await opens(emu, lead, "Заполнить разбор", "разбор (1/4)")(process_post)

    await walker.walk(
        Flow(
            "разбор ошибки в процессе",
            lead,
            "процесс",
            analysis,
            [
                ("причина", type_to(emu, lead, "Выпуск ЭЦП", "(2/4)")),
                ("меры", type_to(emu, lead, "Сбой сервиса", "(3/4)")),
                ("срок", type_to(emu, lead, "Резервный канал", "(4/4)")),
                ("проверка", day_to(emu, lead, tomorrow, "Разбор по кейсу")),
            ],
        )
    )
    assert len(walker.done) == 34, walker.done


# --- what opens a dialog from a message's button, again after a command -------------------------


async def test_every_step_of_the_meeting_booking_yields_to_a_command(
    emu: BotAPIEmulator,
    bot_process: BotProcess,
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
) -> None:
    await meeting_invitation(sessions, database_url)
    await bot_process.start()
    lead = LEAD_ID
    invitation = await emu.wait_for_message(lead, predicate=with_button("Записаться на встречу"))
    walker = Walker(emu, STAFF_COMMANDS)

    async def booking() -> StoredMessage:
        return await opens(emu, lead, "Записаться на встречу", "Запись на встречу")(invitation)

    await walker.walk(
        Flow(
            "встреча",
            lead,
            "день",
            booking,
            [
                ("время", day_to(emu, lead, next_working_day(today()), "выберите время")),
                ("подтверждение", first_slot(emu, lead, "шаг 3 из 3")),
            ],
        )
    )
    assert len(walker.done) == 3, walker.done


async def test_the_leads_copy_of_a_case_keeps_its_button_after_a_command_left_its_dialog(
    emu: BotAPIEmulator,
    bot_process: BotProcess,
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
) -> None:
    lead = LEAD_ID
    walker = Walker(emu, STAFF_COMMANDS)
    await bot_process.start()
    # The lead's copy of a case keeps «Назначить брифинг» once the briefing dialog it opened
    # is left (by a command; «Отмена» the same): else he cannot open it from there again.
    talk = await register_case(sessions, database_url, CaseCategory.COMMUNICATION)
    await act_on_case(sessions, database_url, talk.id, lead, CaseAct.ACCEPT)
    copy = await emu.wait_for_message(
        lead, contains=f"Кейс #{talk.id}", predicate=with_button("Назначить брифинг")
    )
    briefing = await opens(emu, lead, "Назначить брифинг", "выберите дату брифинга")(copy)
    await walker.command_at(
        Flow("брифинг из копии кейса", lead, "день", say_nothing), "день", briefing, "/help"
    )
    current = emu.state.get_message(lead, copy.message_id)
    assert current is not None
    assert current.buttons == [["Назначить брифинг"]], (
        "the lead's copy of the case lost its buttons when he pressed «Назначить брифинг»"
    )


# --- a manager --------------------------------------------------------------------------------


async def test_every_step_of_a_managers_dialogs_and_lists_yields_to_a_command(
    emu: BotAPIEmulator,
    bot_process: BotProcess,
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
) -> None:
    case = await register_case(sessions, database_url, CaseCategory.COMMUNICATION)
    await month_results(sessions, OCT, SCORES)
    await bot_process.start()
    await emu.wait_for_message(MARIA, contains=f"#{case.id}")

    walker = Walker(emu, STAFF_COMMANDS)
    reason = "Я представилась клиенту и уточнила потребность, это слышно на записи."
    appeal_steps = [
        ("доказательства", type_to(emu, MARIA, reason, "приложите доказательства")),
        ("проверка", press_to(emu, MARIA, "Пропустить", "Проверьте апелляцию")),
    ]
    await walker.walk(
        Flow(
            "/appeal",
            MARIA,
            "кейс",
            saying(emu, MARIA, "/appeal", "Выберите кейс"),
            [("причина", press_to(emu, MARIA, f"#{case.id}", "Напишите, почему")), *appeal_steps],
        )
    )
    await walker.walk(
        Flow(
            "«Обжаловать» из уведомления",
            MARIA,
            "причина",
            saying(emu, MARIA, f"/start appeal_{case.id}", "Напишите, почему"),
        )
    )
    await walker.walk(
        Flow(
            "/request",
            MARIA,
            "вид запроса",
            saying(emu, MARIA, "/request", "Какой запрос"),
            [("переадресация: номер", press_to(emu, MARIA, "Переадресация", "Какой номер"))],
        )
    )
    await walker.walk(
        Flow("/my", MARIA, "список", saying(emu, MARIA, "/my", "Мои апелляции и запросы"))
    )
    await walker.walk(
        Flow(
            "/cases",
            MARIA,
            "список",
            saying(emu, MARIA, "/cases", "Кейсы — "),
            [("кейс", press_to(emu, MARIA, f"#{case.id}", f"Кейс #{case.id}"))],
        )
    )
    await walker.walk(
        Flow(
            "/results",
            MARIA,
            "месяц",
            saying(emu, MARIA, "/results", "Итоги за октябрь 2026"),
            dialog=False,
        )
    )
    assert len(walker.done) == 11, walker.done


# --- CS from the group's buttons, and the access flow ------------------------------------------


async def test_every_dialog_opened_from_a_group_post_and_the_access_flow_yield_to_a_command(
    emu: BotAPIEmulator,
    bot_process: BotProcess,
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
) -> None:
    returned = await register_case(sessions, database_url, CaseCategory.PROCESS)
    await act_on_case(sessions, database_url, returned.id, LEAD_ID, CaseAct.ACCEPT)
    await act_on_case(
        sessions, database_url, returned.id, LEAD_ID, CaseAct.SUBMIT_ANALYSIS, an_analysis()
    )
    rechecked = await register_case(sessions, database_url, CaseCategory.COMMUNICATION)
    for act, data in (
        (CaseAct.ACCEPT, None),
        (CaseAct.SET_BRIEFING, briefing_tomorrow(database_url)),
        (CaseAct.BRIEFING_HELD, None),
    ):
        await act_on_case(sessions, database_url, rechecked.id, LEAD_ID, act, data)
    appealed = await register_case(sessions, database_url, CaseCategory.COMMUNICATION)
    appeal = await open_appeal(sessions, database_url, appealed.id)
    request = await new_request(sessions, database_url)
    await bot_process.start()
    group = CS_CHAT_ID
    return_post = await emu.wait_for_message(
        group, contains=f"Кейс #{returned.id}", predicate=with_button("Вернуть на доработку")
    )
    recheck_post = await emu.wait_for_message(
        group, contains=f"Кейс #{rechecked.id}", predicate=with_button("Ошибка повторилась")
    )
    appeal_post = await emu.wait_for_message(
        group, contains=f"#{appeal.id}", predicate=with_button("Принять")
    )
    request_post = await emu.wait_for_message(
        group, contains=f"З-{request.id}", predicate=with_button("Взять")
    )

    def from_post(
        post: StoredMessage, button: str, prompt: str
    ) -> Callable[[], Awaitable[StoredMessage]]:
        async def open_() -> StoredMessage:
            return await opens(emu, CS_ID, button, prompt)(post)

        return open_

    walker = Walker(emu, CS_COMMANDS)
    for name, post, button, prompt in (
        ("комментарий: разбор вернули", return_post, "Вернуть на доработку", "доработать"),
        ("комментарий: ошибка повторилась", recheck_post, "Ошибка повторилась", "что повторилось"),
        ("комментарий к решению апелляции", appeal_post, "Отклонить", "Напишите комментарий"),
        ("причина отказа в запросе", request_post, "Отклонить", "Почему запрос"),
    ):
        await walker.walk(Flow(name, CS_ID, "текст", from_post(post, button, prompt)))

    # The access flow: the unknown person's greeting, then the group post and its list.
    await walker.walk(
        Flow(
            "доступ: приветствие",
            UNKNOWN_ID,
            "«Запросить доступ»",
            saying(emu, UNKNOWN_ID, "/start", "Запросить доступ"),
            dialog=False,
            commands=("/help",),
        )
    )
    greeting = await say(emu, UNKNOWN_ID, "/start", "Запросить доступ")
    mark = emu.mark()
    await press(emu, UNKNOWN_ID, greeting, "Запросить доступ")
    access_post = await emu.wait_for_message(group, contains="Запрос доступа", after=mark)

    async def current_post() -> StoredMessage:
        current = emu.state.get_message(group, access_post.message_id)
        assert current is not None
        return current

    await walker.walk(
        Flow(
            "доступ: пост в группе",
            CS_ID,
            "запрос",
            current_post,
            [
                (
                    "выбор сотрудника",
                    press_to(emu, CS_ID, "Выбрать сотрудника", "Выберите сотрудника"),
                )
            ],
            dialog=False,
            chat=group,
            commands=GROUP_COMMANDS,
        )
    )
    # The list still works after the commands: the entry is picked.
    listing = await current_post()
    picked = await step(emu, CS_ID, listing, listing.buttons[0][0], "Доступ открыт")
    assert "Павел Новиков" in picked.text
    assert len(walker.done) == 7, walker.done
