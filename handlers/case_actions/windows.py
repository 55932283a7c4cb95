"""The windows of the case input dialogs: the briefing (a day, then a time), a comment, and
the process analysis (three texts, a due date, a review)."""

from __future__ import annotations

from typing import Any

from aiogram.fsm.state import State
from aiogram_dialog import Window
from aiogram_dialog.widgets.kbd import Back, Button, Cancel, Group, Row, Select, SwitchTo
from aiogram_dialog.widgets.text import Format

from bot.conversation import Dialog
from bot.dialog_widgets import RuCalendar, T, hint, text_input
from handlers.case_actions import getters
from handlers.case_actions import handlers as on
from handlers.case_actions.states import AnalysisSG, BriefingSG, CommentSG
from handlers.review_flow import mark_reviewing

PROMPT = Format("{prompt}")
CANCEL = Cancel(T("btn-cancel"))
TEXT_ONLY = "case-error-text-only"


briefing_dialog = Dialog(
    Window(
        PROMPT,
        RuCalendar(
            id="briefing_date",
            on_click=on.briefing_day_picked,
            future_only=True,
            unavailable=on.briefing_day_unavailable,
        ),
        CANCEL,
        getter=getters.briefing_day_getter,
        state=BriefingSG.pick,
    ),
    Window(
        PROMPT,
        Group(
            Select(
                Format("{item}"),
                id="briefing_time",
                item_id_getter=on.slot_id,
                items="slots",
                on_click=on.briefing_time_picked,
            ),
            width=4,
        ),
        Row(Back(T("btn-back")), CANCEL),
        getter=getters.briefing_time_getter,
        state=BriefingSG.time,
    ),
)


comment_dialog = Dialog(
    Window(
        PROMPT,
        text_input("comment", on.clean_text(3), on.comment_given, TEXT_ONLY),
        hint(TEXT_ONLY),
        CANCEL,
        getter=getters.comment_getter,
        state=CommentSG.write,
    ),
)


def analysis_text(field: str, next_state: State, state: State, getter: Any) -> Window:
    return Window(
        PROMPT,
        text_input(
            f"an_{field}",
            on.clean_text(2),
            on.analysis_flow.saved_text(field, next_state),
            TEXT_ONLY,
        ),
        hint(TEXT_ONLY),
        CANCEL,
        getter=getter,
        state=state,
    )


def edit(label: str, widget_id: str, state: State) -> SwitchTo:
    """«Изменить …» on the review: that step, then back to the review."""
    return SwitchTo(T(label), id=widget_id, state=state, on_click=mark_reviewing)


analysis_dialog = Dialog(
    analysis_text("process", AnalysisSG.cause, AnalysisSG.process, getters.process_getter),
    analysis_text("cause", AnalysisSG.measures, AnalysisSG.cause, getters.cause_getter),
    analysis_text("measures", AnalysisSG.due, AnalysisSG.measures, getters.measures_getter),
    Window(
        PROMPT,
        RuCalendar(id="measures_due", on_click=on.due_picked, future_only=True),
        CANCEL,
        getter=getters.due_getter,
        state=AnalysisSG.due,
    ),
    Window(
        PROMPT,
        edit("btn-case-edit-process", "r_p", AnalysisSG.process),
        edit("btn-case-edit-cause", "r_c", AnalysisSG.cause),
        edit("btn-case-edit-measures", "r_m", AnalysisSG.measures),
        edit("btn-case-edit-due", "r_d", AnalysisSG.due),
        Row(Button(T("btn-case-analysis-send"), id="send", on_click=on.send_analysis), CANCEL),
        getter=getters.review_getter,
        state=AnalysisSG.review,
    ),
)
