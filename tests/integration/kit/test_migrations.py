"""One migration history for SQLite and PostgreSQL, and it matches the models exactly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect

from bankcrm.kit import migrate
from bankcrm.kit.models import Base


def test_migrations_reach_head_and_match_the_models(connection: Connection) -> None:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    assert ",".join(sorted(context.get_current_heads())) == migrate.head_revision()
    assert compare_metadata(context, Base.metadata) == []


def test_every_foreign_key_is_indexed_or_leads_an_index(connection: Connection) -> None:
    """Joins and cascades from a parent must not scan the child table."""
    inspector = inspect(connection)
    missing = []
    for table in Base.metadata.sorted_tables:
        leading = {tuple(ix["column_names"][:1]) for ix in inspector.get_indexes(table.name)}
        leading |= {
            tuple(u["column_names"][:1]) for u in inspector.get_unique_constraints(table.name)
        }
        for fk in inspector.get_foreign_keys(table.name):
            if tuple(fk["constrained_columns"][:1]) not in leading:
                missing.append(f"{table.name}.{fk['constrained_columns'][0]}")
    assert missing == []
