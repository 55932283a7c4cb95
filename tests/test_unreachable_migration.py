"""Migration 0007: what a still-unreachable person was refused before is kept for his /start."""

from __future__ import annotations

from sqlalchemy import text

from db.engine import create_engine
from db.migrate import downgrade, upgrade

BLOCKED = 501  # still blocked when the bot is upgraded
CAME_BACK = 502  # was refused once, has pressed «Старт» since

ROWS = [
    # (id, chat_id, method, state, last_error)
    (1, BLOCKED, "sendMessage", "failed", "403: Forbidden: bot was blocked by the user"),
    (2, BLOCKED, "sendMessage", "failed", "chat blocked the bot"),
    (3, BLOCKED, "sendMessage", "failed", "400: Bad Request: can't parse entities"),
    (4, BLOCKED, "sendMessage", "sent", None),
    (5, CAME_BACK, "sendMessage", "failed", "403: Forbidden: bot was blocked by the user"),
    (6, -100123, "sendMessage", "failed", "403: Forbidden: bot was kicked from the group chat"),
]


async def test_failed_rows_of_a_blocked_person_become_kept_and_back(
    empty_database_url: str,
) -> None:
    engine = create_engine(empty_database_url)
    try:
        await upgrade(engine, "0006")
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO blocked_chats (chat_id, reason, blocked_at) "
                    "VALUES (:chat, 'blocked', '2026-11-01 10:00:00')"
                ),
                {"chat": BLOCKED},
            )
            for row_id, chat_id, method, state, error in ROWS:
                await connection.execute(
                    text(
                        "INSERT INTO outbox (id, chat_id, method, payload, subject, state, "
                        "attempts, not_before, last_error, created_at) VALUES (:id, :chat, "
                        ":method, '{}', '', :state, 1, '2026-11-01 10:00:00', :error, "
                        "'2026-11-01 10:00:00')"
                    ),
                    {
                        "id": row_id,
                        "chat": chat_id,
                        "method": method,
                        "state": state,
                        "error": error,
                    },
                )

        await upgrade(engine)
        async with engine.connect() as connection:
            states = dict((await connection.execute(text("SELECT id, state FROM outbox"))).all())
            notice = (await connection.execute(text("SELECT notice_id FROM blocked_chats"))).all()
        assert states == {
            1: "undelivered",
            2: "undelivered",
            3: "failed",
            4: "sent",
            5: "failed",
            6: "failed",
        }
        assert notice == [(None,)]  # CS has not been told yet: the next kept message tells

        await downgrade(engine, "0006")
        async with engine.connect() as connection:
            states = dict((await connection.execute(text("SELECT id, state FROM outbox"))).all())
        assert set(states.values()) == {"failed", "sent"}
        assert states[1] == states[2] == "failed"
    finally:
        await engine.dispose()
