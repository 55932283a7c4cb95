"""End to end: appeals through the real bot — the dialog from the «Обжаловать» deep link and
from /appeal with a wrong input on each step, «Изменить», the CS post and each decision with
its comment and notices, the refusals, the appeal clock (the filer told the date, CS
reminded, the overdue appeal escalated to the heads of CS) and /cancel."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services import appeals, workdays
from db.models import (
    Appeal,
    AppealState,
    Case,
    CaseCategory,
    CaseState,
    FsmRecord,
    Reminder,
    ReminderState,
)
from emulator import BotAPIEmulator
from tests.conftest import CS_CHAT_ID
from tests.e2e.conftest import CS_ID, LEAD_ID, MANAGER_ID, OTHER_MANAGER_ID
from tests.e2e.harness import BotProcess
from tests.e2e.steps import (
    MOSCOW,
    THINK,
    alert,
    bot_messages_after,
    decide_in_group,
    png,
    say,
    step,
    wait_until,
    wrong,
)
from tests.e2e.world import register_case

REASON = "Клиент сам попросил перейти сразу к делу, это слышно на записи с первой минуты."


HEAD_ID = 1009  # a head of CS the roster does not know: mentioned as «руководитель КС»


@pytest.fixture
def bot_env(bot_env: dict[str, str]) -> dict[str, str]:
    return {**bot_env, "CS_HEAD_IDS": f"{CS_ID},{HEAD_ID}"}


async def fall_due(sessions: async_sessionmaker[AsyncSession], kind: str) -> None:
    """The clock reaches the appeal's pending reminder of `kind` (days ahead, in fact)."""
    async with sessions() as session:
        result = await session.execute(
            update(Reminder)
            .where(Reminder.kind == kind, Reminder.state == ReminderState.PENDING)
            .values(due_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        await session.commit()
    assert result.rowcount == 1  # type: ignore[attr-defined]


async def appeals_in_db(sessions: async_sessionmaker[AsyncSession]) -> list[Appeal]:
    async with sessions() as session:
        return list((await session.execute(select(Appeal).order_by(Appeal.id))).scalars())


async def test_deep_link_dialog_accept_withdraws_the_case(
    emu: BotAPIEmulator,
    bot: BotProcess,
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
):
    mark = emu.mark()
    case = await register_case(sessions, database_url, CaseCategory.COMMUNICATION)
    case_post = await emu.wait_for_message(CS_CHAT_ID, contains=f"Кейс #{case.id}", after=mark)
    await emu.wait_for_message(OTHER_MANAGER_ID, contains="обжаловать", after=mark)

    # The deep link opens the reason step, with the appeal procedure link.
    reason = await say(emu, OTHER_MANAGER_ID, f"/start appeal_{case.id}", "Напишите, почему")
    assert f"Апелляция по кейсу #{case.id}" in reason.text
    assert "Процесс подачи апелляции" in reason.text
    assert 'href="https://example.com/cs/appeals"' in reason.html
    await say(emu, OTHER_MANAGER_ID, "Не согласна", "Слишком коротко (11)")
    await asyncio.sleep(THINK)
    mark = emu.mark()
    await emu.send_photo(OTHER_MANAGER_ID, png())
    await emu.wait_for_message(OTHER_MANAGER_ID, contains="написать текстом", after=mark)
    evidence = await say(emu, OTHER_MANAGER_ID, REASON, "приложите доказательства")
    assert evidence.buttons[0] == ["Пропустить"]
    # Evidence: text that is not a link is refused; a link and a file are added.
    await say(emu, OTHER_MANAGER_ID, "смотрите запись в CRM", "Это не ссылка")
    evidence = await say(emu, OTHER_MANAGER_ID, "https://crm.example.com/call/7", "Добавлено:")
    assert "https://crm.example.com/call/7" in evidence.text
    await asyncio.sleep(THINK)
    mark = emu.mark()
    await emu.send_document(OTHER_MANAGER_ID, "скрин.pdf", b"%PDF-1.4 x")
    evidence = await emu.wait_for_message(OTHER_MANAGER_ID, contains="файлов: 1", after=mark)
    review = await step(emu, OTHER_MANAGER_ID, evidence, "Готово", "Проверьте апелляцию")
    assert f"Кейс: #{case.id} · Мария Козлова" in review.content
    assert review.buttons[:3] == [
        ["Изменить кейс"],
        ["Изменить причину"],
        ["Изменить доказательства"],
    ]
    # Text on the review: a hint, the review is shown again.
    review = await say(emu, OTHER_MANAGER_ID, "отправляй", "Проверьте апелляцию")
    # «Изменить причину»: the reason step, then straight back to the review.
    await step(emu, OTHER_MANAGER_ID, review, "Изменить причину", "Напишите, почему")
    better = REASON + " Прошу отозвать кейс."
    review = await say(emu, OTHER_MANAGER_ID, better, "Проверьте апелляцию")
    assert "Прошу отозвать кейс." in review.text
    assert await appeals_in_db(sessions) == []  # nothing is saved before «Отправить»

    mark = emu.mark()
    await step(emu, OTHER_MANAGER_ID, review, "Отправить", "отправлена команде")
    post = await emu.wait_for_message(CS_CHAT_ID, contains="Апелляция #1", after=mark)
    assert f"по кейсу #{case.id}" in post.text
    assert "Прошу отозвать кейс." in post.text
    assert post.buttons == [["Принять", "Частично", "Отклонить"]]
    await emu.wait_for_message(CS_CHAT_ID, after=post, predicate=lambda m: m.document is not None)

    # A second appeal on the same case: refused.
    again = await say(emu, OTHER_MANAGER_ID, f"/start appeal_{case.id}", "уже подана апелляция #1")
    assert "на рассмотрении" in again.text

    # A CS-only button pressed by the lead (and forged by the manager): refused, no change.
    assert "команда клиентского сервиса" in await alert(emu, LEAD_ID, post, "Принять")
    forged = await emu.send_callback(OTHER_MANAGER_ID, CS_CHAT_ID, post.message_id, "ap:acc:1")
    answer = await emu.wait_callback_answer(forged)
    assert answer.text == "Решение по апелляции принимает команда клиентского сервиса."

    mark = emu.mark()
    await decide_in_group(
        emu, post, "Принять", "Проверили запись: вы правы", "принята", too_short_first=True
    )
    await emu.wait_for_edit(CS_CHAT_ID, post.message_id, contains="принята — Ольга Смирнова")
    case_post = await emu.wait_for_edit(
        CS_CHAT_ID, case_post.message_id, contains="отозван по апелляции"
    )
    assert case_post.buttons == []
    notice = await emu.wait_for_message(LEAD_ID, contains="Решение по апелляции #1", after=mark)
    assert "принята" in notice.text
    assert "Проверили запись: вы правы" in notice.text
    assert "Кейс отозван" in notice.text
    # The manager (the filer) hears it once: the case withdrawn, with the decision's comment.
    told = await emu.wait_for_message(OTHER_MANAGER_ID, contains="отозван", after=mark)
    assert f"Кейс #{case.id} отозван." in told.text
    assert "апелляция #1 принята: Проверили запись: вы правы" in told.text
    await asyncio.sleep(1)
    assert len(bot_messages_after(emu, mark, [OTHER_MANAGER_ID])[OTHER_MANAGER_ID]) == 1
    async with sessions() as session:
        stored = await session.get(Case, case.id)
        pending = (
            await session.execute(select(Reminder).where(Reminder.state == ReminderState.PENDING))
        ).all()
    assert stored is not None
    assert stored.state == CaseState.WITHDRAWN
    assert pending == []
    [appeal] = await appeals_in_db(sessions)
    assert appeal.state == AppealState.ACCEPTED
    assert appeal.evidence[0] == {"kind": "link", "url": "https://crm.example.com/call/7"}
    # The buttons are gone; an old keyboard's press is told it is decided already.
    post = await emu.wait_for_edit(CS_CHAT_ID, post.message_id, contains="принята")
    assert post.buttons == []
    late = await emu.send_callback(CS_ID, CS_CHAT_ID, post.message_id, "ap:rej:1")
    assert "Уже решено" in ((await emu.wait_callback_answer(late)).text or "")
    assert "ERROR" not in bot.log


async def test_appeal_command_partial_reject_refusals_and_the_appeal_clock(
    emu: BotAPIEmulator,
    bot: BotProcess,
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
):
    mark = emu.mark()
    first = await register_case(sessions, database_url, CaseCategory.COMMUNICATION)
    second = await register_case(sessions, database_url, CaseCategory.PROCESS)
    await emu.wait_for_message(OTHER_MANAGER_ID, contains=f"кейс #{second.id}", after=mark)

    # The lead, on Мария's behalf, with /appeal: pick the case (text is refused), reason...
    pick = await say(emu, LEAD_ID, "/appeal", "Выберите кейс")
    assert "Процесс подачи апелляции" in pick.text
    assert [row[0].split(" · ")[0] for row in pick.buttons[:2]] == [
        f"#{second.id}",
        f"#{first.id}",
    ]
    # The step is shown again below the hint.
    pick = await wrong(emu, LEAD_ID, "первый", "Выберите кейс кнопкой", "Выберите кейс, который")
    assert pick.buttons[-1] == ["Отмена"]  # the first step: nothing to go back to
    reason = await step(emu, LEAD_ID, pick, f"#{first.id} ·", "Напишите, почему")
    assert reason.buttons[-1] == ["◀ Назад", "Отмена"]
    evidence = await say(emu, LEAD_ID, REASON, "приложите доказательства")
    assert evidence.buttons[-1] == ["◀ Назад", "Отмена"]
    # «◀ Назад» goes a step back each time: the reason (as written), then the case.
    reason = await step(emu, LEAD_ID, evidence, "◀ Назад", "Напишите, почему")
    pick = await step(emu, LEAD_ID, reason, "◀ Назад", "Выберите кейс")
    await step(emu, LEAD_ID, pick, f"#{first.id} ·", "Напишите, почему")
    evidence = await say(emu, LEAD_ID, REASON, "приложите доказательства")
    review = await step(emu, LEAD_ID, evidence, "Пропустить", "Проверьте апелляцию")
    assert "Доказательства: нет" in review.content
    # «Изменить кейс»: the second case instead, straight back to the review.
    await step(emu, LEAD_ID, review, "Изменить кейс", "Выберите кейс")
    await step(emu, LEAD_ID, review, f"#{second.id} ·", "Проверьте апелляцию")
    assert f"Кейс: #{second.id}" in review.content
    mark = emu.mark()
    sent = await step(emu, LEAD_ID, review, "Отправить", "отправлена команде")
    post = await emu.wait_for_message(CS_CHAT_ID, contains=f"по кейсу #{second.id}", after=mark)
    # The filer sees the date by which CS decides: 3 working days, at the time he filed.
    (appeal,) = await appeals_in_db(sessions)
    due = workdays.add_working_days(appeal.created_at, 3, MOSCOW).astimezone(MOSCOW)
    assert f"КС примет решение до {due:%d.%m.%Y %H:%M} (3 рабочих дня" in sent.content
    assert f"решение нужно до {due:%d.%m.%Y %H:%M}" in post.text

    # The working day before: CS reminded in the group, a reply to the appeal's post.
    await fall_due(sessions, appeals.SLA)
    reminder = await emu.wait_for_message(
        CS_CHAT_ID, contains="ждёт решения", after=mark, timeout=15
    )
    assert "Апелляция #1" in reminder.text
    assert f"Решение нужно до {due:%d.%m.%Y %H:%M}" in reminder.text
    assert reminder.reply_to_message_id == post.message_id
    # The deadline: escalated once, a reply to the post, the heads of CS mentioned.
    await fall_due(sessions, appeals.OVERDUE)
    overdue = await emu.wait_for_message(CS_CHAT_ID, contains="просрочена", after=mark, timeout=15)
    assert overdue.reply_to_message_id == post.message_id
    assert "Руководители КС: Ольга Смирнова, руководитель КС" in overdue.text
    mentioned = {e["user"]["id"] for e in overdue.entities if e["type"] == "text_mention"}
    assert mentioned == {CS_ID, HEAD_ID}
    assert [row for row in overdue.buttons] == [["Принять", "Частично", "Отклонить"]]
    await asyncio.sleep(1.5)  # three sweeps: no second escalation
    assert len([m for m in emu.bot_messages(CS_CHAT_ID) if "просрочена" in m.text]) == 1

    # A CS member who never pressed «Старт» in the bot: told to open the chat, nothing opens.
    emu.add_user(CS_ID, "Ольга", "Смирнова", started=False)
    mark = emu.mark()
    assert "откройте личный чат" in await alert(emu, CS_ID, post, "Частично")
    await asyncio.sleep(1)
    assert bot_messages_after(emu, mark, [CS_ID]) == {}
    emu.add_user(CS_ID, "Ольга", "Смирнова")

    mark = emu.mark()
    await decide_in_group(
        emu, post, "Частично", "Частично согласны", "принята частично", too_short_first=True
    )
    for chat in (LEAD_ID, OTHER_MANAGER_ID):
        notice = await emu.wait_for_message(chat, contains="принята частично", after=mark)
        assert "Частично согласны" in notice.text
        assert "Кейс отозван" not in notice.text
    async with sessions() as session:
        kept = await session.get(Case, second.id)
    assert kept is not None
    assert kept.state == CaseState.NEW
    # Decided: a new appeal on it says what was decided.
    await say(emu, OTHER_MANAGER_ID, f"/appeal {second.id}", "уже рассмотрена: ◐ принята частично")

    # Мария appeals the first case herself, with /cancel mid-dialog first.
    await say(emu, OTHER_MANAGER_ID, f"/start appeal_{first.id}", "Напишите, почему")
    await say(emu, OTHER_MANAGER_ID, "/cancel", "Диалог закрыт, ничего не сохранено")

    async def no_appeal_step() -> bool:  # the dialog state is written just after the reply
        async with sessions() as session:
            records = (await session.execute(select(FsmRecord))).scalars().all()
        return all(not (r.state or "").startswith("AppealSG") for r in records)

    await wait_until(no_appeal_step)
    assert len(await appeals_in_db(sessions)) == 1
    await say(emu, OTHER_MANAGER_ID, "/appeal", "Выберите кейс")
    last = emu.last_bot_message(OTHER_MANAGER_ID)
    assert last is not None
    await step(emu, OTHER_MANAGER_ID, last, f"#{first.id} ·", "Напишите, почему")
    evidence = await say(emu, OTHER_MANAGER_ID, REASON, "приложите доказательства")
    review = await step(emu, OTHER_MANAGER_ID, evidence, "Пропустить", "Проверьте апелляцию")
    mark = emu.mark()
    await step(emu, OTHER_MANAGER_ID, review, "Отправить", "отправлена команде")
    post = await emu.wait_for_message(CS_CHAT_ID, contains=f"по кейсу #{first.id}", after=mark)
    mark = emu.mark()
    await decide_in_group(
        emu, post, "Отклонить", "Запись не подтверждает", "отклонена", too_short_first=True
    )
    notice = await emu.wait_for_message(OTHER_MANAGER_ID, contains="отклонена", after=mark)
    assert "Запись не подтверждает" in notice.text
    await emu.wait_for_message(LEAD_ID, contains="отклонена", after=mark)
    assert "ERROR" not in bot.log


async def test_refusals_after_the_window_and_on_someone_elses_case(
    emu: BotAPIEmulator,
    bot: BotProcess,
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
):
    mark = emu.mark()
    case = await register_case(sessions, database_url, CaseCategory.COMMUNICATION)
    await emu.wait_for_message(OTHER_MANAGER_ID, contains="обжаловать", after=mark)

    # Иван (another group) follows Мария's deep link: not his case.
    await say(emu, MANAGER_ID, "/start", "Иван Петров")
    refused = await say(emu, MANAGER_ID, f"/start appeal_{case.id}", "не ваш")
    assert refused.buttons == []
    # CS has no /appeal.
    await say(emu, CS_ID, "/appeal", "недоступна")

    # The dialog is open when the window closes: «Отправить» is refused with the moment.
    await say(emu, OTHER_MANAGER_ID, f"/start appeal_{case.id}", "Напишите, почему")
    evidence = await say(emu, OTHER_MANAGER_ID, REASON, "приложите доказательства")
    review = await step(emu, OTHER_MANAGER_ID, evidence, "Пропустить", "Проверьте апелляцию")
    posted = datetime.now(UTC) - timedelta(days=6)
    async with sessions() as session:
        await session.execute(update(Case).where(Case.id == case.id).values(created_at=posted))
        await session.commit()
    closed = (posted + timedelta(days=5)).astimezone(MOSCOW).strftime("%d.%m.%Y %H:%M")
    await step(emu, OTHER_MANAGER_ID, review, "Отправить", f"истёк {closed}")
    # And a new try is refused at once; /appeal offers nothing.
    await say(emu, OTHER_MANAGER_ID, f"/start appeal_{case.id}", f"истёк {closed}")
    await say(emu, OTHER_MANAGER_ID, "/appeal", "Сейчас нет кейсов")
    assert await appeals_in_db(sessions) == []
