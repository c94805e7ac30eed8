"""A generated extract must pass every rule of the extract format in bankcrm.ingest.spec.

The checker below reads the files independently of the generator and validates them
directly against the spec: headers, required cells, types, enums, keys, references and the
row checks the spec describes in words.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from bankcrm.ingest import spec
from bankcrm.ingest.spec import ColumnType
from bankcrm.synth import AS_OF, GenerateSummary, generate
from bankcrm.synth.names import SURNAMES

CUSTOMERS = 2000
DECIMAL = re.compile(r"^-?\d+(\.\d{1,2})?$")
INTEGER = re.compile(r"^-?\d+$")
DATETIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
Rows = list[dict[str, str]]
FAMILY = {name: set(pair) for pair in SURNAMES for name in pair}


@pytest.fixture(scope="module")
def extract(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GenerateSummary]:
    out = tmp_path_factory.mktemp("synth") / "extract"
    summary = generate(CUSTOMERS, seed=11, out=out, workers=0)
    return out, summary


def read_extract(out: Path) -> dict[str, Rows]:
    """Every CSV entity as rows of strings, after checking the header."""
    result: dict[str, Rows] = {}
    for entity in spec.ENTITIES:
        if entity.name == "transactions":
            continue
        with (out / f"{entity.name}.csv").open(newline="", encoding="utf-8") as f:
            reader = csv.reader(f, strict=True)
            header = next(reader)
            assert header == list(entity.column_names), entity.name
            result[entity.name] = [dict(zip(header, row, strict=True)) for row in reader]
    return result


@pytest.fixture(scope="module")
def tables(extract: tuple[Path, GenerateSummary]) -> dict[str, Rows]:
    return read_extract(extract[0])


def _cells(rows: Rows, name: str) -> Iterator[str]:
    return (r[name] for r in rows if r[name] != "")


def _check_cell(entity: spec.Entity, column: spec.Column, value: str) -> None:
    where = f"{entity.name}.{column.name}={value!r}"
    kind = column.type
    if kind is ColumnType.DECIMAL:
        assert DECIMAL.match(value), where
        assert not column.non_negative or float(value) >= 0, where
    elif kind is ColumnType.INTEGER:
        assert INTEGER.match(value), where
        assert not column.non_negative or int(value) >= 0, where
    elif kind is ColumnType.DATE:
        date.fromisoformat(value)
        assert len(value) == 10, where
    elif kind is ColumnType.DATETIME:
        assert DATETIME_RE.match(value), where
        datetime.fromisoformat(value)
    elif kind is ColumnType.BOOLEAN:
        assert value in ("true", "false"), where
    if column.enum is not None:
        assert value in column.enum, where
    if column.max_length is not None:
        assert len(value) <= column.max_length, where


def test_summary_matches_files(
    extract: tuple[Path, GenerateSummary], tables: dict[str, Rows]
) -> None:
    out, summary = extract
    assert summary.as_of == AS_OF == date(2026, 9, 30)
    for name, rows in tables.items():
        assert summary.rows[f"{name}.csv"] == len(rows)
    assert (
        summary.rows["transactions.parquet"]
        == pq.ParquetFile(out / "transactions.parquet").metadata.num_rows
    )
    assert len(tables["customers"]) == CUSTOMERS
    assert (out.with_name("extract-truth") / "customers.parquet").exists()
    assert (out.with_name("extract-truth") / "truth.json").exists()
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_csv_cells_follow_the_spec(tables: dict[str, Rows]) -> None:
    for entity in spec.ENTITIES:
        if entity.name == "transactions":
            continue
        rows = tables[entity.name]
        assert rows, f"{entity.name} is empty"
        for column in entity.columns:
            values = [r[column.name] for r in rows]
            if column.required:
                assert all(values), f"{entity.name}.{column.name} has empty required cells"
            for value in values:
                if value:
                    _check_cell(entity, column, value)


def test_keys_are_unique_and_references_resolve(tables: dict[str, Rows]) -> None:
    for entity in spec.ENTITIES:
        if entity.name == "transactions":
            continue
        rows = tables[entity.name]
        keys = [tuple(r[k] for k in entity.key) for r in rows]
        assert len(keys) == len(set(keys)), f"duplicate keys in {entity.name}"
        for column in entity.columns:
            if column.references is None:
                continue
            target, target_col = column.references
            known = {r[target_col] for r in tables[target]}
            missing = set(_cells(rows, column.name)) - known
            assert not missing, f"{entity.name}.{column.name} -> {target}: {sorted(missing)[:3]}"


def test_row_checks(tables: dict[str, Rows]) -> None:
    products = {r["product_code"]: r["category"] for r in tables["products"]}
    assert set(products.values()) == set(spec.PRODUCT_CATEGORIES)
    accounts = {r["account_no"]: r for r in tables["holdings"]}
    for c in tables["customers"]:
        if c["kind"] == "individual":
            assert c["first_name"] and c["last_name"] and not c["company_name"]
            assert re.match(r"^\d{6}/\d{4}$", c["national_id"])
        else:
            assert c["company_name"] and not c["first_name"]
        assert date.fromisoformat(c["birth_date"]) <= AS_OF
        assert date.fromisoformat(c["onboarded_on"]) <= AS_OF
    for h in tables["holdings"]:
        assert h["currency"] == "CZK"
        if h["closed_on"]:
            assert h["closed_on"] >= h["opened_on"]
            assert h["status"] == "closed"
        if products[h["product_code"]] in ("consumer_loan", "mortgage", "business_loan"):
            assert h["loan_status"] in spec.LOAN_STATUSES
        if h["linked_account_no"]:
            linked = accounts[h["linked_account_no"]]
            assert linked["customer_no"] == h["customer_no"]
            assert products[linked["product_code"]] == "current_account"
    for r in tables["relationships"]:
        assert r["from_customer_no"] != r["to_customer_no"]
        if r["account_no"]:
            assert r["account_no"] in accounts
    for case in tables["cases"]:
        if case["resolved_at"]:
            assert case["resolved_at"] >= case["opened_at"]
        if case["satisfaction"]:
            assert 1 <= int(case["satisfaction"]) <= 5
    for order in tables["standing_orders"]:
        assert products[accounts[order["account_no"]]["product_code"]] == "current_account"


def test_transactions_follow_the_spec(
    extract: tuple[Path, GenerateSummary], tables: dict[str, Rows]
) -> None:
    out, _ = extract
    schema = pq.read_schema(out / "transactions.parquet")
    assert schema.names == list(spec.TRANSACTIONS.column_names)
    expected = {
        "transaction_id": pa.int64(),
        "account_no": pa.string(),
        "booked_on": pa.date32(),
        "amount": pa.float64(),
        "balance_after": pa.float64(),
        "direction": pa.string(),
    }
    for name, typ in expected.items():
        assert schema.field(name).type == typ, name
    tx = pq.read_table(out / "transactions.parquet")
    for column in spec.TRANSACTIONS.columns:
        values = tx.column(column.name)
        if column.required:
            assert values.null_count == 0, column.name
        if column.enum is not None:
            assert set(pc.unique(values).to_pylist()) <= set(column.enum), column.name
    ids = tx.column("transaction_id").to_numpy()
    assert (np.diff(ids) > 0).all()
    amount = tx.column("amount").to_numpy()
    assert (amount > 0).all()
    assert np.allclose(amount, np.round(amount, 2))
    days = tx.column("booked_on").cast(pa.int32()).to_numpy()
    start = (date(2024, 10, 1) - date(1970, 1, 1)).days
    assert days.min() >= start and days.max() <= (AS_OF - date(1970, 1, 1)).days
    known = {r["account_no"] for r in tables["holdings"]}
    assert set(pc.unique(tx.column("account_no")).to_pylist()) <= known


def test_transactions_only_on_open_deposit_accounts_and_cards(
    extract: tuple[Path, GenerateSummary], tables: dict[str, Rows]
) -> None:
    out, _ = extract
    category = {r["product_code"]: r["category"] for r in tables["products"]}
    allowed = {"current_account", "savings_account", "payroll", "credit_card"}
    holdings = {r["account_no"]: r for r in tables["holdings"]}
    tx = pq.read_table(out / "transactions.parquet", columns=["account_no", "booked_on"])
    first: dict[str, date] = {}
    last: dict[str, date] = {}
    for a, d in zip(
        tx.column("account_no").to_pylist(), tx.column("booked_on").to_pylist(), strict=True
    ):
        first[a] = min(first.get(a, d), d)
        last[a] = max(last.get(a, d), d)
    for a in first:
        h = holdings[a]
        assert category[h["product_code"]] in allowed, a
        assert first[a] >= date.fromisoformat(h["opened_on"]), a
        if h["closed_on"]:
            assert last[a] <= date.fromisoformat(h["closed_on"]), a


def test_managers_households_and_groups(tables: dict[str, Rows]) -> None:
    customers = {r["customer_no"]: r for r in tables["customers"]}
    staff = {r["staff_id"]: r for r in tables["staff"]}
    branches = tables["branches"]
    assert len(branches) >= 5
    roles = [r["role"] for r in tables["staff"]]
    assert roles.count("branch_manager") == len(branches)
    managed = [c for c in customers.values() if c["manager_id"]]
    assert all(staff[c["manager_id"]]["role"] == "account_manager" for c in managed)
    assert all(staff[c["manager_id"]]["active"] == "true" for c in managed)
    corporate = [c for c in customers.values() if c["kind"] == "corporate"]
    assert all(c["manager_id"] for c in corporate)
    kinds: dict[str, int] = {}
    for r in tables["relationships"]:
        kinds[r["kind"]] = kinds.get(r["kind"], 0) + 1
        a, b = customers[r["from_customer_no"]], customers[r["to_customer_no"]]
        if r["kind"] in ("spouse", "household"):
            assert a["kind"] == b["kind"] == "individual"
            assert (a["address"], a["city"]) == (b["address"], b["city"])
        if r["kind"] == "spouse":
            assert {a["last_name"], b["last_name"]} <= FAMILY[a["last_name"]]  # Novák/Nováková
        if r["kind"] == "shareholder":
            assert a["kind"] == "individual" and b["kind"] == "corporate"
            assert 0 < float(r["share_percent"]) <= 100
        if r["kind"] in ("parent_company", "subsidiary"):
            assert a["kind"] == b["kind"] == "corporate"
        if r["kind"] in ("guarantor", "authorised_user"):
            assert r["account_no"]
    assert set(kinds) == set(spec.RELATIONSHIP_KINDS)


@pytest.mark.parametrize("customers", [1, 7, 60])
def test_tiny_extracts_are_valid(tmp_path: Path, customers: int) -> None:
    out = tmp_path / "tiny"
    summary = generate(customers, seed=customers, out=out, workers=0)
    tables = read_extract(out)
    assert len(tables["customers"]) == customers == summary.rows["customers.csv"]
    for entity in spec.ENTITIES:
        if entity.name == "transactions":
            continue
        for column in entity.columns:
            for row in tables[entity.name]:
                value = row[column.name]
                assert value or not column.required, f"{entity.name}.{column.name}"
                if value:
                    _check_cell(entity, column, value)
