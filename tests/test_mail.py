"""The mail outbox against a real SMTP server on loopback (aiosmtpd): queued with its cause,
sent by the job, retried after MAIL_RETRY_INTERVAL while the server is down."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services import mail
from db.engine import write_transaction
from db.models import MailMessage, MailState
from tests.conftest import make_settings
from tests.fixtures.mail import Inbox, free_port


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def smtp(port: int) -> Iterator[tuple[Controller, Inbox]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    yield controller, inbox
    with contextlib.suppress(AssertionError):  # never started
        controller.stop()


async def test_nothing_is_queued_without_smtp(
    sessions: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    settings = make_settings(database_url)
    async with sessions() as session, write_transaction(session):
        await mail.queue_mail(session, settings=settings, subject="s", body="b")
    async with sessions() as session:
        assert (await session.execute(select(MailMessage))).first() is None
    assert await mail.send_pending_mail(sessions, settings) == 0


async def test_a_mail_waits_for_the_server_and_is_sent_once(
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    port: int,
    smtp: tuple[Controller, Inbox],
) -> None:
    controller, inbox = smtp
    settings = make_settings(
        database_url,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_starttls=False,
        mail_retry_interval=60,
        cs_email="cs@example.com",
    )
    async with sessions() as session, write_transaction(session):
        await mail.queue_mail(
            session, settings=settings, subject="Запрос З-1: Бейдж", body="Количество: 3"
        )
    # The server is down: no exception, the mail is postponed.
    assert await mail.send_pending_mail(sessions, settings) == 0
    async with sessions() as session:
        [row] = (await session.execute(select(MailMessage))).scalars().all()
        assert row.state == MailState.PENDING
        assert row.attempts == 1
        assert row.last_error
        assert row.not_before > datetime.now(UTC) + timedelta(seconds=30)
    controller.start()
    assert await mail.send_pending_mail(sessions, settings) == 0  # not due yet
    async with sessions() as session, write_transaction(session):
        await session.execute(update(MailMessage).values(not_before=datetime.now(UTC)))
    assert await mail.send_pending_mail(sessions, settings) == 1
    assert await mail.send_pending_mail(sessions, settings) == 0
    [message] = inbox.messages
    assert message["To"] == "cs@example.com"
    assert message["Subject"] == "Запрос З-1: Бейдж"
    assert "Количество: 3" in message.get_content()
    async with sessions() as session:
        [row] = (await session.execute(select(MailMessage))).scalars().all()
        assert row.state == MailState.SENT
        assert row.sent_at is not None
        assert row.attempts == 2
