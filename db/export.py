"""Queries for the XLSX export (/export): every case, its history, appeal, request and result
of a period, as flat rows from selects with joins (one query per sheet, no per-row loads).

The rows are plain tuples: the export never touches the ORM objects' relationships, so
100,000 cases are one query and one pass. Their times, days and flags are as the database
driver gives them (`_stored`): naive UTC times and days as SQLite's text («2026-03-14
12:34:56.123456», «2026-03-14») and flags as 0/1 there, datetime, date and bool objects on
PostgreSQL; the writer reads both. They are streamed (a server-side cursor, `BATCH` rows at a
time): the export writes each batch and drops it, so its memory does not grow with the rows.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, select, type_coerce
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.types import NullType

from db.models import (
    Appeal,
    AuditEntry,
    Case,
    Employee,
    MonthlyResult,
    ServiceRequest,
    WorkingGroup,
)

# A row of any width: its columns' values in the order of its select (a tuple on SQLite, a
# Row elsewhere).
Record = Sequence[Any]


def _stored(column: Any) -> Any:
    """A time, day or flag column read as the driver gives it, without its type's conversion:
    on SQLite that is a Python call per value that parses the text (and attaches the zone to
    a time), 0.6 s of the 432,105 history rows of a year's export; the writer makes a cell of
    the text itself (`export_xlsx`)."""
    return type_coerce(column, NullType()).label(column.key)


# Rows a batch: large enough that a batch costs little more than its rows, small enough that
# a batch's rows and their XML are a few megabytes.
BATCH = 5_000


async def _batches(
    session: AsyncSession, query: Select[*tuple[Any, ...]], *, converted: bool = False
) -> AsyncIterator[Sequence[Record]]:
    """The rows of `query` by `BATCH`; `converted`: through the columns' types (a JSON
    column's text made a dict), not as the driver gives them."""
    connection = await session.connection()
    if connection.dialect.driver == "aiosqlite" and not converted:
        # SQLite's own rows (tuples), through the driver's cursor on the session's connection
        # (its transaction): a Row a row made by SQLAlchemy cost 0.3 s of CPU for the
        # history's 432,105 rows, a third of their fetch.
        sql, parameters = _driver_statement(query, connection.dialect)
        driver = (await connection.get_raw_connection()).driver_connection
        assert driver is not None
        async with driver.execute(sql, parameters) as cursor:
            while batch := await cursor.fetchmany(BATCH):
                yield batch
        return
    # Core execution elsewhere (asyncpg's records are made in C): the ORM's loading step
    # would double the time a row takes.
    result = await connection.stream(query.execution_options(yield_per=BATCH))
    async for rows in result.partitions():
        yield rows


def _driver_statement(
    query: Select[*tuple[Any, ...]], dialect: Dialect
) -> tuple[str, tuple[Any, ...]]:
    """The query's SQL for `dialect` and its parameters as the driver takes them (in their
    order, through their types' conversion: an aware time as SQLite's text of it in UTC)."""
    compiled = query.compile(dialect=dialect)
    assert compiled.positiontup is not None, "a positional paramstyle"
    given = compiled.construct_params()
    parameters = []
    for name in compiled.positiontup:
        convert = compiled.binds[name].type.bind_processor(dialect)
        parameters.append(given[name] if convert is None else convert(given[name]))
    return compiled.string, tuple(parameters)


async def cases(
    session: AsyncSession, start: datetime, end: datetime
) -> AsyncIterator[Sequence[Record]]:
    """Cases created in [start, end) (UTC), by number, with the ids of their manager, group
    and author (`names` has their names: joined, the same names were made 100,000 times)."""
    query = (
        select(
            Case.id,
            Case.tab,
            Case.category,
            Case.source,
            Case.state,
            Case.manager_id,
            Case.group_id,
            _stored(Case.incident_date),
            Case.summary,
            Case.link,
            _stored(Case.repeated),
            Case.author_id,
            _stored(Case.created_at),
            _stored(Case.accepted_at),
            _stored(Case.briefing_at),
            _stored(Case.recheck_due_at),
            Case.analysis_process,
            Case.analysis_cause,
            Case.analysis_measures,
            _stored(Case.measures_due),
            _stored(Case.closed_at),
        )
        .where(Case.created_at >= start, Case.created_at < end)
        .order_by(Case.id)
    )
    async for batch in _batches(session, query):
        yield batch


async def case_history(
    session: AsyncSession, start: datetime, end: datetime
) -> AsyncIterator[Sequence[Record]]:
    """The audit entries of the cases created in [start, end), by case and time, with the id
    of the actor (None: the bot)."""
    query = (
        select(
            AuditEntry.entity_id.label("case_id"),
            _stored(AuditEntry.at),
            AuditEntry.actor_id,
            AuditEntry.action,
            AuditEntry.from_state,
            AuditEntry.to_state,
            AuditEntry.comment,
        )
        .join(Case, Case.id == AuditEntry.entity_id)
        .where(AuditEntry.entity == "case", Case.created_at >= start, Case.created_at < end)
        .order_by(AuditEntry.entity_id, AuditEntry.at, AuditEntry.id)
    )
    async for batch in _batches(session, query):
        yield batch


async def appeals(
    session: AsyncSession, start: datetime, end: datetime
) -> AsyncIterator[Sequence[Record]]:
    filer, decider = aliased(Employee), aliased(Employee)
    query = (
        select(
            Appeal.id,
            Appeal.case_id,
            filer.full_name.label("filer"),
            Appeal.reason,
            Appeal.state,
            decider.full_name.label("decided_by"),
            Appeal.decision_comment,
            _stored(Appeal.created_at),
            _stored(Appeal.decided_at),
        )
        .join(filer, filer.id == Appeal.filer_id)
        .outerjoin(decider, decider.id == Appeal.decided_by_id)
        .where(Appeal.created_at >= start, Appeal.created_at < end)
        .order_by(Appeal.id)
    )
    async for batch in _batches(session, query):
        yield batch


async def requests(
    session: AsyncSession, start: datetime, end: datetime
) -> AsyncIterator[Sequence[Record]]:
    requester, processor = aliased(Employee), aliased(Employee)
    query = (
        select(
            ServiceRequest.id,
            ServiceRequest.kind,
            requester.full_name.label("requester"),
            WorkingGroup.name.label("group"),
            ServiceRequest.state,
            processor.full_name.label("processor"),
            ServiceRequest.reject_reason,
            _stored(ServiceRequest.created_at),
            ServiceRequest.fields,
        )
        .join(requester, requester.id == ServiceRequest.requester_id)
        .outerjoin(WorkingGroup, WorkingGroup.id == ServiceRequest.group_id)
        .outerjoin(processor, processor.id == ServiceRequest.processor_id)
        .where(ServiceRequest.created_at >= start, ServiceRequest.created_at < end)
        .order_by(ServiceRequest.id)
    )
    async for batch in _batches(session, query, converted=True):  # the fields: JSON
        yield batch


async def results(
    session: AsyncSession, first: date, last: date
) -> AsyncIterator[Sequence[Record]]:
    """Result rows of the months from `first` to `last` (first days of months), by month,
    group and manager (a group's total row first)."""
    manager = aliased(Employee)
    query = (
        select(
            _stored(MonthlyResult.month),
            WorkingGroup.name.label("group"),
            manager.full_name.label("manager"),
            MonthlyResult.score,
            MonthlyResult.evaluations,
        )
        .join(WorkingGroup, WorkingGroup.id == MonthlyResult.group_id)
        .outerjoin(manager, manager.id == MonthlyResult.manager_id)
        .where(MonthlyResult.month >= first, MonthlyResult.month <= last)
        .order_by(
            MonthlyResult.month,
            WorkingGroup.name,
            MonthlyResult.manager_id.is_not(None),
            manager.full_name,
            MonthlyResult.id,
        )
    )
    async for batch in _batches(session, query):
        yield batch


async def names(session: AsyncSession) -> tuple[dict[int, str], dict[int, str]]:
    """Every employee's and every working group's name by id."""
    people = await session.execute(select(Employee.id, Employee.full_name))
    groups = await session.execute(select(WorkingGroup.id, WorkingGroup.name))
    return {id_: name for id_, name in people}, {id_: name for id_, name in groups}


async def earliest(session: AsyncSession) -> tuple[datetime | None, date | None]:
    """Where «Всё время» starts: the earliest creation (UTC) of a case, appeal or request, and
    the earliest month with results."""
    created = [
        value
        for column in (Case.created_at, Appeal.created_at, ServiceRequest.created_at)
        if (value := (await session.execute(select(func.min(column)))).scalar()) is not None
    ]
    month = (await session.execute(select(func.min(MonthlyResult.month)))).scalar()
    return (min(created) if created else None), month
