"""Bad input: every kind of bad row is quarantined with file, line, column and reason,
every good row lands, and a file that cannot be read stops the import with nothing written.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bankcrm.customers.models import Customer
from bankcrm.ingest.models import ImportBatch, QuarantinedRow
from bankcrm.ingest.reader import ExtractFileError
from bankcrm.ingest.service import run_import
from bankcrm.interactions.models import Interaction
from bankcrm.lake.store import LakeStore
from bankcrm.products.models import Holding
from bankcrm.service_desk.models import Case
from tests import factories as f


def _bad_extract() -> f.Extract:
    extract = f.small_bank(customers=1, transactions_per_account=0)
    extract.add(
        "customers",
        f.customer(2, annual_income="12,5"),  # line 3: type
        f.customer(3, birth_date="1980-02-30"),  # line 4: date
        f.customer(4, kind="person"),  # line 5: enum
        f.customer(5, national_id=""),  # line 6: required
        f.customer(6, branch_id="B999"),  # line 7: unknown foreign key
        f.customer(1, last_name="Copy"),  # line 8: duplicate key
        f.customer(7, annual_income="-5"),  # line 9: negative amount
        f.customer(8),  # line 10: good
        f.customer(9, birth_date="2999-01-01"),  # line 11: future
    )
    extract.add_raw_line("customers", "C000010,individual,too,few,cells")  # line 12
    extract.add(
        "holdings",
        f.holding("A000003", "C000003"),  # line 3: customer rejected above
        f.holding("A000008", "C000008"),  # line 4: good
        f.holding("L000008", "C000008", product_code="LOAN", balance="1000"),  # 5: loan_status
    )
    tx = [
        f.transaction(1, "A000001"),  # line 2: good
        f.transaction(2, "A000001", amount="-10.00"),  # line 3: negative
        f.transaction(3, "A999999"),  # line 4: unknown account
        f.transaction(1, "A000001"),  # line 5: duplicate id
        f.transaction(5, "A000001", booked_on="2024-13-01"),  # line 6: bad date
        f.transaction(6, "A000001", channel="pigeon"),  # line 7: enum
        f.transaction(7, "A000008", amount="abc"),  # line 8: type
        f.transaction(8, "A000008"),  # line 9: good
    ]
    extract.add("transactions", *tx)
    extract.add_raw_line("transactions", "9,A000001,2024-01-01")  # line 10: too few cells
    return extract


def _problems(session: Session, batch_id: int) -> dict[tuple[str, int], QuarantinedRow]:
    rows = session.scalars(select(QuarantinedRow).where(QuarantinedRow.batch_id == batch_id))
    return {(r.file, r.line): r for r in rows}


def test_each_kind_of_bad_row_is_quarantined_and_good_rows_land(
    sessions: sessionmaker[Session], lake: LakeStore, tmp_path: Path
) -> None:
    folder = _bad_extract().write(tmp_path / "extract")
    f.write_bytes_line(
        folder / "customers.csv",
        ",".join(f.customer(11).values()).replace("Svoboda11", "Sv\xff").encode("latin-1"),
    )  # line 13: bad encoding

    report = run_import(sessions, lake, folder)

    assert report.batch_id is not None
    with sessions() as session:
        problems = _problems(session, report.batch_id)
        expected = {
            ("customers.csv", 3): ("annual_income", "not a number"),
            ("customers.csv", 4): ("birth_date", "not a real calendar date"),
            ("customers.csv", 5): ("kind", "'person' is not one of"),
            ("customers.csv", 6): ("national_id", "required but empty"),
            ("customers.csv", 7): ("branch_id", "unknown branches 'B999'"),
            ("customers.csv", 8): ("customer_no", "duplicate key 'C000001': already on line 2"),
            ("customers.csv", 9): ("annual_income", "may not be negative"),
            ("customers.csv", 11): ("birth_date", "lies in the future"),
            ("customers.csv", 12): (None, "has 5 cells but the header has 27 columns"),
            ("customers.csv", 13): ("last_name", "not valid UTF-8"),
            ("holdings.csv", 3): ("customer_no", "customers 'C000003' was itself rejected"),
            ("holdings.csv", 5): ("loan_status", "required for consumer_loan"),
            ("transactions.csv", 3): ("amount", "may not be negative"),
            ("transactions.csv", 4): ("account_no", "unknown holdings"),
            ("transactions.csv", 5): ("transaction_id", "duplicate key '1': already on line 2"),
            ("transactions.csv", 6): ("booked_on", "not a real calendar date"),
            ("transactions.csv", 7): ("channel", "not one of"),
            ("transactions.csv", 8): ("amount", "not a number"),
            ("transactions.csv", 10): (None, "wrong number of cells"),
        }
        for where, (column, reason) in expected.items():
            assert where in problems, f"{where} was not quarantined"
            assert problems[where].column == column, where
            assert reason in problems[where].reason, (where, problems[where].reason)
        assert set(problems) == set(expected)

        customers = set(session.scalars(select(Customer.customer_no)))
        assert customers == {"C000001", "C000008"}
        assert set(session.scalars(select(Holding.account_no))) == {"A000001", "A000008"}
        batch = session.get(ImportBatch, report.batch_id)
        assert batch is not None and batch.outcome == "loaded_with_quarantine"
    tx_report = next(r for r in report.files if r.entity == "transactions")
    assert (tx_report.rows_read, tx_report.loaded, tx_report.quarantined) == (9, 2, 7)


def test_ids_bankcrm_reserves_for_its_own_records_are_quarantined(
    sessions: sessionmaker[Session], lake: LakeStore, tmp_path: Path
) -> None:
    """Contacts logged in bankcrm are numbered CRM-..., channel events EVT-..., cases
    CRM-...: an imported record with such an id could collide with one made later."""
    extract = f.small_bank(customers=1, transactions_per_account=0)
    extract.add(
        "interactions",
        f.interaction("CC-1"),  # line 2: good
        f.interaction("CRM-00000001"),  # line 3
        f.interaction("EVT-17"),  # line 4
    )
    extract.add("cases", f.case("SD-1"), f.case("CRM-000042"))  # line 3: reserved
    folder = extract.write(tmp_path / "extract")

    report = run_import(sessions, lake, folder)

    assert report.batch_id is not None
    with sessions() as session:
        problems = _problems(session, report.batch_id)
        assert set(problems) == {
            ("interactions.csv", 3),
            ("interactions.csv", 4),
            ("cases.csv", 3),
        }
        assert problems[("interactions.csv", 3)].column == "interaction_id"
        assert "reserves for its own contacts" in problems[("interactions.csv", 4)].reason
        assert "CRM-, which bankcrm reserves for its own cases" in problems[("cases.csv", 3)].reason
        assert session.scalar(select(func.count()).select_from(Interaction)) == 1
        assert session.scalar(select(func.count()).select_from(Case)) == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "the file is empty"),
        ("customer_no,kind\nC1,individual\n", "lacks required column(s): national_id"),
        ("\n\n", "should be the header row"),
        ("customer_no,customer_no,kind\n", "repeats column(s): customer_no"),
    ],
)
def test_unreadable_file_stops_the_import_and_writes_nothing(
    sessions: sessionmaker[Session], lake: LakeStore, tmp_path: Path, content: str, message: str
) -> None:
    folder = f.small_bank().write(tmp_path / "extract")
    (folder / "customers.csv").write_text(content, encoding="utf-8")

    with pytest.raises(ExtractFileError, match=r"customers\.csv") as caught:
        run_import(sessions, lake, folder)

    assert message in str(caught.value)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(ImportBatch)) == 0
        assert session.scalar(select(func.count()).select_from(Customer)) == 0
    assert lake.published_files() == []


def test_garbage_parquet_stops_the_import(
    sessions: sessionmaker[Session], lake: LakeStore, tmp_path: Path
) -> None:
    folder = f.small_bank().write(tmp_path / "extract")
    (folder / "transactions.csv").unlink()
    (folder / "transactions.parquet").write_bytes(b"this is not parquet")

    with pytest.raises(ExtractFileError, match=r"transactions\.parquet: not a readable Parquet"):
        run_import(sessions, lake, folder)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Customer)) == 0


def test_folder_without_extract_files_is_refused(
    sessions: sessionmaker[Session], lake: LakeStore, tmp_path: Path
) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ExtractFileError, match="no extract files found"):
        run_import(sessions, lake, tmp_path)


def test_bad_encoding_in_an_otherwise_clean_file_is_quarantined(
    sessions: sessionmaker[Session], lake: LakeStore, tmp_path: Path
) -> None:
    """A file with no malformed lines takes the fast columnar reader: bytes still checked."""
    folder = f.small_bank(customers=2, transactions_per_account=0).write(tmp_path / "extract")
    row = ",".join(str(v) for v in f.customer(3).values()).replace("Svoboda3", "Sv\xe9")
    f.write_bytes_line(folder / "customers.csv", row.encode("latin-1"))

    report = run_import(sessions, lake, folder)

    assert [(p.file, p.line, p.column, p.reason) for p in report.problems] == [
        ("customers.csv", 4, "last_name", "not valid UTF-8 (bad encoding)")
    ]
    assert report.problems[0].value == "Sv\ufffd"
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Customer)) == 2


def test_columns_and_files_outside_the_format_are_reported(
    sessions: sessionmaker[Session], lake: LakeStore, tmp_path: Path
) -> None:
    extract = f.small_bank(customers=1, transactions_per_account=0)
    folder = extract.write(tmp_path / "extract")
    customers = folder / "customers.csv"
    lines = customers.read_text(encoding="utf-8").splitlines()
    customers.write_text(
        "\n".join([lines[0] + ",emial", *(line + ",x@y.example" for line in lines[1:])]) + "\n",
        encoding="utf-8",
    )
    (folder / "customers.csv.bak").write_text("old")

    report = run_import(sessions, lake, folder)

    assert report.unknown_columns == {"customers.csv": ["emial"]}
    assert report.unknown_files == ["customers.csv.bak"]
    assert report.quarantined == 0
