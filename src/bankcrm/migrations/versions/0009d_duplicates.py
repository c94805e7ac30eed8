"""duplicates: candidate pairs and record merges

Revision ID: 0009d
Revises: 0008
Create Date: 2026-11-26 11:05:14.092708
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009d"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "duplicate_candidates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pair_key", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("other_customer_id", sa.Integer(), nullable=True),
        sa.Column("prospect_id", sa.Integer(), nullable=True),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column("matched", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("dismissed_reason", sa.String(length=500), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("detected_at", sa.DateTime(), nullable=False),
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
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_duplicate_candidates_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_duplicate_candidates_decided_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["other_customer_id"],
            ["customers.id"],
            name=op.f("fk_duplicate_candidates_other_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["prospect_id"],
            ["prospects.id"],
            name=op.f("fk_duplicate_candidates_prospect_id_prospects"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duplicate_candidates")),
        sa.UniqueConstraint("pair_key", name=op.f("uq_duplicate_candidates_pair_key")),
    )
    with op.batch_alter_table("duplicate_candidates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_duplicate_candidates_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_duplicate_candidates_decided_by"), ["decided_by"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_duplicate_candidates_other_customer_id"),
            ["other_customer_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_duplicate_candidates_prospect_id"), ["prospect_id"], unique=False
        )
        batch_op.create_index(
            "ix_duplicate_candidates_status_score", ["status", "score"], unique=False
        )

    op.create_table(
        "record_merges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=True),
        sa.Column("survivor_id", sa.Integer(), nullable=False),
        sa.Column("merged_customer_id", sa.Integer(), nullable=True),
        sa.Column("merged_prospect_id", sa.Integer(), nullable=True),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("proposed_by", sa.Integer(), nullable=False),
        sa.Column("proposed_at", sa.DateTime(), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decision_note", sa.String(length=500), nullable=True),
        sa.Column("reversed_by", sa.Integer(), nullable=True),
        sa.Column("reversed_at", sa.DateTime(), nullable=True),
        sa.Column("reverse_reason", sa.String(length=500), nullable=True),
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
            ["branch_id"], ["branches.id"], name=op.f("fk_record_merges_branch_id_branches")
        ),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["duplicate_candidates.id"],
            name=op.f("fk_record_merges_candidate_id_duplicate_candidates"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_record_merges_decided_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["merged_customer_id"],
            ["customers.id"],
            name=op.f("fk_record_merges_merged_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["merged_prospect_id"],
            ["prospects.id"],
            name=op.f("fk_record_merges_merged_prospect_id_prospects"),
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by"], ["users.id"], name=op.f("fk_record_merges_proposed_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["reversed_by"], ["users.id"], name=op.f("fk_record_merges_reversed_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["survivor_id"], ["customers.id"], name=op.f("fk_record_merges_survivor_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_merges")),
    )
    with op.batch_alter_table("record_merges", schema=None) as batch_op:
        batch_op.create_index(
            "ix_record_merges_branch_status", ["branch_id", "status"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_record_merges_candidate_id"), ["candidate_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_record_merges_decided_by"), ["decided_by"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_record_merges_merged_customer_id"), ["merged_customer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_record_merges_merged_prospect_id"), ["merged_prospect_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_record_merges_proposed_by"), ["proposed_by"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_record_merges_reversed_by"), ["reversed_by"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_record_merges_survivor_id"), ["survivor_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("record_merges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_record_merges_survivor_id"))
        batch_op.drop_index(batch_op.f("ix_record_merges_reversed_by"))
        batch_op.drop_index(batch_op.f("ix_record_merges_proposed_by"))
        batch_op.drop_index(batch_op.f("ix_record_merges_merged_prospect_id"))
        batch_op.drop_index(batch_op.f("ix_record_merges_merged_customer_id"))
        batch_op.drop_index(batch_op.f("ix_record_merges_decided_by"))
        batch_op.drop_index(batch_op.f("ix_record_merges_candidate_id"))
        batch_op.drop_index("ix_record_merges_branch_status")

    op.drop_table("record_merges")
    with op.batch_alter_table("duplicate_candidates", schema=None) as batch_op:
        batch_op.drop_index("ix_duplicate_candidates_status_score")
        batch_op.drop_index(batch_op.f("ix_duplicate_candidates_prospect_id"))
        batch_op.drop_index(batch_op.f("ix_duplicate_candidates_other_customer_id"))
        batch_op.drop_index(batch_op.f("ix_duplicate_candidates_decided_by"))
        batch_op.drop_index(batch_op.f("ix_duplicate_candidates_customer_id"))

    op.drop_table("duplicate_candidates")
