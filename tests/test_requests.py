"""The request service with the real migrated database (DESIGN §5): validation, filing, the
CS post, the state machine with its checks, the roster changes of a done staffing request,
the reminders, /my."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.callbacks import RequestAct, RequestButton
from bot.services import reminders, requests
from bot.services.errors import AlreadyDone, Forbidden, Invalid
from bot.settings import Settings
from bot.texts import Texts
from db.models import (
    Appeal,
    AuditEntry,
    Case,
    CaseCategory,
    CaseSource,
    CaseTab,
    Employee,
    MailMessage,
    OutboxMessage,
    Reminder,
    ReminderState,
    RequestKind,
    RequestState,
    Role,
    ServiceRequest,
)
from tests.conftest import CS_CHAT_ID, make_settings

ROSTER = """full_name,role,group,position,telegram_id,username
Ольга Смирнова,cs,,Специалист КС,1001,
Андрей Лидеров,lead,Группа Север;Группа Юг,Главный менеджер,2001,
Иван Петров,manager,Группа Север,Менеджер по продажам,3001,
Мария Козлова,manager,Группа Юг,Менеджер по показам,3002,
Олег Чужой,manager,Группа Восток,Менеджер,3003,
"""


@pytest.fixture
async def world(sessions: async_sessionmaker[AsyncSession]) -> dict[str, Employee]:
    from bot.services import roster

    async with sessions() as session:
        await roster.import_roster(session, ROSTER.encode(), "roster.csv")
        found = {e.telegram_id: e for e in (await session.execute(select(Employee))).scalars()}
    return {
        "cs": found[1001],
        "lead": found[2001],
        "ivan": found[3001],
        "maria": found[3002],
        "stranger": found[3003],
    }


def tomorrow() -> date:
    return datetime.now(UTC).date() + timedelta(days=2)


def forwarding(manager_id: int, **changes: Any) -> dict[str, Any]:
    draft: dict[str, Any] = {
        "manager_id": manager_id,
        "from_number": "+7 (999) 123-45-67",
        "to_number": "1234",
        "date_from": tomorrow().isoformat(),
        "date_to": (tomorrow() + timedelta(days=1)).isoformat(),
        "comment": "выходной <b>",
    }
    draft.update(changes)
    return draft


async def employee(session: AsyncSession, employee_id: int) -> Employee:
    found = await session.get(Employee, employee_id)
    assert found is not None
    return found


async def file(
    sessions: async_sessionmaker[AsyncSession],
    actor_id: int,
    kind: RequestKind,
    draft: dict[str, Any],
    settings: Settings,
    texts: Texts,
) -> ServiceRequest:
    async with sessions() as session:
        actor = await employee(session, actor_id)
        return await requests.submit(session, actor, kind, draft, settings=settings, texts=texts)


async def act(
    sessions: async_sessionmaker[AsyncSession],
    actor_id: int,
    request_id: int,
    what: RequestAct,
    settings: Settings,
    texts: Texts,
    reason: str = "",
) -> ServiceRequest:
    async with sessions() as session:
        actor = await employee(session, actor_id)
        return await requests.perform(
            session, actor, request_id, what, settings=settings, texts=texts, reason=reason
        )


def test_the_inputs_are_checked() -> None:
    assert requests.clean_phone(" +7 (999) 123-45-67 ") == "+79991234567"
    assert requests.clean_phone("123") == "123"
    for bad in ("12", "+1234567890123456", "12a4", "++123", ""):
        with pytest.raises(Invalid):
            requests.clean_phone(bad)
    with pytest.raises(Invalid, match="phone-same"):
        requests.check_other_phone("+7999", "7999")
    today = date(2026, 11, 20)
    with pytest.raises(Invalid, match="date-past"):
        requests.check_range(date(2026, 11, 19), date(2026, 11, 21), today)
    with pytest.raises(Invalid, match="date-order"):
        requests.check_range(date(2026, 11, 22), date(2026, 11, 21), today)
    assert requests.check_range(today, today, today) == (today, today)
    with pytest.raises(Invalid, match="date-future"):
        requests.check_attestation(date(2026, 11, 21), today)
    assert requests.clean_quantity(" 50 ") == 50
    for bad in ("0", "51", "-1", "два", "1.5"):
        with pytest.raises(Invalid, match="quantity"):
            requests.clean_quantity(bad)
    with pytest.raises(Invalid):
        requests.clean_name("Я")
    with pytest.raises(Invalid):
        requests.clean_comment("x" * 601)
    with pytest.raises(Invalid):
        requests.clean_reason("no")


def test_callback_data_is_short() -> None:
    packed = RequestButton(act=RequestAct.REJECT, request_id=10**9).pack()
    assert packed.startswith("rq:")
    assert len(packed.encode()) <= 64


def test_the_sla_counts_working_days(database_url: str) -> None:
    settings = make_settings(database_url)
    friday = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    assert settings.request_sla == timedelta(days=1)
    assert requests.sla_due(friday, settings).weekday() == 0  # Monday
    short = make_settings(database_url, request_sla=5)
    assert requests.sla_due(friday, short) == friday + timedelta(seconds=5)


async def test_a_manager_files_a_forwarding_request(
    sessions: async_sessionmaker[AsyncSession],
    world: dict[str, Employee],
    settings: Settings,
    texts: Texts,
) -> None:
    request = await file(
        sessions,
        world["maria"].id,
        RequestKind.FORWARDING,
        forwarding(world["maria"].id),
        settings,
        texts,
    )
    assert request.state == RequestState.NEW
    assert request.fields["from_number"] == "+79991234567"
    async with sessions() as session:
        posts = (await session.execute(select(OutboxMessage))).scalars().all()
        reminders_ = (await session.execute(select(Reminder))).scalars().all()
        mails = (await session.execute(select(MailMessage))).scalars().all()
    [post] = posts
    assert post.chat_id == CS_CHAT_ID
    assert post.subject == f"request:{request.id}:group"
    text = post.payload["text"]
    assert f"З-{request.id} · Переадресация" in text
    assert "Мария Козлова" in text
    assert "выходной &lt;b&gt;" in text
    buttons = [b["text"] for row in post.payload["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons == ["Взять", "Отклонить"]
    # The last day's reminder waits until CS takes the forwarding in work.
    assert {r.kind for r in reminders_} == {requests.SLA}
    assert mails == []  # SMTP is off


async def test_scope_of_filing(
    sessions: async_sessionmaker[AsyncSession],
    world: dict[str, Employee],
    settings: Settings,
    texts: Texts,
) -> None:
    # A manager files only for himself; a lead for the managers of his groups.
    with pytest.raises(Invalid, match="manager"):
        await file(
            sessions,
            world["maria"].id,
            RequestKind.FORWARDING,
            forwarding(world["ivan"].id),
            settings,
            texts,
        )
    with pytest.raises(Invalid, match="manager"):
        await file(
            sessions,
            world["lead"].id,
            RequestKind.FORWARDING,
            forwarding(world["stranger"].id),
            settings,
            texts,
        )
    ok = await file(
        sessions,
        world["lead"].id,
        RequestKind.FORWARDING,
        forwarding(world["ivan"].id),
        settings,
        texts,
    )
    assert ok.group_id is not None
    # Team changes are the lead's; CS does not file requests.
    with pytest.raises(Forbidden):
        await file(sessions, world["maria"].id, RequestKind.STAFFING, {}, settings, texts)
    with pytest.raises(Forbidden):
        await file(sessions, world["cs"].id, RequestKind.BADGE, {}, settings, texts)
    # Wrong fields are refused by the service too, and nothing is half-saved.
    with pytest.raises(Invalid, match="phone-same"):
        await file(
            sessions,
            world["maria"].id,
            RequestKind.FORWARDING,
            forwarding(world["maria"].id, to_number="+7 999 1234567"),
            settings,
            texts,
        )
    async with sessions() as session:
        assert len((await session.execute(select(ServiceRequest))).all()) == 1


async def test_the_states_and_the_notices(
    sessions: async_sessionmaker[AsyncSession],
    world: dict[str, Employee],
    settings: Settings,
    texts: Texts,
) -> None:
    badge = {"item": "audio", "quantity": "3", "place": "Шоурум Юг", "recipient": "Мария Козлова"}
    request = await file(sessions, world["maria"].id, RequestKind.BADGE, badge, settings, texts)
    # Only CS processes: a forged press of a lead changes nothing.
    with pytest.raises(Forbidden):
        await act(sessions, world["lead"].id, request.id, RequestAct.TAKE, settings, texts)
    with pytest.raises(Invalid):  # «Выполнено» needs «Взять» first
        await act(sessions, world["cs"].id, request.id, RequestAct.DONE, settings, texts)
    taken = await act(sessions, world["cs"].id, request.id, RequestAct.TAKE, settings, texts)
    assert taken.state == RequestState.IN_WORK
    assert taken.processor_id == world["cs"].id
    with pytest.raises(AlreadyDone):
        await act(sessions, world["cs"].id, request.id, RequestAct.TAKE, settings, texts)
    with pytest.raises(Invalid):  # a reason is required
        await act(sessions, world["cs"].id, request.id, RequestAct.REJECT, settings, texts, "")
    rejected = await act(
        sessions, world["cs"].id, request.id, RequestAct.REJECT, settings, texts, "Нет на складе"
    )
    assert rejected.state == RequestState.REJECTED
    with pytest.raises(AlreadyDone):
        await act(sessions, world["cs"].id, request.id, RequestAct.DONE, settings, texts)
    async with sessions() as session:
        rows = (await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars()
        rows = list(rows)
        pending = (
            await session.execute(select(Reminder).where(Reminder.state == ReminderState.PENDING))
        ).all()
        history = (await session.execute(select(AuditEntry))).scalars().all()
    to_maria = [r for r in rows if r.chat_id == 3002]
    assert "взят в работу, исполнитель — Ольга Смирнова." in to_maria[0].payload["text"]
    assert "отклонён" in to_maria[1].payload["text"]
    assert "Нет на складе" in to_maria[1].payload["text"]
    # Each notice a reply to the one before: the requester reads the request's story in place.
    assert to_maria[0].target_id is None
    assert to_maria[1].target_id == to_maria[0].id
    # Nobody else hears a badge's changes (CS: the post is edited).
    assert {r.chat_id for r in rows if r.method == "sendMessage"} == {CS_CHAT_ID, 3002}
    edits = [r for r in rows if r.method == "editMessageText"]
    assert len(edits) == 2
    assert "в работе" in edits[0].payload["text"]
    assert "Причина отказа: Нет на складе" in edits[1].payload["text"]
    assert "reply_markup" not in edits[1].payload  # no buttons on a closed request
    assert pending == []
    assert [(e.action, e.to_state) for e in history] == [
        ("file", "new"),
        ("take", "in_work"),
        ("reject", "rejected"),
    ]


async def staffing(
    sessions: async_sessionmaker[AsyncSession],
    world: dict[str, Employee],
    settings: Settings,
    texts: Texts,
    change: str,
    **extra: Any,
) -> ServiceRequest:
    async with sessions() as session:
        lead = await employee(session, world["lead"].id)
        south = next(g for g in lead.groups if g.name == "Группа Юг")
    draft = {"change": change, "group_id": south.id, "effective_date": "2026-12-01", **extra}
    return await file(sessions, world["lead"].id, RequestKind.STAFFING, draft, settings, texts)


async def test_a_done_staffing_request_changes_the_roster(
    sessions: async_sessionmaker[AsyncSession],
    world: dict[str, Employee],
    settings: Settings,
    texts: Texts,
) -> None:
    cs = world["cs"].id
    today = datetime.now(settings.tz).date()
    with pytest.raises(Invalid, match="attestation-missing"):
        await staffing(sessions, world, settings, texts, "new", full_name="Пётр Новый")
    new = await staffing(
        sessions,
        world,
        settings,
        texts,
        "new",
        full_name="Пётр Новый",
        attestation_date=today.isoformat(),
    )
    back = await staffing(sessions, world, settings, texts, "back", employee_id=world["maria"].id)
    with pytest.raises(Invalid, match="employee"):  # Иван is not in «Группа Юг»
        await staffing(sessions, world, settings, texts, "dismissal", employee_id=world["ivan"].id)
    gone = await staffing(
        sessions, world, settings, texts, "dismissal", employee_id=world["maria"].id
    )
    kept = await staffing(
        sessions, world, settings, texts, "dismissal", employee_id=world["maria"].id
    )
    for request in (new, back, gone, kept):
        await act(sessions, cs, request.id, RequestAct.TAKE, settings, texts)
    # A rejected one changes nothing.
    await act(sessions, cs, kept.id, RequestAct.REJECT, settings, texts, "Дубликат")
    async with sessions() as session:
        maria = await employee(session, world["maria"].id)
        assert maria.active
        assert maria.position == "Менеджер по показам"
    for request in (new, back, gone):
        await act(sessions, cs, request.id, RequestAct.DONE, settings, texts)
    async with sessions() as session:
        maria = await employee(session, world["maria"].id)
        assert maria.position == "Бэк-офис"
        assert not maria.active
        [peter] = (
            (await session.execute(select(Employee).where(Employee.full_name == "Пётр Новый")))
            .scalars()
            .all()
        )
        assert peter.role == Role.MANAGER
        assert peter.active
        assert [g.name for g in peter.groups] == ["Группа Юг"]
        roster_audit = (
            (await session.execute(select(AuditEntry).where(AuditEntry.entity == "employee")))
            .scalars()
            .all()
        )
    assert sorted(e.action for e in roster_audit) == [
        "staffing_add",
        "staffing_back",
        "staffing_dismiss",
    ]
    assert all(e.actor_id == cs and e.comment.startswith("З-") for e in roster_audit)


async def sent_to(
    sessions: async_sessionmaker[AsyncSession], request_id: int
) -> list[OutboxMessage]:
    async with sessions() as session:
        rows = await session.execute(
            select(OutboxMessage)
            .where(
                OutboxMessage.subject.startswith(f"request:{request_id}:"),
                OutboxMessage.method == "sendMessage",
                OutboxMessage.chat_id != CS_CHAT_ID,
            )
            .order_by(OutboxMessage.id)
        )
        return list(rows.scalars())


async def test_a_forwarding_a_lead_asked_for_is_heard_by_its_manager_when_it_ends(
    sessions: async_sessionmaker[AsyncSession],
    world: dict[str, Employee],
    settings: Settings,
    texts: Texts,
) -> None:
    cs, lead, maria = world["cs"].id, world["lead"].id, world["maria"].id
    done = await file(sessions, lead, RequestKind.FORWARDING, forwarding(maria), settings, texts)
    await act(sessions, cs, done.id, RequestAct.TAKE, settings, texts)
    # Taken: the requester hears it, the manager not yet.
    assert [r.chat_id for r in await sent_to(sessions, done.id)] == [2001]
    await act(sessions, cs, done.id, RequestAct.DONE, settings, texts)
    rows = await sent_to(sessions, done.id)
    assert [(r.chat_id, r.subject.rsplit(":", 1)[1]) for r in rows] == [
        (2001, "requester"),
        (2001, "requester"),
        (3002, "manager"),
    ]
    assert "выполнен" in rows[1].payload["text"]
    first = tomorrow().strftime("%d.%m.%Y")
    assert rows[2].payload["text"] == (
        f"✅ Переадресация настроена (запрос З-{done.id}, отправил(а) Андрей Лидеров): звонки"
        f" с номера +79991234567 переадресуются на 1234 с {first} по "
        f"{(tomorrow() + timedelta(days=1)):%d.%m.%Y}."
    )

    rejected = await file(
        sessions, lead, RequestKind.FORWARDING, forwarding(maria), settings, texts
    )
    await act(sessions, cs, rejected.id, RequestAct.REJECT, settings, texts, "Нет <номера>")
    rows = await sent_to(sessions, rejected.id)
    assert [r.chat_id for r in rows] == [2001, 3002]
    assert "не будет настроена" in rows[1].payload["text"]
    assert "Причина: Нет &lt;номера&gt;" in rows[1].payload["text"]

    # The manager's own forwarding: he is the requester, told once.
    own = await file(sessions, maria, RequestKind.FORWARDING, forwarding(maria), settings, texts)
    await act(sessions, cs, own.id, RequestAct.REJECT, settings, texts, "Дубликат")
    assert [r.chat_id for r in await sent_to(sessions, own.id)] == [3002]


async def test_a_team_change_applied_is_heard_by_the_requester_and_the_groups_other_leads(
    sessions: async_sessionmaker[AsyncSession],
    world: dict[str, Employee],
    settings: Settings,
    texts: Texts,
) -> None:
    async with sessions() as session:
        lead = await employee(session, world["lead"].id)
        south = next(g for g in lead.groups if g.name == "Группа Юг")
        north = next(g for g in lead.groups if g.name == "Группа Север")
        session.add(
            Employee(full_name="Юлия Южная", role=Role.LEAD, telegram_id=2002, groups=[south])
        )
        session.add(
            Employee(full_name="Семён Северный", role=Role.LEAD, telegram_id=2003, groups=[north])
        )
        await session.commit()
    cs = world["cs"].id
    back = await staffing(sessions, world, settings, texts, "back", employee_id=world["maria"].id)
    await act(sessions, cs, back.id, RequestAct.TAKE, settings, texts)
    await act(sessions, cs, back.id, RequestAct.DONE, settings, texts)
    rows = await sent_to(sessions, back.id)
    changed = (
        f"👥 Состав группы «Группа Юг» изменён по запросу З-{back.id}: Мария Козлова — бэк-перевод."
    )
    # The requester: taken, then done with what changed; the other lead of «Группа Юг» the
    # change; the lead of another group and the manager herself nothing.
    assert [(r.chat_id, r.subject.rsplit(":", 1)[1]) for r in rows] == [
        (2001, "requester"),
        (2001, "requester"),
        (2002, "roster"),
    ]
    assert rows[1].payload["text"].endswith("\n" + changed)
    assert "выполнен" in rows[1].payload["text"]
    assert rows[2].payload["text"] == changed


async def test_the_reminders(
    sessions: async_sessionmaker[AsyncSession],
    world: dict[str, Employee],
    settings: Settings,
    texts: Texts,
) -> None:
    registry = reminders.ReminderRegistry()
    requests.register_reminders(registry, settings, texts)
    waiting = await file(
        sessions,
        world["maria"].id,
        RequestKind.FORWARDING,
        forwarding(world["maria"].id),
        settings,
        texts,
    )
    taken = await file(
        sessions,
        world["maria"].id,
        RequestKind.FORWARDING,
        forwarding(world["maria"].id),
        settings,
        texts,
    )
    await act(sessions, world["cs"].id, taken.id, RequestAct.TAKE, settings, texts)
    far = datetime.now(UTC) + timedelta(days=30)
    # The waiting one's SLA and the taken one's last day (its SLA was cancelled by «Взять»).
    assert await reminders.sweep(sessions, registry, now=far) == 2
    async with sessions() as session:
        rows = list(
            (
                await session.execute(
                    select(OutboxMessage).where(OutboxMessage.subject.like("%:reminder"))
                )
            ).scalars()
        )
    # Both in the group, each a reply to its request's post with the post's buttons; SLA only
    # for the one still new, the last day only for the one in work (naming its processor).
    assert {r.chat_id for r in rows} == {CS_CHAT_ID}
    by_subject = {r.subject: r for r in rows}
    assert set(by_subject) == {f"request:{waiting.id}:reminder", f"request:{taken.id}:reminder"}
    sla = by_subject[f"request:{waiting.id}:reminder"]
    assert sla.payload["text"] == texts(
        "request-remind-sla", id=waiting.id, kind="Переадресация", hours=24
    )
    last = by_subject[f"request:{taken.id}:reminder"]
    assert f"последний день переадресации по запросу З-{taken.id}:" in last.payload["text"]
    assert 'Исполнитель — <a href="tg://user?id=1001">' in last.payload["text"]
    async with sessions() as session:
        posts = {
            r.subject: r
            for r in (
                await session.execute(
                    select(OutboxMessage).where(
                        OutboxMessage.subject.like("%:group"), OutboxMessage.method == "sendMessage"
                    )
                )
            ).scalars()
        }

    def buttons(row: OutboxMessage) -> list[str]:
        return [b["text"] for line in row.payload["reply_markup"]["inline_keyboard"] for b in line]

    assert sla.target_id == posts[f"request:{waiting.id}:group"].id
    assert buttons(sla) == ["Взять", "Отклонить"]
    assert last.target_id == posts[f"request:{taken.id}:group"].id
    assert buttons(last) == ["Выполнено", "Отклонить"]


async def last_day_reminders(
    sessions: async_sessionmaker[AsyncSession], request_id: int
) -> list[Reminder]:
    async with sessions() as session:
        found = await session.execute(
            select(Reminder).where(
                Reminder.kind == requests.FORWARDING_END,
                Reminder.subject == f"request:{request_id}",
            )
        )
        return list(found.scalars())


async def test_the_last_day_reminder_is_set_when_the_forwarding_is_taken(
    sessions: async_sessionmaker[AsyncSession],
    world: dict[str, Employee],
    settings: Settings,
    texts: Texts,
) -> None:
    cs, maria = world["cs"].id, world["maria"].id
    local_today = datetime.now(settings.tz).date()
    later = await file(sessions, maria, RequestKind.FORWARDING, forwarding(maria), settings, texts)
    assert await last_day_reminders(sessions, later.id) == []
    before = datetime.now(UTC)
    await act(sessions, cs, later.id, RequestAct.TAKE, settings, texts)
    [reminder] = await last_day_reminders(sessions, later.id)
    last_day = date.fromisoformat(later.fields["date_to"])
    assert reminder.due_at.replace(tzinfo=UTC) == datetime.combine(
        last_day, time(requests.FORWARDING_END_HOUR), tzinfo=settings.tz
    )
    # «Выполнено» keeps it (the forwarding is set up: it is to be switched back)…
    await act(sessions, cs, later.id, RequestAct.DONE, settings, texts)
    [reminder] = await last_day_reminders(sessions, later.id)
    assert reminder.state == ReminderState.PENDING

    # …taken on the last day after its hour: due at once, not lost.
    today = forwarding(maria, date_from=local_today.isoformat(), date_to=local_today.isoformat())
    late = await file(sessions, maria, RequestKind.FORWARDING, today, settings, texts)
    await act(sessions, cs, late.id, RequestAct.TAKE, settings, texts)
    [reminder] = await last_day_reminders(sessions, late.id)
    due = reminder.due_at.replace(tzinfo=UTC)
    at_hour = datetime.combine(local_today, time(requests.FORWARDING_END_HOUR), tzinfo=settings.tz)
    assert due == at_hour or (at_hour < before <= due <= datetime.now(UTC))

    # A rejection cancels it.
    await act(sessions, cs, late.id, RequestAct.REJECT, settings, texts, "Не нужно")
    [reminder] = await last_day_reminders(sessions, late.id)
    assert reminder.state == ReminderState.CANCELLED


def test_an_id_out_of_the_database_range_is_no_button() -> None:
    assert RequestButton.unpack("rq:tk:9223372036854775807").request_id == 2**63 - 1
    for data in ("rq:tk:9223372036854775808", "rq:tk:99999999999999999999", "rq:dn:0"):
        with pytest.raises(ValidationError, match="request_id"):
            RequestButton.unpack(data)


async def test_my_shows_own_and_for_a_lead_his_groups(
    sessions: async_sessionmaker[AsyncSession],
    world: dict[str, Employee],
    settings: Settings,
    texts: Texts,
) -> None:
    badge = {"item": "cover", "quantity": "1", "place": "Шоурум", "recipient": "Иван Петров"}
    await file(sessions, world["ivan"].id, RequestKind.BADGE, badge, settings, texts)
    maria_request = await file(
        sessions, world["maria"].id, RequestKind.BADGE, badge, settings, texts
    )
    await file(sessions, world["stranger"].id, RequestKind.BADGE, badge, settings, texts)
    async with sessions() as session:
        maria = await employee(session, world["maria"].id)
        case = Case(
            tab=CaseTab.CASES,
            category=CaseCategory.COMMUNICATION,
            source=CaseSource.CALL,
            manager_id=maria.id,
            group_id=maria.groups[0].id,
            incident_date=date(2026, 11, 1),
            summary="x",
        )
        session.add(case)
        await session.flush()
        session.add(Appeal(case_id=case.id, filer_id=maria.id, reason="не согласна"))
        await session.commit()
    async with sessions() as session:
        page = await requests.my_page(
            session, await employee(session, world["maria"].id), 0, texts=texts
        )
        assert page.total == 2
        assert any("Апелляция" in e.line for e in page.entries)
        assert any(f"З-{maria_request.id}" in e.line for e in page.entries)
        lead_page = await requests.my_page(
            session, await employee(session, world["lead"].id), 0, texts=texts, size=2
        )
        assert lead_page.total == 3
        assert lead_page.pages == 2
        assert len(lead_page.entries) == 2
        assert all("Олег Чужой" not in e.line for e in lead_page.entries)
        last = await requests.my_page(
            session, await employee(session, world["lead"].id), 9, texts=texts, size=2
        )
        assert last.page == 1
        assert len(last.entries) == 1
