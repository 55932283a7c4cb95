"""/standards: the team's quick links, for every known user."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import views
from bot.filters import RoleFilter
from bot.services import links
from bot.texts import Texts

router = Router(name=__name__)
router.message.filter(RoleFilter())


@router.message(Command("standards"))
async def show_standards(message: Message, session: AsyncSession, texts: Texts) -> None:
    text, keyboard = views.standards(await links.all_links(session), texts)
    await message.answer(text, reply_markup=keyboard)
