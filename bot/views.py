"""Rendering domain objects into message text (safe HTML from the catalogue)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import NamedTuple

from aiogram.types import InlineKeyboardMarkup

from bot import keyboards
from bot.texts import Html, Texts
from db.models import Employee, LinkItem


class _Link(NamedTuple):
    """What /standards shows of a link (the key of its rendering's cache)."""

    title: str
    url: str
    note: str
    updated_at: datetime


def standards(links: Sequence[LinkItem], texts: Texts) -> tuple[str, InlineKeyboardMarkup | None]:
    """The text and the URL buttons of /standards. The same links give the same answer:
    it is rendered once (the text and the keyboard are not to be changed by the caller)."""
    shown = tuple(_Link(link.title, link.url, link.note, link.updated_at) for link in links)
    return _standards(shown, texts)


@lru_cache(maxsize=8)
def _standards(links: tuple[_Link, ...], texts: Texts) -> tuple[str, InlineKeyboardMarkup | None]:
    lines = []
    for link in links:
        key = "standards-line-mail" if link.url.startswith("mailto:") else "standards-line"
        lines.append(
            texts(
                key,
                title=link.title,
                note=f" ({link.note})" if link.note else "",
                address=link.url.removeprefix("mailto:"),
                updated=Html(texts.date(link.updated_at)),
            )
        )
    body = "\n".join(lines) if lines else texts("standards-empty")
    return texts("standards", lines=Html(body)), keyboards.link_buttons(links)


def employee_card(employee: Employee, texts: Texts) -> str:
    lines = [texts("employee-card", name=employee.full_name, role=texts(f"role-{employee.role}"))]
    if employee.groups:
        lines.append(texts("employee-card-groups", groups=employee.group_names))
    if employee.position:
        lines.append(texts("employee-card-position", position=employee.position))
    return "\n".join(lines)
