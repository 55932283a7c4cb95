"""Two writers at once leave what one after the other would, on SQLite and on PostgreSQL.

SQLite serialises write transactions (BEGIN IMMEDIATE); on PostgreSQL each use case locks
what it decides on (the row FOR UPDATE, a claim FOR UPDATE SKIP LOCKED, or a named lock for
rows still to come). Each test starts two use cases together with asyncio.gather, so their
reads and writes interleave wherever they wait on the database.
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services import access, cases, digest, links, mail, roster
from bot.services.errors import AlreadyDone, NotFound
from bot.settings import Settings
from bot.texts import Texts
from db.engine import write_transaction
from db.models import (
    AccessRequest,
    AccessRequestState,
    Case,
    CaseCategory,
    CaseSource,
    CaseTab,
    DigestPost,
    Employee,
    LinkItem,
    MailMessage,
    MailState,
    MonthlyResult,
    WorkingGroup,
)
from tests.conftest import make_settings, person

CS, CS2, LEAD, MANAGER = 1001, 1002, 2001, 3002
ROSTER = """full_name,role,group,position,telegram_id,username
Ольга Смирнова,cs,,Специалист КС,1001,
Павел Сервисов,cs,,Специалист КС,1002,
Андрей Лидеров,lead,Группа Юг,Главный менеджер,2001,
Мария Козлова,manager,Группа Юг,Менеджер по показам,3002,
Новая Сотрудница,manager,Группа Юг,Менеджер по продажам,,
Второй Новичок,manager,Группа Юг,Менеджер по продажам,,
"""
APPLICANT = access.Applicant(telegram_id=5005, name="Новая Сотрудница", username=None)


@pytest.fixture
async def world(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        await roster.import_roster(session, ROSTER.encode(), "roster.csv")


async def both(*calls: Any) -> tuple[list[Any], list[BaseException]]:
    """Run the calls together; what they returned, and what they raised."""
    results = await asyncio.gather(*calls, return_exceptions=True)
    done = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, BaseException)]
    return done, refused


def slowed(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> None:
    """Make `owner.name` (a coroutine function) wait a moment first: a use case that calls it
    between deciding and writing leaves the other use case time to decide too, unless it
    holds a lock."""
    original = getattr(owner, name)

    async def slow(*args: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(0.05)
        return await original(*args, **kwargs)

    monkeypatch.setattr(owner, name, slow)


async def count(sessions: async_sessionmaker[AsyncSession], query: Any) -> int:
    async with sessions() as session:
        return int(await session.scalar(query) or 0)


async def entry(sessions: async_sessionmaker[AsyncSession], name: str) -> Employee:
    async with sessions() as session:
        found = await session.scalar(select(Employee).where(Employee.full_name == name))
        assert found is not None
        return found


async def test_one_access_request_approved_at_once_to_two_entries_binds_one(
    world: None,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    texts: Texts,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with sessions() as session:
        request = await access.request_access(session, APPLICANT, settings=settings, texts=texts)
    first, second = (
        await entry(sessions, "Новая Сотрудница"),
        await entry(sessions, "Второй Новичок"),
    )

    async def approve(cs: int, employee_id: int) -> AccessRequest:
        async with sessions() as session:
            actor = await person(session, cs)
            return await access.approve(
                session, request_id=request.id, employee_id=employee_id, actor=actor, texts=texts
            )

    slowed(monkeypatch, access.employees_db, "by_telegram_id")  # after the decision is read
    done, refused = await both(approve(CS, first.id), approve(CS2, second.id))
    assert len(done) == 1
    assert [type(error) for error in refused] == [AlreadyDone]
    bound = Employee.telegram_id == APPLICANT.telegram_id
    assert await count(sessions, select(func.count()).select_from(Employee).where(bound)) == 1


async def test_two_applicants_approved_at_once_to_one_entry_bind_it_once(
    world: None,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    texts: Texts,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    other = access.Applicant(telegram_id=5006, name="Тоже Новая", username=None)
    async with sessions() as session:
        requests = [
            await access.request_access(session, applicant, settings=settings, texts=texts)
            for applicant in (APPLICANT, other)
        ]
    target = await entry(sessions, "Новая Сотрудница")

    async def approve(cs: int, request_id: int) -> AccessRequest:
        async with sessions() as session:
            actor = await person(session, cs)
            return await access.approve(
                session, request_id=request_id, employee_id=target.id, actor=actor, texts=texts
            )

    slowed(monkeypatch, access.employees_db, "by_telegram_id")  # after the decision is read
    done, refused = await both(approve(CS, requests[0].id), approve(CS2, requests[1].id))
    assert len(done) == 1
    assert [type(error) for error in refused] == [AlreadyDone]
    pending = AccessRequest.state == AccessRequestState.PENDING
    assert await count(sessions, select(func.count()).select_from(AccessRequest).where(pending))
    assert (await entry(sessions, "Новая Сотрудница")).telegram_id == done[0].telegram_id


async def test_two_starts_at_once_make_one_access_request(
    world: None, sessions: async_sessionmaker[AsyncSession], settings: Settings, texts: Texts
) -> None:
    async def ask() -> AccessRequest:
        async with sessions() as session:
            return await access.request_access(session, APPLICANT, settings=settings, texts=texts)

    done, refused = await both(ask(), ask())
    assert len(done) == 1
    assert [type(error) for error in refused] == [AlreadyDone]
    assert await count(sessions, select(func.count()).select_from(AccessRequest)) == 1


async def test_one_link_removed_twice_at_once_is_removed_once(
    world: None, sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    async with sessions() as session:
        link = await links.add(
            session, await person(session, CS), links.LinkDraft("Стандарты", "https://a.example")
        )

    async def remove(cs: int) -> str:
        async with sessions() as session:
            return await links.remove(session, await person(session, cs), link.id)

    slowed(monkeypatch, AsyncSession, "delete")  # after the link is read
    done, refused = await both(remove(CS), remove(CS2))
    assert done == ["Стандарты"]
    assert [type(error) for error in refused] == [NotFound]


async def test_two_links_added_at_once_take_two_places(
    world: None, sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def add(cs: int, title: str) -> LinkItem:
        async with sessions() as session:
            draft = links.LinkDraft(title, f"https://{cs}.example")
            return await links.add(session, await person(session, cs), draft)

    slowed(monkeypatch, links.links_db, "next_position")  # the last place asked at once
    done, refused = await both(add(CS, "Первая"), add(CS2, "Вторая"))
    assert refused == []
    assert len({link.position for link in done}) == 2


async def test_two_cases_of_one_error_registered_at_once_make_one_a_repeat(
    world: None, sessions: async_sessionmaker[AsyncSession], settings: Settings, texts: Texts
) -> None:
    async def register(cs: int) -> Case:
        async with sessions() as session:
            return await cases.register(
                session,
                await person(session, cs),
                cases.CaseDraft(
                    manager_id=(await person(session, MANAGER)).id,
                    tab=CaseTab.CASES,
                    category=CaseCategory.COMMUNICATION,
                    source=CaseSource.CALL,
                    incident_date=cases.local_today(settings) - timedelta(days=1),
                    summary="Не представилась клиенту",
                ),
                settings=settings,
                texts=texts,
                bot_username="cs_test_bot",
            )

    done, refused = await both(register(CS), register(CS2))
    assert refused == []
    first, second = sorted(done, key=lambda case: case.id)
    assert (first.repeated, second.repeated) == (False, True)


async def test_one_digest_published_twice_at_once_is_posted_once(
    world: None,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    texts: Texts,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    month = date(2026, 10, 1)
    async with sessions() as session, write_transaction(session):
        group = await session.scalar(select(WorkingGroup))
        assert group is not None
        session.add(MonthlyResult(month=month, group_id=group.id, score=81.5, evaluations=12))

    async def publish(cs: int) -> digest.Published:
        async with sessions() as session:
            return await digest.publish(
                session, await person(session, cs), month, settings=settings, texts=texts
            )

    slowed(monkeypatch, digest.digest_db, "post_of")  # «posted before?» asked at once
    done, refused = await both(publish(CS), publish(CS2))
    assert len(done) == 1
    assert [type(error) for error in refused] == [AlreadyDone]
    assert await count(sessions, select(func.count()).select_from(DigestPost)) == 1


async def test_two_mail_senders_at_once_send_each_mail_once(
    world: None,
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = make_settings(database_url, smtp_host="127.0.0.1", cs_email="cs@example.com")
    async with sessions() as session, write_transaction(session):
        for number in range(1, 6):
            await mail.queue_mail(session, settings=settings, subject=f"З-{number}", body="…")
    delivered: list[str] = []

    async def deliver(message: EmailMessage, _settings: Settings) -> None:
        await asyncio.sleep(0.01)  # an SMTP conversation: the other sender runs meanwhile
        delivered.append(str(message["Subject"]))

    monkeypatch.setattr(mail, "deliver", deliver)
    done, refused = await both(
        mail.send_pending_mail(sessions, settings), mail.send_pending_mail(sessions, settings)
    )
    assert refused == []
    assert sum(done) == 5
    assert sorted(delivered) == [f"З-{number}" for number in range(1, 6)]
    sent = MailMessage.state == MailState.SENT
    assert await count(sessions, select(func.count()).select_from(MailMessage).where(sent)) == 5
