"""Typed SQLAlchemy models. Every datetime is stored in UTC (`UTCDateTime`)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from db.types import UTCDateTime, utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON()}  # noqa: RUF012


class Role(StrEnum):
    CS = "cs"
    LEAD = "lead"
    MANAGER = "manager"


employee_groups = Table(
    "employee_groups",
    Base.metadata,
    Column("employee_id", ForeignKey("employees.id", ondelete="CASCADE"), primary_key=True),
    Column("group_id", ForeignKey("working_groups.id", ondelete="CASCADE"), primary_key=True),
)


class WorkingGroup(Base):
    __tablename__ = "working_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    members: Mapped[list[Employee]] = relationship(
        secondary=employee_groups, back_populates="groups", lazy="raise"
    )


class Employee(Base):
    __tablename__ = "employees"

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(String(200), index=True)
    role: Mapped[Role] = mapped_column(String(16))
    position: Mapped[str] = mapped_column(String(200), default="")
    telegram_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    # Stored lower-case and without "@"; Telegram usernames are case-insensitive.
    username: Mapped[str | None] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    groups: Mapped[list[WorkingGroup]] = relationship(
        secondary=employee_groups,
        back_populates="members",
        lazy="selectin",
        order_by="WorkingGroup.name",
    )

    @property
    def group_ids(self) -> set[int]:
        return {group.id for group in self.groups}

    @property
    def group_names(self) -> str:
        return ", ".join(group.name for group in self.groups)


class AccessRequestState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class AccessRequest(Base):
    __tablename__ = "access_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, index=True)
    telegram_name: Mapped[str] = mapped_column(String(300))
    username: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[AccessRequestState] = mapped_column(
        String(16), default=AccessRequestState.PENDING
    )
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]

    employee: Mapped[Employee | None] = relationship(foreign_keys=[employee_id], lazy="selectin")
    decided_by: Mapped[Employee | None] = relationship(
        foreign_keys=[decided_by_id], lazy="selectin"
    )


class LinkItem(Base):
    __tablename__ = "links"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Seeded links keep their key so a re-seed never duplicates them; added ones have none.
    key: Mapped[str | None] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(100))
    url: Mapped[str] = mapped_column(String(1000))
    note: Mapped[str] = mapped_column(String(200), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))


class ReminderState(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    CANCELLED = "cancelled"
    FAILED = "failed"


class Reminder(Base):
    __tablename__ = "reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    due_at: Mapped[datetime] = mapped_column(index=True)
    state: Mapped[ReminderState] = mapped_column(
        String(16), default=ReminderState.PENDING, index=True
    )
    # What the reminder is about ("case:12"), so closing the case can cancel its reminders.
    subject: Mapped[str] = mapped_column(String(64), default="", index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    fired_at: Mapped[datetime | None]


class OutboxState(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    # Kept for a person the bot cannot reach (403); sent again when he presses «Старт».
    UNDELIVERED = "undelivered"
    # An edit of a kept message, applied to the kept row instead of being sent.
    MERGED = "merged"


class OutboxMessage(Base):
    """A notification to a chat, written in the same transaction as its cause."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_queue", "state", "chat_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, index=True)
    method: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    file_data: Mapped[bytes | None] = mapped_column(LargeBinary)
    # The earlier message this one edits or replies to; its message_id is known once sent.
    target_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
    # What the message shows ("case:12:group"), so a later change can edit it.
    subject: Mapped[str] = mapped_column(String(64), default="", index=True)
    state: Mapped[OutboxState] = mapped_column(String(16), default=OutboxState.PENDING, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    # A sender is calling Telegram with this row until then: no other sender takes it, and
    # after a crash it is sent again only once this has passed without a result recorded.
    claimed_until: Mapped[datetime | None]

    target: Mapped[OutboxMessage | None] = relationship(remote_side=[id], lazy="raise")


class BlockedChat(Base):
    """A person the bot cannot reach (he never pressed «Старт», or blocked the bot).

    While the row exists, messages to him are kept (`OutboxState.UNDELIVERED`), not sent;
    his next /start deletes it and sends what was kept.
    """

    __tablename__ = "blocked_chats"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    reason: Mapped[str] = mapped_column(String(300))
    blocked_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The CS group's message saying who cannot be reached and what he is missing: written
    # once per unreachable spell, then edited (an edit does not notify anyone).
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str | None] = mapped_column(String(32))
    comment: Mapped[str] = mapped_column(Text, default="")


class FsmRecord(Base):
    """aiogram FSM storage row: the dialog state and data of one user in one chat."""

    __tablename__ = "fsm_states"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    state: Mapped[str | None] = mapped_column(String(255))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CacheGeneration(Base):
    """One row: a number that every committed change of the cached tables (the roster, the
    working groups, the quick links; db.versions.CACHED_TABLES) raises, through PostgreSQL
    triggers; replicas read it with each update's lock and keep what they read of those
    tables while it stays the same. (On SQLite the row is there and unused: a token file
    beside the database does this job.)"""

    __tablename__ = "cache_generation"

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class CaseTab(StrEnum):
    CASES = "cases"
    GROWTH = "growth"
    CSI = "csi"


class CaseCategory(StrEnum):
    COMMUNICATION = "communication"
    PROCESS = "process"


class CaseSource(StrEnum):
    MEETING = "meeting"
    CALL = "call"
    REQUEST = "request"
    CSI = "csi"


class CaseState(StrEnum):
    NEW = "new"
    ACCEPTED = "accepted"
    BRIEFING_SET = "briefing_set"
    RECHECK = "recheck"
    ANALYSED = "analysed"
    CLOSED = "closed"
    REPEATED = "repeated"
    WITHDRAWN = "withdrawn"


FINAL_CASE_STATES = frozenset({CaseState.CLOSED, CaseState.REPEATED, CaseState.WITHDRAWN})


class Case(Base):
    """An error CS found. Its id is the number users see (#12)."""

    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_manager_category", "manager_id", "category", "tab"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tab: Mapped[CaseTab] = mapped_column(String(16))
    category: Mapped[CaseCategory] = mapped_column(String(16))
    source: Mapped[CaseSource] = mapped_column(String(16))
    manager_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("working_groups.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    incident_date: Mapped[date]
    summary: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(1000))
    state: Mapped[CaseState] = mapped_column(String(16), default=CaseState.NEW, index=True)
    # A repeated error: same manager, category and tab within REPEAT_WINDOW, or a failed re-check.
    repeated: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    repeat_of_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    accepted_at: Mapped[datetime | None]
    # Before 0006 the briefing had a day only; 0006 copied it into briefing_at and nothing
    # writes it since (only /queue's legacy branch reads it): to be dropped.
    briefing_date: Mapped[date | None]
    # The briefing (CS, the lead and the manager meet): a moment in UTC, shown in TIMEZONE.
    briefing_at: Mapped[datetime | None]
    briefing_held_at: Mapped[datetime | None]
    recheck_due_at: Mapped[datetime | None]
    analysis_process: Mapped[str | None] = mapped_column(Text)
    analysis_cause: Mapped[str | None] = mapped_column(Text)
    analysis_measures: Mapped[str | None] = mapped_column(Text)
    measures_due: Mapped[date | None]
    last_comment: Mapped[str | None] = mapped_column(Text)
    # A case imported from the team's workbook: a digest of (sheet, date, manager, summary),
    # so importing the same row again is recognised and skipped.
    import_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    closed_at: Mapped[datetime | None]
    # The manager's «Ознакомлен» on the notice of the case (None: not yet).
    acknowledged_at: Mapped[datetime | None]

    manager: Mapped[Employee] = relationship(foreign_keys=[manager_id], lazy="selectin")
    group: Mapped[WorkingGroup] = relationship(lazy="selectin")
    author: Mapped[Employee | None] = relationship(foreign_keys=[author_id], lazy="selectin")
    accepted_by: Mapped[Employee | None] = relationship(
        foreign_keys=[accepted_by_id], lazy="selectin"
    )
    attachments: Mapped[list[CaseAttachment]] = relationship(
        lazy="selectin", order_by="CaseAttachment.id", cascade="all, delete-orphan"
    )

    @property
    def is_open(self) -> bool:
        return self.state not in FINAL_CASE_STATES


class CaseAttachment(Base):
    __tablename__ = "case_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    # photo, document, audio or voice: the Bot API method that re-sends it.
    kind: Mapped[str] = mapped_column(String(16))
    file_id: Mapped[str] = mapped_column(String(300))
    file_name: Mapped[str] = mapped_column(String(300), default="")


class AppealState(StrEnum):
    NEW = "new"
    ACCEPTED = "accepted"
    PARTIAL = "partial"
    REJECTED = "rejected"


class Appeal(Base):
    """A manager's (or his lead's) objection to a case (DESIGN §4)."""

    __tablename__ = "appeals"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    filer_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    reason: Mapped[str] = mapped_column(Text)
    # [{"kind": "photo|document|audio|voice", "file_id": ..., "file_name": ...}
    #  or {"kind": "link", "url": ...}]
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    state: Mapped[AppealState] = mapped_column(String(16), default=AppealState.NEW, index=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    decision_comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    decided_at: Mapped[datetime | None]

    case: Mapped[Case] = relationship(lazy="selectin")
    filer: Mapped[Employee] = relationship(foreign_keys=[filer_id], lazy="selectin")
    decided_by: Mapped[Employee | None] = relationship(
        foreign_keys=[decided_by_id], lazy="selectin"
    )


class RequestKind(StrEnum):
    FORWARDING = "forwarding"
    STAFFING = "staffing"
    BADGE = "badge"


class RequestState(StrEnum):
    NEW = "new"
    IN_WORK = "in_work"
    DONE = "done"
    REJECTED = "rejected"


class ServiceRequest(Base):
    """A lead's or manager's request to CS (DESIGN §5), shown as З-<id>."""

    __tablename__ = "requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[RequestKind] = mapped_column(String(16), index=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), index=True)
    # The group the request is about (scope for leads); the fields of the kind in `fields`.
    group_id: Mapped[int | None] = mapped_column(ForeignKey("working_groups.id"), index=True)
    fields: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[RequestState] = mapped_column(String(16), default=RequestState.NEW, index=True)
    processor_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    reject_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    requester: Mapped[Employee] = relationship(foreign_keys=[requester_id], lazy="selectin")
    processor: Mapped[Employee | None] = relationship(foreign_keys=[processor_id], lazy="selectin")


class MailState(StrEnum):
    PENDING = "pending"
    SENT = "sent"


class MailMessage(Base):
    """An e-mail to the CS mailbox, written with its cause and sent by a retrying job."""

    __tablename__ = "mail_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(300))
    subject: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[MailState] = mapped_column(String(16), default=MailState.PENDING, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class CallRole(StrEnum):
    """The manager's role in an analysed call (фронт / бэк / по показам / продажи)."""

    FRONT = "front"
    BACK = "back"
    SHOWING = "showing"
    SALES = "sales"


class CallAnalysis(Base):
    """A CS analysis of a manager's call, posted to the CS group (DESIGN §7)."""

    __tablename__ = "call_analyses"

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    call_role: Mapped[CallRole] = mapped_column(String(16))
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(1000))
    # audio, voice or document: the Bot API method that re-sends it as a reply to the post.
    file_kind: Mapped[str | None] = mapped_column(String(16))
    file_id: Mapped[str | None] = mapped_column(String(300))
    file_name: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    author: Mapped[Employee] = relationship(foreign_keys=[author_id], lazy="selectin")
    manager: Mapped[Employee | None] = relationship(foreign_keys=[manager_id], lazy="selectin")


class MonthlyResult(Base):
    """One row of a month's evaluation results (DESIGN §6): a working group's score, or one
    manager's score within it. A group has either one total row or rows per manager; its
    score for the month is the evaluation-weighted mean of its rows."""

    __tablename__ = "monthly_results"
    __table_args__ = (Index("ix_monthly_results_month_group", "month", "group_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The first day of the month the results are for.
    month: Mapped[date]
    group_id: Mapped[int] = mapped_column(ForeignKey("working_groups.id"))
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"), index=True)
    score: Mapped[float]  # percent, 0–100
    evaluations: Mapped[int] = mapped_column(Integer)
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))

    group: Mapped[WorkingGroup] = relationship(lazy="selectin")
    manager: Mapped[Employee | None] = relationship(foreign_keys=[manager_id], lazy="selectin")


class DigestPost(Base):
    """A month's digest as posted to the group: one row per month, written in the same
    transaction as the outbox rows of the post, so it is posted once across restarts."""

    __tablename__ = "digest_posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(unique=True)
    posted_at: Mapped[datetime] = mapped_column(default=utcnow)
    # None: posted by the schedule.
    posted_by_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))


class MeetingState(StrEnum):
    INVITED = "invited"
    BOOKED = "booked"
    CANCELLED = "cancelled"


class MeetingInvite(Base):
    """A flagged lead's invitation to book the monthly meeting with CS (DESIGN §6)."""

    __tablename__ = "meeting_invites"
    __table_args__ = (UniqueConstraint("month", "lead_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(index=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), index=True)
    # The flagged groups of this lead, by name, as the digest showed them.
    groups: Mapped[list[str]] = mapped_column(JSON, default=list)
    state: Mapped[MeetingState] = mapped_column(
        String(16), default=MeetingState.INVITED, index=True
    )
    # Two leads cannot book the same slot (NULLs, the unbooked ones, do not collide).
    meeting_at: Mapped[datetime | None] = mapped_column(unique=True)
    invited_at: Mapped[datetime] = mapped_column(default=utcnow)
    booked_at: Mapped[datetime | None]

    lead: Mapped[Employee] = relationship(foreign_keys=[lead_id], lazy="selectin")


class CalibrationState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class CalibrationVerdict(StrEnum):
    CONFIRMED = "confirmed"
    NO_ERROR = "no_error"
    PARTLY = "partly"


class CalibrationSession(Base):
    """A blind calibration: several people score the same case (or recording) unseen by each
    other; the result is posted when all have voted or the deadline passes."""

    __tablename__ = "calibration_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    # A recording given instead of a case.
    link: Mapped[str | None] = mapped_column(String(1000))
    category: Mapped[CaseCategory] = mapped_column(String(16))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    deadline_at: Mapped[datetime]
    state: Mapped[CalibrationState] = mapped_column(
        String(16), default=CalibrationState.OPEN, index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    closed_at: Mapped[datetime | None]
    # What the result showed: max − min score of the votes (None: fewer than one vote) and
    # whether the scores spread more than CALIBRATION_SPREAD or the verdicts differ.
    spread: Mapped[int | None] = mapped_column(Integer)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)

    created_by: Mapped[Employee] = relationship(foreign_keys=[created_by_id], lazy="selectin")
    votes: Mapped[list[CalibrationVote]] = relationship(
        lazy="selectin", order_by="CalibrationVote.id", cascade="all, delete-orphan"
    )

    @property
    def is_open(self) -> bool:
        return self.state == CalibrationState.OPEN


class CalibrationVote(Base):
    """A participant of a calibration and, once he sent it, his vote."""

    __tablename__ = "calibration_votes"
    __table_args__ = (UniqueConstraint("session_id", "employee_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("calibration_sessions.id", ondelete="CASCADE")
    )
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), index=True)
    verdict: Mapped[CalibrationVerdict | None] = mapped_column(String(16))
    score: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    voted_at: Mapped[datetime | None]

    employee: Mapped[Employee] = relationship(lazy="selectin")
