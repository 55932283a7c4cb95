"""The cache generation: what replicas on one PostgreSQL database may keep of the roster and
the quick links.

cache_generation: one row (id 1) whose value every committed change of employees,
employee_groups, working_groups or links raises by one: on PostgreSQL a deferred constraint
trigger on each table does it at commit (so also for changes made by hand in psql). Each
update's lock reads it (db.isolation), and db.versions keeps answers while it stays the same.
On SQLite the row is there and unused: a token file beside the database does the job there.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 09:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# db.versions.CACHED_TABLES as of this revision (a migration does not import the app).
TABLES = ("employees", "employee_groups", "working_groups", "links")


def upgrade() -> None:
    op.create_table(
        "cache_generation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cache_generation")),
    )
    op.execute("INSERT INTO cache_generation (id, value) VALUES (1, 0)")
    if op.get_bind().dialect.name != "postgresql":
        return
    # Deferred to the commit: the row is locked last, once the transaction's other rows are,
    # so two writers of the roster cannot wait for each other in a circle through it.
    op.execute(
        """
        CREATE FUNCTION bump_cache_generation() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE cache_generation SET value = value + 1 WHERE id = 1;
            RETURN NULL;
        END $$
        """
    )
    for table in TABLES:
        op.execute(
            f"CREATE CONSTRAINT TRIGGER {table}_bump_cache_generation"
            f" AFTER INSERT OR UPDATE OR DELETE ON {table}"
            " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
            " EXECUTE FUNCTION bump_cache_generation()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER {table}_bump_cache_generation ON {table}")
        op.execute("DROP FUNCTION bump_cache_generation()")
    op.drop_table("cache_generation")
