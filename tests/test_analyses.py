"""Call analyses at the service level (DESIGN §7) with the real migrated database: CS only,
validation, the group post with the file as a reply, masking, and the monthly reminder
(the decision with explicit dates, recorded once per month, delivered by the sweep)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from aiogram.fsm.state import StatesGroup
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services import analyses, reminders, roster
from bot.services.analyses import AnalysisDraft, FileDraft
from bot.services.errors import Forbidden, Invalid, NotFound
from bot.settings import Settings
from bot.texts import Texts
from db.models import (
    AuditEntry,
    CallAnalysis,
    CallRole,
    Employee,
    OutboxMessage,
    Reminder,
    ReminderState,
)
from tests.conftest import CS_CHAT_ID, person

MOSCOW = ZoneInfo("Europe/Moscow")
CS, LEAD, MANAGER = 1001, 2001, 3002
ROSTER = """full_name,role,group,position,telegram_id,username
Ольга Смирнова,cs,,Специалист КС,1001,
Андрей Лидеров,lead,Группа Юг,Главный менеджер,2001,
Мария Козлова,manager,Группа Юг,Менеджер по показам,3002,
"""
TEXT = "Хорошо выявила потребность. Клиент +7 999 123-45-67, ivan@mail.ru. <b>x</b> & y"


@pytest.fixture
async def world(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        await roster.import_roster(session, ROSTER.encode(), "roster.csv")


async def post(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    texts: Texts,
    *,
    actor: int = CS,
    **fields: object,
) -> CallAnalysis:
    async with sessions() as session:
        values: dict[str, object] = {"call_role": CallRole.SHOWING, "text": TEXT}
        values.update(fields)
        return await analyses.post(
            session,
            await person(session, actor),
            AnalysisDraft(**values),  # type: ignore[arg-type]
            settings=settings,
            texts=texts,
        )


async def test_cs_posts_an_analysis_with_a_voice_as_a_reply(
    world: None, sessions: async_sessionmaker[AsyncSession], settings: Settings, texts: Texts
):
    async with sessions() as session:
        maria = await person(session, MANAGER)
    analysis = await post(
        sessions,
        settings,
        texts,
        manager_id=maria.id,
        link="https://crm.example.com/call/7",
        file=FileDraft("voice", "VOICE-1"),
    )
    async with sessions() as session:
        rows = (await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars()
        group_post, voice = rows.all()
        saved = await session.get(CallAnalysis, analysis.id)
        assert saved is not None
        assert (saved.call_role, saved.manager_id, saved.file_kind) == (
            CallRole.SHOWING,
            maria.id,
            "voice",
        )
        audit = (await session.execute(select(AuditEntry))).scalars().all()
    assert [(a.entity, a.action) for a in audit if a.entity == "call_analysis"] == [
        ("call_analysis", "post")
    ]
    assert group_post.chat_id == CS_CHAT_ID
    assert group_post.method == "sendMessage"
    post_text = group_post.payload["text"]
    assert f"Разбор звонка #{analysis.id}" in post_text
    assert "Роль: по показам" in post_text
    assert "Менеджер: Мария Козлова" in post_text
    assert "https://crm.example.com/call/7" in post_text
    assert "+7 999 123-45-67" not in post_text
    assert "ivan@mail.ru" not in post_text
    assert "&lt;b&gt;x&lt;/b&gt; &amp; y" in post_text
    assert voice.method == "sendVoice"
    assert voice.payload["voice"] == "VOICE-1"
    assert voice.target_id == group_post.id


async def test_without_manager_link_or_file(
    world: None, sessions: async_sessionmaker[AsyncSession], settings: Settings, texts: Texts
):
    await post(sessions, settings, texts, call_role=CallRole.FRONT)
    async with sessions() as session:
        (only,) = (await session.execute(select(OutboxMessage))).scalars().all()
    assert "Роль: фронт" in only.payload["text"]
    assert "Менеджер: не указан" in only.payload["text"]


@pytest.mark.parametrize("actor", [LEAD, MANAGER])
async def test_only_cs_may_post(
    world: None,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    texts: Texts,
    actor: int,
):
    with pytest.raises(Forbidden):
        await post(sessions, settings, texts, actor=actor)
    with pytest.raises(Forbidden):
        analyses.check_can_post(None)
    async with sessions() as session:
        assert (await session.execute(select(CallAnalysis))).first() is None


async def test_cs_demoted_meanwhile_is_refused_inside_the_transaction(
    world: None, sessions: async_sessionmaker[AsyncSession], settings: Settings, texts: Texts
):
    async with sessions() as session:
        olga = await person(session, CS)
    async with sessions() as session:
        await session.execute(update(Employee).where(Employee.id == olga.id).values(active=False))
        await session.commit()
    async with sessions() as session:
        with pytest.raises(Forbidden):
            await analyses.post(
                session,
                olga,  # the stale object the dialog started with
                AnalysisDraft(call_role=CallRole.BACK, text="Разбор"),
                settings=settings,
                texts=texts,
            )


@pytest.mark.parametrize(
    ("fields", "key"),
    [
        ({"text": "   "}, "analysis-error-text-empty"),
        ({"text": "о" * 3001}, "analysis-error-text-long"),
        ({"link": "запись в CRM"}, "analysis-error-link"),
        ({"link": "https://x.example/" + "a" * 500}, "analysis-error-link"),
        ({"call_role": "boss"}, "analysis-error-role"),
        ({"file": FileDraft("photo", "P-1")}, "analysis-error-file"),
    ],
)
async def test_invalid_drafts_are_refused(
    world: None,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    texts: Texts,
    fields: dict[str, object],
    key: str,
):
    with pytest.raises(Invalid) as error:
        await post(sessions, settings, texts, **fields)
    assert error.value.key == key
    texts(error.value.key, **error.value.args_)  # the text exists and takes these arguments


async def test_text_of_3000_characters_fits_one_message(
    world: None, sessions: async_sessionmaker[AsyncSession], settings: Settings, texts: Texts
):
    await post(sessions, settings, texts, text="о" * 3000, link="https://x.example/" + "a" * 480)
    async with sessions() as session:
        (only,) = (await session.execute(select(OutboxMessage))).scalars().all()
    assert len(only.payload["text"]) < 4096


async def test_a_manager_who_left_is_not_found(
    world: None, sessions: async_sessionmaker[AsyncSession], settings: Settings, texts: Texts
):
    async with sessions() as session:
        maria = await person(session, MANAGER)
        olga = await person(session, CS)
        await session.execute(update(Employee).where(Employee.id == maria.id).values(active=False))
        await session.commit()
    for manager_id in (maria.id, olga.id, 999):
        with pytest.raises(NotFound):
            await post(sessions, settings, texts, manager_id=manager_id)


# --- the monthly reminder -------------------------------------------------------------------


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=MOSCOW)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("moment", "posted", "reminded", "needed"),
    [
        (local(2026, 3, 19, 23, 59), 0, False, False),
        (local(2026, 3, 20, 9, 59), 0, False, False),
        (local(2026, 3, 20, 10, 0), 0, False, True),
        (local(2026, 3, 31, 18, 0), 0, False, True),
        (local(2026, 3, 20, 10, 0), 1, False, False),
        (local(2026, 3, 20, 10, 0), 0, True, False),
        (local(2026, 2, 28, 10, 0), 0, False, True),
    ],
)
def test_reminder_decision(moment: datetime, posted: int, reminded: bool, needed: bool):
    assert analyses.reminder_needed(moment, posted=posted, reminded=reminded) is needed


def test_month_bounds():
    moment = local(2026, 12, 20, 10, 0)
    assert analyses.month_subject(moment) == "analysis-month:2026-12"
    assert analyses.month_start(moment) == local(2026, 12, 1)
    assert analyses.next_month_start(moment) == local(2027, 1, 1)


async def test_reminder_is_recorded_once_and_delivered_by_the_sweep(
    world: None, sessions: async_sessionmaker[AsyncSession], settings: Settings, texts: Texts
):
    registry = reminders.ReminderRegistry()
    early = local(2026, 3, 20, 9, 0)
    assert not await analyses.remind_if_quiet(sessions, settings, texts, now=early)
    at_ten = local(2026, 3, 20, 10, 0)
    assert await analyses.remind_if_quiet(sessions, settings, texts, now=at_ten)
    # The job again (the next day, a restart): the recorded reminder keeps it silent.
    assert not await analyses.remind_if_quiet(sessions, settings, texts, now=at_ten)
    assert not await analyses.remind_if_quiet(
        sessions, settings, texts, now=local(2026, 3, 21, 10, 0)
    )
    assert await reminders.sweep(sessions, registry, now=at_ten.astimezone(UTC)) == 1
    assert not await analyses.remind_if_quiet(
        sessions, settings, texts, now=local(2026, 3, 22, 10, 0)
    )
    async with sessions() as session:
        (row,) = (await session.execute(select(Reminder))).scalars().all()
        (notice,) = (await session.execute(select(OutboxMessage))).scalars().all()
    assert row.subject == "analysis-month:2026-03"
    assert row.state == ReminderState.SENT
    assert notice.chat_id == CS_CHAT_ID
    assert "03.2026" in notice.payload["text"]
    assert "/analysis" in notice.payload["text"]
    # It carries the button that resolves it: the /analysis dialog in the presser's chat.
    (button,) = notice.payload["reply_markup"]["inline_keyboard"][0]
    assert button == {"text": "Опубликовать разбор", "callback_data": "od:an"}
    # A new month has a reminder of its own.
    assert await analyses.remind_if_quiet(sessions, settings, texts, now=local(2026, 4, 20, 10, 0))


async def test_an_analysis_this_month_means_no_reminder(
    world: None, sessions: async_sessionmaker[AsyncSession], settings: Settings, texts: Texts
):
    analysis = await post(sessions, settings, texts)
    async with sessions() as session:
        # Posted at 01:30 on 1 March in Moscow (still 28 February in UTC): March's.
        created = local(2026, 3, 1, 1, 30).astimezone(UTC)
        await session.execute(
            update(CallAnalysis).where(CallAnalysis.id == analysis.id).values(created_at=created)
        )
        await session.commit()
    assert not await analyses.remind_if_quiet(
        sessions, settings, texts, now=local(2026, 3, 20, 10, 0)
    )
    # February had none (the analysis belongs to March).
    assert await analyses.remind_if_quiet(sessions, settings, texts, now=local(2026, 2, 28, 10, 0))


async def test_posting_cancels_a_reminder_not_yet_delivered(
    world: None, sessions: async_sessionmaker[AsyncSession], settings: Settings, texts: Texts
):
    now = datetime.now(UTC)
    local_now = now.astimezone(MOSCOW)
    async with sessions() as session:
        reminders.schedule_notice(
            session,
            chat_id=CS_CHAT_ID,
            text="напоминание",
            due_at=now,
            subject=analyses.month_subject(local_now),
        )
        await session.commit()
    await post(sessions, settings, texts)
    async with sessions() as session:
        (row,) = (await session.execute(select(Reminder))).scalars().all()
    assert row.state == ReminderState.CANCELLED


def test_the_cron_job_runs_from_the_20th_at_10(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, texts: Texts
):
    scheduler = AsyncIOScheduler(timezone=settings.tz)
    analyses.schedule_monthly_reminder(scheduler, settings, sessions, texts)
    (job,) = scheduler.get_jobs()
    fire = job.trigger.get_next_fire_time(None, local(2026, 2, 1))
    assert fire == local(2026, 2, 20, 10, 0)
    fire = job.trigger.get_next_fire_time(fire, local(2026, 2, 20, 10, 1))
    assert fire == local(2026, 2, 21, 10, 0)
    assert job.trigger.get_next_fire_time(None, local(2026, 2, 28, 11)) == local(2026, 3, 20, 10)


def test_dialog_state_names_are_unique_across_handlers():
    """aiogram names states by class name only: two `AnalysisSG` would share their states."""
    import importlib
    import pkgutil

    import handlers

    names: dict[str, str] = {}
    # Every module, those of the dialog packages (handlers/requests/states.py, …) too.
    for info in pkgutil.walk_packages(handlers.__path__, prefix="handlers."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, StatesGroup)
                and value.__module__ == module.__name__
            ):
                name = value.__full_group_name__
                assert name not in names, f"{name} in {module.__name__} and {names[name]}"
                names[name] = module.__name__
    assert "CallAnalysisSG" in names
    assert "BriefingSG" in names  # handlers/case_actions/states.py
