"""Migration 0006 keeps the data of existing cases: a briefing day becomes that day at 12:00
UTC, and the history comments the bot wrote in English read in Russian."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Date, bindparam, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from db.engine import create_engine, create_session_factory
from db.migrate import upgrade
from db.models import AuditEntry, Case


async def test_0006_moves_briefing_days_to_noon_utc_and_rewrites_english_comments(
    empty_database_url: str,
) -> None:
    engine = create_engine(empty_database_url)
    try:
        await _check(engine)
    finally:
        await engine.dispose()


async def _check(engine: AsyncEngine) -> None:
    await upgrade(engine, "0005")
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO working_groups (id, name, active, created_at)"
                " VALUES (1, 'Группа Юг', TRUE, '2026-11-01 10:00:00')"
            )
        )
        await connection.execute(
            text(
                "INSERT INTO employees (id, full_name, role, position, active, created_at,"
                " updated_at) VALUES (1, 'Мария Козлова', 'manager', '', TRUE,"
                " '2026-11-01 10:00:00', '2026-11-01 10:00:00')"
            )
        )
        for case_id, briefing in ((1, date(2026, 11, 20)), (2, None)):
            await connection.execute(
                text(
                    "INSERT INTO cases (id, tab, category, source, manager_id, group_id,"
                    " incident_date, summary, state, repeated, briefing_date, created_at,"
                    " updated_at) VALUES (:id, 'cases', 'communication', 'call', 1, 1,"
                    " '2026-11-10', 'Текст', 'briefing_set', FALSE, :briefing,"
                    " '2026-11-11 10:00:00', '2026-11-11 10:00:00')"
                ).bindparams(bindparam("briefing", type_=Date)),
                {"id": case_id, "briefing": briefing},
            )
        for entry_id, case_id, action, comment in (
            (1, 1, "register", ""),
            (2, 2, "register", "repeat of #1"),
            (3, 1, "set_briefing", "2026-11-20"),
            (4, 2, "withdraw", "repeat of #1"),  # a person's comment: left as it is
        ):
            await connection.execute(
                text(
                    "INSERT INTO audit_log (id, at, entity, entity_id, action, comment)"
                    " VALUES (:id, '2026-11-11 10:00:00', 'case', :case_id, :action, :comment)"
                ),
                {"id": entry_id, "case_id": case_id, "action": action, "comment": comment},
            )

    await upgrade(engine, "0006")

    async with create_session_factory(engine)() as session:
        # Only the columns of 0006: the model has later ones the database has not yet.
        briefings = dict(
            (await session.execute(select(Case.id, Case.briefing_at).order_by(Case.id))).all()
        )
        assert briefings == {1: datetime(2026, 11, 20, 12, 0, tzinfo=UTC), 2: None}
        comments = {
            entry_id: (await session.get(AuditEntry, entry_id)).comment  # type: ignore[union-attr]
            for entry_id in (1, 2, 3, 4)
        }
    assert comments == {1: "", 2: "повтор кейса #1", 3: "20.11.2026", 4: "repeat of #1"}
