"""End to end: the person picker, the one subdialog /case, /analysis and /request use to pick
a person (search by part of the name, pages, a tap), returning its pick to its dialog."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.engine import write_transaction
from db.models import Employee, Role, WorkingGroup
from emulator import BotAPIEmulator
from tests.e2e.conftest import CS_ID, LEAD_ID
from tests.e2e.harness import BotProcess
from tests.e2e.steps import callback_data, say, step, wrong

# More people than a page holds (8), all found by «смирн» (so is Ольга Смирнова of CS, who
# is not among whom a case can be about).
NAMES = [f"Елена Смирнова {number:02}" for number in range(1, 12)]


async def hire(sessions: async_sessionmaker[AsyncSession], names: list[str]) -> None:
    # A write transaction, as the bot's own (BEGIN IMMEDIATE): a read that turns into a write
    # while the bot writes would fail on SQLite with "database is locked" instead of waiting.
    async with sessions() as session, write_transaction(session):
        south = (
            await session.execute(select(WorkingGroup).where(WorkingGroup.name == "Группа Юг"))
        ).scalar_one()
        session.add_all(
            Employee(full_name=name, role=Role.MANAGER, groups=[south]) for name in names
        )


async def employee_id(sessions: async_sessionmaker[AsyncSession], name: str) -> int:
    async with sessions() as session:
        return (
            await session.execute(select(Employee.id).where(Employee.full_name == name))
        ).scalar_one()


def labels(message_buttons: list[list[str]]) -> list[str]:
    return [label for row in message_buttons for label in row]


async def test_search_pages_and_a_pick_return_to_the_case_with_the_person(
    emu: BotAPIEmulator, bot: BotProcess, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await hire(sessions, NAMES)
    await say(emu, CS_ID, "/case", "Кого касается ошибка")
    found = await say(emu, CS_ID, "смирн", "найдено: 11")
    first_page = labels(found.buttons)
    assert "Елена Смирнова 01 — Группа Юг" in first_page
    assert "Елена Смирнова 09 — Группа Юг" not in first_page  # eight a page
    # The first step of /case has nowhere to go back to.
    assert "◀ Назад" not in first_page
    assert "Отмена" in first_page

    found = await step(emu, CS_ID, found, ">", "найдено: 11")
    second_page = labels(found.buttons)
    assert "Елена Смирнова 11 — Группа Юг" in second_page
    assert "Елена Смирнова 01 — Группа Юг" not in second_page

    tab = await step(emu, CS_ID, found, "Елена Смирнова 10 — Группа Юг", "Выберите вкладку")
    assert "Сотрудник: Елена Смирнова 10" in tab.text

    # «◀ Назад» from the tab: the picker again (the first step: no «◀ Назад» of its own),
    # with the pick so far kept by «Дальше ▶».
    picker = await step(emu, CS_ID, tab, "◀ Назад", "Сейчас: Елена Смирнова 10")
    assert "◀ Назад" not in labels(picker.buttons)
    tab = await step(emu, CS_ID, picker, "Дальше ▶", "Выберите вкладку")
    assert "Сотрудник: Елена Смирнова 10" in tab.text

    # Typing another name on the list searches again; a new pick replaces the old one.
    picker = await step(emu, CS_ID, tab, "◀ Назад", "Кого касается ошибка")
    found = await say(emu, CS_ID, "козл", "найдено: 1")
    tab = await step(emu, CS_ID, found, "Мария Козлова — Группа Юг", "Выберите вкладку")
    assert "Сотрудник: Мария Козлова" in tab.text
    assert "ERROR" not in bot.log


async def test_back_in_the_picker_returns_to_the_step_it_was_opened_from(
    emu: BotAPIEmulator, bot: BotProcess
) -> None:
    dialog = await say(emu, CS_ID, "/analysis", "Чей звонок")
    picker = await step(emu, CS_ID, dialog, "по показам", "часть имени или фамилии менеджера")
    assert {"◀ Назад", "Пропустить", "Отмена"} <= set(labels(picker.buttons))
    role = await step(emu, CS_ID, picker, "◀ Назад", "Чей звонок")
    assert "по показам" in labels(role.buttons)

    # Again, then «Пропустить»: the analysis goes on without a manager.
    await step(emu, CS_ID, role, "продажи", "часть имени или фамилии менеджера")
    picker = await wrong(emu, CS_ID, "Сидоров", "нажмите «Пропустить»", "часть имени или фамилии")
    text_step = await step(emu, CS_ID, picker, "Пропустить", "Напишите разбор")
    # «◀ Назад» from the step after the picker opens the picker; its «◀ Назад», the role.
    picker = await step(emu, CS_ID, text_step, "◀ Назад", "часть имени или фамилии менеджера")
    await step(emu, CS_ID, picker, "◀ Назад", "Чей звонок")


async def test_a_lead_picks_from_his_group_listed_at_once_and_goes_back_to_the_group(
    emu: BotAPIEmulator, bot: BotProcess
) -> None:
    menu = await say(emu, LEAD_ID, "/request", "Какой запрос")
    dialog = await step(emu, LEAD_ID, menu, "Состав команды", "Что изменилось")
    dialog = await step(emu, LEAD_ID, dialog, "увольнение", "Рабочая группа")
    picker = await step(emu, LEAD_ID, dialog, "Группа Юг", "Кого касается")
    # A small scope is listed at once: one group's people, no group named on each.
    assert {"Мария Козлова", "Павел Новиков"} <= set(labels(picker.buttons))
    assert "Иван Петров" not in labels(picker.buttons)  # Группа Север
    found = await say(emu, LEAD_ID, "нови", "найдено: 1")
    assert labels(found.buttons)[0] == "Павел Новиков"
    dialog = await step(emu, LEAD_ID, found, "◀ Назад", "Рабочая группа")
    picker = await step(emu, LEAD_ID, dialog, "Группа Юг", "Кого касается")
    await step(emu, LEAD_ID, picker, "Мария Козлова", "С какой даты")


async def test_a_forged_or_out_of_scope_id_is_not_found(
    emu: BotAPIEmulator, bot: BotProcess, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await say(emu, CS_ID, "/case", "Кого касается ошибка")
    found = await say(emu, CS_ID, "козл", "найдено: 1")
    data = callback_data(found, "Мария Козлова — Группа Юг")
    prefix, _ = data.rsplit(":", 1)
    # CS himself is in the roster but not among whom a case can be about; the other two are
    # no row the database can hold.
    cs_member = await employee_id(sessions, "Ольга Смирнова")
    for forged in (str(cs_member), "0", "99999999999999999999", "abc"):
        query = await emu.send_callback(CS_ID, CS_ID, found.message_id, f"{prefix}:{forged}")
        answer = await emu.wait_callback_answer(query)
        assert answer.show_alert
        assert "не найден" in (answer.text or "")
    # The list stays, and its real button still picks.
    await step(emu, CS_ID, found, "Мария Козлова — Группа Юг", "Выберите вкладку")

    # A lead's list is his groups': a manager of another lead's group is refused the same way.
    menu = await say(emu, LEAD_ID, "/request", "Какой запрос")
    dialog = await step(emu, LEAD_ID, menu, "Состав команды", "Что изменилось")
    dialog = await step(emu, LEAD_ID, dialog, "увольнение", "Рабочая группа")
    picker = await step(emu, LEAD_ID, dialog, "Группа Юг", "Кого касается")
    prefix, _ = callback_data(picker, "Мария Козлова").rsplit(":", 1)
    ivan = await employee_id(sessions, "Иван Петров")  # Группа Север, not the chosen group
    query = await emu.send_callback(LEAD_ID, LEAD_ID, picker.message_id, f"{prefix}:{ivan}")
    answer = await emu.wait_callback_answer(query)
    assert "не найден" in (answer.text or "")
    assert "ERROR" not in bot.log


async def test_a_file_at_the_search_step_gets_a_hint_and_cancel_ends_the_flow(
    emu: BotAPIEmulator, bot: BotProcess
) -> None:
    await say(emu, CS_ID, "/case", "Кого касается ошибка")
    await wrong(emu, CS_ID, None, "Напишите часть имени текстом", "Кого касается ошибка")
    picker = await wrong(emu, CS_ID, "Сидоров", "Никого не нашлось", "Кого касается ошибка")
    closed = await step(emu, CS_ID, picker, "Отмена", "ничего не сохранено")
    assert closed.buttons == []
    # Nothing is open any more: a name is not searched.
    reply = await say(emu, CS_ID, "козл")
    assert "найдено" not in reply.text


async def test_a_person_dismissed_before_publishing_is_picked_again_from_the_review(
    emu: BotAPIEmulator, bot: BotProcess, sessions: async_sessionmaker[AsyncSession]
) -> None:
    dialog = await say(emu, CS_ID, "/analysis", "Чей звонок")
    await step(emu, CS_ID, dialog, "фронт", "часть имени или фамилии менеджера")
    found = await say(emu, CS_ID, "козл", "найдено: 1")
    await step(emu, CS_ID, found, "Мария Козлова — Группа Юг", "Напишите разбор")
    file_step = await say(emu, CS_ID, "Хороший звонок", "Пришлите запись звонка")
    await step(emu, CS_ID, file_step, "Пропустить", "Пришлите ссылку")
    review = await step(emu, CS_ID, file_step, "Пропустить", "Проверьте разбор")
    maria_id = await employee_id(sessions, "Мария Козлова")
    async with sessions() as session, write_transaction(session):
        maria = await session.get(Employee, maria_id)
        assert maria is not None
        maria.active = False

    # «Опубликовать»: refused with the reason, and the picker opens on top of the review.
    await step(emu, CS_ID, review, "✅ Опубликовать", "Сейчас: Мария Козлова")
    picker = emu.state.get_message(CS_ID, review.message_id)
    assert picker is not None
    assert "◀ Назад" in labels(picker.buttons)
    # The dismissed person is found no more, nor kept by «Дальше ▶».
    await wrong(emu, CS_ID, "козл", "Никого не нашлось", "часть имени или фамилии")
    answer = await emu.wait_callback_answer(
        await emu.press(CS_ID, emu.bot_messages(CS_ID)[-1], "Дальше ▶")
    )
    assert "не найден" in (answer.text or "")
    review = await step(emu, CS_ID, emu.bot_messages(CS_ID)[-1], "Пропустить", "Проверьте разбор")
    assert "Мария Козлова" not in review.text
    await step(emu, CS_ID, review, "✅ Опубликовать", "Разбор #1 опубликован")
    assert "ERROR" not in bot.log
