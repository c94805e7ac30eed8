"""Planted duplicates: second customer numbers with variations, recorded in the truth,
without changing the rest of the extract."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from bankcrm.synth import generate
from bankcrm.synth.duplicates import SECOND_NUMBER

TEXT = pacsv.ConvertOptions(strings_can_be_null=True)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_planted_duplicates_are_recorded_and_leave_the_rest_unchanged(tmp_path: Path) -> None:
    plain, planted = tmp_path / "plain" / "out", tmp_path / "planted" / "out"
    generate(800, seed=3, out=plain, workers=0)
    summary = generate(800, seed=3, out=planted, workers=0, duplicates=0.05)
    for name in ("holdings.csv", "interactions.csv", "cases.csv", "transactions.parquet"):
        assert _digest(plain / name) == _digest(planted / name)
    assert not (plain.with_name("out-truth") / "duplicates.parquet").exists()

    truth = pq.read_table(planted.with_name("out-truth") / "duplicates.parquet").to_pylist()
    customers = pacsv.read_csv(planted / "customers.csv", convert_options=TEXT).to_pylist()
    by_no = {c["customer_no"]: c for c in customers}
    assert 20 <= len(truth) <= 60
    assert summary.rows["customers.csv"] == 800 + len(truth) == len(by_no)
    meta = json.loads((planted.with_name("out-truth") / "truth.json").read_text())
    assert meta["duplicates"] == len(truth) and meta["duplicate_share"] == 0.05
    for pair in truth:
        second, first = by_no[pair["customer_no"]], by_no[pair["duplicate_of"]]
        assert int(pair["customer_no"][1:]) == SECOND_NUMBER + int(pair["duplicate_of"][1:])
        assert second["birth_date"] == first["birth_date"]
        assert second["national_id"]  # the extract requires it
        if "id_typo" in pair["variations"]:
            assert second["national_id"] != first["national_id"]
        if "name_swapped" in pair["variations"]:
            assert (
                second["first_name"] in (first["last_name"], None)
                or "name_typo" in pair["variations"]
            )
    variations = {v for p in truth for v in p["variations"].split(",") if v}
    assert {"id_typo", "name_typo", "moved", "phone_reformatted"} <= variations
