"""A case post always fits one Telegram message and shows user text literally."""

from __future__ import annotations

from datetime import date

from bot.services import case_posts
from bot.services.cases import MAX_FIELD, MAX_SUMMARY
from bot.texts import Texts
from db.models import (
    Case,
    CaseCategory,
    CaseSource,
    CaseState,
    CaseTab,
    Employee,
    Role,
    WorkingGroup,
)
from emulator import parse_html


def make_case(summary: str, **fields: object) -> Case:
    group = WorkingGroup(id=1, name="Группа <Юг>")
    manager = Employee(id=1, full_name="Иван & Co", role=Role.MANAGER)
    manager.groups = [group]
    case = Case(
        id=7,
        tab=CaseTab.CASES,
        category=CaseCategory.PROCESS,
        source=CaseSource.CALL,
        manager=manager,
        group=group,
        group_id=1,
        incident_date=date(2026, 11, 20),
        summary=summary,
        state=CaseState.ANALYSED,
        repeated=False,
        **fields,
    )
    case.attachments = []
    return case


def test_the_longest_case_still_fits_and_says_where_the_rest_is(texts: Texts) -> None:
    case = make_case(
        "Ж" * MAX_SUMMARY,
        analysis_process="П" * MAX_FIELD,
        analysis_cause="Ц" * MAX_FIELD,
        analysis_measures="<b>М</b>" * (MAX_FIELD // 8),
        measures_due=date(2026, 12, 1),
        last_comment="к" * MAX_FIELD,
    )
    text = case_posts.render(case, texts, last_action="<i>Ольга, 24.11.2026 10:00</i>")
    parsed = parse_html(text)  # the emulator's Telegram-HTML parser: raises on bad markup
    assert len(parsed.text) <= 4096
    assert "полностью — /case 7" in parsed.text
    assert "<b>М</b>" in parsed.text


def test_a_full_summary_alone_is_not_cut(texts: Texts) -> None:
    case = make_case("Щ" * MAX_SUMMARY)
    parsed = parse_html(case_posts.render(case, texts))
    assert "Щ" * MAX_SUMMARY in parsed.text
    assert "Иван & Co (Группа <Юг>)" in parsed.text
