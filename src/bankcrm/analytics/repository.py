"""Reading the CRM tables the features need into Arrow, column by column.

The analytics engine (DuckDB or Spark) cannot read the CRM database itself, so the few
columns the features use are read here once per scoring run and handed to the engine as
Arrow tables. Rows come straight from the driver cursor (no ORM objects): millions of
holdings and interactions must load in seconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import Float, cast, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement

from bankcrm.customers.models import Customer
from bankcrm.interactions.models import Interaction
from bankcrm.products.models import Holding, Product
from bankcrm.service_desk.models import Case

FETCH_ROWS = 200_000


def _money(column: Any) -> Any:
    return cast(column, Float)


def _as_date(column: Any, session: Session) -> Any:
    # SQLite keeps timestamps as text: the first ten characters are the date.
    if session.get_bind().dialect.name == "sqlite":
        return func.substr(column, 1, 10)
    return func.date(column)


def _fetch(session: Session, query: ClauseElement, schema: pa.Schema) -> pa.Table:
    """Runs `query` and returns its rows as an Arrow table with `schema`.

    PostgreSQL streams the rows as CSV through COPY, parsed by Arrow in C++; SQLite rows
    come from the driver's cursor a chunk at a time, a column at a time.
    """
    connection = session.connection()
    sql = str(query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    driver = connection.connection.driver_connection
    assert driver is not None
    if connection.dialect.name == "postgresql":
        return _copy_csv(driver, sql, schema)
    cursor = driver.cursor()
    try:
        cursor.execute(sql)
        batches = []
        while rows := cursor.fetchmany(FETCH_ROWS):
            columns = list(zip(*rows, strict=True))
            arrays = [_array(v, f.type) for v, f in zip(columns, schema, strict=True)]
            batches.append(pa.record_batch(arrays, schema=schema))
    finally:
        cursor.close()
    return pa.Table.from_batches(batches, schema=schema)


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
        pa.py_buffer(bytes(buffer)),
        read_options=pacsv.ReadOptions(column_names=schema.names),
        convert_options=pacsv.ConvertOptions(
            column_types=schema,
            strings_can_be_null=True,
            true_values=["t"],
            false_values=["f"],
        ),
    )


def _array(values: Sequence[Any], type_: pa.DataType) -> pa.Array:
    """Arrow array of `type_`; SQLite's text dates and 0/1 booleans are converted by Arrow."""
    if pa.types.is_date(type_) or pa.types.is_timestamp(type_):
        sample = next((v for v in values if v is not None), None)
        if isinstance(sample, str):
            return pa.array(values, pa.string()).cast(type_)
    if pa.types.is_boolean(type_):
        return pa.array(values).cast(type_)
    return pa.array(values, type_)


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
        _money(Holding.balance),
        _money(Holding.credit_limit),
        _money(Holding.principal),
        _money(Holding.monthly_payment),
        _money(func.coalesce(Holding.interest_rate, Product.interest_rate)),
        _money(func.coalesce(Product.monthly_fee, 0) * 12 + func.coalesce(Product.annual_fee, 0)),
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
        _money(Customer.annual_income),
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
        cast(Case.satisfaction, Float),
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
