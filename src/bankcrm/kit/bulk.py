"""Bulk inserts shared by the importer and the scoring run."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import Table
from sqlalchemy.orm import Session

from bankcrm.kit.db import Base, utcnow
from bankcrm.kit.errors import UserError


def table_of(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection inside: building millions of row tuples (none of them
    cycles) otherwise triggers collection after collection, each walking every live object."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def insert_columns(session: Session, model: type[Base], columns: dict[str, list[Any]]) -> None:
    """Bulk INSERT straight to the driver: COPY on PostgreSQL, executemany on SQLite. Money
    and dates arrive as canonical text, which both store natively; going through the ORM's
    per-value type processing would more than double the time of a large import."""
    rows = len(next(iter(columns.values())))
    if not rows:
        return
    now = utcnow()
    columns = {**columns, "created_at": [now] * rows, "updated_at": [now] * rows}
    table = table_of(model)
    connection = session.connection()
    quote = connection.dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in columns)
    if connection.dialect.name == "postgresql":
        driver = connection.connection.driver_connection
        assert driver is not None
        # The rows as CSV, written by Arrow in C++: unquoted empty is NULL to COPY.
        buffer = pa.BufferOutputStream()
        pacsv.write_csv(
            pa.table({name: pa.array(values) for name, values in columns.items()}),
            buffer,
            pacsv.WriteOptions(include_header=False, quoting_style="needed"),
        )
        with (
            driver.cursor() as cursor,
            cursor.copy(f"COPY {quote(table.name)} ({names}) FROM STDIN WITH (FORMAT csv)") as copy,
        ):
            copy.write(buffer.getvalue().to_pybytes())
        return
    if connection.dialect.name != "sqlite":
        raise UserError(
            f"bulk inserts support SQLite and PostgreSQL, not {connection.dialect.name}"
        )
    values = list(columns.values())
    for index, column in enumerate(values):
        sample = next((v for v in column if v is not None), None)
        if isinstance(sample, bool):
            values[index] = [None if v is None else int(v) for v in column]
        elif isinstance(sample, datetime):
            text = {v: v.isoformat(sep=" ", timespec="microseconds") for v in set(column) if v}
            values[index] = [None if v is None else text[v] for v in column]
    with gc_paused():
        connection.exec_driver_sql(
            f"INSERT INTO {quote(table.name)} ({names}) VALUES ({', '.join('?' for _ in columns)})",
            list(zip(*values, strict=True)),
        )
