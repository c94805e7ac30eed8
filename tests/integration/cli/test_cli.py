"""The command line as a user runs it: real subprocesses, real files, no tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests import factories as f


def _bankcrm(args: list[str], tmp: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "BANKCRM_DATABASE_URL": f"sqlite:///{tmp / 'var' / 'bankcrm.db'}",
        "BANKCRM_LAKE_DIR": str(tmp / "var" / "lake"),
    }
    return subprocess.run(
        [sys.executable, "-m", "bankcrm.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=tmp,
    )


def test_berka_import_and_status_json(berka_dir: Path, tmp_path: Path) -> None:
    first = _bankcrm(["import", "--format", "berka", str(berka_dir)], tmp_path)
    assert first.returncode == 0, first.stderr
    assert "customers.csv" in first.stdout and "5,369" in first.stdout
    status = json.loads(_bankcrm(["status", "--json"], tmp_path).stdout)
    assert status["customers"]["total"] == 5_369
    assert status["holdings"]["current_accounts"] == 4_500
    assert status["holdings"]["loans"] == 682
    assert status["holdings"]["cards"] == 892
    assert status["transactions"]["rows"] == 49_102
    assert status["import_batches"]["recent"][0]["source"] == str(berka_dir)

    second = _bankcrm(["import", "--format", "berka", str(berka_dir)], tmp_path)
    assert second.returncode == 0, second.stderr
    assert "already imported" in second.stdout
    assert json.loads(_bankcrm(["status", "--json"], tmp_path).stdout) == status


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["import", "does-not-exist"], "does-not-exist: not a folder"),
        (["import", "--format", "csv2", "."], "--format must be 'extract' or 'berka'"),
        (["import", "--format", "berka", "."], "client.asc"),
    ],
)
def test_user_mistakes_get_a_clear_error_without_traceback(
    tmp_path: Path, args: list[str], message: str
) -> None:
    result = _bankcrm(args, tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_quarantine_command_lists_bad_rows(tmp_path: Path) -> None:
    extract = f.small_bank(customers=2)
    extract.add("customers", f.customer(3, kind="person"))
    folder = extract.write(tmp_path / "extract")
    result = _bankcrm(["import", str(folder)], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Quarantined rows" in result.stdout
    listing = _bankcrm(["quarantine", "1"], tmp_path)
    assert "customers.csv:4\tkind\tperson\t'person' is not one of" in listing.stdout


def test_generated_bank_imports_without_quarantine(tmp_path: Path) -> None:
    out = tmp_path / "extract"
    generated = _bankcrm(
        ["generate", "--customers", "1500", "--seed", "3", "--out", str(out)], tmp_path
    )
    assert generated.returncode == 0, generated.stderr
    assert (tmp_path / "extract-truth" / "customers.parquet").is_file()
    imported = _bankcrm(["import", str(out)], tmp_path)
    assert imported.returncode == 0, imported.stderr
    status = json.loads(_bankcrm(["status", "--json"], tmp_path).stdout)
    batch = status["import_batches"]["recent"][0]
    assert batch["rows_quarantined"] == 0
    assert batch["outcome"] == "loaded"
    planted = pq.read_table(tmp_path / "extract-truth" / "duplicates.parquet").num_rows
    assert 0 < planted < 40  # about 1% get a second customer number (synth/duplicates.py)
    assert status["customers"]["total"] == 1_500 + planted
    assert status["transactions"]["rows"] > 100_000
