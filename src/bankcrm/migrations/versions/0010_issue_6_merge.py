"""merge the business-winning migrations written side by side on 0008: prospect review
(0009a), referrals (0009b), opportunities (0009c) and duplicates (0009d); then link
referrals and opportunities to each other with foreign keys (each table was written
without the other)

Revision ID: 0010
Revises: 0009a, 0009b, 0009c, 0009d
Create Date: 2026-11-26 12:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = ("0009a", "0009b", "0009c", "0009d")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A number that names no row would refuse the key: such a link was never real.
    op.execute(
        "UPDATE referrals SET opportunity_id = NULL WHERE opportunity_id IS NOT NULL "
        "AND opportunity_id NOT IN (SELECT id FROM opportunities)"
    )
    op.execute(
        "UPDATE opportunities SET referral_id = NULL WHERE referral_id IS NOT NULL "
        "AND referral_id NOT IN (SELECT id FROM referrals)"
    )
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.create_index("ix_referrals_opportunity_id", ["opportunity_id"], unique=False)
        batch_op.create_foreign_key(
            "fk_referrals_opportunity_id_opportunities",
            "opportunities",
            ["opportunity_id"],
            ["id"],
        )
    with op.batch_alter_table("opportunities", schema=None) as batch_op:
        batch_op.create_foreign_key(
            "fk_opportunities_referral_id_referrals", "referrals", ["referral_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("opportunities", schema=None) as batch_op:
        batch_op.drop_constraint("fk_opportunities_referral_id_referrals", type_="foreignkey")
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_constraint("fk_referrals_opportunity_id_opportunities", type_="foreignkey")
        batch_op.drop_index("ix_referrals_opportunity_id")
