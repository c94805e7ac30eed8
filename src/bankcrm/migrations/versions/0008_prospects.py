"""prospects: people and companies that are not yet customers, and their activities

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 11:01:48.625936
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "prospects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("prospect_no", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("national_id", sa.String(length=64), nullable=True),
        sa.Column("first_name", sa.String(length=100), nullable=True),
        sa.Column("last_name", sa.String(length=100), nullable=True),
        sa.Column("company_name", sa.String(length=200), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("address", sa.String(length=200), nullable=True),
        sa.Column("postal_code", sa.String(length=20), nullable=True),
        sa.Column("city", sa.String(length=100), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("source_detail", sa.String(length=200), nullable=True),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("disqualified_reason", sa.String(length=500), nullable=True),
        sa.Column("needs", sa.Text(), nullable=True),
        sa.Column("next_step", sa.String(length=500), nullable=True),
        sa.Column("next_step_on", sa.Date(), nullable=True),
        sa.Column("marketing_consent", sa.Boolean(), nullable=False),
        sa.Column("converted_customer_id", sa.Integer(), nullable=True),
        sa.Column("converted_at", sa.DateTime(), nullable=True),
        sa.Column("converted_by", sa.String(length=80), nullable=True),
        sa.Column("review_customer_id", sa.Integer(), nullable=True),
        sa.Column("review_reason", sa.String(length=200), nullable=True),
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
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branches.id"], name=op.f("fk_prospects_branch_id_branches")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_prospects_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(
            ["converted_customer_id"],
            ["customers.id"],
            name=op.f("fk_prospects_converted_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["staff.id"], name=op.f("fk_prospects_owner_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["review_customer_id"],
            ["customers.id"],
            name=op.f("fk_prospects_review_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prospects")),
        sa.UniqueConstraint("prospect_no", name=op.f("uq_prospects_prospect_no")),
    )
    with op.batch_alter_table("prospects", schema=None) as batch_op:
        batch_op.create_index("ix_prospects_branch_status", ["branch_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_prospects_campaign_id"), ["campaign_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_prospects_converted_customer_id"),
            ["converted_customer_id"],
            unique=False,
        )
        batch_op.create_index("ix_prospects_last_name", ["last_name"], unique=False)
        batch_op.create_index(batch_op.f("ix_prospects_national_id"), ["national_id"], unique=False)
        batch_op.create_index("ix_prospects_owner_status", ["owner_id", "status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_prospects_review_customer_id"), ["review_customer_id"], unique=False
        )

    op.create_table(
        "prospect_activities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("prospect_id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=True),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["prospect_id"],
            ["prospects.id"],
            name=op.f("fk_prospect_activities_prospect_id_prospects"),
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_prospect_activities_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prospect_activities")),
    )
    with op.batch_alter_table("prospect_activities", schema=None) as batch_op:
        batch_op.create_index(
            "ix_prospect_activities_prospect_time", ["prospect_id", "occurred_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_prospect_activities_staff_id"), ["staff_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("prospect_activities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_prospect_activities_staff_id"))
        batch_op.drop_index("ix_prospect_activities_prospect_time")

    op.drop_table("prospect_activities")
    with op.batch_alter_table("prospects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_prospects_review_customer_id"))
        batch_op.drop_index("ix_prospects_owner_status")
        batch_op.drop_index(batch_op.f("ix_prospects_national_id"))
        batch_op.drop_index("ix_prospects_last_name")
        batch_op.drop_index(batch_op.f("ix_prospects_converted_customer_id"))
        batch_op.drop_index(batch_op.f("ix_prospects_campaign_id"))
        batch_op.drop_index("ix_prospects_branch_status")

    op.drop_table("prospects")
