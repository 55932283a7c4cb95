"""/import: CS sends the monthly results or the team's shared workbook as a file.

`/import` asks for the file (a one-step aiogram-dialog, so /cancel leaves it and a restart
keeps it); a document sent with the caption `/import` is taken at once. An XLSX with any of
the workbook's sheets is a workbook, anything else a results file. The services check the
role again and do the work; this module downloads the file and keeps ONE status message in
the importer's chat up to date while a long import runs (edits at most every
`PROGRESS_EVERY` seconds — Telegram allows about one message a second per chat).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from aiogram import Bot, F, Router
from aiogram.enums import ContentType
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import Document, Message
from aiogram_dialog import DialogManager, ShowMode, StartMode, Window
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button
from aiogram_dialog.widgets.text import Format
from sqlalchemy.ext.asyncio import AsyncSession

from bot.conversation import Dialog
from bot.dialog_widgets import (
    T,
    cancel_dialog,
    employee_of,
    hint,
    session_of,
    settings_of,
    texts_of,
)
from bot.filters import PrivateChat, RoleFilter
from bot.services import results_import, tables, workbook_import
from bot.services.errors import Forbidden, ServiceError
from bot.settings import Settings
from bot.texts import Texts
from db.models import Employee, Role

log = logging.getLogger(__name__)
router = Router(name=__name__)
router.message.filter(PrivateChat())

importers = Router(name=f"{__name__}.cs")
importers.message.filter(RoleFilter(Role.CS))
importers.callback_query.filter(RoleFilter(Role.CS))
# Leads and managers are told who may import; a stranger gets the fallback's access hint.
others = Router(name=f"{__name__}.others")
others.message.filter(RoleFilter())

# Telegram lets a bot download files up to 20 MB.
MAX_FILE_MB = 20
MAX_FILE = MAX_FILE_MB * 1024 * 1024
PROGRESS_EVERY = 1.5
MIME_SUFFIXES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "text/csv": ".csv",
}
# The final edit waits this long after the previous one (one message a second per chat).
MIN_GAP = 1.0


class ImportSG(StatesGroup):
    file = State()


class StatusMessage:
    """The one message that tells the importer how far the import has got.

    The services call `progress` inside their write transaction: an edit is started in the
    background and never awaited there, so a slow Telegram answer cannot hold SQLite's write
    lock (every other writer of the bot would wait for it). At most one edit is in flight;
    progress while one is under way is skipped (the next one says it all)."""

    def __init__(self, message: Message, texts: Texts) -> None:
        self.message = message
        self.texts = texts
        self.last = time.monotonic()
        self._pending: asyncio.Task[None] | None = None

    async def progress(self, stage: str, done: int, total: int) -> None:
        """The services' progress callback: an edit at most every PROGRESS_EVERY seconds."""
        if time.monotonic() - self.last < PROGRESS_EVERY:
            return
        if self._pending is not None and not self._pending.done():
            return
        text = workbook_import.render_progress(self.texts, stage, done, total)
        self.last = time.monotonic()
        self._pending = asyncio.create_task(self._edit(text))

    async def finish(self, text: str) -> None:
        if self._pending is not None:
            await self._pending
        wait = self.last + MIN_GAP - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        await self._edit(text)

    async def _edit(self, text: str) -> None:
        self.last = time.monotonic()
        try:
            await self.message.edit_text(text)
        except TelegramAPIError as error:  # e.g. a 429: the next edit says it all
            log.warning("import status not edited: %s", error)


async def take_file(
    message: Message,
    document: Document,
    *,
    bot: Bot,
    session: AsyncSession,
    employee: Employee | None,
    settings: Settings,
    texts: Texts,
) -> bool:
    """Import the file; True when the dialog is over (imported, or the sender may not)."""
    name = document.file_name or "file"
    if tables.kind_of(name) is None and document.mime_type in MIME_SUFFIXES:
        name += MIME_SUFFIXES[document.mime_type]  # a file sent without its extension
    if tables.kind_of(name) is None:
        await message.answer(texts("import-wrong-kind", name=name))
        return False
    if (document.file_size or 0) > MAX_FILE:
        await message.answer(texts("import-too-big", name=name, max=MAX_FILE_MB))
        return False
    status = StatusMessage(await message.answer(texts("import-busy", name=name)), texts)
    try:
        buffer = await bot.download(document.file_id)
    except TelegramAPIError as error:
        log.warning("import file not downloaded: %s", error)
        await status.finish(texts("import-download-failed"))
        return False
    data = buffer.read() if buffer is not None else b""
    try:
        if await asyncio.to_thread(workbook_import.is_workbook, data, name):
            me = await bot.me()
            cases_done = await workbook_import.import_workbook(
                session,
                employee,
                data,
                name,
                settings=settings,
                texts=texts,
                bot_username=me.username or "",
                progress=status.progress,
            )
            text = workbook_import.render_imported(texts, cases_done)
        else:
            results_done = await results_import.import_results(session, employee, data, name)
            text = results_import.render_imported(texts, results_done)
    except results_import.ResultsInvalid as invalid:
        rejected = results_import.render_rejected(texts, invalid)
        await status.finish(f"{rejected}\n\n{texts('import-try-again')}")
        return False
    except workbook_import.WorkbookInvalid as invalid:
        rejected = workbook_import.render_rejected(texts, invalid)
        await status.finish(f"{rejected}\n\n{texts('import-try-again')}")
        return False
    except Forbidden as error:
        await status.finish(texts(error.key, **error.args_))
        return True
    except ServiceError as error:  # the roster changed under a row meanwhile
        await status.finish(f"{texts(error.key, **error.args_)}\n\n{texts('import-try-again')}")
        return False
    await status.finish(text)
    return True


# --- the commands -------------------------------------------------------------------------------


@importers.message(Command("import"), F.document)
async def import_with_caption(
    message: Message,
    dialog_manager: DialogManager,
    bot: Bot,
    session: AsyncSession,
    employee: Employee | None,
    settings: Settings,
    texts: Texts,
) -> None:
    """A document with the caption /import: no need to be asked for it."""
    assert message.document is not None
    done = await take_file(
        message,
        message.document,
        bot=bot,
        session=session,
        employee=employee,
        settings=settings,
        texts=texts,
    )
    if done:
        if dialog_manager.has_context():
            await dialog_manager.reset_stack()
        return
    # The step stays: the next document is taken (the prompt is not repeated).
    await dialog_manager.start(
        ImportSG.file, mode=StartMode.RESET_STACK, show_mode=ShowMode.NO_UPDATE
    )


@importers.message(Command("import"))
async def open_import_dialog(
    message: Message, dialog_manager: DialogManager, employee: Employee | None, texts: Texts
) -> None:
    try:
        results_import.check_can_import(employee)
    except Forbidden as error:
        await message.answer(texts(error.key, **error.args_))
        return
    await dialog_manager.start(ImportSG.file, mode=StartMode.RESET_STACK)


@others.message(Command("import"))
async def refuse_import(message: Message, texts: Texts) -> None:
    """A lead or a manager: told who may, not just «not available»."""
    await message.answer(texts("import-refused"))


# --- the dialog's one step ----------------------------------------------------------------------


async def _file_received(message: Message, widget: MessageInput, manager: DialogManager) -> None:
    assert message.document is not None
    done = await take_file(
        message,
        message.document,
        bot=manager.middleware_data["bot"],
        session=session_of(manager),
        employee=employee_of(manager),
        settings=settings_of(manager),
        texts=texts_of(manager),
    )
    if done:
        await manager.done(show_mode=ShowMode.NO_UPDATE)
    else:
        # The reply above says what is wrong and how to go on; the step stays.
        manager.show_mode = ShowMode.NO_UPDATE


async def _prompt(texts: Texts, **_: Any) -> dict[str, Any]:
    return {"prompt": texts("import-ask", max=MAX_FILE_MB)}


import_dialog = Dialog(
    Window(
        Format("{prompt}"),
        MessageInput(_file_received, content_types=[ContentType.DOCUMENT]),
        hint("import-file-only"),
        Button(T("btn-cancel"), id="cancel", on_click=cancel_dialog),
        getter=_prompt,
        state=ImportSG.file,
    ),
)
importers.include_router(import_dialog)
router.include_routers(importers, others)
