"""E-mail copies to the CS mailbox (DESIGN §5): a mail outbox in the database, a sender job.

`queue_mail` writes the row in the caller's transaction, so a mail exists exactly when its
cause was committed. `send_pending_mail` (a scheduler job) sends due rows with aiosmtplib,
marks each sent, or postpones it by MAIL_RETRY_INTERVAL on any failure: the SMTP server being
down never blocks or breaks the Telegram side, and the mail goes out once it is back.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.settings import Settings
from db import mail as mail_db
from db.engine import write_transaction
from db.models import MailMessage

log = logging.getLogger(__name__)
# A dead server must not hold the job for a minute (aiosmtplib's default).
SMTP_TIMEOUT = 15.0
# How long a claimed mail is left to its sender before another may send it (a sender that
# died mid-send): well over one send's worst case.
MAIL_LEASE = timedelta(seconds=4 * SMTP_TIMEOUT)


async def queue_mail(session: AsyncSession, *, settings: Settings, subject: str, body: str) -> None:
    """Queue a plain-text mail to CS_EMAIL in the caller's transaction (only with SMTP_HOST)."""
    if not settings.smtp_host:
        return
    session.add(MailMessage(recipient=settings.cs_email, subject=subject[:500], body=body))


def build_message(row: MailMessage, settings: Settings) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.smtp_sender
    message["To"] = row.recipient
    message["Subject"] = row.subject
    message.set_content(row.body)
    return message


async def deliver(message: EmailMessage, settings: Settings) -> None:
    # Imported here: a bot without SMTP_HOST never sends mail and need not hold the library.
    import aiosmtplib

    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    await aiosmtplib.send(
        message,
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_user or None,
        password=password,
        start_tls=settings.smtp_starttls,
        timeout=SMTP_TIMEOUT,
    )


async def send_pending_mail(
    session_factory: async_sessionmaker[AsyncSession], settings: Settings
) -> int:
    """Send every due mail; returns how many went out. Never raises."""
    if not settings.smtp_host:
        return 0
    try:
        async with session_factory() as session:
            rows = list(await mail_db.due(session, datetime.now(UTC)))
    except Exception:
        log.exception("mail: the queue could not be read")
        return 0
    sent = 0
    for due in rows:
        try:
            async with session_factory() as session, write_transaction(session):
                row = await mail_db.claim(session, due.id, now=datetime.now(UTC), lease=MAIL_LEASE)
        except Exception:
            log.exception("mail %s: could not be claimed", due.id)
            continue
        if row is None:  # another sender has it, or has sent it
            continue
        try:
            await deliver(build_message(row, settings), settings)
        except Exception as error:  # any failure: try again later, never into the bot
            until = datetime.now(UTC) + settings.mail_retry_interval
            log.warning("mail %s not sent (%s), retry at %s", row.id, error, until.isoformat())
            try:
                async with session_factory() as session, write_transaction(session):
                    await mail_db.postpone(session, row.id, until=until, error=repr(error))
            except Exception:
                log.exception("mail %s: the retry could not be recorded", row.id)
            continue
        try:
            async with session_factory() as session, write_transaction(session):
                await mail_db.mark_sent(session, row.id, at=datetime.now(UTC))
        except Exception:  # sent but not recorded: it will be sent again (at least once)
            log.exception("mail %s: sent, but not marked", row.id)
            continue
        sent += 1
    if sent:
        log.info("mail: %s sent", sent)
    return sent
