"""The analytics engines under test: every test taking `analytics_backend` runs on DuckDB
and on Spark (local mode, bound to 127.0.0.1).

Each test process (xdist worker) that runs a Spark test starts one Spark session, kept
until its tests are done. The Spark tests carry the xdist group "spark" so that
`--dist loadgroup` sends them all to one worker; with pytest 9.2 that grouping has no
effect (pytest-xdist issue #1386) and each worker may start its own session.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest
from ibis.backends import BaseBackend

from bankcrm.lake.engines import connect_duckdb, connect_spark
from tests.generated import GeneratedBank, generated_bank

HERE = Path(__file__).parent
ENGINES = (
    "duckdb",
    pytest.param("spark", marks=[pytest.mark.slow, pytest.mark.xdist_group("spark")]),
)

# Warnings from the Spark and pandas libraries, not from bankcrm, ignored for the tests in
# this folder only (`filterwarnings = error` stays in force for everything else):
THIRD_PARTY_WARNINGS = (
    # pyspark 4.0 leaves the socket of every collect to the garbage collector (pyspark.util
    # _create_local_socket closes the file, not the socket).
    "ignore:unclosed <socket.socket:ResourceWarning",
    # ibis 12 and pyspark 4.0 use pandas options deprecated in pandas 3 when results go
    # through pandas (ibis `execute`/`to_pyarrow` on Spark, `execute` on DuckDB).
    "ignore:The 'future.infer_string' option is deprecated:DeprecationWarning:ibis",
    "ignore:The copy keyword is deprecated:DeprecationWarning:pyspark",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in item.path.parents:
            for spec in THIRD_PARTY_WARNINGS:
                item.add_marker(pytest.mark.filterwarnings(spec))


@pytest.fixture(scope="session")
def spark_backend(worker_id: str) -> Iterator[BaseBackend]:
    """One local Spark session per test process, whatever the order of the tests."""
    if importlib.util.find_spec("pyspark") is None:
        pytest.skip("pyspark is not installed: pip install -e '.[spark]'")
    con = connect_spark("local[2]", app_name=f"bankcrm-tests-{worker_id}")
    yield con
    con.disconnect()


@pytest.fixture(scope="session")
def duckdb_backend() -> Iterator[BaseBackend]:
    con = connect_duckdb(memory_limit="2GB", threads=2)
    yield con
    con.disconnect()


@pytest.fixture(scope="session", params=ENGINES)
def analytics_backend(request: pytest.FixtureRequest) -> BaseBackend:
    # The engines are fixtures of their own: a parametrised fixture keeps only its current
    # value, and Spark must not restart each time the tests switch engine.
    backend: BaseBackend = request.getfixturevalue(f"{request.param}_backend")
    return backend


SMALL_BANK_CUSTOMERS = 1_000


@pytest.fixture(scope="session")
def small_bank(tmp_path_factory: pytest.TempPathFactory) -> GeneratedBank:
    """A generated bank of 1,000 customers, imported into SQLite and its lake."""
    return generated_bank(tmp_path_factory.mktemp("small_bank"), SMALL_BANK_CUSTOMERS, seed=7)
