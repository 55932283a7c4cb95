"""Command line: `python -m bot {run,migrate,roster import FILE,results import FILE,demo}`."""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
from pathlib import Path

from pydantic import ValidationError

from bot import logsetup
from bot.settings import Settings

MISSING_SETTINGS = (
    "Не заданы {names}: укажите их в .env (образец — .env.example) или запустите `make demo`. / "
    "Missing {names}: set them in .env (see .env.example) or try `make demo`."
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot", description="Бот команды клиентского сервиса / Client Service bot"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("run", help="запустить бота (миграции применяются при старте)")
    commands.add_parser("migrate", help="применить миграции базы данных")
    roster = commands.add_parser("roster", help="список сотрудников")
    roster_commands = roster.add_subparsers(dest="roster_command", metavar="ACTION")
    roster_import = roster_commands.add_parser("import", help="импорт из CSV или XLSX")
    roster_import.add_argument(
        "file", type=Path, help="файл со столбцами full_name, role, group, …"
    )
    results = commands.add_parser("results", help="итоги месяца")
    results_commands = results.add_subparsers(dest="results_command", metavar="ACTION")
    results_import = results_commands.add_parser("import", help="импорт из CSV или XLSX")
    results_import.add_argument(
        "file", type=Path, help="файл со столбцами месяц, группа, оценка, оценок[, менеджер]"
    )
    commands.add_parser("demo", help="показать бота в деле на локальном эмуляторе Telegram")
    args = parser.parse_args(argv)

    if args.command is None:
        parser.print_help()
        return 0
    if args.command == "roster" and args.roster_command is None:
        roster.print_help()
        return 2
    if args.command == "results" and args.results_command is None:
        results.print_help()
        return 2
    try:
        settings = Settings()
    except ValidationError as error:
        print(f"Ошибка в настройках / invalid settings:\n{error}", file=sys.stderr)
        return 2
    token = settings.bot_token.get_secret_value() if settings.bot_token else None
    logsetup.configure(settings.log_level, token)

    if args.command == "run":
        missing = settings.missing_for_run()
        if missing:
            print(MISSING_SETTINGS.format(names=", ".join(missing)), file=sys.stderr)
            return 2
        from bot import jinja_later

        jinja_later.defer()  # before aiogram_dialog is imported
        import bot.app  # noqa: F401 - before the freeze below
        from bot.runner import run

        # The modules, classes and schemas the imports built live as long as the process:
        # moved out of the collector's generations, a full collection no longer walks them
        # (one during the start took 0.1 s of CPU here, and each later one as much).
        gc.freeze()
        return asyncio.run(run(settings))
    if args.command == "migrate":
        from bot.runner import migrate

        return asyncio.run(migrate(settings))
    if args.command == "roster":
        from bot.runner import import_roster

        return asyncio.run(import_roster(settings, args.file))
    if args.command == "results":
        from bot.runner import import_results

        return asyncio.run(import_results(settings, args.file))
    if args.command == "demo":
        from bot.demo import demo

        return asyncio.run(demo())
    parser.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
