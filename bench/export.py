"""(d) /export of a year: 100,000 cases with their history (about 4.5 audit entries a case),
5,000 appeals, 10,000 requests and 12 months × 200 groups × 5 managers of results, in a
SQLite file built by the real migrations; and the same at 10,000 cases (a tenth of each but
the results) to show what grows with the rows. Runs the real export service
(`bot.services.export.build`, «Всё время») and prints the time of the whole export, of its
queries alone (their rows fetched and dropped), the rest (writing the file), the file size,
and the peak memory of the export (tracemalloc, a separate run: tracing slows Python down).
Issue 12 item 3: 100,000 cases in ≤ 5 s, memory that does not grow with the rows.
Asserts nothing."""

from __future__ import annotations

import asyncio
import gc
import random
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services import export, months
from bot.settings import Settings
from bot.texts import Texts
from db import export as export_db
from db.engine import create_engine, create_session_factory
from db.migrate import upgrade
from db.models import (
    Appeal,
    AppealState,
    AuditEntry,
    Case,
    CaseCategory,
    CaseSource,
    CaseState,
    CaseTab,
    Employee,
    MonthlyResult,
    RequestKind,
    RequestState,
    Role,
    ServiceRequest,
    WorkingGroup,
    employee_groups,
)

SIZES = (10_000, 100_000)
GOAL_SECONDS = 5.0  # issue 12 item 3, at 100,000 cases
GROUPS = 200
MANAGERS_PER_GROUP = 5
MONTHS = 12
FIRST_MONTH = date(2025, 11, 1)
CHUNK = 20_000
RUNS = 2  # timed runs per size (after one untimed that warms the page cache)
# A case's life in the audit log: every case registered and accepted, most briefed and
# rechecked, the CSI ones analysed and confirmed, and closed (about 4.5 entries a case).
LIFE = [
    ("register", None, "new"),
    ("accept", "new", "accepted"),
    ("set_briefing", "accepted", "briefing_set"),
    ("briefing_held", "briefing_set", "recheck"),
    ("recheck_passed", "recheck", "closed"),
]
CSI_LIFE = [
    ("register", None, "new"),
    ("accept", "new", "accepted"),
    ("submit_analysis", "accepted", "analysed"),
    ("confirm", "analysed", "closed"),
]


async def _insert(session: AsyncSession, model: Any, rows: list[dict[str, Any]]) -> None:
    for begin in range(0, len(rows), CHUNK):
        await session.execute(insert(model), rows[begin : begin + CHUNK])


async def fill(database_url: str, settings: Settings, cases: int) -> None:
    """Bulk inserts (executemany) through the migrated schema."""
    chance = random.Random(2026)
    engine = create_engine(database_url)
    await upgrade(engine)
    sessions = create_session_factory(engine)
    now = datetime.now(UTC)
    start = datetime(FIRST_MONTH.year, FIRST_MONTH.month, 1, tzinfo=settings.tz)
    span = timedelta(days=365).total_seconds()
    async with sessions() as session:
        await _insert(
            session,
            WorkingGroup,
            [
                {"id": n + 1, "name": f"Группа {n + 1:03d} «Шоурум»", "created_at": now}
                for n in range(GROUPS)
            ],
        )
        people: list[dict[str, Any]] = [
            {
                "id": 1,
                "full_name": "Сотрудник КС",
                "role": Role.CS,
                "telegram_id": 10_000,
                "created_at": now,
                "updated_at": now,
            }
        ]
        links: list[dict[str, int]] = []
        managers: list[tuple[int, int]] = []  # (employee id, group id)
        for group in range(1, GROUPS + 1):
            for slot in range(MANAGERS_PER_GROUP + 1):
                person = len(people) + 1
                role = Role.LEAD if slot == 0 else Role.MANAGER
                people.append(
                    {
                        "id": person,
                        "full_name": f"{'Лидер' if slot == 0 else 'Менеджер'} Фамилия {person}",
                        "role": role,
                        "telegram_id": 100_000 + person,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                links.append({"employee_id": person, "group_id": group})
                if role == Role.MANAGER:
                    managers.append((person, group))
        await _insert(session, Employee, people)
        await _insert(session, employee_groups, links)
        month = FIRST_MONTH
        results = []
        for _ in range(MONTHS):
            for manager, group in managers:
                results.append(
                    {
                        "month": month,
                        "group_id": group,
                        "manager_id": manager,
                        "score": round(chance.uniform(55, 99), 2),
                        "evaluations": chance.randint(1, 20),
                        "imported_at": now,
                    }
                )
            month = months.following(month)
        await _insert(session, MonthlyResult, results)

        tabs, categories, sources = list(CaseTab), list(CaseCategory), list(CaseSource)
        case_rows: list[dict[str, Any]] = []
        history: list[dict[str, Any]] = []
        for number in range(1, cases + 1):
            manager, group = chance.choice(managers)
            created = start + timedelta(seconds=chance.uniform(0, span))
            tab = chance.choice(tabs)
            life = CSI_LIFE if tab == CaseTab.CSI else LIFE
            steps = len(life) if chance.random() < 0.85 else chance.randint(1, len(life) - 1)
            accepted = created + timedelta(hours=chance.uniform(1, 30))
            closed = created + timedelta(days=chance.uniform(3, 30))
            done = steps == len(life)
            case_rows.append(
                {
                    "id": number,
                    "tab": tab,
                    "category": chance.choice(categories),
                    "source": chance.choice(sources),
                    "manager_id": manager,
                    "group_id": group,
                    "author_id": 1,
                    "incident_date": (created - timedelta(days=1)).date(),
                    "summary": f"Кейс {number}: менеджер не уточнил бюджет и сроки клиента",
                    "link": f"https://crm.example.com/deal/{number}",
                    "state": life[steps - 1][2] if not done else CaseState.CLOSED,
                    "repeated": chance.random() < 0.08,
                    "accepted_at": accepted if steps > 1 else None,
                    "briefing_at": (
                        accepted + timedelta(days=1) if steps > 2 and tab != CaseTab.CSI else None
                    ),
                    "recheck_due_at": (
                        accepted + timedelta(days=14) if steps > 3 and tab != CaseTab.CSI else None
                    ),
                    "analysis_process": "Запись на показ" if tab == CaseTab.CSI else None,
                    "analysis_cause": "Нет свободных слотов" if tab == CaseTab.CSI else None,
                    "analysis_measures": "Добавлены слоты" if tab == CaseTab.CSI else None,
                    "measures_due": (closed + timedelta(days=7)).date() if done else None,
                    "closed_at": closed if done else None,
                    "created_at": created,
                    "updated_at": created,
                }
            )
            for step, (action, before, after) in enumerate(life[:steps]):
                history.append(
                    {
                        "at": created + timedelta(hours=step * 20, seconds=step),
                        "actor_id": 1 if step != 1 else manager - 1,
                        "entity": "case",
                        "entity_id": number,
                        "action": action,
                        "from_state": before,
                        "to_state": after,
                        "comment": "Разбор отправлен" if action == "submit_analysis" else "",
                    }
                )
            if len(case_rows) >= CHUNK:
                await _insert(session, Case, case_rows)
                case_rows.clear()
                await _insert(session, AuditEntry, history)
                history.clear()
        await _insert(session, Case, case_rows)
        await _insert(session, AuditEntry, history)

        decisions = [AppealState.ACCEPTED, AppealState.PARTIAL, AppealState.REJECTED]
        appeals = []
        for _ in range(cases // 20):
            filed = start + timedelta(seconds=chance.uniform(0, span))
            decided = chance.random() < 0.9
            appeals.append(
                {
                    "case_id": chance.randint(1, cases),
                    "filer_id": chance.choice(managers)[0],
                    "reason": "Не согласен с оценкой: бюджет был уточнён в чате",
                    "state": chance.choice(decisions) if decided else AppealState.NEW,
                    "decided_by_id": 1 if decided else None,
                    "decision_comment": "Решение КС по апелляции" if decided else None,
                    "created_at": filed,
                    "decided_at": filed + timedelta(days=2) if decided else None,
                    "evidence": [],
                }
            )
        await _insert(session, Appeal, appeals)
        requests = []
        for number in range(cases // 10):
            filed = start + timedelta(seconds=chance.uniform(0, span))
            lead = chance.randrange(GROUPS) * (MANAGERS_PER_GROUP + 1) + 2
            fields: dict[str, Any] = (
                {
                    "manager_name": f"Менеджер {number}",
                    "from_number": "1234",
                    "to_number": "+79990001122",
                    "date_from": "2026-03-20",
                    "date_to": "2026-03-22",
                    "comment": "",
                }
                if number % 2
                else {"item": "audio", "quantity": 2, "place": "Шоурум «Юг»", "recipient": "Я"}
            )
            requests.append(
                {
                    "kind": RequestKind.FORWARDING if number % 2 else RequestKind.BADGE,
                    "requester_id": lead,
                    "group_id": (lead - 2) // (MANAGERS_PER_GROUP + 1) + 1,
                    "fields": fields,
                    "state": RequestState.DONE,
                    "processor_id": 1,
                    "created_at": filed,
                    "updated_at": filed,
                }
            )
        await _insert(session, ServiceRequest, requests)
        await session.commit()
    await engine.dispose()


async def drain_queries(session: AsyncSession, settings: Settings, start: date, end: date) -> int:
    """The export's queries alone: every row fetched, none kept."""
    since, until = months.utc_bounds(start, end, settings.tz)
    fetched = 0
    for batches in (
        export_db.cases(session, since, until),
        export_db.case_history(session, since, until),
        export_db.appeals(session, since, until),
        export_db.requests(session, since, until),
        export_db.results(session, months.first_day(start), end),
    ):
        async for batch in batches:
            fetched += len(batch)
    return fetched


async def timed(action: Callable[[], Awaitable[Any]]) -> tuple[float, float, Any]:
    """The wall time and the process's CPU time (all its threads) of `action`: on the shared
    machine the wall time alone reads as a slow export when the cores were busy elsewhere."""
    began, began_cpu = time.perf_counter(), time.process_time()
    result = await action()
    return time.perf_counter() - began, time.process_time() - began_cpu, result


async def measure(cases: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        database_url = f"sqlite+aiosqlite:///{path}"
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            bot_token="100000:BENCH-token",  # type: ignore[arg-type]
            cs_chat_id=-100,
            database_url=database_url,
        )
        texts = Texts("ru", tz=settings.tz)
        began = time.perf_counter()
        await fill(database_url, settings, cases)
        fill_seconds = time.perf_counter() - began
        engine = create_engine(database_url)
        sessions: async_sessionmaker[AsyncSession] = create_session_factory(engine)
        async with sessions() as session:
            actor = (await session.execute(select(Employee).where(Employee.id == 1))).scalar_one()
            start, end = await export.resolve(session, export.Preset.ALL_TIME, settings)

        async def build() -> export.ExportFile:
            async with sessions() as session:
                return await export.build(
                    session, actor, start, end, settings=settings, texts=texts
                )

        async def queries() -> int:
            async with sessions() as session:
                return await drain_queries(session, settings, start, end)

        await queries()  # warms the connection and the page cache
        totals, cpu_times, query_times = [], [], []
        made: export.ExportFile | None = None
        for _ in range(RUNS):
            seconds, cpu, made = await timed(build)
            totals.append(seconds)
            cpu_times.append(cpu)
            seconds, _, fetched = await timed(queries)
            query_times.append(seconds)
        assert made is not None
        size, counts = len(made.data), made.counts
        del made
        gc.collect()
        tracemalloc.start()
        await build()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        await engine.dispose()

    print(
        f"export of {counts['cases']:,} cases ({counts['history']:,} history entries, "
        f"{counts['appeals']:,} appeals, {counts['requests']:,} requests, {counts['results']:,} "
        f"results: {sum(counts.values()):,} rows; SQLite filled in {fill_seconds:.0f} s)"
    )
    runs = zip(totals, cpu_times, query_times, strict=True)
    for run, (total, cpu, queried) in enumerate(runs, start=1):
        goal = f" (goal ≤ {GOAL_SECONDS:.0f} s: {total / GOAL_SECONDS:.2f}× the goal)"
        print(
            f"  run {run}: {total:6.2f} s in all"
            f"{goal if cases == max(SIZES) else ''}, {cpu:5.2f} s of CPU (all threads); "
            f"queries alone {queried:5.2f} s "
            f"({fetched:,} rows); the rest (writing the file) {total - queried:5.2f} s"
        )
    print(f"  file: {size / 1024 / 1024:.1f} MB")
    print(
        f"  peak memory of the export (tracemalloc): {peak / 1024 / 1024:.1f} MB, of it the "
        f"file's bytes {size / 1024 / 1024:.1f} MB: {(peak - size) / 1024 / 1024:.1f} MB besides"
    )


async def main() -> None:
    sizes = [int(arg) for arg in sys.argv[1:]] or list(SIZES)
    # The imports moved out of the collector's generations, as `python -m bot run` does
    # (bot/__main__.py): else each full collection during an export walks them (0.1 s each).
    gc.freeze()
    for cases in sizes:
        await measure(cases)


if __name__ == "__main__":
    asyncio.run(main())
