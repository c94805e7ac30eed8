"""The core-banking extract format: one file per entity, columns, types, enums and keys.

This module is the single source of truth for the format. The validator, the loaders,
the synthetic generator and the Berka adapter all read it, and docs/import-format.md
describes the same thing for the bank's IT department.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ColumnType(StrEnum):
    """How a cell is parsed. Text cells are UTF-8; empty means missing."""

    TEXT = "text"
    INTEGER = "integer"
    DECIMAL = "decimal"  # plain decimal, dot as separator, no thousands separator
    DATE = "date"  # ISO 8601 YYYY-MM-DD
    DATETIME = "datetime"  # ISO 8601 YYYY-MM-DDTHH:MM:SS (UTC, no offset)
    BOOLEAN = "boolean"  # true/false (also 1/0, yes/no, case-insensitive)


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    required: bool = False
    doc: str = ""
    enum: tuple[str, ...] | None = None
    non_negative: bool = False
    max_length: int | None = None
    references: tuple[str, str] | None = None  # (entity, column) this value must exist in
    default: str | bool | None = None  # stored when the cell is missing
    scale: int = 2  # decimals: places kept (half away from zero), as the database stores them
    max_value: float | None = None  # decimals: largest absolute value allowed


@dataclass(frozen=True)
class Entity:
    name: str  # file stem: customers.csv / customers.parquet
    doc: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    target: str = "database"  # "database" or "lake"
    checks: tuple[str, ...] = field(default_factory=tuple)  # row rules, described in words

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


T, INT, D, DT, TS, B = (
    ColumnType.TEXT,
    ColumnType.INTEGER,
    ColumnType.DECIMAL,
    ColumnType.DATE,
    ColumnType.DATETIME,
    ColumnType.BOOLEAN,
)

REGIONS_DOC = "Free text region name, e.g. 'south Moravia' or 'North'."

PRODUCT_CATEGORIES = (
    "current_account",
    "savings_account",
    "term_deposit",
    "consumer_loan",
    "mortgage",
    "business_loan",
    "credit_card",
    "debit_card",
    "wealth_management",
    "insurance",
    "payroll",
    "cash_management",
    "trade_finance",
)
LENDING_CATEGORIES = ("consumer_loan", "mortgage", "business_loan", "credit_card", "trade_finance")
LOAN_CATEGORIES = ("consumer_loan", "mortgage", "business_loan")  # these need a loan_status
CARD_CATEGORIES = ("credit_card", "debit_card")

STAFF_ROLES = (
    "account_manager",
    "branch_manager",
    "service_agent",
    "product_manager",
    "analyst",
    "executive",
)
CUSTOMER_KINDS = ("individual", "corporate")
CUSTOMER_STATUSES = ("active", "dormant", "closed", "deceased")
KYC_STATUSES = ("pending", "verified", "review_due", "expired", "rejected")
RISK_RATINGS = ("low", "medium", "high")
SEXES = ("F", "M", "X")
RELATIONSHIP_KINDS = (
    "household",
    "spouse",
    "guarantor",
    "parent_company",
    "subsidiary",
    "shareholder",
    "authorised_user",
)
HOLDING_STATUSES = ("active", "dormant", "closed", "defaulted")
LOAN_STATUSES = ("good", "bad")
ORDER_PURPOSES = ("insurance", "household", "leasing", "loan", "savings", "other")
ORDER_FREQUENCIES = ("weekly", "monthly", "quarterly", "yearly")
TX_DIRECTIONS = ("credit", "debit")
TX_CHANNELS = ("branch", "atm", "card", "online", "mobile", "transfer", "system")
TX_CATEGORIES = (
    "cash_deposit",
    "cash_withdrawal",
    "card_payment",
    "transfer_in",
    "transfer_out",
    "salary",
    "pension",
    "interest",
    "fee",
    "loan_payment",
    "insurance",
    "household",
    "standing_order",
    "other",
)
INTERACTION_CHANNELS = ("visit", "phone", "branch", "online", "mobile", "email", "messaging")
INTERACTION_DIRECTIONS = ("inbound", "outbound")
INTERACTION_OUTCOMES = (
    "completed",
    "no_answer",
    "follow_up",
    "product_sold",
    "offer_declined",
    "complaint_raised",
)
CASE_KINDS = ("complaint", "request", "feedback", "praise")
CASE_STATUSES = ("open", "in_progress", "resolved", "closed")
CASE_PRIORITIES = ("low", "normal", "high", "urgent")
CURRENCY_DOC = "ISO 4217 code, three upper-case letters (CZK, EUR, ...)."

BRANCHES = Entity(
    name="branches",
    doc="Branches of the bank and the region they serve.",
    key=("branch_id",),
    columns=(
        Column("branch_id", T, True, "Bank's branch code, unique.", max_length=32),
        Column("name", T, True, "Branch name.", max_length=200),
        Column("region", T, True, REGIONS_DOC, max_length=100),
        Column("city", T, False, "City.", max_length=100),
        Column("opened_on", DT, False, "Date the branch opened."),
    ),
)

STAFF = Entity(
    name="staff",
    doc="Employees who serve customers: account managers, branch managers, service staff.",
    key=("staff_id",),
    columns=(
        Column("staff_id", T, True, "HR employee number, unique.", max_length=32),
        Column("branch_id", T, True, "Home branch.", references=("branches", "branch_id")),
        Column("first_name", T, True, max_length=100),
        Column("last_name", T, True, max_length=100),
        Column("role", T, True, "Job role.", enum=STAFF_ROLES),
        Column("email", T, False, "Work e-mail.", max_length=200),
        Column("hired_on", DT, False, "Hire date."),
        Column("active", B, False, "false once the employee has left.", default=True),
    ),
)

PRODUCTS = Entity(
    name="products",
    doc="The product catalogue with its pricing parameters.",
    key=("product_code",),
    columns=(
        Column("product_code", T, True, "Catalogue code, unique.", max_length=32),
        Column("name", T, True, max_length=200),
        Column("category", T, True, "Product family.", enum=PRODUCT_CATEGORIES),
        Column("currency", T, True, CURRENCY_DOC, max_length=3),
        Column(
            "interest_rate",
            D,
            False,
            "Customer rate in percent per year (paid on deposits, charged on credit).",
            non_negative=True,
            scale=4,
            max_value=100,
        ),
        Column("monthly_fee", D, False, "Account fee per month.", non_negative=True),
        Column("annual_fee", D, False, "Fee per year (cards, wealth mandates).", non_negative=True),
        Column("transaction_fee", D, False, "Fee per chargeable transaction.", non_negative=True),
        Column("launched_on", DT, False, "Date the product went on sale."),
        Column("active", B, False, "false once withdrawn from sale.", default=True),
    ),
)

CUSTOMERS = Entity(
    name="customers",
    doc="Individual and corporate customers.",
    key=("customer_no",),
    columns=(
        Column("customer_no", T, True, "Bank's customer number, unique.", max_length=32),
        Column("kind", T, True, "individual or corporate.", enum=CUSTOMER_KINDS),
        Column(
            "national_id",
            T,
            True,
            "Personal identity number (individuals) or company registration number.",
            max_length=64,
        ),
        Column("first_name", T, False, "Individuals only.", max_length=100),
        Column("last_name", T, False, "Individuals only.", max_length=100),
        Column("company_name", T, False, "Corporates only.", max_length=200),
        Column("birth_date", DT, False, "Date of birth (individuals) or founding (corporates)."),
        Column("sex", T, False, "F, M or X; empty for corporates.", enum=SEXES),
        Column("email", T, False, max_length=200),
        Column("phone", T, False, max_length=40),
        Column("address", T, False, "Street and number.", max_length=200),
        Column("postal_code", T, False, max_length=20),
        Column("city", T, False, max_length=100),
        Column("region", T, False, REGIONS_DOC, max_length=100),
        Column("country", T, False, "ISO 3166 alpha-2, e.g. CZ.", max_length=2),
        Column("occupation", T, False, "Individuals: occupation.", max_length=100),
        Column("industry", T, False, "Corporates: industry (NACE section name).", max_length=100),
        Column(
            "annual_income",
            D,
            False,
            "Individuals: gross income per year; corporates: turnover per year.",
            non_negative=True,
        ),
        Column("risk_rating", T, False, "AML / credit risk rating.", enum=RISK_RATINGS),
        Column("kyc_status", T, True, "Know-your-customer status.", enum=KYC_STATUSES),
        Column("kyc_review_due", DT, False, "Date the next KYC refresh is due."),
        Column("onboarded_on", DT, True, "Date the relationship began."),
        Column("status", T, True, "Relationship status.", enum=CUSTOMER_STATUSES),
        Column("branch_id", T, True, "Home branch.", references=("branches", "branch_id")),
        Column(
            "manager_id",
            T,
            False,
            "Assigned account manager (staff_id); empty for the pooled team.",
            references=("staff", "staff_id"),
        ),
        Column("marketing_consent", B, True, "Customer agreed to marketing contact."),
        Column("profiling_consent", B, True, "Customer agreed to profiling and scoring."),
    ),
    checks=(
        "corporates need company_name",
        "birth_date may not lie in the future",
    ),
)

RELATIONSHIPS = Entity(
    name="relationships",
    doc=(
        "Links between customers: households, spouses, guarantors, company groups, "
        "shareholders and authorised users of another customer's account."
    ),
    key=("from_customer_no", "to_customer_no", "kind"),
    columns=(
        Column("from_customer_no", T, True, references=("customers", "customer_no")),
        Column("to_customer_no", T, True, references=("customers", "customer_no")),
        Column(
            "kind",
            T,
            True,
            "Read as: from is <kind> of to (e.g. from is guarantor of to).",
            enum=RELATIONSHIP_KINDS,
        ),
        Column(
            "account_no",
            T,
            False,
            "For authorised_user and guarantor: the account or loan concerned.",
            max_length=34,
        ),
        Column(
            "share_percent",
            D,
            False,
            "For shareholder: share held, in percent.",
            non_negative=True,
            scale=3,
            max_value=100,
        ),
        Column("since", DT, False, "Date the relationship began."),
    ),
    checks=("a customer cannot be related to itself",),
)

HOLDINGS = Entity(
    name="holdings",
    doc="One row per account, loan, card, deposit, mandate or policy a customer holds.",
    key=("account_no",),
    columns=(
        Column("account_no", T, True, "Bank's account / contract number, unique.", max_length=34),
        Column("customer_no", T, True, "Primary holder.", references=("customers", "customer_no")),
        Column("product_code", T, True, references=("products", "product_code")),
        Column("opened_on", DT, True),
        Column("closed_on", DT, False, "Empty while open."),
        Column("currency", T, True, CURRENCY_DOC, max_length=3),
        Column(
            "balance",
            D,
            True,
            "Balance at extract date: deposits positive; for loans and cards the amount owed "
            "(positive). A current account may be overdrawn (negative).",
        ),
        Column("credit_limit", D, False, "Cards and overdrafts.", non_negative=True),
        Column(
            "interest_rate",
            D,
            False,
            "Contract rate, percent per year.",
            non_negative=True,
            scale=4,
            max_value=100,
        ),
        Column("status", T, True, enum=HOLDING_STATUSES),
        Column(
            "loan_status",
            T,
            False,
            "Loans only: good or bad (in arrears / default).",
            enum=LOAN_STATUSES,
        ),
        Column("principal", D, False, "Loans: amount granted.", non_negative=True),
        Column("term_months", INT, False, "Loans and term deposits: term.", non_negative=True),
        Column("monthly_payment", D, False, "Loans: instalment.", non_negative=True),
        Column(
            "linked_account_no",
            T,
            False,
            "Cards and loans: the account they are drawn on or repaid from.",
            max_length=34,
        ),
        Column(
            "statement_frequency", T, False, "monthly, weekly or after_transaction.", max_length=32
        ),
    ),
    checks=(
        "closed_on may not precede opened_on",
        "loan_status is required for loans and mortgages",
    ),
)

STANDING_ORDERS = Entity(
    name="standing_orders",
    doc="Permanent payment orders set up on an account.",
    key=("order_id",),
    columns=(
        Column("order_id", T, True, "Order number, unique.", max_length=32),
        Column("account_no", T, True, references=("holdings", "account_no")),
        Column("amount", D, True, non_negative=True),
        Column("purpose", T, True, enum=ORDER_PURPOSES),
        Column("frequency", T, False, enum=ORDER_FREQUENCIES, default="monthly"),
        Column("counterparty_bank", T, False, "Receiving bank code.", max_length=16),
        Column("counterparty_account", T, False, "Receiving account.", max_length=34),
        Column("start_on", DT, False),
    ),
)

INTERACTIONS = Entity(
    name="interactions",
    doc="Contacts with the customer on any channel, from the contact-centre and branch systems.",
    key=("interaction_id",),
    columns=(
        Column("interaction_id", T, True, "Source system's contact id, unique.", max_length=40),
        Column("customer_no", T, True, references=("customers", "customer_no")),
        Column("staff_id", T, False, references=("staff", "staff_id")),
        Column("occurred_at", TS, True),
        Column("channel", T, True, enum=INTERACTION_CHANNELS),
        Column("direction", T, True, enum=INTERACTION_DIRECTIONS),
        Column("topic", T, True, "What it was about, e.g. 'mortgage', 'card'.", max_length=100),
        Column("outcome", T, True, enum=INTERACTION_OUTCOMES),
        Column("note", T, False, max_length=2000),
    ),
    checks=("interaction_id may not start with CRM- or EVT- (bankcrm's own contact numbers)",),
)

CASES = Entity(
    name="cases",
    doc="Complaints, requests, feedback and praise from the service desk.",
    key=("case_id",),
    columns=(
        Column("case_id", T, True, "Service-desk case number, unique.", max_length=40),
        Column("customer_no", T, True, references=("customers", "customer_no")),
        Column("kind", T, True, enum=CASE_KINDS),
        Column(
            "topic", T, True, "e.g. fees, card, mortgage, service, online_banking.", max_length=100
        ),
        Column("channel", T, True, enum=INTERACTION_CHANNELS),
        Column("priority", T, True, enum=CASE_PRIORITIES),
        Column("status", T, True, enum=CASE_STATUSES),
        Column("opened_at", TS, True),
        Column("resolved_at", TS, False),
        Column("description", T, False, max_length=4000),
        Column("satisfaction", INT, False, "CSAT 1..5 given on closing.", non_negative=True),
    ),
    checks=(
        "resolved_at may not precede opened_at",
        "satisfaction must be 1 to 5",
        "case_id may not start with CRM- (bankcrm's own case numbers)",
    ),
)

TRANSACTIONS = Entity(
    name="transactions",
    doc=(
        "Booked account transactions. Large and append-only: they go to the Parquet lake, "
        "partitioned by month, never into the CRM database."
    ),
    key=("transaction_id",),
    target="lake",
    columns=(
        Column("transaction_id", INT, True, "Core-banking transaction number, unique for ever."),
        Column("account_no", T, True, references=("holdings", "account_no")),
        Column("booked_on", DT, True),
        Column("direction", T, True, enum=TX_DIRECTIONS),
        Column("amount", D, True, "Always positive; direction gives the sign.", non_negative=True),
        Column("balance_after", D, False, "Account balance after booking."),
        Column("channel", T, True, enum=TX_CHANNELS),
        Column("category", T, True, enum=TX_CATEGORIES),
        Column("counterparty_bank", T, False, max_length=16),
        Column("counterparty_account", T, False, max_length=34),
    ),
)

# Load order: every entity comes after the ones it references.
ENTITIES: tuple[Entity, ...] = (
    BRANCHES,
    STAFF,
    PRODUCTS,
    CUSTOMERS,
    RELATIONSHIPS,
    HOLDINGS,
    STANDING_ORDERS,
    INTERACTIONS,
    CASES,
    TRANSACTIONS,
)
ENTITY_BY_NAME = {e.name: e for e in ENTITIES}
FILE_SUFFIXES = (".csv", ".parquet")
