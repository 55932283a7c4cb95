"""How a case looks in a post, and which buttons each audience gets in each state."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup

from bot import keyboards
from bot.callbacks import CaseAct
from bot.services import longtext
from bot.services.masking import mask_personal_data
from bot.texts import Html, Texts
from db.models import Case, CaseCategory, CaseSource, CaseState, CaseTab

# The catalogue's names of a case's values (explicit, so a missing text fails a test):
# the case lists, the export.
TAB_KEYS: dict[CaseTab, str] = {
    CaseTab.CASES: "case-tab-cases",
    CaseTab.GROWTH: "case-tab-growth",
    CaseTab.CSI: "case-tab-csi",
}
CATEGORY_KEYS: dict[CaseCategory, str] = {
    CaseCategory.COMMUNICATION: "case-category-communication",
    CaseCategory.PROCESS: "case-category-process",
}
SOURCE_KEYS: dict[CaseSource, str] = {
    CaseSource.MEETING: "case-source-meeting",
    CaseSource.CALL: "case-source-call",
    CaseSource.REQUEST: "case-source-request",
    CaseSource.CSI: "case-source-csi",
}
STATE_KEYS: dict[CaseState, str] = {
    CaseState.NEW: "case-state-new",
    CaseState.ACCEPTED: "case-state-accepted",
    CaseState.BRIEFING_SET: "case-state-briefing-set",
    CaseState.RECHECK: "case-state-recheck",
    CaseState.ANALYSED: "case-state-analysed",
    CaseState.CLOSED: "case-state-closed",
    CaseState.REPEATED: "case-state-repeated",
    CaseState.WITHDRAWN: "case-state-withdrawn",
}

GROUP = "group"
LEAD = "lead"

# The buttons of each state, and who sees them: the group post carries every button (CS and
# leads are both there); a lead's private copy carries only the lead's own.
_BUTTONS: dict[tuple[CaseState, CaseCategory | None], list[tuple[CaseAct, set[str]]]] = {
    (CaseState.NEW, None): [(CaseAct.ACCEPT, {GROUP, LEAD})],
    (CaseState.ACCEPTED, CaseCategory.COMMUNICATION): [(CaseAct.SET_BRIEFING, {GROUP, LEAD})],
    (CaseState.ACCEPTED, CaseCategory.PROCESS): [(CaseAct.SUBMIT_ANALYSIS, {GROUP, LEAD})],
    (CaseState.BRIEFING_SET, None): [
        (CaseAct.BRIEFING_HELD, {GROUP, LEAD}),
        (CaseAct.SET_BRIEFING, {GROUP, LEAD}),
    ],
    (CaseState.RECHECK, None): [
        (CaseAct.RECHECK_PASSED, {GROUP}),
        (CaseAct.RECHECK_FAILED, {GROUP}),
    ],
    (CaseState.ANALYSED, None): [(CaseAct.CONFIRM, {GROUP}), (CaseAct.RETURN, {GROUP})],
}


def buttons_for(case: Case, audience: str) -> list[CaseAct]:
    rows = _BUTTONS.get((case.state, case.category)) or _BUTTONS.get((case.state, None), [])
    return [act for act, audiences in rows if audience in audiences]


def keyboard(case: Case, audience: str, texts: Texts) -> InlineKeyboardMarkup | None:
    """The buttons of the case's post for `audience` (the group's, or a lead's copy)."""
    return keyboards.case_acts(case.id, buttons_for(case, audience), texts)


def act_keyboard(case: Case, acts: list[CaseAct], texts: Texts) -> InlineKeyboardMarkup:
    """The buttons of `acts` on the case (a reminder's or a notice's buttons)."""
    markup = keyboards.case_acts(case.id, acts, texts)
    assert markup is not None, "a reminder or notice names its buttons"
    return markup


def appeal_keyboard(case: Case, bot_username: str, texts: Texts) -> InlineKeyboardMarkup:
    """«Обжаловать»: the deep link into the appeal dialog for this case."""
    return keyboards.deep_link(texts("case-btn-appeal"), bot_username, f"appeal_{case.id}")


def status_line(case: Case, texts: Texts) -> str:
    state = case.state
    if state == CaseState.NEW:
        return texts("case-status-new")
    if state == CaseState.ACCEPTED:
        who = case.accepted_by.full_name if case.accepted_by else "—"
        return texts("case-status-accepted", who=who, date=case.accepted_at)
    if state == CaseState.BRIEFING_SET:
        return texts("case-status-briefing-set", when=case.briefing_at)
    if state == CaseState.RECHECK:
        assert case.recheck_due_at is not None
        held = case.briefing_held_at
        return texts(
            "case-status-recheck",
            date=Html(texts.date(held)) if held else "—",
            due=Html(texts.date(case.recheck_due_at)),
        )
    if state == CaseState.ANALYSED:
        return texts("case-status-analysed")
    if state == CaseState.CLOSED:
        return texts("case-status-closed", date=Html(texts.date(case.closed_at or case.updated_at)))
    if state == CaseState.REPEATED:
        return texts(
            "case-status-repeated", date=Html(texts.date(case.closed_at or case.updated_at))
        )
    return texts("case-status-withdrawn")


# Telegram's limit is 4096 characters after entity parsing; leave room for the edit marks.
MAX_VISIBLE = 4000


def visible_length(html_text: str) -> int:
    """The length Telegram counts (the long-message rule's)."""
    return longtext.visible_length(html_text)


def render(case: Case, texts: Texts, *, last_action: str = "", full: bool = False) -> str:
    """The post, shortened if needed so it always fits one Telegram message.

    A long summary together with a long analysis and comment can pass the limit; then the
    summary is cut (its full text stays in the database and in /case N). `full` keeps it
    whole, for a view that applies the long-message rule itself (the /case N card).
    """
    text = _render(case, texts, case.summary, last_action)
    if full:
        return text
    excess = visible_length(text) - MAX_VISIBLE
    if excess <= 0:
        return text
    keep = max(0, len(case.summary) - excess - 40)
    short = case.summary[:keep].rstrip() + texts("case-post-cut", id=case.id)
    return _render(case, texts, short, last_action)


def _render(case: Case, texts: Texts, summary: str, last_action: str) -> str:
    lines = [
        texts(
            "case-post-title",
            id=case.id,
            category=texts(f"case-category-{case.category}"),
            tab=texts(f"case-tab-{case.tab}"),
        ),
        texts("case-post-manager", name=case.manager.full_name, group=case.group.name),
        texts(
            "case-post-source",
            source=texts(f"case-source-{case.source}"),
            date=case.incident_date,
        ),
    ]
    if case.repeated:
        key = "case-post-repeated-of" if case.repeat_of_id else "case-post-repeated"
        lines.append(texts(key, other=case.repeat_of_id or 0))
    lines.append("")
    lines.append(texts("case-post-summary", summary=mask_personal_data(summary)))
    if case.link:
        lines.append(texts("case-post-link", url=case.link))
    if case.attachments:
        lines.append(texts("case-post-attachments", count=len(case.attachments)))
    if case.analysis_process:
        lines.append("")
        lines.append(
            texts(
                "case-post-analysis",
                process=mask_personal_data(case.analysis_process),
                cause=mask_personal_data(case.analysis_cause or ""),
                measures=mask_personal_data(case.analysis_measures or ""),
                due=case.measures_due,
            )
        )
    lines.append("")
    lines.append(texts("case-post-status", status=Html(status_line(case, texts))))
    if case.acknowledged_at is not None:
        lines.append(texts("case-post-acknowledged", when=case.acknowledged_at))
    if case.last_comment:
        lines.append(texts("case-post-comment", comment=mask_personal_data(case.last_comment)))
    if last_action:
        lines.append(Html(last_action))
    return "\n".join(lines)
