"""0006_user_language adds users.language and takes it away again, on SQLite and
PostgreSQL, keeping the users (and the rows that refer to them) either way."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, text

from bankcrm.kit import migrate
from bankcrm.kit.db import make_engine
from tests.conftest import BACKENDS, database_url_for


@pytest.mark.parametrize("backend", BACKENDS)
def test_user_language_upgrades_and_downgrades(backend: str, tmp_path: Path) -> None:
    url = database_url_for(backend, tmp_path, "bankcrm_user_language")
    engine = make_engine(url)
    try:
        migrate.upgrade(engine, "0005")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "insert into users (id, username, password_hash, role, active) "
                    "values (1, 'ann', 'x', 'auditor', true)"
                )
            )
            conn.execute(
                text(
                    "insert into access_tokens (id, token_hash, kind, user_id, scopes, "
                    "created_at, expires_at) values (1, 'h', 'session', 1, '', "
                    "'2026-11-26 08:00:00', '2026-11-26 09:00:00')"
                )
            )
        migrate.upgrade(engine, "0006")
        assert "language" in {c["name"] for c in inspect(engine).get_columns("users")}
        with engine.begin() as conn:
            assert conn.execute(text("select language from users")).scalar_one() is None
            conn.execute(text("update users set language = 'zh_Hans' where id = 1"))

        config = migrate.alembic_config(url)
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0005")
        assert migrate.current_revision(engine) == "0005"
        assert "language" not in {c["name"] for c in inspect(engine).get_columns("users")}
        with engine.connect() as conn:
            assert conn.execute(text("select username from users")).scalar_one() == "ann"
            assert conn.execute(text("select user_id from access_tokens")).scalar_one() == 1
    finally:
        engine.dispose()
