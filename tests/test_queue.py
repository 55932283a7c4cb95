"""The /queue service with the real migrated database: what waits for CS and for a lead, in
which order, with which due time; the scope (a lead his groups, a manager nothing, the group
CS's only); paging; a page of the longest items fits one message."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import keyboards
from bot.callbacks import QueueKind, QueueOpen, QueuePage, QueueScope
from bot.services import case_lookup, queue, requests, roster
from bot.services.errors import AlreadyDone, Forbidden, NotFound
from bot.settings import Settings
from bot.texts import Texts
from db.models import (
    AccessRequest,
    AccessRequestState,
    Appeal,
    AppealState,
    Case,
    CaseCategory,
    CaseSource,
    CaseState,
    CaseTab,
    Employee,
    RequestKind,
    RequestState,
    ServiceRequest,
)

ROSTER = """full_name,role,group,position,telegram_id,username
Ольга Смирнова,cs,,Специалист КС,1001,
Андрей Лидеров,lead,Группа Север;Группа Юг,Главный менеджер,2001,
Игорь Восточный,lead,Группа Восток,Главный менеджер,2002,
Иван Петров,manager,Группа Север,Менеджер по продажам,3001,
Мария Козлова,manager,Группа Юг,Менеджер по показам,3002,
Олег Чужой,manager,Группа Восток,Менеджер,3003,
"""
NOW = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)  # a Wednesday


@pytest.fixture
async def world(sessions: async_sessionmaker[AsyncSession]) -> dict[str, Employee]:
    async with sessions() as session:
        await roster.import_roster(session, ROSTER.encode(), "roster.csv")
        found = {e.telegram_id: e for e in (await session.execute(select(Employee))).scalars()}
    return {
        "cs": found[1001],
        "lead": found[2001],
        "east_lead": found[2002],
        "ivan": found[3001],
        "maria": found[3002],
        "oleg": found[3003],
    }


def hours(count: float) -> datetime:
    """`count` hours before NOW."""
    return NOW - timedelta(hours=count)


async def add_case(
    session: AsyncSession,
    manager: Employee,
    state: CaseState,
    *,
    created: datetime,
    category: CaseCategory = CaseCategory.COMMUNICATION,
    **fields: object,
) -> Case:
    case = Case(
        tab=CaseTab.CASES,
        category=category,
        source=CaseSource.MEETING,
        manager_id=manager.id,
        group_id=manager.groups[0].id,
        incident_date=created.date(),
        summary="Не представился клиенту",
        state=state,
        created_at=created,
        updated_at=created,
        **fields,
    )
    session.add(case)
    await session.flush()
    return case


async def add_request(
    session: AsyncSession,
    requester: Employee,
    state: RequestState,
    *,
    created: datetime,
    processor: Employee | None = None,
) -> ServiceRequest:
    request = ServiceRequest(
        kind=RequestKind.BADGE,
        requester_id=requester.id,
        group_id=requester.groups[0].id if requester.groups else None,
        fields={"item": "audio", "quantity": 1, "place": "Север", "recipient": "Иван"},
        state=state,
        processor_id=processor.id if processor else None,
        created_at=created,
        updated_at=created,
    )
    session.add(request)
    await session.flush()
    return request


async def add_appeal(
    session: AsyncSession, case: Case, filer: Employee, *, created: datetime, state=AppealState.NEW
) -> Appeal:
    appeal = Appeal(
        case_id=case.id, filer_id=filer.id, reason="Я представился, есть запись" * 2, state=state
    )
    appeal.created_at = created
    session.add(appeal)
    await session.flush()
    return appeal


async def add_access(
    session: AsyncSession, name: str, *, created: datetime, telegram_id: int = 5001
) -> AccessRequest:
    request = AccessRequest(
        telegram_id=telegram_id, telegram_name=name, username=None, created_at=created
    )
    session.add(request)
    await session.flush()
    return request


async def viewer(session: AsyncSession, employee: Employee) -> Employee:
    found = await session.get(Employee, employee.id)
    assert found is not None
    return found


async def test_cs_sees_everything_waiting_for_cs_oldest_first_with_due_times(
    sessions: async_sessionmaker[AsyncSession],
    world: dict[str, Employee],
    settings: Settings,
    texts: Texts,
) -> None:
    # Filed on Saturday 14.11 08:00 (Moscow), decided within one working day: due on
    # Tuesday 17.11 08:00, 28 h before NOW.
    settings = settings.model_copy(update={"appeal_decide_within": 1})
    async with sessions() as session:
        ivan, maria, oleg = world["ivan"], world["maria"], world["oleg"]
        appealed = await add_case(session, ivan, CaseState.ACCEPTED, created=hours(200))
        appeal = await add_appeal(session, appealed, ivan, created=hours(100))  # due: overdue
        decided = await add_appeal(
            session, appealed, ivan, created=hours(150), state=AppealState.REJECTED
        )
        new_request = await add_request(session, maria, RequestState.NEW, created=hours(2))
        in_work = await add_request(
            session, world["lead"], RequestState.IN_WORK, created=hours(50), processor=world["cs"]
        )
        await add_request(session, maria, RequestState.DONE, created=hours(300))
        # A re-check due in a day (inside RECHECK_NOTICE, 3 days): waits since 2 days ago.
        recheck = await add_case(
            session, oleg, CaseState.RECHECK, created=hours(900), recheck_due_at=NOW + timedelta(1)
        )
        # One due in 10 days is not CS's business yet.
        await add_case(
            session, oleg, CaseState.RECHECK, created=hours(901), recheck_due_at=NOW + timedelta(10)
        )
        analysed = await add_case(
            session, maria, CaseState.ANALYSED, created=hours(30), category=CaseCategory.PROCESS
        )
        access_request = await add_access(session, "Павел <b>", created=hours(10))
        await add_case(session, ivan, CaseState.NEW, created=hours(1))  # the lead's, not CS's
        await add_case(session, ivan, CaseState.CLOSED, created=hours(1))
        await session.commit()

        view = await queue.page(
            session, await viewer(session, world["cs"]), settings=settings, texts=texts, now=NOW
        )

    # Each waits since: the appeal 100 h, the request in work 50 h, the re-check 48 h (due
    # in 24 h, CS reminded 72 h before), the analysis 30 h, access 10 h, the new request 2 h.
    assert [(item.kind, item.item_id) for item in view.items] == [
        (QueueKind.APPEAL, appeal.id),
        (QueueKind.REQUEST, in_work.id),
        (QueueKind.CASE, recheck.id),
        (QueueKind.CASE, analysed.id),
        (QueueKind.ACCESS, access_request.id),
        (QueueKind.REQUEST, new_request.id),
    ]
    assert decided.id not in {i.item_id for i in view.items if i.kind == QueueKind.APPEAL}
    assert view.total == 6
    assert view.pages == 1
    due = {(item.kind, item.item_id): item.due for item in view.items}
    assert due[QueueKind.APPEAL, appeal.id] == NOW - timedelta(hours=28)
    assert due[QueueKind.CASE, recheck.id] == NOW + timedelta(1)
    assert due[QueueKind.REQUEST, new_request.id] == requests.sla_due(hours(2), settings)
    assert due[QueueKind.CASE, analysed.id] is None
    assert due[QueueKind.ACCESS, access_request.id] is None
    # The appeal (due 28 h ago) and the request in work (filed 50 h ago) are overdue.
    assert view.overdue == 2

    text = queue.render(view, texts)
    assert "Очередь клиентского сервиса" in text
    assert f"Апелляция #{appeal.id} по кейсу #{appealed.id} — Иван Петров" in text
    assert f"Повторная проверка по кейсу #{recheck.id} — Олег Чужой" in text
    assert f"Разбор по кейсу #{analysed.id} — Мария Козлова" in text
    assert "Павел &lt;b&gt;" in text  # user text escaped
    assert "в работе, исполнитель — Ольга Смирнова" in text
    # Due times in TIMEZONE as dd.mm.yyyy HH:MM; the overdue ones marked.
    appeal_due = (NOW - timedelta(hours=28)).astimezone(texts.tz)
    assert f"⚠️ срок {appeal_due:%d.%m.%Y %H:%M} — просрочено" in text
    assert f"⏱ срок {(NOW + timedelta(1)).astimezone(texts.tz):%d.%m.%Y %H:%M}" in text
    assert "Просрочено: 2" in text
    numbers = [int(found) for found in re.findall(r"^(\d+)\. ", text, re.M)]
    assert numbers == [1, 2, 3, 4, 5, 6]


async def test_the_order_is_by_when_each_began_waiting(
    sessions: async_sessionmaker[AsyncSession],
    world: dict[str, Employee],
    settings: Settings,
    texts: Texts,
) -> None:
    async with sessions() as session:
        newest = await add_access(session, "Новый", created=hours(1), telegram_id=1)
        oldest = await add_access(session, "Старый", created=hours(90), telegram_id=2)
        case = await add_case(session, world["ivan"], CaseState.ACCEPTED, created=hours(99))
        middle = await add_appeal(session, case, world["ivan"], created=hours(40))
        await session.commit()
        view = await queue.page(
            session, await viewer(session, world["cs"]), settings=settings, texts=texts, now=NOW
        )
    assert [item.item_id for item in view.items] == [oldest.id, middle.id, newest.id]
    assert [item.since for item in view.items] == sorted(item.since for item in view.items)


async def test_a_lead_sees_only_what_waits_for_him_in_his_groups(
    sessions: async_sessionmaker[AsyncSession],
    world: dict[str, Employee],
    settings: Settings,
    texts: Texts,
) -> None:
    ivan, maria, oleg = world["ivan"], world["maria"], world["oleg"]
    today = NOW.astimezone(settings.tz).date()
    async with sessions() as session:
        new = await add_case(session, ivan, CaseState.NEW, created=hours(30))
        briefing = await add_case(
            session, maria, CaseState.ACCEPTED, created=hours(60), accepted_at=hours(50)
        )
        analysis = await add_case(
            session,
            maria,
            CaseState.ACCEPTED,
            created=hours(70),
            category=CaseCategory.PROCESS,
            accepted_at=hours(20),
        )
        returned = await add_case(
            session,
            ivan,
            CaseState.ACCEPTED,
            created=hours(80),
            category=CaseCategory.PROCESS,
            accepted_at=hours(75),
            last_comment="Мало мер <b>",
        )
        held = await add_case(
            session, ivan, CaseState.BRIEFING_SET, created=hours(200), briefing_at=hours(1)
        )
        # Set before briefings had a time: a date only.
        legacy = await add_case(
            session, ivan, CaseState.BRIEFING_SET, created=hours(200), briefing_date=today
        )
        # Briefings still ahead, a re-check, an analysis at CS, a closed case: not his now.
        await add_case(
            session,
            ivan,
            CaseState.BRIEFING_SET,
            created=hours(200),
            briefing_at=NOW + timedelta(days=1),
        )
        await add_case(
            session,
            ivan,
            CaseState.BRIEFING_SET,
            created=hours(200),
            briefing_date=today + timedelta(days=2),
        )
        await add_case(session, ivan, CaseState.RECHECK, created=hours(5), recheck_due_at=NOW)
        await add_case(
            session, ivan, CaseState.ANALYSED, created=hours(5), category=CaseCategory.PROCESS
        )
        await add_case(session, ivan, CaseState.CLOSED, created=hours(5))
        # Another group's case, and CS's things.
        await add_case(session, oleg, CaseState.NEW, created=hours(300))
        await add_appeal(session, new, ivan, created=hours(1))
        await add_access(session, "Кто-то", created=hours(1))
        own = await add_request(session, world["lead"], RequestState.NEW, created=hours(3))
        await add_request(session, maria, RequestState.NEW, created=hours(3))
        await add_request(session, world["lead"], RequestState.DONE, created=hours(3))
        await session.commit()
        lead = await viewer(session, world["lead"])
        view = await queue.page(session, lead, settings=settings, texts=texts, now=NOW)
        east = await queue.page(
            session, await viewer(session, world["east_lead"]), settings=settings, texts=texts
        )

    assert view.scope == QueueScope.LEAD
    # Each waits since: returned 80 h ago (its last change), the briefing to set since it was
    # accepted 50 h ago, the new case 30 h (due ACK_SLA, 24 h, after: overdue), the analysis
    # to fill 20 h, the dated briefing's day began at 00:00 Moscow 12 h ago, his request 3 h,
    # the briefing held an hour ago.
    expected = [returned.id, briefing.id, new.id, analysis.id, legacy.id]
    assert [(item.kind, item.item_id) for item in view.items] == [
        *((QueueKind.CASE, case_id) for case_id in expected),
        (QueueKind.REQUEST, own.id),
        (QueueKind.CASE, held.id),
    ]
    text = queue.render(view, texts)
    assert "Ваша очередь" in text
    assert f"Кейс #{new.id} — Иван Петров: нажмите «Беру в работу»" in text
    assert f"Кейс #{briefing.id} — Мария Козлова: назначьте брифинг" in text
    assert f"Кейс #{analysis.id} — Мария Козлова: заполните разбор" in text
    assert "разбор возвращён («Мало мер &lt;b&gt;»)" in text
    assert f"#{legacy.id} — Иван Петров: брифинг {today:%d.%m.%Y}, отметьте, что" in text
    held_at = hours(1).astimezone(texts.tz)
    assert f"#{held.id} — Иван Петров: брифинг {held_at:%d.%m.%Y %H:%M}, отметьте" in text
    assert f"Ваш запрос З-{own.id}" in text
    assert view.overdue == 1
    # His own request is shown for information: no button (CS acts on it).
    assert [(kind, item_id) for _, kind, item_id, _ in queue.buttons(view)] == [
        (QueueKind.CASE, case_id) for case_id in [*expected, held.id]
    ]
    # The other lead sees his group's case only.
    assert [item.item_id for item in east.items] != []
    assert all(item.kind == QueueKind.CASE for item in east.items)
    assert new.id not in {item.item_id for item in east.items}


async def test_a_manager_has_no_queue_and_the_group_queue_is_cs_only(
    sessions: async_sessionmaker[AsyncSession],
    world: dict[str, Employee],
    settings: Settings,
    texts: Texts,
) -> None:
    async with sessions() as session:
        manager = await viewer(session, world["ivan"])
        lead = await viewer(session, world["lead"])
        cs = await viewer(session, world["cs"])
        with pytest.raises(Forbidden, match="queue-error-manager"):
            await queue.page(session, manager, settings=settings, texts=texts)
        with pytest.raises(Forbidden, match="queue-error-manager"):
            await queue.open_item(session, manager, QueueKind.CASE, 1)
        with pytest.raises(Forbidden):
            await queue.page(session, None, settings=settings, texts=texts)
        # In the CS group the queue is CS's: a lead is refused, CS is served.
        with pytest.raises(Forbidden, match="queue-error-group-cs"):
            await queue.page(session, lead, settings=settings, texts=texts, in_group=True)
        with pytest.raises(Forbidden, match="queue-error-group-cs"):
            await queue.open_item(session, lead, QueueKind.CASE, 1, in_group=True)
        assert (
            await queue.page(session, cs, settings=settings, texts=texts, in_group=True)
        ).scope == QueueScope.CS
        # A paging button of somebody else's list (or one from before a role change).
        with pytest.raises(Forbidden, match="queue-error-stale"):
            await queue.page(session, lead, settings=settings, texts=texts, expected=QueueScope.CS)
        # A dismissed CS member has no queue.
        cs.active = False
        with pytest.raises(Forbidden):
            await queue.page(session, cs, settings=settings, texts=texts)


async def test_opening_an_item_checks_id_role_scope_and_state(
    sessions: async_sessionmaker[AsyncSession],
    world: dict[str, Employee],
    settings: Settings,
    texts: Texts,
) -> None:
    async with sessions() as session:
        mine = await add_case(session, world["ivan"], CaseState.NEW, created=hours(3))
        foreign = await add_case(session, world["oleg"], CaseState.NEW, created=hours(3))
        appeal = await add_appeal(session, mine, world["ivan"], created=hours(2))
        decided = await add_appeal(
            session, mine, world["ivan"], created=hours(2), state=AppealState.PARTIAL
        )
        request = await add_request(session, world["maria"], RequestState.IN_WORK, created=NOW)
        done = await add_request(session, world["maria"], RequestState.REJECTED, created=NOW)
        pending = await add_access(session, "Павел", created=NOW)
        approved = await add_access(session, "Пётр", created=NOW, telegram_id=6001)
        approved.state = AccessRequestState.APPROVED
        await session.commit()
        cs = await viewer(session, world["cs"])
        lead = await viewer(session, world["lead"])

        card = await queue.open_item(session, cs, QueueKind.CASE, mine.id, in_group=True)
        assert isinstance(card, case_lookup.CaseCard)
        assert card.case.id == mine.id
        assert (await queue.open_item(session, cs, QueueKind.APPEAL, appeal.id)) == appeal
        assert (await queue.open_item(session, cs, QueueKind.REQUEST, request.id)) == request
        assert (await queue.open_item(session, cs, QueueKind.ACCESS, pending.id)) == pending
        lead_card = await queue.open_item(session, lead, QueueKind.CASE, mine.id)
        assert isinstance(lead_card, case_lookup.CaseCard)

        for kind, item_id in (
            (QueueKind.APPEAL, decided.id),
            (QueueKind.REQUEST, done.id),
            (QueueKind.ACCESS, approved.id),
        ):
            with pytest.raises(AlreadyDone, match="queue-error-done"):
                await queue.open_item(session, cs, kind, item_id)
        for kind in QueueKind:
            for bad in (0, -1, 2**63, 10**20):
                with pytest.raises(NotFound, match="queue-error-missing"):
                    await queue.open_item(session, cs, kind, bad)
            with pytest.raises(NotFound, match="queue-error-missing"):
                await queue.open_item(session, cs, kind, 10**9)
        # A lead: his groups' cases only (another group's reads as missing), nothing of CS's.
        with pytest.raises(NotFound, match="queue-error-missing"):
            await queue.open_item(session, lead, QueueKind.CASE, foreign.id)
        for kind, item_id in (
            (QueueKind.APPEAL, appeal.id),
            (QueueKind.REQUEST, request.id),
            (QueueKind.ACCESS, pending.id),
        ):
            with pytest.raises(Forbidden, match="queue-error-cs-only"):
                await queue.open_item(session, lead, kind, item_id)


async def test_paging_clamps_and_every_page_fits_one_message(
    sessions: async_sessionmaker[AsyncSession],
    world: dict[str, Employee],
    settings: Settings,
    texts: Texts,
) -> None:
    long_name = ("Константин <b>&</b> Длиннофамильный-" * 10)[:200]
    async with sessions() as session:
        manager = await viewer(session, world["maria"])
        manager.full_name = long_name
        cs = await viewer(session, world["cs"])
        cs.full_name = long_name
        for index in range(12):
            case = await add_case(session, manager, CaseState.ACCEPTED, created=hours(500 + index))
            await add_appeal(session, case, manager, created=hours(200 + index))
            await add_request(
                session, manager, RequestState.IN_WORK, created=hours(100 + index), processor=cs
            )
            await add_access(
                session, long_name + "x" * 100, created=hours(50 + index), telegram_id=7000 + index
            )
            await add_case(
                session,
                manager,
                CaseState.ANALYSED,
                created=hours(20 + index),
                category=CaseCategory.PROCESS,
                last_comment="y" * 600,
            )
        await session.commit()
        total = 12 * 4
        pages = -(-total // queue.PAGE_SIZE)
        seen: list[tuple[str, int]] = []
        for number in range(pages):
            view = await queue.page(
                session, cs, number, settings=settings, texts=texts, expected=QueueScope.CS
            )
            assert view.page == number
            assert view.pages == pages
            assert view.total == total
            assert len(view.items) == queue.PAGE_SIZE
            text = queue.render(view, texts)
            assert len(text) <= 4096
            assert text.count("<b>") == 1  # the title's: user text is escaped
            assert "&lt;b&gt;&amp;&lt;/b&gt;" in text
            assert f"Страница {number + 1} из {pages}" in text
            markup = keyboards.queue_page(
                view.scope, view.page, view.pages, queue.buttons(view), texts
            )
            labels = [button.text for row in markup.inline_keyboard for button in row]
            assert all(len(label) <= 64 for label in labels)
            # Labels are plain text: the name as typed, never escaped.
            assert all("<b>&</b>" in label for label in labels[: queue.PAGE_SIZE])
            assert "&amp;" not in "".join(labels)
            for row in markup.inline_keyboard:
                for button in row:
                    assert button.callback_data is not None
                    assert len(button.callback_data.encode()) <= 64
            seen += [(item.kind, item.item_id) for item in view.items]
        assert len(set(seen)) == total
        # Past the end: the last page; before the start: the first.
        assert (
            await queue.page(session, cs, 10**30, settings=settings, texts=texts)
        ).page == pages - 1
        assert (await queue.page(session, cs, -5, settings=settings, texts=texts)).page == 0


def test_callback_data_fits_64_bytes_at_the_largest_id() -> None:
    for kind in QueueKind:
        assert len(QueueOpen(kind=kind, item_id=2**63 - 1).pack().encode()) <= 64
    assert len(QueuePage(scope=QueueScope.LEAD, page=10**6).pack().encode()) <= 64


async def test_an_empty_queue_says_so(
    sessions: async_sessionmaker[AsyncSession],
    world: dict[str, Employee],
    settings: Settings,
    texts: Texts,
) -> None:
    async with sessions() as session:
        cs_view = await queue.page(
            session, await viewer(session, world["cs"]), settings=settings, texts=texts
        )
        lead_view = await queue.page(
            session, await viewer(session, world["lead"]), settings=settings, texts=texts
        )
    assert cs_view.total == 0
    assert cs_view.pages == 1
    assert "Ничего не ждёт" in queue.render(cs_view, texts)
    assert "ничего не ждёт вас" in queue.render(lead_view, texts)
    assert queue.buttons(lead_view) == []


def test_the_date_helpers_read_moscow(texts: Texts) -> None:
    assert texts("queue-due", due=datetime(2026, 12, 3, 8, 0, tzinfo=UTC)) == (
        "⏱ срок 03.12.2026 11:00"
    )
    assert texts("queue-since", since=date(2026, 12, 3)) == "⏱ ждёт с 03.12.2026"
