"""A case's briefing gets a time: cases.briefing_at (UTC) replaces cases.briefing_date.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 09:00:00
"""

from collections.abc import Sequence
from datetime import datetime, time

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


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("briefing_at")
