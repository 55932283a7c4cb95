"""End to end: /cases lists what each user may see, filtered and paged, each row opening the
case's card; /case N shows one case, or says it is missing when it is out of scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.engine import write_transaction
from db.models import (
    AuditEntry,
    Case,
    CaseCategory,
    CaseSource,
    CaseState,
    CaseTab,
    Employee,
    Role,
    WorkingGroup,
)
from emulator import BotAPIEmulator, StoredMessage
from tests.e2e.conftest import CS_ID, LEAD_ID, OTHER_MANAGER_ID
from tests.e2e.harness import BotProcess
from tests.e2e.steps import say, step

NOW = datetime.now(UTC).replace(microsecond=0)


@dataclass
class Seeded:
    ivan: list[int]  # Группа Север
    maria: list[int]  # Группа Юг, Telegram id 3002
    closed: int  # Павел Новиков, Группа Юг
    west: int  # a group Андрей Лидеров does not lead

    @property
    def open_count(self) -> int:
        return len(self.ivan) + len(self.maria) + 1


@pytest.fixture
async def seeded(world: None, sessions: async_sessionmaker[AsyncSession]) -> Seeded:
    """Cases written straight into the database (after the roster, before the bot starts)."""
    async with sessions() as session, write_transaction(session):
        people = {e.full_name: e for e in (await session.execute(select(Employee))).scalars()}
        west = WorkingGroup(name="Группа Запад")
        peter = Employee(full_name="Пётр Западов", role=Role.MANAGER, groups=[west])
        session.add_all([west, peter])
        await session.flush()
        made: list[Case] = []

        def case(
            manager: Employee,
            state: CaseState = CaseState.NEW,
            category: CaseCategory = CaseCategory.COMMUNICATION,
            **extra: object,
        ) -> Case:
            item = Case(
                tab=CaseTab.CASES,
                category=category,
                source=CaseSource.CALL,
                manager_id=manager.id,
                group_id=manager.groups[0].id,
                author_id=people["Ольга Смирнова"].id,
                incident_date=(NOW - timedelta(days=5)).date(),
                summary="Не <b>назвал</b> сроки доставки",
                state=state,
                # The first made is the oldest: the list shows it last.
                created_at=NOW - timedelta(hours=100 - len(made)),
                **extra,
            )
            session.add(item)
            made.append(item)
            return item

        ivan = [case(people["Иван Петров"]) for _ in range(5)]
        lead = people["Андрей Лидеров"]
        maria = [
            case(
                people["Мария Козлова"], CaseState.ACCEPTED, accepted_by_id=lead.id, accepted_at=NOW
            )
            for _ in range(3)
        ]
        maria.append(case(people["Мария Козлова"], category=CaseCategory.PROCESS))
        closed = case(people["Павел Новиков"], CaseState.CLOSED, closed_at=NOW)
        west_case = case(peter)
        await session.flush()
        for item in made:
            session.add(
                AuditEntry(
                    at=item.created_at,
                    actor_id=people["Ольга Смирнова"].id,
                    entity="case",
                    entity_id=item.id,
                    action="register",
                    to_state=CaseState.NEW,
                )
            )
        for item in maria[:3]:
            session.add(
                AuditEntry(
                    at=item.created_at + timedelta(hours=1),
                    actor_id=lead.id,
                    entity="case",
                    entity_id=item.id,
                    action="accept",
                    from_state=CaseState.NEW,
                    to_state=CaseState.ACCEPTED,
                )
            )
        return Seeded(
            ivan=[c.id for c in ivan],
            maria=[c.id for c in maria],
            closed=closed.id,
            west=west_case.id,
        )


def rows(message: StoredMessage) -> list[str]:
    return [text for row in message.buttons for text in row if text.startswith("#")]


async def test_cs_pages_through_every_open_case_and_opens_a_card(
    emu: BotAPIEmulator, bot_process: BotProcess, seeded: Seeded
):
    await bot_process.start()
    total = seeded.open_count
    listing = await say(emu, CS_ID, "/cases", contains="Кейсы")
    assert "открытые · все категории" in listing.text
    assert f"Всего: {total} · стр. 1 из 2" in listing.text
    first = rows(listing)
    assert len(first) == 8
    # Newest first: the West case was registered last.
    assert first[0].startswith(f"#{seeded.west} · Пётр Западов · новый · ")
    assert ["▶"] in listing.buttons
    assert [] not in listing.buttons  # no empty keyboard rows
    assert not any("◀" in text for row in listing.buttons for text in row)

    second_page = await step(emu, CS_ID, listing, "▶", "стр. 2 из 2")
    second = rows(second_page)
    assert len(second) == total - 8
    shown = {int(text.split(" ")[0].lstrip("#")) for text in first + second}
    assert shown == {*seeded.ivan, *seeded.maria, seeded.west}
    assert seeded.closed not in shown

    # A row opens the case's card with its history, and «Назад» returns to the same page.
    target = seeded.ivan[0]
    card = await step(emu, CS_ID, second_page, f"#{target} ·", f"Кейс #{target}")
    assert "Иван Петров" in card.text
    assert "Не <b>назвал</b> сроки доставки" in card.text  # user text shown, not parsed
    assert "История" in card.text
    assert "Ольга Смирнова: зарегистрирован — новый" in card.text
    back = await step(emu, CS_ID, card, "Назад", "стр. 2 из 2")

    # Filters: every state, then one category.
    states = await step(emu, CS_ID, back, "Статус:", "Какие кейсы показать")
    everything = await step(emu, CS_ID, states, "Все", f"Всего: {total + 1}")
    assert "все статусы" in everything.text
    assert "стр. 1 из 2" in everything.text  # a new filter starts from the first page
    categories = await step(emu, CS_ID, everything, "Категория:", "какой категории")
    process = await step(emu, CS_ID, categories, "Ошибка в процессе", "Всего: 1 ·")
    assert rows(process) == [rows(process)[0]]
    assert rows(process)[0].startswith(f"#{seeded.maria[-1]} · Мария Козлова · новый")


async def test_a_manager_sees_only_his_own_cases(
    emu: BotAPIEmulator, bot_process: BotProcess, seeded: Seeded
):
    await bot_process.start()
    listing = await say(emu, OTHER_MANAGER_ID, "/cases", contains="Кейсы")
    assert f"Всего: {len(seeded.maria)} · стр. 1 из 1" in listing.text
    mine = rows(listing)
    assert len(mine) == len(seeded.maria)
    assert all("Мария Козлова" in text for text in mine)
    assert not any("▶" in text or "◀" in text for row in listing.buttons for text in row)
    # Nothing open in a state of hers: a clear empty text, the filters still there.
    states = await step(emu, OTHER_MANAGER_ID, listing, "Статус:", "Какие кейсы")
    empty = await step(emu, OTHER_MANAGER_ID, states, "повторная проверка", "нет")
    assert "Кейсов по этому фильтру нет" in empty.text
    assert rows(empty) == []
    # And /case of someone else's case reads as missing.
    reply = await say(emu, OTHER_MANAGER_ID, f"/case {seeded.ivan[0]}", contains="Кейс")
    assert reply.text == f"Кейс #{seeded.ivan[0]} не найден или недоступен вам."


async def test_case_by_number_respects_the_scope(
    emu: BotAPIEmulator, bot_process: BotProcess, seeded: Seeded
):
    await bot_process.start()
    # The lead of Север and Юг asks for a case of Группа Запад: as if it did not exist.
    refused = await say(emu, LEAD_ID, f"/case {seeded.west}", contains="не найден")
    assert refused.text == f"Кейс #{seeded.west} не найден или недоступен вам."
    missing = await say(emu, LEAD_ID, "/case 99999", contains="не найден")
    assert missing.text == "Кейс #99999 не найден или недоступен вам."

    # His own group's new case, with «#»: the card, and the button he may press.
    own = seeded.ivan[0]
    card = await say(emu, LEAD_ID, f"/case #{own}", contains=f"Кейс #{own}")
    assert "Иван Петров" in card.text
    assert card.buttons == [["Беру в работу"]]

    # CS sees any case; «Беру в работу» is the lead's, so CS gets no button on a new case.
    cs_card = await say(emu, CS_ID, f"/case {seeded.west}", contains=f"Кейс #{seeded.west}")
    assert "Пётр Западов (Группа Запад)" in cs_card.text
    assert "Ольга Смирнова: зарегистрирован — новый" in cs_card.text
    assert cs_card.buttons == []
    accepted = seeded.maria[0]
    cs_card = await say(emu, CS_ID, f"/case {accepted}", contains=f"Кейс #{accepted}")
    assert "Андрей Лидеров: новый → в работе" in cs_card.text
