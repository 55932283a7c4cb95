"""Blind calibration: nobody sees another's vote before the session closes; the result shows
the votes, the spread and the flag; one vote each; the deadline closes it; one reminder."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services import calibration, reminders, roster
from bot.services.errors import AlreadyDone, Forbidden, Invalid
from bot.settings import Settings
from bot.texts import Texts
from db.models import (
    CalibrationSession,
    CalibrationState,
    CalibrationVerdict,
    CaseCategory,
    OutboxMessage,
    Reminder,
    ReminderState,
)
from tests.conftest import CS_CHAT_ID, person

CS_TG, CS2_TG, LEAD_TG, MANAGER_TG = 1001, 1002, 2001, 3002
ROSTER = """full_name,role,group,position,telegram_id,username
Ольга Смирнова,cs,,Специалист КС,1001,
Ирина Петрова,cs,,Специалист КС,1002,
Андрей Лидеров,lead,Группа Юг,Главный менеджер,2001,
Мария Козлова,manager,Группа Юг,Менеджер по показам,3002,
"""
VOTERS = (CS_TG, CS2_TG, LEAD_TG)


def deadline_day() -> date:
    return date.today() + timedelta(days=10)


@pytest.fixture
async def started(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, texts: Texts
) -> CalibrationSession:
    async with sessions() as session:
        await roster.import_roster(session, ROSTER.encode(), "roster.csv")
    async with sessions() as session:
        ids = tuple([(await person(session, tg)).id for tg in VOTERS])
        return await calibration.start(
            session,
            await person(session, CS_TG),
            calibration.CalibrationDraft(
                participant_ids=ids,
                deadline_day=deadline_day(),
                link="https://records.example/call/42",
                category=CaseCategory.COMMUNICATION,
            ),
            settings=settings,
            texts=texts,
        )


async def cast(
    sessions: async_sessionmaker[AsyncSession],
    telegram_id: int,
    started: CalibrationSession,
    settings: Settings,
    texts: Texts,
    *,
    verdict: CalibrationVerdict = CalibrationVerdict.CONFIRMED,
    score: int = 80,
    comment: str = "",
) -> CalibrationSession:
    async with sessions() as session:
        return await calibration.vote(
            session,
            await person(session, telegram_id),
            started.id,
            verdict=verdict,
            score=score,
            comment=comment,
            settings=settings,
            texts=texts,
        )


async def outbox(sessions: async_sessionmaker[AsyncSession]) -> list[OutboxMessage]:
    async with sessions() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        return list((await session.execute(query)).scalars())


def text_of(row: OutboxMessage) -> str:
    return str(row.payload.get("text", ""))


async def state_of(
    sessions: async_sessionmaker[AsyncSession], session_id: int
) -> CalibrationSession:
    async with sessions() as session:
        found = await session.get(CalibrationSession, session_id)
        assert found is not None
        return found


async def test_only_cs_starts_and_with_two_participants_at_least(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, texts: Texts
) -> None:
    async with sessions() as session:
        await roster.import_roster(session, ROSTER.encode(), "roster.csv")
    async with sessions() as session:
        lead, cs = await person(session, LEAD_TG), await person(session, CS_TG)
        manager = await person(session, MANAGER_TG)
        link = "https://records.example/1"

        def draft(*people: int, day: date | None = None) -> calibration.CalibrationDraft:
            return calibration.CalibrationDraft(
                participant_ids=people,
                deadline_day=day or deadline_day(),
                link=link,
                category=CaseCategory.PROCESS,
            )

        yesterday = date.today() - timedelta(days=1)
        for actor, wrong, refusal in (
            (lead, draft(cs.id, lead.id), Forbidden),
            (cs, draft(cs.id, cs.id), Invalid),
            (cs, draft(cs.id, manager.id), Invalid),
            (cs, draft(cs.id, lead.id, day=yesterday), Invalid),
        ):
            with pytest.raises(refusal):
                await calibration.start(session, actor, wrong, settings=settings, texts=texts)
    assert await outbox(sessions) == []


async def test_each_participant_is_invited_and_the_clock_is_set(
    sessions: async_sessionmaker[AsyncSession], started: CalibrationSession, settings: Settings
) -> None:
    rows = await outbox(sessions)
    assert sorted(row.chat_id for row in rows) == sorted(VOTERS)
    for row in rows:
        assert "Слепая калибровка" in text_of(row)
        assert "records.example/call/42" in text_of(row)
        (button,) = [b for line in row.payload["reply_markup"]["inline_keyboard"] for b in line]
        assert button["text"] == "🎯 Оценить"
    deadline = calibration.deadline_of(deadline_day(), settings)
    assert deadline.astimezone(settings.tz).hour == 18
    assert started.deadline_at == deadline
    async with sessions() as session:
        due = {r.kind: r.due_at for r in (await session.execute(select(Reminder))).scalars()}
    assert due[calibration.CLOSE] == deadline
    assert deadline - timedelta(days=5) < due[calibration.REMIND] <= deadline - timedelta(days=1)


def test_the_reminder_is_two_hours_before_when_the_working_day_before_is_past(
    settings: Settings,
) -> None:
    deadline = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)  # Monday 18:00 in Moscow
    friday = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)
    assert calibration.remind_at(deadline, friday - timedelta(hours=1), settings) == friday
    assert calibration.remind_at(deadline, friday + timedelta(hours=1), settings) == (
        deadline - timedelta(hours=2)
    )
    assert calibration.remind_at(deadline, deadline - timedelta(hours=1), settings) is None


async def test_nobody_sees_a_vote_until_the_last_one_then_the_group_gets_all(
    sessions: async_sessionmaker[AsyncSession],
    started: CalibrationSession,
    settings: Settings,
    texts: Texts,
) -> None:
    await cast(sessions, CS_TG, started, settings, texts, score=73, comment="коммент-альфа")
    await cast(
        sessions,
        CS2_TG,
        started,
        settings,
        texts,
        verdict=CalibrationVerdict.PARTLY,
        score=91,
        comment="коммент-бета",
    )
    before = await outbox(sessions)
    for row in before:
        for secret in ("73", "91", "коммент-альфа", "коммент-бета", "частично", "подтверждена"):
            assert secret not in text_of(row)
    assert (await state_of(sessions, started.id)).state == CalibrationState.OPEN

    await cast(sessions, LEAD_TG, started, settings, texts, score=88, comment="коммент-гамма")
    closed = await state_of(sessions, started.id)
    assert closed.state == CalibrationState.CLOSED
    assert closed.spread == 18
    assert closed.flagged
    after = (await outbox(sessions))[len(before) :]
    (result,) = after
    assert result.chat_id == CS_CHAT_ID
    text = text_of(result)
    for name, part in (
        ("Ольга Смирнова", "ошибка подтверждена · 73 · коммент-альфа"),
        ("Ирина Петрова", "частично · 91 · коммент-бета"),
        ("Андрей Лидеров", "ошибка подтверждена · 88 · коммент-гамма"),
    ):
        assert f"<b>{name}</b> — {part}" in text
    assert "Разброс оценок: 18" in text
    assert "⚠️ Расхождение" in text
    assert "Не проголосовали" not in text
    async with sessions() as session:
        pending = (
            (await session.execute(select(Reminder).where(Reminder.state == ReminderState.PENDING)))
            .scalars()
            .all()
        )
    assert pending == []


async def test_the_flag_is_the_spread_above_the_setting_or_differing_verdicts(
    sessions: async_sessionmaker[AsyncSession],
    started: CalibrationSession,
    settings: Settings,
    texts: Texts,
) -> None:
    for telegram_id, score in ((CS_TG, 80), (CS2_TG, 100), (LEAD_TG, 90)):
        await cast(sessions, telegram_id, started, settings, texts, score=score)
    closed = await state_of(sessions, started.id)
    assert closed.spread == 20
    assert not closed.flagged
    assert "⚠️" not in text_of((await outbox(sessions))[-1])
    async with sessions() as session:
        votes = (await session.get(CalibrationSession, started.id)).votes  # type: ignore[union-attr]
    assert calibration.disagreement(votes, 19)


async def test_one_vote_each_and_only_participants(
    sessions: async_sessionmaker[AsyncSession],
    started: CalibrationSession,
    settings: Settings,
    texts: Texts,
) -> None:
    await cast(sessions, CS_TG, started, settings, texts)
    with pytest.raises(AlreadyDone, match="voted"):
        await cast(sessions, CS_TG, started, settings, texts, score=10)
    with pytest.raises(Forbidden, match="not-participant"):
        await cast(sessions, MANAGER_TG, started, settings, texts)
    with pytest.raises(Invalid, match="score"):
        await cast(sessions, CS2_TG, started, settings, texts, score=101)
    assert calibration.parse_score(" 85 ") == 85
    for wrong in ("-1", "101", "8.5", "восемьдесят", ""):
        with pytest.raises(Invalid):
            calibration.parse_score(wrong)
    async with sessions() as session:
        found = await session.get(CalibrationSession, started.id)
        assert found is not None
        assert [v.score for v in found.votes if v.voted_at is not None] == [80]


async def test_the_deadline_closes_it_with_whoever_voted_and_reminds_once(
    sessions: async_sessionmaker[AsyncSession],
    started: CalibrationSession,
    settings: Settings,
    texts: Texts,
) -> None:
    registry = reminders.ReminderRegistry()
    calibration.register_reminders(registry, settings, texts)
    await cast(sessions, CS_TG, started, settings, texts, score=60, comment="коммент-альфа")
    async with sessions() as session:
        remind = (
            await session.execute(select(Reminder).where(Reminder.kind == calibration.REMIND))
        ).scalar_one()
    seen = len(await outbox(sessions))
    assert await reminders.sweep(sessions, registry, now=remind.due_at + timedelta(seconds=1)) == 1
    assert await reminders.sweep(sessions, registry, now=remind.due_at + timedelta(hours=1)) == 0
    nudges = (await outbox(sessions))[seen:]
    assert sorted(row.chat_id for row in nudges) == [CS2_TG, LEAD_TG]
    for row in nudges:
        assert "ещё не получена" in text_of(row)
        assert "коммент-альфа" not in text_of(row)

    deadline = started.deadline_at + timedelta(seconds=1)
    assert await reminders.sweep(sessions, registry, now=deadline) == 1
    closed = await state_of(sessions, started.id)
    assert closed.state == CalibrationState.CLOSED
    assert closed.spread == 0
    result = (await outbox(sessions))[-1]
    assert result.chat_id == CS_CHAT_ID
    assert "<b>Ольга Смирнова</b> — ошибка подтверждена · 60 · коммент-альфа" in text_of(result)
    assert "Не проголосовали: Ирина Петрова, Андрей Лидеров" in text_of(result)
    with pytest.raises(AlreadyDone, match="closed"):
        await cast(sessions, LEAD_TG, started, settings, texts)
    assert await reminders.sweep(sessions, registry, now=deadline + timedelta(days=1)) == 0


async def test_the_list_shows_past_sessions_to_cs_only(
    sessions: async_sessionmaker[AsyncSession],
    started: CalibrationSession,
    settings: Settings,
    texts: Texts,
) -> None:
    async with sessions() as session:
        assert list(await calibration.past_sessions(session, await person(session, CS_TG))) == []
    for telegram_id, score in ((CS_TG, 50), (CS2_TG, 90), (LEAD_TG, 70)):
        await cast(sessions, telegram_id, started, settings, texts, score=score)
    async with sessions() as session:
        with pytest.raises(Forbidden):
            await calibration.past_sessions(session, await person(session, LEAD_TG))
        found = await calibration.past_sessions(session, await person(session, CS_TG))
        text = calibration.list_text(found, texts)
    assert f"#{started.id} · " in text
    assert "разброс 40 · ⚠️ Расхождение" in text
