"""What a re-import means: defaults, partial extracts, blank lines, concurrent recovery."""

from __future__ import annotations

import fcntl
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bankcrm.customers.models import Customer
from bankcrm.ingest.service import recover, run_import
from bankcrm.lake import recent
from bankcrm.lake.store import LakeStore
from bankcrm.staff.models import Staff
from tests import factories as f


def test_defaults_and_omitted_columns_do_not_count_as_changes(
    sessions: sessionmaker[Session], lake: LakeStore, tmp_path: Path
) -> None:
    first = f.small_bank(customers=2, transactions_per_account=0)
    first.rows["staff"][0]["active"] = ""  # missing: the default, true
    run_import(sessions, lake, first.write(tmp_path / "day1"))

    second = f.small_bank(customers=2, transactions_per_account=0)  # active = "true"
    folder = second.write(tmp_path / "day2")
    customers = folder / "customers.csv"  # a partial extract: no e-mail column at all
    lines = [line.split(",") for line in customers.read_text().splitlines()]
    drop = lines[0].index("email")
    customers.write_text(
        "\n".join(",".join(c for i, c in enumerate(row) if i != drop) for row in lines) + "\n"
    )
    report = run_import(sessions, lake, folder)

    by_file = {r.entity: r for r in report.files}
    assert by_file["staff"].updated == 0 and by_file["staff"].unchanged == 1
    assert by_file["customers"].updated == 0 and by_file["customers"].unchanged == 2
    with sessions() as session:
        assert session.scalars(select(Staff.active)).all() == [True]
        emails = session.scalars(select(Customer.email).order_by(Customer.customer_no)).all()
        assert emails == ["c1@mail.example", "c2@mail.example"]  # kept, not wiped
        assert set(session.scalars(select(Customer.version))) == {1}


def test_transaction_lines_are_right_after_blank_lines(
    sessions: sessionmaker[Session], lake: LakeStore, tmp_path: Path
) -> None:
    extract = f.small_bank(customers=1, transactions_per_account=1)  # line 2: good
    folder = extract.write(tmp_path / "x")
    with (folder / "transactions.csv").open("a") as handle:
        handle.write("\n")  # line 3: blank
        handle.write(",".join(f.transaction(2, "A000001").values()) + "\n")  # line 4: good
        handle.write(",".join(f.transaction(3, "A000001", amount="x").values()) + "\n")  # 5
        handle.write("4,A000001\n")  # line 6: too few cells

    report = run_import(sessions, lake, folder)

    assert [(p.line, p.column) for p in report.problems] == [(5, "amount"), (6, None)]
    tx = next(r for r in report.files if r.entity == "transactions")
    assert (tx.loaded, tx.quarantined) == (2, 2)


def test_header_only_transactions_without_newline_is_an_empty_file(
    sessions: sessionmaker[Session], lake: LakeStore, tmp_path: Path
) -> None:
    folder = f.small_bank(customers=1, transactions_per_account=1).write(tmp_path / "x")
    header = (folder / "transactions.csv").read_text().splitlines()[0]
    (folder / "transactions.csv").write_text(header)

    report = run_import(sessions, lake, folder)

    tx = next(r for r in report.files if r.entity == "transactions")
    assert (tx.rows_read, tx.loaded) == (0, 0)


def test_recovery_leaves_a_running_import_alone(
    sessions: sessionmaker[Session], lake: LakeStore
) -> None:
    staged = lake.staging_dir("0" * 64)
    staged.mkdir(parents=True)
    lake.root.mkdir(parents=True, exist_ok=True)
    with (lake.root / "_import.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # as a running import holds it
        assert recover(sessions, lake) == []
        assert staged.is_dir()
    assert recover(sessions, lake) == [
        "discarded staged lake files of an unfinished import 000000000000"
    ]
    assert not staged.exists()


def test_each_import_brings_the_store_of_latest_transactions_up_to_date(
    sessions: sessionmaker[Session], lake: LakeStore, tmp_path: Path
) -> None:
    run_import(sessions, lake, f.small_bank(customers=2).write(tmp_path / "day1"))
    assert recent.latest_transactions(lake.root, ["A000001"], 2) is not None
    first = recent.latest_transactions(lake.root, ["A000001", "A000002"], 20)
    assert first is not None and len(first) == 8

    later = f.small_bank(customers=2, transactions_per_account=0)
    later.add("transactions", f.transaction(100, "A000002", booked_on="2024-05-02"))
    run_import(sessions, lake, later.write(tmp_path / "day2"))

    (newest,) = recent.latest_transactions(lake.root, ["A000001", "A000002"], 1) or []
    assert (newest["account_no"], newest["booked_on"].isoformat()) == ("A000002", "2024-05-02")
    with sessions() as session:
        months = recent.newest_months(session, lake.root, 24)
    from_months = recent.recent_transactions(lake.root, months, ["A000002"], 20)
    assert recent.latest_transactions(lake.root, ["A000002"], 20) == from_months
