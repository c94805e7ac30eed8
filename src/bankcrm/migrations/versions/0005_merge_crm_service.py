"""merge the CRM service's migrations: interactions and tasks (0004a), service desk and
privacy (0004b), marketing and portfolios (0004c) were written side by side on 0003

Revision ID: 0005
Revises: 0004a, 0004b, 0004c
Create Date: 2026-11-26 03:00:00
"""

from collections.abc import Sequence

revision: str = "0005"
down_revision: str | Sequence[str] | None = ("0004a", "0004b", "0004c")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing to change: this revision only joins the three histories into one."""


def downgrade() -> None:
    """Nothing to change: downgrading splits the history into its three heads again."""
