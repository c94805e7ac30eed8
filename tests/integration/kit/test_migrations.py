"""One migration history for SQLite and PostgreSQL, and it matches the models exactly."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, text

from bankcrm.kit import migrate
from bankcrm.kit.db import make_engine
from bankcrm.kit.models import Base
from tests.conftest import BACKENDS, database_url_for


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


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_populated_database_upgrades_from_the_first_release(backend: str, tmp_path: Path) -> None:
    """Customers with holdings, contacts and cases (rows other tables refer to) survive every
    migration after 0002, the schema the first deployments have."""
    url = database_url_for(backend, tmp_path, "bankcrm_upgrade")
    engine = make_engine(url)
    try:
        migrate.upgrade(engine, "0002")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "insert into branches (id, branch_code, name, region, version) "
                    "values (1, 'B1', 'North', 'Prague', 1)"
                )
            )
            conn.execute(
                text(
                    "insert into customers (id, customer_no, kind, national_id, kyc_status, "
                    "onboarded_on, status, branch_id, marketing_consent, profiling_consent, "
                    "version) values (1, 'C1', 'individual', '1', 'verified', '2020-01-01', "
                    "'active', 1, true, false, 1)"
                )
            )
            conn.execute(
                text(
                    "insert into cases (id, case_no, customer_id, kind, topic, channel, priority, "
                    "status, opened_at, version) values (1, 'K1', 1, 'complaint', 'fees', "
                    "'branch', 'normal', 'open', '2026-01-01 10:00:00', 1)"
                )
            )
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == migrate.head_revision()
        with engine.connect() as conn:
            row = conn.execute(
                text("select customer_no, sharing_consent from customers where id = 1")
            ).one()
            assert row == ("C1", False)
            assert conn.execute(text("select count(*) from cases")).scalar_one() == 1
    finally:
        engine.dispose()
