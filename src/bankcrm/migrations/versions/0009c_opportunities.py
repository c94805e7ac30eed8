"""opportunities: sales opportunities, their stage history and department tasks

Revision ID: 0009c
Revises: 0008
Create Date: 2026-11-26 11:04:41.057561
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009c"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "opportunities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("opportunity_no", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("prospect_id", sa.Integer(), nullable=True),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("probability", sa.Numeric(precision=5, scale=4), nullable=False),
        sa.Column("expected_close_on", sa.Date(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("lost_reason", sa.String(length=32), nullable=True),
        sa.Column("lost_note", sa.String(length=500), nullable=True),
        sa.Column("referral_id", sa.Integer(), nullable=True),
        sa.Column("holding_id", sa.Integer(), nullable=True),
        sa.Column("linked_at", sa.DateTime(), nullable=True),
        sa.Column("won_on", sa.Date(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(customer_id IS NULL) <> (prospect_id IS NULL)",
            name=op.f("ck_opportunities_one_party"),
        ),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branches.id"], name=op.f("fk_opportunities_branch_id_branches")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_opportunities_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["holding_id"], ["holdings.id"], name=op.f("fk_opportunities_holding_id_holdings")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["staff.id"], name=op.f("fk_opportunities_owner_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_opportunities_product_id_products")
        ),
        sa.ForeignKeyConstraint(
            ["prospect_id"], ["prospects.id"], name=op.f("fk_opportunities_prospect_id_prospects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opportunities")),
        sa.UniqueConstraint("holding_id", name=op.f("uq_opportunities_holding_id")),
        sa.UniqueConstraint("opportunity_no", name=op.f("uq_opportunities_opportunity_no")),
    )
    with op.batch_alter_table("opportunities", schema=None) as batch_op:
        batch_op.create_index("ix_opportunities_branch_stage", ["branch_id", "stage"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_opportunities_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index("ix_opportunities_owner_stage", ["owner_id", "stage"], unique=False)
        batch_op.create_index(
            "ix_opportunities_product_stage", ["product_id", "stage"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_opportunities_prospect_id"), ["prospect_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_opportunities_referral_id"), ["referral_id"], unique=False
        )
        batch_op.create_index(
            "ix_opportunities_stage_close", ["stage", "expected_close_on"], unique=False
        )

    op.create_table(
        "opportunity_stage_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("opportunity_id", sa.Integer(), nullable=False),
        sa.Column("from_stage", sa.String(length=16), nullable=True),
        sa.Column("to_stage", sa.String(length=16), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.Column("changed_by", sa.String(length=80), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("probability", sa.Numeric(precision=5, scale=4), nullable=False),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["opportunities.id"],
            name=op.f("fk_opportunity_stage_changes_opportunity_id_opportunities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opportunity_stage_changes")),
    )
    with op.batch_alter_table("opportunity_stage_changes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_opportunity_stage_changes_opp_at", ["opportunity_id", "changed_at"], unique=False
        )

    op.create_table(
        "opportunity_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("opportunity_id", sa.Integer(), nullable=False),
        sa.Column("department", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.Column("done_by", sa.String(length=80), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["assignee_id"], ["staff.id"], name=op.f("fk_opportunity_tasks_assignee_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["opportunities.id"],
            name=op.f("fk_opportunity_tasks_opportunity_id_opportunities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opportunity_tasks")),
    )
    with op.batch_alter_table("opportunity_tasks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_opportunity_tasks_assignee_id"), ["assignee_id"], unique=False
        )
        batch_op.create_index(
            "ix_opportunity_tasks_department_status", ["department", "status"], unique=False
        )
        batch_op.create_index(
            "ix_opportunity_tasks_opp_status", ["opportunity_id", "status"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("opportunity_tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_opportunity_tasks_opp_status")
        batch_op.drop_index("ix_opportunity_tasks_department_status")
        batch_op.drop_index(batch_op.f("ix_opportunity_tasks_assignee_id"))

    op.drop_table("opportunity_tasks")
    with op.batch_alter_table("opportunity_stage_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_opportunity_stage_changes_opp_at")

    op.drop_table("opportunity_stage_changes")
    with op.batch_alter_table("opportunities", schema=None) as batch_op:
        batch_op.drop_index("ix_opportunities_stage_close")
        batch_op.drop_index(batch_op.f("ix_opportunities_referral_id"))
        batch_op.drop_index(batch_op.f("ix_opportunities_prospect_id"))
        batch_op.drop_index("ix_opportunities_product_stage")
        batch_op.drop_index("ix_opportunities_owner_stage")
        batch_op.drop_index(batch_op.f("ix_opportunities_customer_id"))
        batch_op.drop_index("ix_opportunities_branch_stage")

    op.drop_table("opportunities")
