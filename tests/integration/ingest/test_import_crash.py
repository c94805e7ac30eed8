"""An import killed at any point (real subprocess, SIGKILL) leaves the database and the lake
as before the batch or as after it; re-running ends in the state of an uninterrupted import.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bankcrm.customers.models import Customer
from bankcrm.ingest.models import ImportBatch
from bankcrm.kit import migrate
from bankcrm.kit.db import make_engine
from tests import factories as f
from tests.conftest import database_url_for

pytestmark = pytest.mark.xdist_group("crash")
KILL_POINTS = ("loaded:customers", "loaded:holdings", "staged", "committed", "publishing")
CUSTOMERS = 1_500


def _bankcrm(
    args: list[str], env: dict[str, str], timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bankcrm.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _environment(backend: str, tmp: Path, name: str) -> dict[str, str]:
    url = database_url_for(backend, tmp, name)
    if backend != "sqlite":
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
    env = {k: v for k, v in os.environ.items() if k != "BANKCRM_KILL_AT"}
    env.update(BANKCRM_DATABASE_URL=url, BANKCRM_LAKE_DIR=str(tmp / f"{name}-lake"))
    return env


def _state(env: dict[str, str]) -> dict[str, Any]:
    """`bankcrm status --json` without what differs between runs (times, ids, paths)."""
    result = _bankcrm(["status", "--json"], env)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    batches = data.pop("import_batches")
    data["batches"] = [
        (b["outcome"], b["lake_state"], b["rows_loaded"], b["rows_quarantined"])
        for b in batches["recent"]
    ]
    return data


def _counts(env: dict[str, str]) -> tuple[int, int]:
    """(batches, customers) read straight from the database, before any recovery runs."""
    engine = make_engine(env["BANKCRM_DATABASE_URL"])
    if migrate.current_revision(engine) is None:  # killed before the schema was even made
        engine.dispose()
        return 0, 0
    with engine.connect() as conn:
        batches = conn.scalar(select(func.count()).select_from(ImportBatch)) or 0
        customers = conn.scalar(select(func.count()).select_from(Customer)) or 0
    engine.dispose()
    return int(batches), int(customers)


@pytest.fixture(scope="module")
def extract(tmp_path_factory: pytest.TempPathFactory) -> Path:
    bank = f.small_bank(customers=CUSTOMERS, transactions_per_account=12)
    return bank.write(tmp_path_factory.mktemp("crash") / "extract")


@pytest.fixture(scope="module", params=("sqlite", "postgresql"))
def reference(
    request: pytest.FixtureRequest, extract: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, dict[str, Any], float]:
    backend = str(request.param)
    env = _environment(backend, tmp_path_factory.mktemp("ref"), f"bankcrm_ref_{backend}")
    started = time.monotonic()
    result = _bankcrm(["import", str(extract)], env)
    seconds = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    return backend, _state(env), seconds


@pytest.mark.parametrize("point", KILL_POINTS)
def test_kill_at_a_point_then_rerun_matches_an_uninterrupted_import(
    reference: tuple[str, dict[str, Any], float], extract: Path, tmp_path: Path, point: str
) -> None:
    backend, expected, _seconds = reference
    env = _environment(backend, tmp_path, f"bankcrm_kill_{point.replace(':', '_')}")

    killed = _bankcrm(["import", str(extract)], {**env, "BANKCRM_KILL_AT": point})
    assert killed.returncode == -signal.SIGKILL, killed.stderr

    batches, customers = _counts(env)
    committed = point in ("committed", "publishing")
    assert (batches, customers) == ((1, CUSTOMERS) if committed else (0, 0))
    after_kill = _state(env)  # runs recovery: lake finished or discarded
    transactions = after_kill["transactions"]["rows"]
    assert transactions == (expected["transactions"]["rows"] if committed else 0)
    if committed:
        assert after_kill == expected

    rerun = _bankcrm(["import", str(extract)], env)
    assert rerun.returncode == 0, rerun.stderr
    assert _state(env) == expected


def test_kill_at_random_moments_never_leaves_half_a_batch(
    reference: tuple[str, dict[str, Any], float], extract: Path, tmp_path: Path
) -> None:
    backend, expected, seconds = reference
    env = _environment(backend, tmp_path, "bankcrm_kill_timed")
    for fraction in (0.3, 0.5, 0.7, 0.9):
        delay = seconds * fraction
        process = subprocess.Popen(
            [sys.executable, "-m", "bankcrm.cli", "import", str(extract)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        batches, customers = _counts(env)
        assert (batches, customers) in ((0, 0), (1, CUSTOMERS))
        state = _state(env)
        assert state["transactions"]["rows"] in (0, expected["transactions"]["rows"])
        if batches:
            assert state == expected
    rerun = _bankcrm(["import", str(extract)], env)
    assert rerun.returncode == 0, rerun.stderr
    assert _state(env) == expected
