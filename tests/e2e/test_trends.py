"""End to end: /results «📈 Динамика» through the real bot process. CS gets the overall
score's 12-month chart (a PNG) with the groups to pick and picks one; a lead gets his groups'
chart and picks one, and his forged buttons for another group's chart are refused; a manager
gets his own score and his group's, or is told his group has no per-manager scores."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from emulator import BotAPIEmulator
from tests.e2e.conftest import CS_ID, LEAD_ID, MANAGER_ID, OTHER_MANAGER_ID
from tests.e2e.harness import BotProcess
from tests.e2e.steps import PNG_SIGNATURE, open_below, photos, press_forged, say
from tests.e2e.world import manager_results, month_results, working_group

AUG, SEP, OCT = date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1)
PERIOD = "ноябрь 2025 — октябрь 2026"


@pytest.fixture
async def west(sessions: async_sessionmaker[AsyncSession], world: None) -> int:
    """Three months of results; Группа Запад (nobody's in the roster) is the foreign group.
    Север and Запад come as one total row a month, Юг per manager; Север has no September.
    The overall score: September (70 + 88 + 76) / 3 = 78, October (80 + 65 + 90 + 71) / 4
    = 76.5; Юг: September 82, October 80.5."""
    west_id = await working_group(sessions, "Группа Запад")
    await month_results(sessions, AUG, {"Группа Север": 82.0, "Группа Запад": 60.0})
    await month_results(sessions, SEP, {"Группа Запад": 70.0})
    await manager_results(
        sessions, SEP, "Группа Юг", {"Мария Козлова": 88.0, "Павел Новиков": 76.0}
    )
    await month_results(sessions, OCT, {"Группа Север": 80.0, "Группа Запад": 65.0})
    await manager_results(
        sessions, OCT, "Группа Юг", {"Мария Козлова": 90.0, "Павел Новиков": 71.0}
    )
    return west_id


async def test_cs_gets_the_overall_chart_and_the_chart_of_a_group_picked(
    emu: BotAPIEmulator, west: int, bot: BotProcess
) -> None:
    shown = await say(emu, CS_ID, "/results", contains="Итоги за октябрь 2026")
    assert shown.buttons[-1] == ["📈 Динамика"]

    chart = await open_below(emu, CS_ID, shown, "📈 Динамика", contains="Динамика: общий балл")
    assert chart.photo is not None
    assert chart.file_bytes is not None
    assert chart.file_bytes.startswith(PNG_SIGNATURE)
    assert PERIOD in chart.content
    assert "· Общий балл: 76,5 % за октябрь 2026 (−1,5 п.п.)" in chart.content
    assert chart.buttons == [["Группа Запад"], ["Группа Север"], ["Группа Юг"]]

    north = await open_below(
        emu, CS_ID, chart, "Группа Север", contains="Динамика: общий балл и Группа Север"
    )
    assert north.file_bytes is not None
    assert north.file_bytes.startswith(PNG_SIGNATURE)
    # September has no result of Север: a gap, and the change is against August.
    assert "· Группа Север: 80,0 % за октябрь 2026 (−2,0 п.п.)" in north.content
    assert ["• Группа Север"] in north.buttons
    assert north.buttons[-1] == ["↩ Общий график"]
    assert len(photos(emu, CS_ID)) == 2
    assert "Traceback" not in bot.log


@pytest.mark.both_databases
async def test_a_lead_gets_his_groups_and_a_forged_button_of_another_group_is_refused(
    emu: BotAPIEmulator, west: int, bot: BotProcess
) -> None:
    shown = await say(emu, LEAD_ID, "/results", contains="Итоги за октябрь 2026")
    chart = await open_below(emu, LEAD_ID, shown, "📈 Динамика", contains="Динамика: ваши группы")
    assert chart.file_bytes is not None
    assert chart.file_bytes.startswith(PNG_SIGNATURE)
    assert PERIOD in chart.content
    assert "· Группа Север: 80,0 % за октябрь 2026 (−2,0 п.п.)" in chart.content
    assert "· Группа Юг: 80,5 % за октябрь 2026 (−1,5 п.п.)" in chart.content
    assert "Запад" not in chart.content
    assert "Общий балл" not in chart.content
    assert chart.buttons == [["Группа Север"], ["Группа Юг"]]

    south = await open_below(emu, LEAD_ID, chart, "Группа Юг", contains="Динамика: Группа Юг")
    assert south.file_bytes is not None
    assert south.file_bytes.startswith(PNG_SIGNATURE)
    assert "Север" not in south.content

    # The same buttons with Запад's id: the chart and the page of the list.
    for forged in (f"tr:{west}", f"tp:0:{west}"):
        answer = await press_forged(emu, LEAD_ID, chart, forged)
        assert answer.text is not None
        assert "Это не ваша группа" in answer.text, answer.text
        assert answer.show_alert
    assert len(photos(emu, LEAD_ID)) == 2  # nothing sent for the forged presses
    assert "Traceback" not in bot.log


async def test_a_manager_gets_his_own_score_and_his_group_and_only_his(
    emu: BotAPIEmulator, west: int, bot: BotProcess
) -> None:
    shown = await say(emu, OTHER_MANAGER_ID, "/results", contains="Итоги за октябрь 2026")
    chart = await open_below(
        emu, OTHER_MANAGER_ID, shown, "📈 Динамика", contains="Динамика: ваш балл и ваша группа"
    )
    assert chart.file_bytes is not None
    assert chart.file_bytes.startswith(PNG_SIGNATURE)
    assert PERIOD in chart.content
    assert "· Ваш балл: 90,0 % за октябрь 2026 (+2,0 п.п.)" in chart.content
    assert "· Группа Юг: 80,5 % за октябрь 2026 (−1,5 п.п.)" in chart.content
    assert chart.buttons == []  # nothing to pick
    answer = await press_forged(emu, OTHER_MANAGER_ID, chart, f"tr:{west}")
    assert answer.text is not None
    assert "Это не ваша группа" in answer.text, answer.text

    # Иван's Север came as one total row a month: no score of his own, and the caption says so.
    shown = await say(emu, MANAGER_ID, "/results", contains="Итоги за октябрь 2026")
    chart = await open_below(emu, MANAGER_ID, shown, "📈 Динамика", contains="Динамика:")
    assert chart.file_bytes is not None
    assert chart.file_bytes.startswith(PNG_SIGNATURE)
    assert "· Группа Север: 80,0 % за октябрь 2026 (−2,0 п.п.)" in chart.content
    assert "Вашего личного балла в итогах нет" in chart.content
    assert "Ваш балл:" not in chart.content
    assert len(photos(emu, OTHER_MANAGER_ID)) == 1
    assert "Traceback" not in bot.log
