"""`python -m bot demo`: the real bot against the loopback emulator, a scripted scene, and the
conversation printed as a chat transcript. No token, no network, a temporary SQLite file.

Each feature adds its scene to `SCENES`.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from bot.app import App, build_app
from bot.services import access, cases, months, roster, workdays
from bot.settings import Settings
from db.models import CaseCategory, CaseSource, CaseTab
from emulator import BotAPIEmulator, StoredMessage

DEMO_TOKEN = "100000:DEMO-token"  # noqa: S105 - the emulator's, not a secret
CS_CHAT_ID = -1001000000001
ROSTER_FILE = Path(__file__).resolve().parent / "data" / "demo_roster.csv"
WAIT = 10.0
# A pause between actions, as a person makes (a script would flood the limits).
THINK = 0.15


@dataclass(frozen=True)
class Person:
    telegram_id: int
    first_name: str
    last_name: str
    username: str | None = None


OLGA = Person(1001, "Ольга", "Смирнова")  # CS
ANDREY = Person(2001, "Андрей", "Лидеров")  # lead of two groups
IVAN = Person(3001, "Иван", "Петров", "ivan_petrov")  # manager, known by username only
MARIA = Person(3002, "Мария", "Козлова")  # manager of Группа Юг
PAVEL = Person(4001, "Павел", "Новиков")  # not bound yet: asks for access
PEOPLE = (OLGA, ANDREY, IVAN, MARIA, PAVEL)


@dataclass
class DemoWorld:
    emu: BotAPIEmulator
    app: App

    async def say(self, person: Person, text: str, chat_id: int | None = None) -> StoredMessage:
        await asyncio.sleep(THINK)
        mark = self.emu.mark()
        await self.emu.send_text(person.telegram_id, text, chat_id=chat_id)
        return await self.emu.wait_for_message(
            chat_id or person.telegram_id, after=mark, timeout=WAIT
        )

    async def press(self, person: Person, message: StoredMessage, button: str) -> None:
        await asyncio.sleep(THINK)
        query_id = await self.emu.press(person.telegram_id, message, button)
        await self.emu.wait_callback_answer(query_id, timeout=WAIT)

    async def step(
        self, person: Person, message: StoredMessage, button: str, shows: str
    ) -> StoredMessage:
        """Press a dialog button and wait until the dialog's message shows the next step."""
        mark = self.emu.mark()
        await self.press(person, message, button)
        return await self.emu.wait_for_edit(
            person.telegram_id, message.message_id, contains=shows, after=mark, timeout=WAIT
        )


async def scene_access(world: DemoWorld) -> None:
    """A lead is recognised and reads /standards; a newcomer asks for access, CS approves."""
    emu = world.emu
    await world.say(ANDREY, "/start")
    await world.say(ANDREY, "/standards")
    await world.say(IVAN, "/start")
    greeting = await world.say(PAVEL, "/start")
    mark = emu.mark()
    await world.press(PAVEL, greeting, "Запросить доступ")
    post = await emu.wait_for_message(
        CS_CHAT_ID, contains="Запрос доступа", after=mark, timeout=WAIT
    )
    await world.press(OLGA, post, "Выбрать сотрудника")
    post = await emu.wait_for_edit(CS_CHAT_ID, post.message_id, contains="Выберите", timeout=WAIT)
    mark = emu.mark()
    await world.press(OLGA, post, "Павел Новиков")
    await emu.wait_for_message(
        PAVEL.telegram_id, contains="Доступ открыт", after=mark, timeout=WAIT
    )
    await world.say(PAVEL, "/standards")


async def scene_case(world: DemoWorld) -> None:
    """CS registers a communication error in the /case dialog; the manager taps «Ознакомлен»;
    the lead takes it, sets and holds the briefing; the re-check reminder arrives
    (RECHECK_AFTER is seconds here); CS records the result."""
    emu, app = world.emu, world.app
    today = cases.local_today(app.settings)
    await world.say(OLGA, "/case")
    found = await world.say(OLGA, "Петров")
    dialog = await world.step(OLGA, found, "Иван Петров — Группа Север", "вкладку")
    await world.step(OLGA, dialog, "Зоны роста", "категорию")
    await world.step(OLGA, dialog, "Ошибка в коммуникации", "источник")
    await world.step(OLGA, dialog, "исходящий звонок", "дату")
    await world.step(OLGA, dialog, f"[{today:%d}]", "Опишите ошибку")
    await world.say(
        OLGA, "Не уточнил потребность клиента, не предложил показ. Клиент: +7 916 555-12-34"
    )
    files = await world.say(OLGA, "https://example.com/calls/4521")
    review = await world.step(OLGA, files, "Готово", "Проверьте кейс")
    mark = emu.mark()
    await world.step(OLGA, review, "Опубликовать", "опубликован")
    post = await emu.wait_for_message(CS_CHAT_ID, contains="Кейс #", after=mark, timeout=WAIT)
    copy = await emu.wait_for_message(
        ANDREY.telegram_id, contains="Кейс #", after=mark, timeout=WAIT
    )
    # The manager reads his notice and taps «Ознакомлен»: the post and the copy show it.
    notice = await emu.wait_for_message(
        IVAN.telegram_id, contains="нажмите «Ознакомлен»", after=mark, timeout=WAIT
    )
    await world.press(IVAN, notice, "👁 Ознакомлен")
    await emu.wait_for_edit(
        ANDREY.telegram_id, copy.message_id, contains="Менеджер ознакомлен", timeout=WAIT
    )
    await world.press(ANDREY, copy, "Беру в работу")
    copy = await emu.wait_for_edit(
        ANDREY.telegram_id, copy.message_id, contains="в работе", timeout=WAIT
    )
    mark = emu.mark()
    await world.press(ANDREY, copy, "Назначить брифинг")
    calendar = await emu.wait_for_message(
        ANDREY.telegram_id, contains="дату брифинга", after=mark, timeout=WAIT
    )
    # The briefing tomorrow at 11:00 (every time of tomorrow is still ahead).
    tomorrow = today + timedelta(days=1)
    if tomorrow.month != today.month:
        turn = next(label for row in calendar.buttons for label in row if label.endswith("▶"))
        await world.press(ANDREY, calendar, turn)
        calendar = await emu.wait_for_edit(
            ANDREY.telegram_id, calendar.message_id, contains="дату брифинга", timeout=WAIT
        )
    await world.press(ANDREY, calendar, f"{tomorrow:%d}")
    times = await emu.wait_for_edit(
        ANDREY.telegram_id, calendar.message_id, contains="выберите время", timeout=WAIT
    )
    await world.press(ANDREY, times, "11:00")
    copy = await emu.wait_for_edit(
        ANDREY.telegram_id, copy.message_id, contains="брифинг назначен", timeout=WAIT
    )
    mark = emu.mark()
    await world.press(ANDREY, copy, "Брифинг проведён")
    await emu.wait_for_message(
        CS_CHAT_ID, contains="Сегодня повторная проверка", after=mark, timeout=WAIT
    )
    post = await emu.wait_for_edit(CS_CHAT_ID, post.message_id, contains="повторная проверка до")
    await world.press(OLGA, post, "Проверка пройдена")
    await emu.wait_for_edit(CS_CHAT_ID, post.message_id, contains="закрыт", timeout=WAIT)


async def scene_appeal(world: DemoWorld) -> None:
    """A manager appeals a case from the «Обжаловать» link; CS accepts it with a comment and
    the case is withdrawn."""
    emu, app = world.emu, world.app
    mark = emu.mark()
    async with app.sessions() as session:
        author = await access.current(session, OLGA.telegram_id)
        manager = await access.current(session, MARIA.telegram_id)
        assert manager is not None
        case = await cases.register(
            session,
            author,
            cases.CaseDraft(
                manager_id=manager.id,
                tab=CaseTab.CSI,
                category=CaseCategory.COMMUNICATION,
                source=CaseSource.CSI,
                incident_date=cases.local_today(app.settings),
                summary="Клиент в CSI: «менеджер не перезвонил, как обещал»",
            ),
            settings=app.settings,
            texts=app.texts,
            bot_username=(await app.bot.me()).username or "",
        )
    post = await emu.wait_for_message(CS_CHAT_ID, contains=f"Кейс #{case.id}", after=mark)
    await emu.wait_for_message(MARIA.telegram_id, contains="обжаловать", after=mark)
    await world.say(MARIA, f"/start appeal_{case.id}")
    evidence = await world.say(
        MARIA, "Я перезвонила в тот же день, звонок есть в истории CRM в 17:40."
    )
    review = await world.step(MARIA, evidence, "Пропустить", "Проверьте апелляцию")
    mark = emu.mark()
    await world.step(MARIA, review, "Отправить", "отправлена команде")
    appeal = await emu.wait_for_message(CS_CHAT_ID, contains="Апелляция", after=mark, timeout=WAIT)
    mark = emu.mark()
    await world.press(OLGA, appeal, "Принять")
    await emu.wait_for_message(OLGA.telegram_id, contains="комментарий", after=mark, timeout=WAIT)
    await world.say(OLGA, "Звонок нашли, кейс снимаем.")
    await emu.wait_for_edit(CS_CHAT_ID, post.message_id, contains="отозван", timeout=WAIT)
    # An accepted appeal withdraws the case: the manager hears both in one message.
    await emu.wait_for_message(MARIA.telegram_id, contains="отозван", after=mark)


async def scene_request(world: DemoWorld) -> None:
    """A lead orders audio badges; CS takes the request and marks it done; the lead is told."""
    emu = world.emu
    menu = await world.say(ANDREY, "/request")
    dialog = await world.step(ANDREY, menu, "Бейдж", "Что нужно")
    await world.step(ANDREY, dialog, "аудиобейдж", "Сколько штук")
    await world.say(ANDREY, "3")
    await world.say(ANDREY, "Шоурум Север")
    await world.say(ANDREY, "Иван Петров")
    review = await world.say(ANDREY, "Нужны до конца месяца")
    mark = emu.mark()
    await world.step(ANDREY, review, "Отправить", "отправлен")
    post = await emu.wait_for_message(CS_CHAT_ID, contains="· Бейдж", after=mark, timeout=WAIT)
    await world.press(OLGA, post, "Взять")
    post = await emu.wait_for_edit(CS_CHAT_ID, post.message_id, contains="Ольга", timeout=WAIT)
    await world.press(OLGA, post, "Выполнено")
    await emu.wait_for_message(ANDREY.telegram_id, contains="выполнен", after=mark, timeout=WAIT)


# The demo's evaluation results: two months of five groups (the last one, Восток, has no lead).
DEMO_SCORES = {
    "Группа Север": ((84.5, 40), (86.0, 42)),
    "Группа Юг": ((78.0, 36), (71.5, 38)),
    "Группа Запад": ((88.0, 30), (89.5, 31)),
    "Шоурум Центр": ((91.0, 25), (90.0, 27)),
    "Группа Восток": ((80.0, 22), (82.0, 20)),
}
CHART_FILE = Path(tempfile.gettempdir()) / "cs-bot-demo-digest.png"


def demo_results(last: date) -> bytes:
    """The results file CS imports: the month before `last`, and `last`."""
    lines = ["месяц,группа,оценка,оценок"]
    for number, month in enumerate((months.previous(last), last)):
        for group, figures in DEMO_SCORES.items():
            score, evaluations = figures[number]
            lines.append(f"{month:%Y-%m},{group},{score},{evaluations}")
    return ("\n".join(lines) + "\n").encode()


def next_working_day(today: date) -> date:
    return workdays.next_working_day(today)


async def scene_results(world: DemoWorld) -> None:
    """CS imports last month's results, previews the digest with its chart and publishes it;
    the lead of the lowest group is invited and books a meeting; CS is told."""
    emu, app = world.emu, world.app
    today = cases.local_today(app.settings)
    last = months.previous(today.replace(day=1))
    await world.say(OLGA, "/import")
    await asyncio.sleep(THINK)
    mark = emu.mark()
    await emu.send_document(OLGA.telegram_id, "итоги.csv", demo_results(last))
    await emu.wait_for_message(
        OLGA.telegram_id, contains="Итоги загружены", after=mark, timeout=WAIT
    )
    mark = emu.mark()
    await emu.send_text(OLGA.telegram_id, "/digest")
    preview = await emu.wait_for_message(
        OLGA.telegram_id, contains="Опубликовать", after=mark, timeout=WAIT
    )
    mark = emu.mark()
    await world.press(OLGA, preview, "✅ Опубликовать")
    await emu.wait_for_message(CS_CHAT_ID, contains="Рейтинг групп", after=mark, timeout=WAIT)
    chart = next(m for m in emu.bot_messages(CS_CHAT_ID) if m.photo is not None)
    CHART_FILE.write_bytes(chart.photo.content if chart.photo else b"")
    invitation = await emu.wait_for_message(
        ANDREY.telegram_id, contains="отмечены в итогах", after=mark, timeout=WAIT
    )
    mark = emu.mark()
    await world.press(ANDREY, invitation, "Записаться на встречу")
    calendar = await emu.wait_for_message(
        ANDREY.telegram_id, contains="Запись на встречу", after=mark, timeout=WAIT
    )
    # The calendar's day buttons count days since 1970; tomorrow may be in the next month.
    prefix, raw = _callback_data(calendar, f"[{today:%d}]").rsplit(":", 1)
    offset = (next_working_day(today) - today).days * 86400
    await asyncio.sleep(THINK)
    query = await emu.send_callback(
        ANDREY.telegram_id, ANDREY.telegram_id, calendar.message_id, f"{prefix}:{int(raw) + offset}"
    )
    await emu.wait_callback_answer(query, timeout=WAIT)
    await emu.wait_for_edit(
        ANDREY.telegram_id, calendar.message_id, contains="выберите время", timeout=WAIT
    )
    await world.step(ANDREY, calendar, "11:00", "шаг 3 из 3")
    mark = emu.mark()
    await world.step(ANDREY, calendar, "Записаться", "Вы записаны")
    await emu.wait_for_message(
        CS_CHAT_ID, contains="📅 Встреча: Андрей Лидеров", after=mark, timeout=WAIT
    )

    # The lead's «Динамика»: his groups' scores over the months, as a chart.
    results = await world.say(ANDREY, "/results")
    mark = emu.mark()
    await world.press(ANDREY, results, "📈 Динамика")
    await emu.wait_for_message(ANDREY.telegram_id, contains="Динамика", after=mark, timeout=WAIT)


def _callback_data(message: StoredMessage, text: str) -> str:
    for row in (message.reply_markup or {}).get("inline_keyboard", []):
        for button in row:
            if button.get("text") == text:
                return str(button["callback_data"])
    raise LookupError(f"no button {text!r}")


async def scene_calibration(world: DemoWorld) -> None:
    """CS starts a blind calibration of a recording with the lead; each votes in private, and
    only once both have voted does the group see the votes side by side and the spread."""
    emu, app = world.emu, world.app
    today = cases.local_today(app.settings)
    await world.say(OLGA, "/calibrate")
    category = await world.say(OLGA, "https://example.com/calls/4522")
    people = await world.step(OLGA, category, "Ошибка в коммуникации", "участников")
    people = await world.step(OLGA, people, "Ольга Смирнова", "Сейчас выбрано: 1.")
    people = await world.step(OLGA, people, "Андрей Лидеров", "Сейчас выбрано: 2.")
    calendar = await world.step(OLGA, people, "Далее ▶", "день срока")
    # The deadline the next working day (its button counts seconds since 1970, see above).
    prefix, raw = _callback_data(calendar, f"[{today:%d}]").rsplit(":", 1)
    offset = (next_working_day(today) - today).days * 86400
    await asyncio.sleep(THINK)
    query = await emu.send_callback(
        OLGA.telegram_id, OLGA.telegram_id, calendar.message_id, f"{prefix}:{int(raw) + offset}"
    )
    await emu.wait_callback_answer(query, timeout=WAIT)
    review = await emu.wait_for_edit(
        OLGA.telegram_id, calendar.message_id, contains="Проверьте калибровку", timeout=WAIT
    )
    mark = emu.mark()
    await world.step(OLGA, review, "🚀 Запустить", "запущена")
    for person, verdict, score, comment in (
        (OLGA, "Ошибка подтверждена", "70", "Не выявил потребность"),
        (ANDREY, "Частично", "95", "Потребность выявлена, показ не предложен"),
    ):
        invitation = await emu.wait_for_message(
            person.telegram_id, contains="Слепая калибровка #", after=mark, timeout=WAIT
        )
        opened = emu.mark()
        await world.press(person, invitation, "🎯 Оценить")
        dialog = await emu.wait_for_message(
            person.telegram_id, contains="Ваш вердикт", after=opened, timeout=WAIT
        )
        await world.step(person, dialog, verdict, "от 0 до 100")
        await world.say(person, score)
        review = await world.say(person, comment)
        await world.step(person, review, "Отправить", "принята")
    await emu.wait_for_message(CS_CHAT_ID, contains="Итоги калибровки", after=mark, timeout=WAIT)


SCENES: list[Callable[[DemoWorld], Awaitable[None]]] = [
    scene_access,
    scene_case,
    scene_appeal,
    scene_request,
    scene_results,
    scene_calibration,
]


def demo_settings(base_url: str, database_url: str) -> Settings:
    return Settings(
        _env_file=None,
        bot_token=DEMO_TOKEN,
        cs_chat_id=CS_CHAT_ID,
        cs_team_ids=[OLGA.telegram_id],
        telegram_api_base=base_url,
        database_url=database_url,
        outbox_poll_interval=timedelta(seconds=0.1),
        recheck_after=timedelta(seconds=3),
        recheck_notice=timedelta(seconds=1),
        reminder_sweep_interval=timedelta(seconds=0.5),
        log_level="WARNING",
        digest_cron="off",  # the demo posts its digest through /digest
        digest_lowest=2,
    )


async def demo() -> int:
    with tempfile.TemporaryDirectory(prefix="cs-bot-demo-") as folder:
        emu = BotAPIEmulator(token=DEMO_TOKEN)
        await emu.start()
        emu.add_group(CS_CHAT_ID, "Клиентский сервис")
        for person in PEOPLE:
            emu.add_user(
                person.telegram_id, person.first_name, person.last_name, username=person.username
            )
        app = build_app(demo_settings(emu.base_url, f"sqlite+aiosqlite:///{folder}/demo.db"))
        polling: asyncio.Task[None] | None = None
        try:
            await app.prepare()
            async with app.sessions() as session:
                await roster.import_roster(session, ROSTER_FILE.read_bytes(), ROSTER_FILE.name)
            polling = asyncio.create_task(
                app.dispatcher.start_polling(app.bot, handle_signals=False, polling_timeout=1)
            )
            world = DemoWorld(emu=emu, app=app)
            for scene in SCENES:
                await scene(world)
            await app.sender.drain(timeout=WAIT)
        finally:
            if polling is not None:
                with contextlib.suppress(RuntimeError):
                    await app.dispatcher.stop_polling()
                await polling
            await app.close()
            await emu.stop()
        print(emu.transcript())
    print(f"\nДиаграмма итогов (PNG) / the digest chart: {CHART_FILE}")
    return 0
