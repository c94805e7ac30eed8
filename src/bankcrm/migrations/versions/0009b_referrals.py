"""referrals: referrals to specialist lines and their routing table

Revision ID: 0009b
Revises: 0008
Create Date: 2026-11-26 11:03:56.845069

The merge revision that joins this head with the other issue-6 heads is the lead's.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009b"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "referral_routes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("line", sa.String(length=24), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=True),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
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
            ["branch_id"], ["branches.id"], name=op.f("fk_referral_routes_branch_id_branches")
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_referral_routes_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_routes")),
    )
    with op.batch_alter_table("referral_routes", schema=None) as batch_op:
        batch_op.create_index("ix_referral_routes_branch_line", ["branch_id", "line"], unique=False)
        batch_op.create_index(batch_op.f("ix_referral_routes_staff_id"), ["staff_id"], unique=False)

    op.create_table(
        "referrals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_no", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("prospect_id", sa.Integer(), nullable=True),
        sa.Column("line", sa.String(length=24), nullable=False),
        sa.Column("need", sa.String(length=500), nullable=False),
        sa.Column("referred_by", sa.Integer(), nullable=False),
        sa.Column("referrer_staff_id", sa.Integer(), nullable=True),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("assigned_to", sa.Integer(), nullable=True),
        sa.Column("routed_by", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("declined_reason", sa.String(length=500), nullable=True),
        sa.Column("outcome_note", sa.String(length=500), nullable=True),
        sa.Column("opportunity_id", sa.Integer(), nullable=True),
        sa.Column("accepted_at", sa.DateTime(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by", sa.String(length=80), nullable=True),
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
            name=op.f("ck_referrals_customer_xor_prospect"),
        ),
        sa.ForeignKeyConstraint(
            ["assigned_to"], ["staff.id"], name=op.f("fk_referrals_assigned_to_staff")
        ),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branches.id"], name=op.f("fk_referrals_branch_id_branches")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_referrals_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["prospect_id"], ["prospects.id"], name=op.f("fk_referrals_prospect_id_prospects")
        ),
        sa.ForeignKeyConstraint(
            ["referred_by"], ["users.id"], name=op.f("fk_referrals_referred_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["referrer_staff_id"], ["staff.id"], name=op.f("fk_referrals_referrer_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
        sa.UniqueConstraint("referral_no", name=op.f("uq_referrals_referral_no")),
    )
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.create_index(
            "ix_referrals_assigned_status", ["assigned_to", "status"], unique=False
        )
        batch_op.create_index("ix_referrals_branch_status", ["branch_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_referrals_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_referrals_decided_at"), ["decided_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_referrals_prospect_id"), ["prospect_id"], unique=False)
        batch_op.create_index(
            "ix_referrals_referred_by_created", ["referred_by", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_referrals_referrer_staff_created", ["referrer_staff_id", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index("ix_referrals_referrer_staff_created")
        batch_op.drop_index("ix_referrals_referred_by_created")
        batch_op.drop_index(batch_op.f("ix_referrals_prospect_id"))
        batch_op.drop_index(batch_op.f("ix_referrals_decided_at"))
        batch_op.drop_index(batch_op.f("ix_referrals_customer_id"))
        batch_op.drop_index("ix_referrals_branch_status")
        batch_op.drop_index("ix_referrals_assigned_status")

    op.drop_table("referrals")
    with op.batch_alter_table("referral_routes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_routes_staff_id"))
        batch_op.drop_index("ix_referral_routes_branch_line")

    op.drop_table("referral_routes")
