"""prospects: remember the customer a person decided is not the prospect

Revision ID: 0009a
Revises: 0008
Create Date: 2026-11-26 11:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009a"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("prospects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("not_same_customer_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_prospects_not_same_customer_id_customers"),
            "customers",
            ["not_same_customer_id"],
            ["id"],
        )
        batch_op.create_index(
            batch_op.f("ix_prospects_not_same_customer_id"), ["not_same_customer_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("prospects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_prospects_not_same_customer_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_prospects_not_same_customer_id_customers"), type_="foreignkey"
        )
        batch_op.drop_column("not_same_customer_id")
