"""users.language: the page language a user chose, so it follows them to any browser

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 08:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=16), nullable=True))


def downgrade() -> None:
    # Dropped in place (SQLite 3.35+ can): recreating `users` would break the foreign keys
    # of every table that refers to it.
    with op.batch_alter_table("users", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("language")
