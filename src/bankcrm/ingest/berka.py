"""Convert the PKDD'99 Czech bank data (Berka) into a standard core-banking extract.

Real data takes the same road as any bank extract: this adapter only rewrites the Berka
files into the format of `bankcrm.ingest.spec`; the ordinary importer then loads the folder.
Everything is read and checked before anything is written, and every output file is written
under a temporary name and renamed, so a bad source or a crash never leaves a half extract.

Source: a folder with account.asc, client.asc, disp.asc, district.asc, loan.asc, card.asc,
order.asc and trans.asc (the full 1,056,320 transactions) or, when that is absent,
trans_partial.asc (the first 49,102, 1993-01-01 to 1994-03-31). `;`-separated, quoted
strings, CRLF line ends, dates YYMMDD (all 19xx; card `issued` is "YYMMDD 00:00:00"). The
header must be exactly the documented one; unknown Czech codes are refused with file and
line, not guessed.

Mapping (ids get a letter prefix so that the kinds of number cannot collide):

branches.csv
    One branch per district: branch_id "D{A1}", name and city = A2 (district name),
    region = A3. opened_on empty.
staff.csv, interactions.csv, cases.csv
    Header only: Berka has no staff, contacts or service cases.
products.csv
    A catalogue inferred from the data, all CZK, active: CURRENT_ACCOUNT (current_account),
    CONSUMER_LOAN (consumer_loan: Berka loans go to individuals through their account),
    CARD_CLASSIC and CARD_JUNIOR (debit_card), CARD_GOLD (credit_card). Rates, fees and
    launch dates are left empty: the data gives no price list (statement fees and interest
    appear only as booked transactions) and loan amount = payments x duration exactly, so
    no rate can be read from the loans either.
customers.csv (client.asc)
    customer_no "C{client_id}", kind individual, national_id = birth_number as given.
    birth_date and sex decoded from birth_number YYMMDD (women: month + 50, so F and
    month - 50; century 19). branch_id "D{district_id}", region = that district's region,
    country CZ, city empty (a district is not a city). onboarded_on = the earliest opening
    date of the accounts the client has a disposition on. status active, kyc_status
    verified (the bank had opened accounts for them), marketing_consent and
    profiling_consent false: the data records no consent, so the privacy-safe default.
    Names and contact details are empty: Berka is anonymised.
holdings.csv, accounts (account.asc)
    account_no "A{account_id}", customer_no = the client of the OWNER disposition,
    CURRENT_ACCOUNT, opened_on = account date, status active, CZK, statement_frequency
    POPLATEK MESICNE monthly / POPLATEK TYDNE weekly / POPLATEK PO OBRATU after_transaction.
    balance = balance after the account's last transaction in the transaction file, 0 when
    it has none. With trans_partial.asc that is the balance on 1994-03-31 at the latest
    (and the last day may be cut), not at the end of the data. Within a day the file order
    is not the booking order (about half the accounts would get a wrong closing balance from
    the last line), so the closing row of the last day is the one whose balance_after is not
    the balance before another row of that day, within 0.50 CZK because the data carries
    rounding noise of 0.10; when that does not single out one row, the last line wins.
holdings.csv, loans (loan.asc)
    account_no "L{loan_id}", customer_no = OWNER of the account, CONSUMER_LOAN, opened_on =
    loan date, principal = amount, term_months = duration, monthly_payment = payments,
    linked_account_no "A{account_id}". Status A (finished, paid) -> closed / good, B
    (finished, not paid) -> closed / bad, C (running, OK) -> active / good, D (running, in
    debt) -> defaulted / bad. closed_on = opened_on + duration months (day clipped to the
    month's end) for A and B. The outstanding amount is not in the data: balance =
    principal for running loans (C, D) and 0 for finished ones (A, B), an estimate.
holdings.csv, cards (card.asc)
    account_no "K{card_id}", customer_no = the client of the card's disposition, product
    by type (classic, junior, gold), opened_on = issued date, linked_account_no = the
    disposition's account, balance 0 (nothing owed is recorded), status active, no limit.
relationships.csv (disp.asc, DISPONENT rows)
    from = the disponent's client, to = the account's OWNER client, kind authorised_user,
    account_no "A{account_id}", since empty (not recorded).
standing_orders.csv (order.asc)
    order_id "O{order_id}", account_no "A{account_id}", amount, purpose POJISTNE insurance
    / SIPO household / LEASING leasing / UVER loan / empty other, frequency monthly (the
    Berka description calls them permanent monthly orders), counterparty_bank = bank_to,
    counterparty_account = account_to, start_on empty.
transactions.csv (trans*.asc)
    transaction_id = trans_id, account_no "A{account_id}", booked_on = date, direction:
    PRIJEM credit, VYDAJ and VYBER debit; amount and balance_after as given. channel and
    category from `operation`: VYBER KARTOU card / card_payment, VKLAD branch / cash_deposit,
    PREVOD Z UCTU transfer / transfer_in, VYBER branch / cash_withdrawal (cash without a card
    is taken at the counter), PREVOD NA UCET transfer / transfer_out, empty system / other.
    A k_symbol overrides the category: POJISTNE insurance, SIPO household, DUCHOD pension,
    UVER loan_payment, and, booked by the bank itself so also channel system, UROK interest,
    SLUZBY fee, SANKC. UROK (penalty interest) fee. counterparty_bank = bank,
    counterparty_account = account, except that account "0" without a bank (cash and card
    withdrawals) is a placeholder for none and is left empty.

Output: UTF-8 CSV, comma-separated, every spec column in spec order, empty cells for
missing values, dates YYYY-MM-DD, booleans true/false, decimals with a dot.
"""

from __future__ import annotations

import calendar
import csv
import os
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TypeVar

from bankcrm.ingest import spec
from bankcrm.kit.errors import UserError

__all__ = ["SOURCE_HEADERS", "BerkaFormatError", "BerkaSummary", "convert_berka"]

_V = TypeVar("_V")

SOURCE_HEADERS: dict[str, tuple[str, ...]] = {
    "district.asc": tuple(f"A{i}" for i in range(1, 17)),
    "client.asc": ("client_id", "birth_number", "district_id"),
    "account.asc": ("account_id", "district_id", "frequency", "date"),
    "disp.asc": ("disp_id", "client_id", "account_id", "type"),
    "loan.asc": ("loan_id", "account_id", "date", "amount", "duration", "payments", "status"),
    "card.asc": ("card_id", "disp_id", "type", "issued"),
    "order.asc": ("order_id", "account_id", "bank_to", "account_to", "amount", "k_symbol"),
    "trans.asc": (
        "trans_id",
        "account_id",
        "date",
        "type",
        "operation",
        "amount",
        "balance",
        "k_symbol",
        "bank",
        "account",
    ),
}
_TRANS_FILES = ("trans.asc", "trans_partial.asc")  # full data first, else the partial cut

CURRENCY = "CZK"
COUNTRY = "CZ"
P_CURRENT = "CURRENT_ACCOUNT"
P_LOAN = "CONSUMER_LOAN"
_PRODUCTS: tuple[tuple[str, str, str], ...] = (
    (P_CURRENT, "Current account", "current_account"),
    (P_LOAN, "Consumer loan", "consumer_loan"),
    ("CARD_CLASSIC", "Classic debit card", "debit_card"),
    ("CARD_JUNIOR", "Junior debit card", "debit_card"),
    ("CARD_GOLD", "Gold credit card", "credit_card"),
)
_CARD_PRODUCT = {"classic": "CARD_CLASSIC", "junior": "CARD_JUNIOR", "gold": "CARD_GOLD"}
_FREQUENCY = {
    "POPLATEK MESICNE": "monthly",
    "POPLATEK TYDNE": "weekly",
    "POPLATEK PO OBRATU": "after_transaction",
}
_DISP_TYPES = {"OWNER": "OWNER", "DISPONENT": "DISPONENT"}
# loan status -> (loan_status, holding status, finished)
_LOAN_STATUS = {
    "A": ("good", "closed", True),
    "B": ("bad", "closed", True),
    "C": ("good", "active", False),
    "D": ("bad", "defaulted", False),
}
_ORDER_PURPOSE = {
    "POJISTNE": "insurance",
    "SIPO": "household",
    "LEASING": "leasing",
    "UVER": "loan",
    "": "other",
}
_TX_DIRECTION = {"PRIJEM": "credit", "VYDAJ": "debit", "VYBER": "debit"}
# operation -> (channel, category)
_TX_OPERATION = {
    "VYBER KARTOU": ("card", "card_payment"),
    "VKLAD": ("branch", "cash_deposit"),
    "PREVOD Z UCTU": ("transfer", "transfer_in"),
    "VYBER": ("branch", "cash_withdrawal"),
    "PREVOD NA UCET": ("transfer", "transfer_out"),
    "": ("system", "other"),
}
# k_symbol -> (channel override or None, category override or None)
_TX_K_SYMBOL: dict[str, tuple[str | None, str | None]] = {
    "": (None, None),
    "POJISTNE": (None, "insurance"),
    "SIPO": (None, "household"),
    "DUCHOD": (None, "pension"),
    "UVER": (None, "loan_payment"),
    "UROK": ("system", "interest"),
    "SLUZBY": ("system", "fee"),
    "SANKC. UROK": ("system", "fee"),
}
_BALANCE_TOLERANCE = Decimal("0.50")


class BerkaFormatError(UserError):
    """A Berka source file is missing, unreadable or not in the documented format."""


@dataclass(frozen=True)
class BerkaSummary:
    """Rows written per output file (header not counted)."""

    branches: int
    staff: int
    products: int
    customers: int
    relationships: int
    holdings: int
    standing_orders: int
    interactions: int
    cases: int
    transactions: int

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


class _Rec:
    """One source record with its file and line, so every complaint can say where."""

    __slots__ = ("cells", "file", "line")

    def __init__(self, file: str, line: int, cells: dict[str, str]) -> None:
        self.file = file
        self.line = line
        self.cells = cells

    def error(self, message: str) -> BerkaFormatError:
        return BerkaFormatError(f"{self.file}, line {self.line}: {message}")

    def text(self, column: str) -> str:
        return self.cells[column].strip()

    def integer(self, column: str) -> int:
        raw = self.text(column)
        if not raw.isascii() or not raw.isdigit():
            raise self.error(f"{column} {raw!r} is not a whole number")
        return int(raw)

    def decimal(self, column: str) -> Decimal:
        raw = self.text(column)
        try:
            value = Decimal(raw)
        except InvalidOperation:
            raise self.error(f"{column} {raw!r} is not a number") from None
        if not value.is_finite():
            raise self.error(f"{column} {raw!r} is not a number")
        return value

    def date(self, column: str) -> date:
        raw = self.text(column)
        day, _, time = raw.partition(" ")
        if time not in ("", "00:00:00") or len(day) != 6 or not day.isdigit():
            raise self.error(f"{column} {raw!r} is not a YYMMDD date")
        try:
            return date(1900 + int(day[:2]), int(day[2:4]), int(day[4:]))
        except ValueError:
            raise self.error(f"{column} {raw!r} is not a valid date") from None

    def code(self, column: str, table: Mapping[str, _V]) -> _V:
        raw = self.text(column)
        if raw not in table:
            known = ", ".join(repr(k) for k in table)
            raise self.error(f"{column} {raw!r} is not a known code (expected one of {known})")
        return table[raw]


def _read(source: Path, name: str, header: Sequence[str]) -> list[_Rec]:
    """All records of one source file, after checking its header and field counts."""
    path = source / name
    records: list[_Rec] = []
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh, delimiter=";", quotechar='"')
            found = next(reader, None)
            if found is None:
                raise BerkaFormatError(f"{name}: the file is empty (expected a header line)")
            found = [h.strip().lstrip("\ufeff") for h in found]
            if tuple(found) != tuple(header):
                raise BerkaFormatError(
                    f"{name}, line 1: wrong header {';'.join(found)!r}, "
                    f"expected {';'.join(header)!r}"
                )
            for cells in reader:
                if not cells:
                    continue
                if len(cells) != len(header):
                    raise BerkaFormatError(
                        f"{name}, line {reader.line_num}: {len(cells)} fields, "
                        f"expected {len(header)}"
                    )
                records.append(_Rec(name, reader.line_num, dict(zip(header, cells, strict=True))))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise BerkaFormatError(f"{name}: cannot be read: {exc}") from exc
    return records


def _unique(records: Iterable[_Rec], column: str) -> dict[int, _Rec]:
    """Index records by their id column, refusing duplicates."""
    index: dict[int, _Rec] = {}
    for rec in records:
        key = rec.integer(column)
        if key in index:
            raise rec.error(f"{column} {key} repeats line {index[key].line}")
        index[key] = rec
    return index


def _add_months(day: date, months: int) -> date:
    """Calendar month arithmetic, clipping the day to the target month's length."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _birth(rec: _Rec) -> tuple[date, str]:
    """Decode birth_number YYMMDD (women: month + 50) into birth date and sex."""
    raw = rec.text("birth_number")
    if len(raw) != 6 or not raw.isdigit():
        raise rec.error(f"birth_number {raw!r} is not YYMMDD")
    month, sex = int(raw[2:4]), "M"
    if month > 50:
        month, sex = month - 50, "F"
    try:
        return date(1900 + int(raw[:2]), month, int(raw[4:])), sex
    except ValueError:
        raise rec.error(f"birth_number {raw!r} is not a valid date") from None


def _closing_balance(rows: Sequence[tuple[Decimal, Decimal]]) -> Decimal:
    """Closing balance of one day from (signed amount, balance_after) rows in file order.

    The closing row is the one whose balance is not the opening balance of another row;
    the file order within a day is not the booking order.
    """
    if len(rows) == 1:
        return rows[0][1]
    befores = [after - amount for amount, after in rows]
    ends = [
        after
        for i, (_, after) in enumerate(rows)
        if not any(
            abs(after - before) <= _BALANCE_TOLERANCE for j, before in enumerate(befores) if j != i
        )
    ]
    return ends[0] if len(ends) == 1 else rows[-1][1]


def _num(value: Decimal) -> str:
    return format(value, "f")


Row = dict[str, str]


def convert_berka(source: Path, out: Path) -> BerkaSummary:
    """Convert the Berka folder `source` into a standard extract folder `out`.

    Raises BerkaFormatError naming the file (and line) when the source is not usable; in
    that case nothing is written.
    """
    source, out = Path(source), Path(out)
    if not source.is_dir():
        raise BerkaFormatError(f"{source}: the Berka source folder does not exist")
    trans_name = next((n for n in _TRANS_FILES if (source / n).is_file()), None)
    missing = [n for n in SOURCE_HEADERS if n != "trans.asc" and not (source / n).is_file()]
    if trans_name is None:
        missing.append(" or ".join(reversed(_TRANS_FILES)))
    if missing or trans_name is None:
        raise BerkaFormatError(f"{source}: missing Berka file(s): {', '.join(missing)}")

    tables = _build(source, trans_name)
    return _write(out, tables)


def _build(source: Path, trans_name: str) -> dict[str, list[Row]]:
    """Read and check every source file and map it to spec rows, entity by entity."""
    districts = _unique(_read(source, "district.asc", SOURCE_HEADERS["district.asc"]), "A1")
    clients = _unique(_read(source, "client.asc", SOURCE_HEADERS["client.asc"]), "client_id")
    accounts = _unique(_read(source, "account.asc", SOURCE_HEADERS["account.asc"]), "account_id")
    disps = _unique(_read(source, "disp.asc", SOURCE_HEADERS["disp.asc"]), "disp_id")
    loans = _unique(_read(source, "loan.asc", SOURCE_HEADERS["loan.asc"]), "loan_id")
    cards = _unique(_read(source, "card.asc", SOURCE_HEADERS["card.asc"]), "card_id")
    orders = _unique(_read(source, "order.asc", SOURCE_HEADERS["order.asc"]), "order_id")
    trans = _read(source, trans_name, SOURCE_HEADERS["trans.asc"])

    def account_of(rec: _Rec) -> int:
        account_id = rec.integer("account_id")
        if account_id not in accounts:
            raise rec.error(f"account_id {account_id} is not in account.asc")
        return account_id

    # branches
    branches: list[Row] = []
    region_of: dict[int, str] = {}
    for district_id, rec in districts.items():
        name, region = rec.text("A2"), rec.text("A3")
        if not name or not region:
            raise rec.error("district name (A2) and region (A3) are required")
        region_of[district_id] = region
        branches.append(
            {"branch_id": f"D{district_id}", "name": name, "region": region, "city": name}
        )

    # dispositions: owner per account, accounts per client
    owner: dict[int, int] = {}
    client_accounts: dict[int, list[int]] = defaultdict(list)
    disp_target: dict[int, tuple[int, int]] = {}  # disp_id -> (client_id, account_id)
    disponents: list[tuple[_Rec, int, int]] = []
    for disp_id, rec in disps.items():
        client_id, account_id = rec.integer("client_id"), account_of(rec)
        if client_id not in clients:
            raise rec.error(f"client_id {client_id} is not in client.asc")
        kind = rec.code("type", _DISP_TYPES)
        if kind == "OWNER":
            if account_id in owner:
                raise rec.error(f"account {account_id} has a second OWNER")
            owner[account_id] = client_id
        else:
            disponents.append((rec, client_id, account_id))
        client_accounts[client_id].append(account_id)
        disp_target[disp_id] = (client_id, account_id)
    for account_id, rec in accounts.items():
        if account_id not in owner:
            raise rec.error(f"account {account_id} has no OWNER in disp.asc")

    # holdings: current accounts (balances from the transactions)
    transactions: list[Row] = []
    last_day: dict[int, tuple[date, list[tuple[Decimal, Decimal]]]] = {}
    seen_tx: dict[int, int] = {}
    for rec in trans:
        tx_id, account_id = rec.integer("trans_id"), account_of(rec)
        if tx_id in seen_tx:
            raise rec.error(f"trans_id {tx_id} repeats line {seen_tx[tx_id]}")
        seen_tx[tx_id] = rec.line
        booked = rec.date("date")
        direction = rec.code("type", _TX_DIRECTION)
        channel, category = rec.code("operation", _TX_OPERATION)
        k_channel, k_category = rec.code("k_symbol", _TX_K_SYMBOL)
        amount, after = rec.decimal("amount"), rec.decimal("balance")
        if amount < 0:
            raise rec.error(f"amount {amount} is negative")
        bank, counter_account = rec.text("bank"), rec.text("account")
        if not bank and counter_account == "0":
            counter_account = ""
        transactions.append(
            {
                "transaction_id": str(tx_id),
                "account_no": f"A{account_id}",
                "booked_on": booked.isoformat(),
                "direction": direction,
                "amount": _num(amount),
                "balance_after": _num(after),
                "channel": k_channel or channel,
                "category": k_category or category,
                "counterparty_bank": bank,
                "counterparty_account": counter_account,
            }
        )
        signed = amount if direction == "credit" else -amount
        current = last_day.get(account_id)
        if current is None or booked > current[0]:
            last_day[account_id] = (booked, [(signed, after)])
        elif booked == current[0]:
            current[1].append((signed, after))

    holdings: list[Row] = []
    opened: dict[int, date] = {}
    for account_id, rec in accounts.items():
        opened[account_id] = rec.date("date")
        day = last_day.get(account_id)
        holdings.append(
            {
                "account_no": f"A{account_id}",
                "customer_no": f"C{owner[account_id]}",
                "product_code": P_CURRENT,
                "opened_on": opened[account_id].isoformat(),
                "currency": CURRENCY,
                "balance": _num(_closing_balance(day[1]) if day else Decimal(0)),
                "status": "active",
                "statement_frequency": rec.code("frequency", _FREQUENCY),
            }
        )

    for loan_id, rec in loans.items():
        account_id = account_of(rec)
        loan_status, status, finished = rec.code("status", _LOAN_STATUS)
        start, principal = rec.date("date"), rec.decimal("amount")
        term, payment = rec.integer("duration"), rec.decimal("payments")
        if principal < 0 or payment < 0:
            raise rec.error("amount and payments may not be negative")
        holdings.append(
            {
                "account_no": f"L{loan_id}",
                "customer_no": f"C{owner[account_id]}",
                "product_code": P_LOAN,
                "opened_on": start.isoformat(),
                "closed_on": _add_months(start, term).isoformat() if finished else "",
                "currency": CURRENCY,
                "balance": "0" if finished else _num(principal),
                "status": status,
                "loan_status": loan_status,
                "principal": _num(principal),
                "term_months": str(term),
                "monthly_payment": _num(payment),
                "linked_account_no": f"A{account_id}",
            }
        )

    for card_id, rec in cards.items():
        disp_id = rec.integer("disp_id")
        if disp_id not in disp_target:
            raise rec.error(f"disp_id {disp_id} is not in disp.asc")
        client_id, account_id = disp_target[disp_id]
        holdings.append(
            {
                "account_no": f"K{card_id}",
                "customer_no": f"C{client_id}",
                "product_code": rec.code("type", _CARD_PRODUCT),
                "opened_on": rec.date("issued").isoformat(),
                "currency": CURRENCY,
                "balance": "0",
                "status": "active",
                "linked_account_no": f"A{account_id}",
            }
        )

    # customers
    customers: list[Row] = []
    for client_id, rec in clients.items():
        district_id = rec.integer("district_id")
        if district_id not in region_of:
            raise rec.error(f"district_id {district_id} is not in district.asc")
        birth, sex = _birth(rec)
        if not client_accounts[client_id]:
            raise rec.error(f"client {client_id} has no disposition in disp.asc")
        customers.append(
            {
                "customer_no": f"C{client_id}",
                "kind": "individual",
                "national_id": rec.text("birth_number"),
                "birth_date": birth.isoformat(),
                "sex": sex,
                "region": region_of[district_id],
                "country": COUNTRY,
                "kyc_status": "verified",
                "onboarded_on": min(opened[a] for a in client_accounts[client_id]).isoformat(),
                "status": "active",
                "branch_id": f"D{district_id}",
                "marketing_consent": "false",
                "profiling_consent": "false",
            }
        )

    relationships: list[Row] = []
    for rec, client_id, account_id in disponents:
        if owner[account_id] == client_id:
            raise rec.error(f"client {client_id} is both OWNER and DISPONENT of {account_id}")
        relationships.append(
            {
                "from_customer_no": f"C{client_id}",
                "to_customer_no": f"C{owner[account_id]}",
                "kind": "authorised_user",
                "account_no": f"A{account_id}",
            }
        )

    standing_orders: list[Row] = []
    for order_id, rec in orders.items():
        account_id = account_of(rec)
        amount = rec.decimal("amount")
        if amount < 0:
            raise rec.error(f"amount {amount} is negative")
        standing_orders.append(
            {
                "order_id": f"O{order_id}",
                "account_no": f"A{account_id}",
                "amount": _num(amount),
                "purpose": rec.code("k_symbol", _ORDER_PURPOSE),
                "frequency": "monthly",
                "counterparty_bank": rec.text("bank_to"),
                "counterparty_account": rec.text("account_to"),
            }
        )

    products: list[Row] = [
        {
            "product_code": code,
            "name": name,
            "category": category,
            "currency": CURRENCY,
            "active": "true",
        }
        for code, name, category in _PRODUCTS
    ]
    return {
        "branches": branches,
        "staff": [],
        "products": products,
        "customers": customers,
        "relationships": relationships,
        "holdings": holdings,
        "standing_orders": standing_orders,
        "interactions": [],
        "cases": [],
        "transactions": transactions,
    }


def _write(out: Path, tables: Mapping[str, list[Row]]) -> BerkaSummary:
    """Write one CSV per spec entity, each via a temporary file and an atomic rename."""
    for entity in spec.ENTITIES:
        twin = out / f"{entity.name}.parquet"
        if twin.exists():
            raise UserError(f"{twin}: would make {entity.name} ambiguous; remove it first")
    out.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    for entity in spec.ENTITIES:
        rows = tables[entity.name]
        columns = entity.column_names
        for row in rows:
            unknown = set(row) - set(columns)
            if unknown:  # a bug in the mapping above, not in the data
                raise ValueError(f"{entity.name}: unknown column(s) {sorted(unknown)}")
        final = out / f"{entity.name}.csv"
        temp = out / f".{entity.name}.csv.tmp"
        try:
            with temp.open("w", encoding="utf-8", newline="") as fh:
                writer = csv.writer(fh, lineterminator="\n")
                writer.writerow(columns)
                writer.writerows([row.get(c, "") for c in columns] for row in rows)
            os.replace(temp, final)
        finally:
            temp.unlink(missing_ok=True)
        counts[entity.name] = len(rows)
    return BerkaSummary(**counts)
