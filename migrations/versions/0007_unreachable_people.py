"""People the bot cannot reach: their messages are kept, CS is told once.

blocked_chats.notice_id points at the CS group's message about the person. Messages that
failed with a 403 to a person who is still unreachable are kept (state «undelivered»), so his
next /start sends them; before, they were failed for good.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_outbox = sa.table(
    "outbox",
    sa.column("chat_id", sa.BigInteger()),
    sa.column("state", sa.String()),
    sa.column("last_error", sa.Text()),
)
_blocked = sa.table("blocked_chats", sa.column("chat_id", sa.BigInteger()))


def upgrade() -> None:
    with op.batch_alter_table("blocked_chats", schema=None) as batch_op:
        batch_op.add_column(sa.Column("notice_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_blocked_chats_notice_id_outbox"), "outbox", ["notice_id"], ["id"]
        )
    # What a still-blocked person was refused is kept for his /start, as from now on.
    op.execute(
        sa.update(_outbox)
        .where(
            _outbox.c.state == "failed",
            _outbox.c.chat_id > 0,
            _outbox.c.chat_id.in_(sa.select(_blocked.c.chat_id)),
            sa.or_(
                _outbox.c.last_error.like("403:%"),
                _outbox.c.last_error == "chat blocked the bot",
            ),
        )
        .values(state="undelivered")
    )


def downgrade() -> None:
    op.execute(
        sa.update(_outbox)
        .where(_outbox.c.state.in_(("undelivered", "merged")))
        .values(state="failed")
    )
    with op.batch_alter_table("blocked_chats", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_blocked_chats_notice_id_outbox"), type_="foreignkey"
        )
        batch_op.drop_column("notice_id")
