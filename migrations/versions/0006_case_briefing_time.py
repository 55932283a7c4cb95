"""A case's briefing gets a time: cases.briefing_at (UTC) replaces cases.briefing_date; the
case history's comments written by the bot in English are rewritten in Russian.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 09:00:00
"""

import re
from collections.abc import Sequence
from datetime import date, datetime, time

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# An existing briefing kept only its day. It becomes that day at 12:00 UTC: noon UTC falls on
# the same calendar day in every time zone from UTC-11 to UTC+11, so the day shown stays the
# one the lead picked whatever TIMEZONE is (in Moscow it reads 15:00).
_KEPT_TIME = time(12, 0)

_cases = sa.table(
    "cases",
    sa.column("id", sa.Integer()),
    sa.column("briefing_date", sa.Date()),
    sa.column("briefing_at", sa.DateTime()),
)
_audit = sa.table(
    "audit_log",
    sa.column("id", sa.Integer()),
    sa.column("entity", sa.String()),
    sa.column("action", sa.String()),
    sa.column("comment", sa.Text()),
)
_REPEAT_OF = re.compile(r"^repeat of #(\d+)$")
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("briefing_at", sa.DateTime(), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(_cases.c.id, _cases.c.briefing_date).where(_cases.c.briefing_date.is_not(None))
    ).all()
    for case_id, day in rows:
        bind.execute(
            sa.update(_cases)
            .where(_cases.c.id == case_id)
            .values(briefing_at=datetime.combine(day, _KEPT_TIME))
        )
    _rewrite_comments(bind)


def _rewrite_comments(bind: sa.Connection) -> None:
    """«repeat of #2» (registration) and «2026-11-20» (a briefing set) as the bot writes them
    now: «повтор кейса #2», «20.11.2026» (the old rows knew no time)."""
    entries = bind.execute(
        sa.select(_audit.c.id, _audit.c.action, _audit.c.comment).where(
            _audit.c.entity == "case", _audit.c.action.in_(["register", "set_briefing"])
        )
    ).all()
    for entry_id, action, comment in entries:
        text = (comment or "").strip()
        new = None
        if action == "register" and (repeat := _REPEAT_OF.match(text)):
            new = f"повтор кейса #{repeat.group(1)}"
        elif action == "set_briefing" and _ISO_DAY.match(text):
            new = date.fromisoformat(text).strftime("%d.%m.%Y")
        if new is not None:
            bind.execute(sa.update(_audit).where(_audit.c.id == entry_id).values(comment=new))


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("briefing_at")
