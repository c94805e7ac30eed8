"""The Berka adapter: real PKDD'99 data in, a standard extract that satisfies spec.py out.

The real-data tests read BANKCRM_DATASETS (default ../shared/datasets from the repository
root) and skip when it is absent; the format-error tests build tiny folders of their own.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
from collections import Counter
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pytest

from bankcrm.ingest import spec
from bankcrm.ingest.berka import BerkaFormatError, BerkaSummary, convert_berka

REPO_ROOT = Path(__file__).resolve().parents[3]
Table = list[dict[str, str]]
Converted = tuple[BerkaSummary, dict[str, Table]]


def _berka_source() -> Path:
    root = Path(os.environ.get("BANKCRM_DATASETS", REPO_ROOT / ".." / "shared" / "datasets"))
    folder = (root if root.is_absolute() else REPO_ROOT / root).resolve() / "berka_pkdd99"
    if not (folder / "client.asc").is_file():
        pytest.skip(f"Berka data not found at {folder} (set BANKCRM_DATASETS)")
    return folder


def _read(path: Path) -> tuple[list[str], Table]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        return header, [dict(zip(header, row, strict=True)) for row in reader]


@pytest.fixture(scope="module")
def berka_source() -> Path:
    return _berka_source()


@pytest.fixture(scope="module")
def converted(berka_source: Path, tmp_path_factory: pytest.TempPathFactory) -> Converted:
    out = tmp_path_factory.mktemp("berka_extract")
    summary = convert_berka(berka_source, out)
    tables: dict[str, Table] = {}
    for entity in spec.ENTITIES:
        header, rows = _read(out / f"{entity.name}.csv")
        assert header == list(entity.column_names), entity.name
        tables[entity.name] = rows
    return summary, tables


def _by(rows: Table, column: str) -> dict[str, dict[str, str]]:
    return {r[column]: r for r in rows}


# --- real data -------------------------------------------------------------------------


@pytest.mark.datasets
def test_counts_match_the_verified_figures(
    converted: Converted,
) -> None:
    summary, t = converted
    assert summary == BerkaSummary(
        branches=77,
        staff=0,
        products=5,
        customers=5369,
        relationships=869,
        holdings=4500 + 682 + 892,
        standing_orders=6471,
        interactions=0,
        cases=0,
        transactions=49102,
    )
    assert {name: len(rows) for name, rows in t.items()} == summary.as_dict()
    category = {p["product_code"]: p["category"] for p in t["products"]}
    held = Counter(category[h["product_code"]] for h in t["holdings"])
    assert held == {"current_account": 4500, "consumer_loan": 682, "debit_card": 804,
                    "credit_card": 88}  # fmt: skip
    cards = Counter(h["product_code"] for h in t["holdings"] if h["account_no"][0] == "K")
    assert cards == {"CARD_CLASSIC": 659, "CARD_JUNIOR": 145, "CARD_GOLD": 88}
    loans = [h for h in t["holdings"] if h["product_code"] == "CONSUMER_LOAN"]
    assert Counter(h["loan_status"] for h in loans) == {"good": 606, "bad": 76}
    assert Counter(h["status"] for h in loans) == {"closed": 234, "active": 403, "defaulted": 45}
    assert Counter(c["sex"] for c in t["customers"]).keys() == {"F", "M"}


@pytest.mark.datasets
def test_every_output_satisfies_the_spec(converted: Converted) -> None:
    """Required, types, enums, non_negative, max_length, unique keys, references, dates."""
    _, t = converted
    known = {
        c.references: {r[c.references[1]] for r in t[c.references[0]]}
        for e in spec.ENTITIES
        for c in e.columns
        if c.references is not None
    }
    problems: list[str] = []
    for entity in spec.ENTITIES:
        keys: set[tuple[str, ...]] = set()
        for n, row in enumerate(t[entity.name], start=2):
            where = f"{entity.name}.csv line {n}"
            key = tuple(row[k] for k in entity.key)
            if key in keys:
                problems.append(f"{where}: duplicate key {key}")
            keys.add(key)
            for col in entity.columns:
                value = row[col.name]
                if value == "":
                    if col.required:
                        problems.append(f"{where}: {col.name} is required")
                    continue
                problem = _cell_problem(col, value, known)
                if problem:
                    problems.append(f"{where}: {col.name} {value!r} {problem}")
            if row.get("closed_on") and row["closed_on"] < row["opened_on"]:
                problems.append(f"{where}: closed_on precedes opened_on")
            loan = entity is spec.HOLDINGS and row["product_code"] == "CONSUMER_LOAN"
            if loan and not row["loan_status"]:
                problems.append(f"{where}: loan without loan_status")
            if entity is spec.RELATIONSHIPS and row["from_customer_no"] == row["to_customer_no"]:
                problems.append(f"{where}: related to itself")
            if entity is spec.CUSTOMERS and row["birth_date"] > date.today().isoformat():
                problems.append(f"{where}: birth_date in the future")
    assert problems[:20] == []


def _cell_problem(
    col: spec.Column, value: str, known: dict[tuple[str, str], set[str]]
) -> str | None:
    if col.max_length is not None and len(value) > col.max_length:
        return "too long"
    if col.enum is not None and value not in col.enum:
        return "not in enum"
    if col.type in (spec.ColumnType.DECIMAL, spec.ColumnType.INTEGER):
        try:
            number = Decimal(value) if col.type is spec.ColumnType.DECIMAL else int(value)
        except (InvalidOperation, ValueError):
            return "not a number"
        if col.non_negative and number < 0:
            return "negative"
    if col.type is spec.ColumnType.DATE:
        try:
            date.fromisoformat(value)
        except ValueError:
            return "not a date"
        if len(value) != 10:
            return "not YYYY-MM-DD"
    if col.type is spec.ColumnType.BOOLEAN and value not in ("true", "false"):
        return "not true/false"
    if col.references is not None and value not in known[col.references]:
        return f"not in {col.references}"
    return None


@pytest.mark.datasets
def test_clients_decode_birth_number(converted: Converted) -> None:
    _, t = converted
    customers = _by(t["customers"], "customer_no")
    # client.asc: 1;"706213";18 and 2;"450204";1; account 1 opened 950324, account 2 930226
    c1, c2 = customers["C1"], customers["C2"]
    assert (c1["national_id"], c1["sex"], c1["birth_date"]) == ("706213", "F", "1970-12-13")
    assert (c2["national_id"], c2["sex"], c2["birth_date"]) == ("450204", "M", "1945-02-04")
    assert (c1["branch_id"], c1["region"], c1["onboarded_on"]) == ("D18", "south Bohemia",
                                                                   "1995-03-24")  # fmt: skip
    assert (c2["branch_id"], c2["region"], c2["onboarded_on"]) == ("D1", "Prague", "1993-02-26")
    assert c1["kind"] == "individual" and c1["status"] == "active" and c1["country"] == "CZ"
    assert (c1["marketing_consent"], c1["profiling_consent"]) == ("false", "false")
    assert c1["first_name"] == c1["last_name"] == c1["email"] == ""
    branch = _by(t["branches"], "branch_id")["D1"]
    assert branch == {"branch_id": "D1", "name": "Hl.m. Praha", "region": "Prague",
                      "city": "Hl.m. Praha", "opened_on": ""}  # fmt: skip
    # disp.asc: 3;3;2;"DISPONENT" (account 2 owned by client 2)
    assert {"from_customer_no": "C3", "to_customer_no": "C2", "kind": "authorised_user",
            "account_no": "A2", "share_percent": "", "since": ""} in t["relationships"]  # fmt: skip


@pytest.mark.datasets
def test_transactions_map_codes(converted: Converted) -> None:
    _, t = converted
    tx = _by(t["transactions"], "transaction_id")
    # (id, account, booked, direction, amount, balance, channel, category, bank, account)
    expected = [
        # 695247;2378;930101;"PRIJEM";"VKLAD";700.00;700.00;"";;
        ("695247", "A2378", "1993-01-01", "credit", "700.00", "700.00", "branch",
         "cash_deposit", "", ""),
        # 695490;2378;930228;"VYDAJ";"VYBER";14.60;71437.80;"SLUZBY";;
        ("695490", "A2378", "1993-02-28", "debit", "14.60", "71437.80", "system", "fee", "", ""),
        # 3591421;1844;930131;"PRIJEM";"";12.60;3754.60;"UROK";;
        ("3591421", "A1844", "1993-01-31", "credit", "12.60", "3754.60", "system", "interest",
         "", ""),
        # 695340;2378;930207;"VYDAJ";"PREVOD NA UCET";9612.00;80033.70;"SIPO";"EF";"1222903"
        ("695340", "A2378", "1993-02-07", "debit", "9612.00", "80033.70", "transfer",
         "household", "EF", "1222903"),
        # 144776;485;930306;"VYDAJ";"PREVOD NA UCET";1591.00;49952.90;" ";"WX";"56978738"
        ("144776", "A485", "1993-03-06", "debit", "1591.00", "49952.90", "transfer",
         "transfer_out", "WX", "56978738"),
        # 144918;485;930326;"VYBER";"VYBER";5166.00;88602.90;"";;
        ("144918", "A485", "1993-03-26", "debit", "5166.00", "88602.90", "branch",
         "cash_withdrawal", "", ""),
        # 2349940;7753;940103;"VYDAJ";"VYBER KARTOU";3600.00;61068.10;"";"";"0"
        ("2349940", "A7753", "1994-01-03", "debit", "3600.00", "61068.10", "card",
         "card_payment", "", ""),
        # 637742;2177;930105;"PRIJEM";"PREVOD Z UCTU";5123.00;5923.00;"DUCHOD";"YZ";"62457513"
        ("637742", "A2177", "1993-01-05", "credit", "5123.00", "5923.00", "transfer", "pension",
         "YZ", "62457513"),
    ]  # fmt: skip
    for row in expected:
        assert tuple(tx[row[0]].values()) == row
    assert Counter(r["direction"] for r in t["transactions"]) == {"credit": 22994, "debit": 26108}
    dates = [r["booked_on"] for r in t["transactions"]]
    assert (min(dates), max(dates)) == ("1993-01-01", "1994-03-31")


@pytest.mark.datasets
def test_holdings_map_accounts_loans_and_cards(
    converted: Converted,
) -> None:
    _, t = converted
    h = _by(t["holdings"], "account_no")
    # account.asc 1787;30;"POPLATEK TYDNE";930322, owner client 2166 (disp 2166;2166;1787)
    assert h["A1787"]["customer_no"] == "C2166"
    assert h["A1787"]["statement_frequency"] == "weekly"
    # account 2378's last day (1994-03-31) lists 695278 (+23672.00 -> 50842.50),
    # 695503 (-14.60 -> 50956.10) and 3608606 (+128.30 -> 50970.70): the fee closes the day
    a2378 = h["A2378"]
    assert (a2378["product_code"], a2378["opened_on"], a2378["balance"]) == (
        "CURRENT_ACCOUNT",
        "1993-01-01",
        "50956.10",
    )
    never_booked = [r for r in t["holdings"] if r["account_no"] == "A1"]
    assert never_booked[0]["balance"] == "0"  # account 1 opened in 1995, after the cut
    # loan.asc 5314;1787;930705;96396;12;8033.00;"B"
    assert h["L5314"] == {
        "account_no": "L5314",
        "customer_no": "C2166",
        "product_code": "CONSUMER_LOAN",
        "opened_on": "1993-07-05",
        "closed_on": "1994-07-05",
        "currency": "CZK",
        "balance": "0",
        "credit_limit": "",
        "interest_rate": "",
        "status": "closed",
        "loan_status": "bad",
        "principal": "96396",
        "term_months": "12",
        "monthly_payment": "8033.00",
        "linked_account_no": "A1787",
        "statement_frequency": "",
    }
    # loan 5316;1801;930711;165960;36;4610.00;"A"
    assert (h["L5316"]["status"], h["L5316"]["loan_status"], h["L5316"]["closed_on"]) == (
        "closed",
        "good",
        "1996-07-11",
    )
    running = [r for r in t["holdings"] if r["account_no"][0] == "L" and not r["closed_on"]]
    assert all(r["balance"] == r["principal"] for r in running) and len(running) == 448
    # card.asc 1005;9285;"classic";931107 00:00:00, disp 9285;9593;7753;"OWNER"
    assert (h["K1005"]["customer_no"], h["K1005"]["product_code"]) == ("C9593", "CARD_CLASSIC")
    assert (h["K1005"]["opened_on"], h["K1005"]["linked_account_no"]) == ("1993-11-07", "A7753")
    assert (h["K1005"]["balance"], h["K1005"]["status"]) == ("0", "active")
    orders = _by(t["standing_orders"], "order_id")
    # order.asc 29401;1;"YZ";"87144583";2452.00;"SIPO"
    assert orders["O29401"] == {"order_id": "O29401", "account_no": "A1", "amount": "2452.00",
                                "purpose": "household", "frequency": "monthly",
                                "counterparty_bank": "YZ", "counterparty_account": "87144583",
                                "start_on": ""}  # fmt: skip
    assert Counter(o["purpose"] for o in t["standing_orders"]) == {
        "household": 3502,
        "other": 1379,
        "loan": 717,
        "insurance": 532,
        "leasing": 341,
    }


@pytest.mark.datasets
def test_missing_real_file_is_named(berka_source: Path, tmp_path: Path) -> None:
    source = tmp_path / "berka"
    shutil.copytree(berka_source, source, ignore=shutil.ignore_patterns("loan.asc", "*.pdf"))
    with pytest.raises(BerkaFormatError, match=r"loan\.asc"):
        convert_berka(source, tmp_path / "out")
    assert not (tmp_path / "out").exists()


# --- small hand-made folders: no data set needed ----------------------------------------

_MINI = {
    "district.asc": [
        "A1;A2;A3;A4;A5;A6;A7;A8;A9;A10;A11;A12;A13;A14;A15;A16",
        '1;"Hl.m. Praha";"Prague";1204953;0;0;0;1;1;100.0;12541;0.29;0.43;167;85677;99107',
    ],
    "client.asc": [
        '"client_id";"birth_number";"district_id"',
        '1;"706213";1',
        '2;"450204";1',
    ],
    "account.asc": [
        '"account_id";"district_id";"frequency";"date"',
        '7;1;"POPLATEK PO OBRATU";930101',
    ],
    "disp.asc": ['"disp_id";"client_id";"account_id";"type"', '1;1;7;"OWNER"', '2;2;7;"DISPONENT"'],
    "loan.asc": [
        '"loan_id";"account_id";"date";"amount";"duration";"payments";"status"',
        '9;7;930131;1200;1;1200.00;"A"',
    ],
    "card.asc": ['"card_id";"disp_id";"type";"issued"', '3;1;"gold";940101 00:00:00'],
    "order.asc": [
        '"order_id";"account_id";"bank_to";"account_to";"amount";"k_symbol"',
        '5;7;"AB";"123";10.00;"LEASING"',
    ],
    "trans_partial.asc": [
        '"trans_id";"account_id";"date";"type";"operation";"amount";"balance";"k_symbol";"bank";"account"',
        '11;7;930101;"PRIJEM";"VKLAD";100.00;100.00;"";;',
        '13;7;930102;"VYBER";"VYBER";10.00;85.00;"";;',
        '12;7;930102;"VYDAJ";"VYBER";5.00;95.00;"SLUZBY";;',
    ],
}  # fmt: skip


def _mini(folder: Path, **replace: list[str]) -> Path:
    folder.mkdir()
    for name, lines in (_MINI | replace).items():
        (folder / name).write_bytes(("\r\n".join(lines) + "\r\n").encode())
    return folder


def test_mini_folder_converts(tmp_path: Path) -> None:
    summary = convert_berka(_mini(tmp_path / "src"), tmp_path / "out")
    assert (summary.customers, summary.holdings, summary.transactions) == (2, 3, 3)
    _, holdings = _read(tmp_path / "out" / "holdings.csv")
    h = _by(holdings, "account_no")
    # the day's rows are out of booking order: 12 (fee, 100 -> 95) then 13 (95 -> 85)
    assert h["A7"]["balance"] == "85.00"
    assert h["A7"]["statement_frequency"] == "after_transaction"
    assert h["L9"]["closed_on"] == "1993-02-28"  # one month after Jan 31, clipped
    assert (h["K3"]["product_code"], h["K3"]["customer_no"]) == ("CARD_GOLD", "C1")
    _, tx = _read(tmp_path / "out" / "transactions.csv")
    assert [(r["direction"], r["channel"], r["category"]) for r in tx] == [
        ("credit", "branch", "cash_deposit"),
        ("debit", "branch", "cash_withdrawal"),
        ("debit", "system", "fee"),
    ]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        f"{e.name}.csv" for e in spec.ENTITIES
    )


def test_missing_file_is_named(tmp_path: Path) -> None:
    source = _mini(tmp_path / "src")
    (source / "card.asc").unlink()
    (source / "trans_partial.asc").unlink()
    with pytest.raises(BerkaFormatError, match=r"card\.asc, trans_partial\.asc or trans\.asc"):
        convert_berka(source, tmp_path / "out")
    with pytest.raises(BerkaFormatError, match="does not exist"):
        convert_berka(tmp_path / "nowhere", tmp_path / "out")


def test_wrong_header_is_named(tmp_path: Path) -> None:
    source = _mini(tmp_path / "src", **{"client.asc": ['"id";"birth_number";"district_id"']})
    with pytest.raises(BerkaFormatError, match=r"client\.asc, line 1: wrong header"):
        convert_berka(source, tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("name", "line", "message"),
    [
        ("trans_partial.asc", '14;7;930103;"PRIJEM";"HOTOVOST";1.00;86.00;"";;', "operation"),
        ("trans_partial.asc", '14;8;930103;"PRIJEM";"VKLAD";1.00;86.00;"";;', "account_id 8"),
        ("trans_partial.asc", '14;7;931332;"PRIJEM";"VKLAD";1.00;86.00;"";;', "valid date"),
        ("trans_partial.asc", "14;7;930103", "3 fields, expected 10"),
        ("client.asc", '3;"706299";1', "birth_number"),
        ("loan.asc", '10;7;930131;1200;1;1200.00;"E"', "status"),
    ],
)
def test_bad_rows_are_named_with_their_line(
    tmp_path: Path, name: str, line: str, message: str
) -> None:
    source = _mini(tmp_path / "src", **{name: [*_MINI[name], line]})
    row = len(_MINI[name]) + 1
    with pytest.raises(BerkaFormatError, match=rf"{re.escape(name)}, line {row}: .*{message}"):
        convert_berka(source, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_rerun_replaces_files_and_leaves_no_temporaries(tmp_path: Path) -> None:
    source = _mini(tmp_path / "src")
    out = tmp_path / "out"
    first = convert_berka(source, out)
    assert convert_berka(source, out) == first
    assert not [p for p in out.iterdir() if p.name.startswith(".")]
