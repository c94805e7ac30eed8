"""Shared fixtures: every database test runs on SQLite and, when configured, PostgreSQL.

Each test runs inside a transaction that is rolled back; code under test that commits
only releases a SAVEPOINT (join_transaction_mode="create_savepoint").
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from bankcrm.kit import migrate
from bankcrm.kit.db import make_engine
from bankcrm.lake.store import LakeStore

REPO_ROOT = Path(__file__).resolve().parent.parent
BACKENDS = ("sqlite", "postgresql")


def datasets_dir() -> Path:
    configured = os.environ.get("BANKCRM_DATASETS")
    return Path(configured) if configured else (REPO_ROOT.parent / "shared" / "datasets")


@pytest.fixture(scope="session")
def berka_dir() -> Path:
    folder = datasets_dir() / "berka_pkdd99"
    if not (folder / "client.asc").is_file():
        pytest.skip(f"Berka data not found at {folder} (set BANKCRM_DATASETS)")
    return folder


def postgres_url() -> str | None:
    return os.environ.get("BANKCRM_TEST_DATABASE_URL") or None


_CREATED: set[str] = set()  # databases this test process made, dropped when it ends


def fresh_postgres_database(base_url: str, name: str) -> str:
    """Create (or recreate) a database for `name` on the server of `base_url`. The name gets
    this process's id, so test runs side by side on one server (developers, CI, helpers)
    never drop each other's databases; they are dropped when the process's tests end."""
    name = f"{name[:48]}_p{os.getpid()}"
    _CREATED.add(name)
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(base_url).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(url: str) -> None:
    """Drop a database made by `fresh_postgres_database`, from the configured base URL."""
    base = postgres_url()
    if base is None:
        return
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def pytest_sessionfinish(session: pytest.Session) -> None:
    base = postgres_url()
    if base is None or not _CREATED:
        return
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in sorted(_CREATED):
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def database_url_for(backend: str, tmp_dir: Path, name: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_dir / (name + '.db')}"
    base = postgres_url()
    if base is None:
        pytest.skip("PostgreSQL not configured: set BANKCRM_TEST_DATABASE_URL")
    return fresh_postgres_database(base, name)


@pytest.fixture(scope="session", params=BACKENDS)
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    backend = str(request.param)
    worker = getattr(request.config, "workerinput", {}).get("workerid", "main")
    url = database_url_for(backend, tmp_path_factory.mktemp(backend), f"bankcrm_t_{worker}")
    engine = make_engine(url)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()
    if backend == "postgresql":
        drop_postgres_database(url)


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn:
        outer = conn.begin()
        yield conn
        outer.rollback()


@pytest.fixture
def sessions(connection: Connection) -> sessionmaker[Session]:
    return sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    with sessions() as s:
        yield s


@pytest.fixture
def lake(tmp_path: Path) -> LakeStore:
    return LakeStore(tmp_path / "lake")
