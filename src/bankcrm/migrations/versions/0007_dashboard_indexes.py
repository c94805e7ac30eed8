"""dashboard: an index on customer_scores (as_of, customer_id, tier), so the tier migration
between two scoring dates joins two index-only scans instead of reading both dates' rows

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 08:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("customer_scores", schema=None) as batch_op:
        batch_op.create_index(
            "ix_customer_scores_as_of_customer", ["as_of", "customer_id", "tier"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("customer_scores", schema=None) as batch_op:
        batch_op.drop_index("ix_customer_scores_as_of_customer")
