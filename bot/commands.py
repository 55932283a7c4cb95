"""The command menu Telegram shows, per role (DESIGN §9)."""

from __future__ import annotations

from aiogram.types import BotCommand

from bot.texts import Texts
from db.models import Role

ROLE_COMMANDS: dict[Role | None, tuple[str, ...]] = {
    None: ("start", "help"),
    Role.MANAGER: ("cases", "appeal", "request", "my", "results", "standards", "help", "cancel"),
    Role.LEAD: (
        "queue",
        "cases",
        "appeal",
        "request",
        "my",
        "results",
        "standards",
        "help",
        "cancel",
    ),
    Role.CS: (
        "queue",
        "case",
        "cases",
        "analysis",
        "import",
        "digest",
        "results",
        "export",
        "calibrate",
        "standards",
        "links",
        "help",
        "cancel",
    ),
}
GROUP_COMMANDS: tuple[str, ...] = ("queue", "standards", "help")


def commands_for(role: Role | None, texts: Texts) -> list[BotCommand]:
    return [_command(name, texts) for name in ROLE_COMMANDS[role]]


def group_commands(texts: Texts) -> list[BotCommand]:
    return [_command(name, texts) for name in GROUP_COMMANDS]


def _command(name: str, texts: Texts) -> BotCommand:
    return BotCommand(command=name, description=texts(f"cmd-{name}"))
