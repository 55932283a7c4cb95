"""The windows of /calibrate (the subject, a category for a recording, the participants, the
deadline, the review with «Запустить») and of a participant's vote (the verdict, the score,
the comment, the review with «Отправить»)."""

from __future__ import annotations

from operator import itemgetter

from aiogram_dialog import Window
from aiogram_dialog.widgets.kbd import Back, Button, Column, Group, Multiselect, Row
from aiogram_dialog.widgets.text import Format

from bot.conversation import Dialog
from bot.dialog_widgets import RuCalendar, T, cancel_dialog, choices, db_id, hint, text_input
from bot.services import calibration
from handlers.calibration import getters
from handlers.calibration import handlers as on
from handlers.calibration.states import CalibrateSG, CalibrationVoteSG

PROMPT = Format("{prompt}")
CANCEL = Button(T("btn-cancel"), id="cancel", on_click=cancel_dialog)


def _back_and_cancel() -> Row:
    return Row(Back(T("btn-back")), CANCEL)


calibrate_dialog = Dialog(
    Window(
        PROMPT,
        text_input(
            "in_subject", calibration.parse_subject, on.subject_given, "calibration-hint-subject"
        ),
        hint("calibration-hint-subject"),
        CANCEL,
        getter=getters.subject_getter,
        state=CalibrateSG.subject,
    ),
    Window(
        PROMPT,
        Group(choices("category", "choices", on.category_picked), width=1),
        hint("calibration-hint-buttons"),
        _back_and_cancel(),
        getter=getters.category_getter,
        state=CalibrateSG.category,
    ),
    Window(
        PROMPT,
        Column(
            Multiselect(
                Format("✅ {item[1]}"),
                Format("▫️ {item[1]}"),
                id=getters.PEOPLE,
                item_id_getter=itemgetter(0),
                items="people",
                type_factory=db_id,
            )
        ),
        Button(T("calibration-btn-next"), id="people_done", on_click=on.participants_done),
        hint("calibration-hint-buttons"),
        Row(
            Button(T("btn-back"), id="back", on_click=on.back_from_participants),
            CANCEL,
        ),
        getter=getters.participants_getter,
        state=CalibrateSG.participants,
    ),
    Window(
        PROMPT,
        RuCalendar(id="deadline", on_click=on.deadline_picked, future_only=True),
        hint("calibration-hint-buttons"),
        _back_and_cancel(),
        getter=getters.deadline_getter,
        state=CalibrateSG.deadline,
    ),
    Window(
        Format("{text}"),
        Button(T("calibration-btn-start"), id="launch", on_click=on.launch),
        _back_and_cancel(),
        getter=getters.review_getter,
        state=CalibrateSG.review,
    ),
)

vote_dialog = Dialog(
    Window(
        PROMPT,
        Column(choices("verdict", "verdicts", on.verdict_picked)),
        hint("calibration-hint-buttons"),
        CANCEL,
        getter=getters.verdict_getter,
        state=CalibrationVoteSG.verdict,
    ),
    Window(
        PROMPT,
        text_input("in_score", calibration.parse_score, on.score_given, "calibration-error-score"),
        hint("calibration-error-score"),
        _back_and_cancel(),
        getter=getters.score_getter,
        state=CalibrationVoteSG.score,
    ),
    Window(
        PROMPT,
        text_input(
            "in_comment", calibration.clean_comment, on.comment_given, "calibration-ask-comment"
        ),
        hint("calibration-ask-comment"),
        Button(T("btn-skip"), id="skip_comment", on_click=on.skip_comment),
        _back_and_cancel(),
        getter=getters.comment_getter,
        state=CalibrationVoteSG.comment,
    ),
    Window(
        Format("{text}"),
        Button(T("calibration-btn-send"), id="send", on_click=on.send_vote),
        _back_and_cancel(),
        getter=getters.vote_review_getter,
        state=CalibrationVoteSG.review,
    ),
    on_start=on.on_vote_start,
)
