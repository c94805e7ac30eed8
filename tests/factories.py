"""Factories for extract files: valid rows by default, any field overridable, raw lines too."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bankcrm.ingest import spec


def branch(n: int = 1, **overrides: Any) -> dict[str, Any]:
    return {
        "branch_id": f"B{n:03d}",
        "name": f"Branch {n}",
        "region": "Prague",
        "city": "Praha",
        "opened_on": "2001-05-01",
        **overrides,
    }


def staff(n: int = 1, **overrides: Any) -> dict[str, Any]:
    return {
        "staff_id": f"S{n:04d}",
        "branch_id": "B001",
        "first_name": "Jana",
        "last_name": f"Novakova{n}",
        "role": "account_manager",
        "email": f"s{n}@bank.example",
        "hired_on": "2015-03-01",
        "active": "true",
        **overrides,
    }


def product(
    code: str = "CUR", category: str = "current_account", **overrides: Any
) -> dict[str, Any]:
    return {
        "product_code": code,
        "name": f"{category} product",
        "category": category,
        "currency": "CZK",
        "interest_rate": "0.01",
        "monthly_fee": "49",
        "annual_fee": "",
        "transaction_fee": "",
        "launched_on": "2010-01-01",
        "active": "true",
        **overrides,
    }


def customer(n: int = 1, **overrides: Any) -> dict[str, Any]:
    return {
        "customer_no": f"C{n:06d}",
        "kind": "individual",
        "national_id": f"800101/{n:04d}",
        "first_name": "Petr",
        "last_name": f"Svoboda{n}",
        "company_name": "",
        "birth_date": "1980-01-01",
        "sex": "M",
        "email": f"c{n}@mail.example",
        "phone": "+420600000000",
        "address": "Hlavni 1",
        "postal_code": "11000",
        "city": "Praha",
        "region": "Prague",
        "country": "CZ",
        "occupation": "engineer",
        "industry": "",
        "annual_income": "650000",
        "risk_rating": "low",
        "kyc_status": "verified",
        "kyc_review_due": "2027-01-01",
        "onboarded_on": "2012-06-01",
        "status": "active",
        "branch_id": "B001",
        "manager_id": "S0001",
        "marketing_consent": "true",
        "profiling_consent": "true",
        **overrides,
    }


def holding(
    account_no: str, customer_no: str = "C000001", product_code: str = "CUR", **overrides: Any
) -> dict[str, Any]:
    return {
        "account_no": account_no,
        "customer_no": customer_no,
        "product_code": product_code,
        "opened_on": "2012-06-01",
        "closed_on": "",
        "currency": "CZK",
        "balance": "12500.50",
        "credit_limit": "",
        "interest_rate": "0.01",
        "status": "active",
        "loan_status": "",
        "principal": "",
        "term_months": "",
        "monthly_payment": "",
        "linked_account_no": "",
        "statement_frequency": "monthly",
        **overrides,
    }


def transaction(tx_id: int, account_no: str = "A000001", **overrides: Any) -> dict[str, Any]:
    return {
        "transaction_id": str(tx_id),
        "account_no": account_no,
        "booked_on": "2024-01-15",
        "direction": "credit",
        "amount": "100.00",
        "balance_after": "12600.50",
        "channel": "online",
        "category": "transfer_in",
        "counterparty_bank": "0300",
        "counterparty_account": "123456789",
        **overrides,
    }


def interaction(
    interaction_id: str, customer_no: str = "C000001", **overrides: Any
) -> dict[str, Any]:
    return {
        "interaction_id": interaction_id,
        "customer_no": customer_no,
        "staff_id": "",
        "occurred_at": "2024-02-01T10:00:00",
        "channel": "phone",
        "direction": "inbound",
        "topic": "card",
        "outcome": "completed",
        "note": "",
        **overrides,
    }


def case(case_id: str, customer_no: str = "C000001", **overrides: Any) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "customer_no": customer_no,
        "kind": "complaint",
        "topic": "fees",
        "channel": "branch",
        "priority": "normal",
        "status": "open",
        "opened_at": "2024-02-01T10:00:00",
        "resolved_at": "",
        "description": "",
        "satisfaction": "",
        **overrides,
    }


@dataclass
class Extract:
    """A folder of extract files built row by row."""

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    raw_lines: dict[str, list[str]] = field(default_factory=dict)

    def add(self, entity: str, *rows: dict[str, Any]) -> Extract:
        self.rows.setdefault(entity, []).extend(rows)
        return self

    def add_raw_line(self, entity: str, line: str) -> Extract:
        """Append a line verbatim (after the generated rows), for malformed input."""
        self.raw_lines.setdefault(entity, []).append(line)
        return self

    def write(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        for entity, rows in self.rows.items():
            columns = spec.ENTITY_BY_NAME[entity].column_names
            buffer = io.StringIO()
            writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
            writer.writeheader()
            for row in rows:
                writer.writerow({c: row.get(c, "") for c in columns})
            for line in self.raw_lines.get(entity, []):
                buffer.write(line + "\n")
            (folder / f"{entity}.csv").write_text(buffer.getvalue(), encoding="utf-8")
        return folder


def small_bank(customers: int = 3, transactions_per_account: int = 4) -> Extract:
    """A valid little bank: 1 branch, 1 manager, 2 products, accounts and transactions."""
    extract = Extract()
    extract.add("branches", branch(1))
    extract.add("staff", staff(1))
    extract.add(
        "products",
        product("CUR", "current_account"),
        product("LOAN", "consumer_loan", interest_rate="9.9", monthly_fee=""),
    )
    tx_id = 1
    for n in range(1, customers + 1):
        extract.add("customers", customer(n))
        account = f"A{n:06d}"
        extract.add("holdings", holding(account, f"C{n:06d}"))
        for k in range(transactions_per_account):
            extract.add(
                "transactions", transaction(tx_id, account, booked_on=f"2024-0{1 + k % 3}-1{k % 9}")
            )
            tx_id += 1
    return extract


def lines_of(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def write_bytes_line(path: Path, data: bytes) -> None:
    with path.open("ab") as handle:
        handle.write(data + b"\n")


def all_rows(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return list(rows)
