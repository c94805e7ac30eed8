"""Wiring for commands: settings -> engine -> sessions, with the schema checked first."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

from bankcrm.config import Settings
from bankcrm.kit import migrate
from bankcrm.kit.db import make_engine, make_session_factory
from bankcrm.kit.errors import UserError
from bankcrm.lake.store import LakeStore


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    lake: LakeStore


def connect(settings: Settings) -> Engine:
    """An engine for the configured database, or a UserError naming the setting."""
    try:
        return make_engine(settings.database_url, echo=settings.sql_echo)
    except (ArgumentError, NoSuchModuleError) as exc:
        raise UserError(
            f"BANKCRM_DATABASE_URL '{settings.database_url}' is not a usable database URL "
            "(e.g. sqlite:///./var/bankcrm.db or postgresql+psycopg://user@host:5432/db)"
        ) from exc


def open_runtime(settings: Settings, upgrade_sqlite: bool = True) -> Runtime:
    """Connect; an embedded SQLite database is migrated on the spot, others must be current."""
    engine = connect(settings)
    try:
        if engine.dialect.name == "sqlite" and upgrade_sqlite:
            migrate.upgrade(engine)
        elif migrate.current_revision(engine) != migrate.head_revision():
            raise UserError(
                f"the database at {engine.url.render_as_string(hide_password=True)} is not at "
                "the current schema: run `bankcrm db upgrade` first"
            )
    except UserError:
        engine.dispose()
        raise
    except Exception as exc:
        engine.dispose()
        url = engine.url.render_as_string(hide_password=True)
        raise UserError(f"cannot use the database at {url}: {exc}") from exc
    return Runtime(settings, engine, make_session_factory(engine), LakeStore(settings.lake_dir))
