"""Reading the CRM tables the features need into Arrow, column by column.

The analytics engine (DuckDB or Spark) cannot read the CRM database itself, so the few
columns the features use are read here once per scoring run and handed to the engine as
Arrow tables. Rows come straight from the driver (no ORM objects): millions of holdings and
interactions must load in seconds. The rows are read on the session's own connection, so
they are the rows its transaction sees (a second connection, as the ADBC drivers need, would
miss uncommitted ones and measured no faster on PostgreSQL).
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import Float, cast, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement

from bankcrm.customers.models import Customer
from bankcrm.interactions.models import Interaction
from bankcrm.kit.bulk import gc_paused
from bankcrm.products.models import Holding, Product
from bankcrm.service_desk.models import Case

FETCH_ROWS = 50_000


def _money(column: Any, session: Session) -> Any:
    # PostgreSQL turns NUMERIC into FLOAT by printing and parsing it (numeric_float8), and
    # Arrow parses the printed NUMERIC to the same nearest double: COPY sends it as it is.
    if session.get_bind().dialect.name == "postgresql":
        return column
    return cast(column, Float)


def _as_date(column: Any, session: Session) -> Any:
    # SQLite keeps timestamps as text: the first ten characters are the date.
    if session.get_bind().dialect.name == "sqlite":
        return func.substr(column, 1, 10)
    return func.date(column)


def _fetch(session: Session, query: ClauseElement, schema: pa.Schema) -> pa.Table:
    """Runs `query` and returns its rows as an Arrow table with `schema`.

    PostgreSQL streams the rows as CSV through COPY, parsed by Arrow in C++; SQLite rows
    come from the driver's cursor a chunk at a time, each chunk converted by Arrow in one
    pass (as a struct array of the row tuples), with the garbage collector paused: the
    millions of row tuples are not cycles, and collecting them took a third of the time.
    """
    connection = session.connection()
    sql = str(query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    driver = connection.connection.driver_connection
    assert driver is not None
    if connection.dialect.name == "postgresql":
        return _copy_csv(driver, sql, schema)
    wire = pa.schema([pa.field(f.name, _wire_type(f.type)) for f in schema])
    batches = []
    cursor = driver.cursor()
    try:
        with gc_paused():
            cursor.execute(sql)
            while rows := cursor.fetchmany(FETCH_ROWS):
                rows_array = pa.array(rows, pa.struct(wire))
                batches.append(pa.RecordBatch.from_struct_array(rows_array))
    finally:
        cursor.close()
    return pa.Table.from_batches(batches, schema=wire).cast(schema)


def _wire_type(type_: pa.DataType) -> pa.DataType:
    """How SQLite hands a value of `type_` over: dates as ISO text, booleans as 0 or 1.
    Arrow casts them to `type_` afterwards."""
    if pa.types.is_date(type_) or pa.types.is_timestamp(type_):
        return pa.string()
    if pa.types.is_boolean(type_):
        return pa.int64()
    return type_


def _copy_csv(driver: Any, sql: str, schema: pa.Schema) -> pa.Table:
    buffer = bytearray()
    with (
        driver.cursor() as cursor,
        cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)") as copy,
    ):
        for block in copy:
            buffer += block
    if not buffer:
        return schema.empty_table()
    return pacsv.read_csv(
        pa.py_buffer(buffer),
        read_options=pacsv.ReadOptions(column_names=schema.names),
        convert_options=pacsv.ConvertOptions(
            column_types=schema,
            strings_can_be_null=True,
            true_values=["t"],
            false_values=["f"],
        ),
    )


ACCOUNTS_SCHEMA = pa.schema(
    [
        ("account_no", pa.string()),
        ("customer_id", pa.int64()),
        ("product_id", pa.int64()),
        ("category", pa.string()),
        ("opened_on", pa.date32()),
        ("closed_on", pa.date32()),
        ("status", pa.string()),
        ("loan_status", pa.string()),
        ("balance", pa.float64()),
        ("credit_limit", pa.float64()),
        ("principal", pa.float64()),
        ("monthly_payment", pa.float64()),
        ("interest_rate", pa.float64()),
        ("catalogue_fee_year", pa.float64()),
    ]
)


def accounts(session: Session) -> pa.Table:
    """Every holding with its product's category, rate (the product's when it has none) and
    the catalogue's fees per year."""
    query = select(
        Holding.account_no,
        Holding.customer_id,
        Holding.product_id,
        Product.category,
        Holding.opened_on,
        Holding.closed_on,
        Holding.status,
        Holding.loan_status,
        _money(Holding.balance, session),
        _money(Holding.credit_limit, session),
        _money(Holding.principal, session),
        _money(Holding.monthly_payment, session),
        _money(func.coalesce(Holding.interest_rate, Product.interest_rate), session),
        _money(
            func.coalesce(Product.monthly_fee, 0) * 12 + func.coalesce(Product.annual_fee, 0),
            session,
        ),
    ).join(Product, Product.id == Holding.product_id)
    return _fetch(session, query, ACCOUNTS_SCHEMA)


CUSTOMERS_SCHEMA = pa.schema(
    [
        ("customer_id", pa.int64()),
        ("kind", pa.string()),
        ("birth_date", pa.date32()),
        ("region", pa.string()),
        ("annual_income", pa.float64()),
        ("risk_rating", pa.string()),
        ("kyc_status", pa.string()),
        ("kyc_review_due", pa.date32()),
        ("onboarded_on", pa.date32()),
        ("status", pa.string()),
        ("branch_id", pa.int64()),
        ("manager_id", pa.int64()),
        ("marketing_consent", pa.bool_()),
        ("profiling_consent", pa.bool_()),
    ]
)


def customers(session: Session) -> pa.Table:
    query = select(
        Customer.id,
        Customer.kind,
        Customer.birth_date,
        Customer.region,
        _money(Customer.annual_income, session),
        Customer.risk_rating,
        Customer.kyc_status,
        Customer.kyc_review_due,
        Customer.onboarded_on,
        Customer.status,
        Customer.branch_id,
        Customer.manager_id,
        Customer.marketing_consent,
        Customer.profiling_consent,
    )
    return _fetch(session, query, CUSTOMERS_SCHEMA)


INTERACTIONS_SCHEMA = pa.schema(
    [
        ("customer_id", pa.int64()),
        ("occurred_on", pa.date32()),
        ("channel", pa.string()),
        ("direction", pa.string()),
        ("outcome", pa.string()),
    ]
)


def interactions(session: Session) -> pa.Table:
    query = select(
        Interaction.customer_id,
        _as_date(Interaction.occurred_at, session),
        Interaction.channel,
        Interaction.direction,
        Interaction.outcome,
    )
    return _fetch(session, query, INTERACTIONS_SCHEMA)


CASES_SCHEMA = pa.schema(
    [
        ("customer_id", pa.int64()),
        ("kind", pa.string()),
        ("topic", pa.string()),
        ("opened_on", pa.date32()),
        ("resolved_on", pa.date32()),
        ("satisfaction", pa.float64()),
    ]
)


def cases(session: Session) -> pa.Table:
    query = select(
        Case.customer_id,
        Case.kind,
        Case.topic,
        _as_date(Case.opened_at, session),
        _as_date(Case.resolved_at, session),
        _money(Case.satisfaction, session),
    )
    return _fetch(session, query, CASES_SCHEMA)


PRODUCTS_SCHEMA = pa.schema(
    [
        ("product_id", pa.int64()),
        ("product_code", pa.string()),
        ("name", pa.string()),
        ("category", pa.string()),
        ("active", pa.bool_()),
    ]
)


def products(session: Session) -> pa.Table:
    query = select(Product.id, Product.product_code, Product.name, Product.category, Product.active)
    return _fetch(session, query, PRODUCTS_SCHEMA)


def feature_tables(session: Session) -> dict[str, pa.Table]:
    """The CRM tables the customer features read, by the name the features know them by."""
    return {
        "accounts": accounts(session),
        "customers": customers(session),
        "interactions": interactions(session),
        "cases": cases(session),
    }
