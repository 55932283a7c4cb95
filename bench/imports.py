"""(d) /import of big files: a year of per-manager results (12 months × 1,000 managers =
12,000 rows, XLSX) and a workbook of 400 cases, into a SQLite file built by the real
migrations with 200 groups. Prints the time to read each file (in a worker thread), to
check and write it, how many progress edits the importer would see (at most one every
1.5 s), and the longest stall of the event loop meanwhile (a ticker measures it): the bot
keeps answering others during an import. Asserts nothing."""

from __future__ import annotations

import asyncio
import io
import tempfile
import time
from datetime import date
from pathlib import Path

from openpyxl import Workbook

from bot.services import results_import, roster, workbook_import
from bot.settings import Settings
from bot.texts import Texts
from db import employees as employees_db
from db.engine import create_engine, create_session_factory
from db.migrate import upgrade

GROUPS = 200
MANAGERS_PER_GROUP = 5
MONTHS = 12
CASES = 400
PROGRESS_EVERY = 1.5


def roster_csv() -> bytes:
    lines = ["full_name,role,group,position,telegram_id,username", "КС Один,cs,,КС,1,"]
    for g in range(GROUPS):
        lines.append(f"Лидер {g},lead,Группа {g},Лидер,{10_000 + g},")
        for m in range(MANAGERS_PER_GROUP):
            lines.append(f"Менеджер {g}-{m},manager,Группа {g},Менеджер,{20_000 + g * 10 + m},")
    return "\n".join(lines).encode()


def results_xlsx() -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Итоги")
    sheet.append(["Месяц", "Группа", "Оценка", "Оценок", "Менеджер"])
    for month in range(1, MONTHS + 1):
        for g in range(GROUPS):
            for m in range(MANAGERS_PER_GROUP):
                score = 70 + (g * 7 + m * 3 + month) % 30
                sheet.append([f"2026-{month:02d}", f"Группа {g}", score, 10, f"Менеджер {g}-{m}"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def results_xlsx_tiny() -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Месяц", "Группа", "Оценка", "Оценок"])
    sheet.append(["2025-01", "Группа 0", 80, 1])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def workbook_xlsx() -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Кейсы")
    sheet.append(["Дата", "Менеджер", "Категория", "Источник", "Суть", "Ссылка"])
    for n in range(CASES):
        g, m = n % GROUPS, n % MANAGERS_PER_GROUP
        sheet.append(
            [date(2026, 10, 1 + n % 28), f"Менеджер {g}-{m}", "процесс", "звонок", f"Ошибка {n}"]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


class Ticker:
    """The longest gap between two wake-ups of a 10 ms ticker: how long the loop stalled."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.01)
            now = time.perf_counter()
            self.longest = max(self.longest, now - last - 0.01)
            last = now

    def __enter__(self) -> Ticker:
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *_: object) -> None:
        assert self._task is not None
        self._task.cancel()


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None, bot_token="1:x", cs_chat_id=-1, database_url=url
        )
        texts = Texts("ru", tz=settings.tz)
        engine = create_engine(url)
        await upgrade(engine)
        sessions = create_session_factory(engine)
        async with sessions() as session:
            await roster.import_roster(session, roster_csv(), "roster.csv")
        results_data, cases_data = results_xlsx(), workbook_xlsx()
        # A warm-up with a one-row file: the first import in a process loads openpyxl and
        # compiles the statements (about 0.2 s once); the figures below are the steady state.
        async with sessions() as session:
            cs = await employees_db.by_telegram_id(session, 1)
            tiny = "месяц,группа,оценка,оценок\n2025-01,Группа 0,80,1\n".encode()
            await results_import.import_results(session, cs, tiny, "warm.csv")
            await asyncio.to_thread(results_import.parse_results, results_xlsx_tiny(), "w.xlsx")
        print(f"results file: {len(results_data) / 1024:.0f} KB, {MONTHS * GROUPS * 5} rows")

        async with sessions() as session:
            cs = await employees_db.by_telegram_id(session, 1)
            with Ticker() as ticker:
                started = time.perf_counter()
                parsed = await asyncio.to_thread(
                    results_import.parse_results, results_data, "r.xlsx"
                )
                read = time.perf_counter() - started
                result = await results_import.apply_results(session, cs, parsed)
                total = time.perf_counter() - started
            print(
                f"results: read {read:.2f} s (worker thread), checked and written"
                f" {total - read:.2f} s, {result.rows} rows in {len(result.months)} months;"
                f" longest loop stall {ticker.longest * 1000:.0f} ms"
            )

        edits: list[str] = []
        last = time.monotonic()

        async def progress(stage: str, done: int, total_rows: int) -> None:
            nonlocal last
            if time.monotonic() - last >= PROGRESS_EVERY:
                last = time.monotonic()
                edits.append(workbook_import.render_progress(texts, stage, done, total_rows))

        async with sessions() as session:
            cs = await employees_db.by_telegram_id(session, 1)
            with Ticker() as ticker:
                started = time.perf_counter()
                imported = await workbook_import.import_workbook(
                    session,
                    cs,
                    cases_data,
                    "w.xlsx",
                    settings=settings,
                    texts=texts,
                    bot_username="bot",
                    progress=progress,
                )
                took = time.perf_counter() - started
            print(
                f"workbook: {imported.new} cases published in {took:.2f} s"
                f" ({took / max(imported.new, 1) * 1000:.1f} ms a case), {len(edits)} progress"
                f" edits ({'; '.join(edits[:3])}); longest loop stall"
                f" {ticker.longest * 1000:.0f} ms"
            )
            started = time.perf_counter()
            again = await workbook_import.import_workbook(
                session,
                cs,
                cases_data,
                "w.xlsx",
                settings=settings,
                texts=texts,
                bot_username="bot",
            )
            print(
                f"workbook again: {again.new} new, {again.skipped} skipped"
                f" in {time.perf_counter() - started:.2f} s"
            )
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
