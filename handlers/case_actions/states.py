"""The states of the input dialogs a case post's buttons open, and which act opens which."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup

from bot.callbacks import CaseAct


class BriefingSG(StatesGroup):
    pick = State()
    time = State()


class CommentSG(StatesGroup):
    write = State()


class AnalysisSG(StatesGroup):
    process = State()
    cause = State()
    measures = State()
    due = State()
    review = State()


# The acts that need input: their dialog's first step. The others are done at once.
INPUT_STATES: dict[CaseAct, State] = {
    CaseAct.SET_BRIEFING: BriefingSG.pick,
    CaseAct.RECHECK_FAILED: CommentSG.write,
    CaseAct.RETURN: CommentSG.write,
    CaseAct.SUBMIT_ANALYSIS: AnalysisSG.process,
}
