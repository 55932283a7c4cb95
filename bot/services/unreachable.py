"""People the bot cannot reach (DESIGN §12: nobody is left out in silence).

Telegram refuses a private message (403) to a person who never pressed «Старт» in the bot,
and to one who blocked it. How such a person is handled:

- **Kept, not lost.** The outbox sender (`bot/outbox.py`) marks the refused message
  UNDELIVERED and records his chat as blocked; every later message for him, and every edit
  of one, is kept the same way without asking Telegram again. Nothing kept is ever sent
  while the record exists.
- **CS is told once.** In the transaction that keeps a message, `report` writes one message
  to the CS group (through the outbox): who he is (name, role, groups from the roster) and
  what he is missing, with the hint to ask him to press «Старт». Further kept messages edit
  that one message (an edit notifies nobody), so CS hears of him once per unreachable spell.
- **His /start brings it all.** `release` (called by /start, after the greeting) deletes
  the record and puts the kept messages back into the queue under their own ids, so they go
  oldest first, before anything newer, with their buttons, each showing what it shows now
  (edits made meanwhile are applied to it). The last `RESEND_LIMIT` go out; older ones are
  left out and he is told how many. The CS message is edited to say the messages went out.
  If he becomes unreachable again later, CS is told again.
"""

from __future__ import annotations

import html
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import notify
from bot.settings import Settings
from bot.texts import Html, Texts, quote
from db import employees as employees_db
from db import outbox as outbox_db
from db.engine import lock_name
from db.models import BlockedChat, OutboxMessage

# How many kept messages his /start sends at most (the newest ones).
RESEND_LIMIT = 20
# How many of the missed things the CS message names before «и ещё N».
NOTICE_ITEMS = 6
# A missed message with no known kind is named by its first line, cut to this length.
WHAT_LENGTH = 60

_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Waiting:
    """What his /start will send: `count` messages, and `more` older ones it leaves out."""

    count: int
    more: int


def reporter(
    settings: Settings, texts: Texts
) -> Callable[[AsyncSession, BlockedChat], Awaitable[None]]:
    """The outbox sender's `on_unreachable` hook."""

    async def hook(session: AsyncSession, blocked: BlockedChat) -> None:
        await report(session, blocked, settings=settings, texts=texts)

    return hook


async def report(
    session: AsyncSession, blocked: BlockedChat, *, settings: Settings, texts: Texts
) -> None:
    """Tell CS who cannot be reached and what he is missing: a new message the first time
    in an unreachable spell, an edit of that message after."""
    if settings.cs_chat_id is None:
        return
    # The leader's sender reports while any replica may be releasing him (his /start).
    await lock_name(session, "unreachable", blocked.chat_id)
    text = texts(
        "unreachable-post",
        who=Html(await _who(session, blocked.chat_id, texts)),
        missing=Html(_missing(await outbox_db.kept_sends(session, blocked.chat_id), texts)),
    )
    notice = (
        None if blocked.notice_id is None else await outbox_db.by_id(session, blocked.notice_id)
    )
    if notice is None:
        notice = notify.send_message(
            session,
            settings.cs_chat_id,
            text,
            thread_id=settings.cs_access_thread_id or None,
            subject=f"unreachable:{blocked.chat_id}",
        )
        await session.flush()
        blocked.notice_id = notice.id
    elif await outbox_db.latest_text(session, notice) != text:
        notify.edit_message(session, notice, text)


async def waiting(session: AsyncSession, telegram_id: int) -> Waiting:
    """What `release` would send him now (his /start says so before it is sent)."""
    count = await outbox_db.count_kept_messages(session, telegram_id)
    return Waiting(count=min(count, RESEND_LIMIT), more=max(0, count - RESEND_LIMIT))


async def release(
    session: AsyncSession, telegram_id: int, *, texts: Texts, now: datetime | None = None
) -> Waiting:
    """He wrote to the bot, so he can be reached: queue what was kept for him, and let CS's
    message about him say so. Call in a write transaction."""
    await lock_name(session, "unreachable", telegram_id)
    blocked = await outbox_db.unblock_chat(session, telegram_id)
    sent, more = await outbox_db.release_kept(session, telegram_id, limit=RESEND_LIMIT)
    notice = None
    if blocked is not None and blocked.notice_id is not None:
        notice = await outbox_db.by_id(session, blocked.notice_id)
    if notice is not None:
        notify.edit_message(
            session,
            notice,
            texts(
                "unreachable-post-resolved",
                who=Html(await _who(session, telegram_id, texts)),
                date=now or datetime.now(UTC),
                count=sent,
            ),
        )
    return Waiting(count=sent, more=more)


async def _who(session: AsyncSession, telegram_id: int, texts: Texts) -> str:
    employee = await employees_db.by_telegram_id(session, telegram_id)
    if employee is None:
        return texts("unreachable-who-stranger", id=str(telegram_id))
    role = texts(f"role-{employee.role}")
    who = (
        texts(
            "unreachable-who-groups",
            name=employee.full_name,
            role=role,
            groups=employee.group_names,
        )
        if employee.groups
        else texts("unreachable-who", name=employee.full_name, role=role)
    )
    if employee.username:
        who += texts("unreachable-username", username=employee.username)
    return who


def _missing(rows: Sequence[OutboxMessage], texts: Texts) -> str:
    """The kinds of the missed messages, each once, in the order they came."""
    items: list[str] = []
    for row in rows:
        item = what(row, texts)
        if item not in items:
            items.append(item)
    shown = items[:NOTICE_ITEMS]
    if len(items) > NOTICE_ITEMS:
        shown.append(texts("unreachable-more", count=len(items) - NOTICE_ITEMS))
    return ", ".join(shown)


def what(row: OutboxMessage, texts: Texts) -> str:
    """A short name of what a message is («кейс #12», «напоминание по кейсу #12»), as HTML.

    Known by its subject (`case:12:lead:3`, `request:4:reminder`…); otherwise its first line.
    """
    kind, _, rest = row.subject.partition(":")
    number, _, part = rest.partition(":")
    if kind and number.isdigit():
        for key in (
            f"unreachable-what-{kind}-{part.partition(':')[0]}",
            f"unreachable-what-{kind}",
        ):
            if texts.has(key):
                return texts(key, id=int(number))
    text = str(row.payload.get("text") or row.payload.get("caption") or "")
    plain = html.unescape(_TAG.sub("", text)).strip()
    line = plain.splitlines()[0].strip() if plain else ""
    if not line:
        return texts("unreachable-what-file")
    if len(line) > WHAT_LENGTH:
        cut = line[:WHAT_LENGTH].rsplit(" ", 1)[0] or line[:WHAT_LENGTH]
        line = cut.rstrip(" ,.:;—-") + "…"
    return quote(line)
