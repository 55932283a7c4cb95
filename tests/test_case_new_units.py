"""The /case dialog's pure pieces: the draft it keeps, how files are described, its texts."""

from __future__ import annotations

import json
from datetime import date, datetime

from aiogram.types import Audio, Chat, Document, Message, PhotoSize, Voice

from bot.services import cases
from bot.texts import Texts
from db.models import CaseCategory, CaseSource, CaseTab
from handlers import case_new


def message(**content: object) -> Message:
    return Message(
        message_id=1, date=datetime(2026, 11, 2), chat=Chat(id=1, type="private"), **content
    )


def test_each_kind_of_file_is_kept_by_its_file_id() -> None:
    photo = message(
        photo=[
            PhotoSize(file_id="small", file_unique_id="s", width=90, height=60),
            PhotoSize(file_id="large", file_unique_id="l", width=900, height=600),
        ]
    )
    document = message(document=Document(file_id="doc", file_unique_id="d", file_name="a.pdf"))
    audio = message(audio=Audio(file_id="mus", file_unique_id="m", duration=5, title="Звонок"))
    voice = message(voice=Voice(file_id="voi", file_unique_id="v", duration=2))
    assert [case_new.attachment_of(m) for m in (photo, document, audio, voice)] == [
        {"kind": "photo", "file_id": "large", "file_name": ""},
        {"kind": "document", "file_id": "doc", "file_name": "a.pdf"},
        {"kind": "audio", "file_id": "mus", "file_name": "Звонок"},
        {"kind": "voice", "file_id": "voi", "file_name": ""},
    ]
    assert case_new.attachment_of(message(text="текст")) is None


def test_the_draft_is_json_and_becomes_a_case_draft() -> None:
    data = {
        "manager_id": 7,
        "manager_name": "Мария Козлова",
        "group_name": "Группа Юг",
        "tab": "growth",
        "category": "process",
        "source": "csi",
        "incident_date": "2026-11-02",
        "summary": "Не перезвонил",
        "link": None,
        "attachments": [{"kind": "voice", "file_id": "voi", "file_name": ""}],
        "reviewing": True,
    }
    stored = json.loads(json.dumps(data))  # the dialog's data is kept as JSON
    draft = case_new.case_draft(stored)
    assert draft == cases.CaseDraft(
        manager_id=7,
        tab=CaseTab.GROWTH,
        category=CaseCategory.PROCESS,
        source=CaseSource.CSI,
        incident_date=date(2026, 11, 2),
        summary="Не перезвонил",
        link=None,
        attachments=(cases.AttachmentDraft(kind="voice", file_id="voi", file_name=""),),
    )


def test_attachments_are_described_with_escaped_names(texts: Texts) -> None:
    assert case_new.describe_attachments([], texts) == "нет"
    files = [
        {"kind": "photo", "file_id": "1", "file_name": ""},
        {"kind": "document", "file_id": "2", "file_name": "<b>акт</b> & счёт.pdf"},
        {"kind": "document", "file_id": "3", "file_name": ""},
        {"kind": "audio", "file_id": "4", "file_name": "звонок.mp3"},
        {"kind": "voice", "file_id": "5", "file_name": ""},
    ]
    assert case_new.describe_attachments(files, texts) == (
        "5 (фото, документ «&lt;b&gt;акт&lt;/b&gt; &amp; счёт.pdf», документ, "
        "аудио «звонок.mp3», голосовое)"
    )


def test_the_calendar_speaks_russian(texts: Texts) -> None:
    months = [texts("calendar-month", month=m, year=2026, weekday=1) for m in range(1, 13)]
    assert months[0] == "Январь"
    assert months[10] == "Ноябрь"
    assert len(set(months)) == 12
    weekdays = [texts("calendar-weekday", weekday=d, month=1, year=2026) for d in range(1, 8)]
    assert weekdays == ["Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс"]
    assert texts("calendar-header", month=3, year=2026, weekday=1) == "🗓 Март 2026"


def test_long_names_are_shortened_so_the_review_fits_one_message(texts: Texts) -> None:
    name = "протокол встречи с клиентом по объекту на Ленинском проспекте.pdf"
    described = case_new.describe_attachments(
        [{"kind": "document", "file_id": "1", "file_name": name}] * case_new.MAX_ATTACHMENTS,
        texts,
    )
    assert "протокол встречи с клиентом по объекту…" in described
    assert len(described) < 600
    assert case_new.shortened("https://example.com", 300) == "https://example.com"
