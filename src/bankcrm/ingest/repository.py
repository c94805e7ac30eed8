"""Every query the importer makes. Repositories never commit: the import service does."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import Table, insert, select, text, update
from sqlalchemy.orm import Session

from bankcrm.ingest.mapping import Target
from bankcrm.ingest.models import ImportBatch, QuarantinedRow, RecordHistory
from bankcrm.kit.db import Base, utcnow
from bankcrm.kit.errors import UserError
from bankcrm.products.models import Product

CHUNK = 5_000


def _table(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def key_ids(session: Session, target: Target) -> dict[str, int]:
    table = _table(target.model)
    rows = session.execute(select(table.c[target.key_column], table.c.id))
    return {key: id_ for key, id_ in rows}


def key_states(session: Session, target: Target) -> dict[str, tuple[int, str | None, int]]:
    """External key -> (id, source_hash, version) for change detection."""
    table = _table(target.model)
    rows = session.execute(
        select(table.c[target.key_column], table.c.id, table.c.source_hash, table.c.version)
    )
    return {key: (id_, hash_, version) for key, id_, hash_, version in rows}


def product_categories(session: Session) -> dict[str, str]:
    rows = session.execute(select(Product.product_code, Product.category))
    return {code: category for code, category in rows}


def current_values(
    session: Session, model: type[Base], ids: Sequence[int], columns: Iterable[str]
) -> dict[int, dict[str, Any]]:
    table = _table(model)
    wanted = [table.c[c] for c in columns]
    found: dict[int, dict[str, Any]] = {}
    for start in range(0, len(ids), CHUNK):
        part = ids[start : start + CHUNK]
        for row in session.execute(select(table.c.id, *wanted).where(table.c.id.in_(part))):
            mapping = row._asdict()
            found[mapping.pop("id")] = mapping
    return found


def insert_columns(session: Session, model: type[Base], columns: dict[str, list[Any]]) -> None:
    """Bulk INSERT straight to the driver: COPY on PostgreSQL, executemany on SQLite. Money
    and dates arrive as canonical text, which both store natively; going through the ORM's
    per-value type processing would more than double the time of a large import."""
    rows = len(next(iter(columns.values())))
    if not rows:
        return
    now = utcnow()
    columns = {**columns, "created_at": [now] * rows, "updated_at": [now] * rows}
    table = _table(model)
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
        raise UserError(f"imports support SQLite and PostgreSQL, not {connection.dialect.name}")
    values = list(columns.values())
    for index, column in enumerate(values):
        sample = next((v for v in column if v is not None), None)
        if isinstance(sample, bool):
            values[index] = [None if v is None else int(v) for v in column]
        elif isinstance(sample, datetime):
            text = {v: v.isoformat(sep=" ", timespec="microseconds") for v in set(column) if v}
            values[index] = [None if v is None else text[v] for v in column]
    connection.exec_driver_sql(
        f"INSERT INTO {quote(table.name)} ({names}) VALUES ({', '.join('?' for _ in columns)})",
        list(zip(*values, strict=True)),
    )


def update_rows(session: Session, model: type[Base], rows: list[dict[str, Any]]) -> None:
    """Bulk UPDATE by primary key; each dict carries `id` and the new values."""
    if rows:
        now = utcnow()
        for row in rows:
            row["updated_at"] = now
        session.execute(update(model), rows)


def add_history(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(_table(RecordHistory)), rows)


def batch_by_hash(session: Session, content_hash: str) -> ImportBatch | None:
    return session.scalars(
        select(ImportBatch).where(ImportBatch.content_hash == content_hash)
    ).one_or_none()


IMPORT_LOCK_ID = 0x62616E6B  # "bank": serialises imports across hosts sharing a database


def lock_imports(session: Session) -> None:
    """On PostgreSQL, hold an advisory lock until this transaction ends."""
    if session.connection().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": IMPORT_LOCK_ID})


def batches_in_lake_state(session: Session, state: str) -> list[ImportBatch]:
    return list(session.scalars(select(ImportBatch).where(ImportBatch.lake_state == state)))


def add_batch(session: Session, batch: ImportBatch) -> ImportBatch:
    session.add(batch)
    session.flush()
    return batch


def add_quarantine(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(_table(QuarantinedRow)), rows)


def quarantine_for(session: Session, batch_id: int) -> list[QuarantinedRow]:
    return list(
        session.scalars(
            select(QuarantinedRow)
            .where(QuarantinedRow.batch_id == batch_id)
            .order_by(QuarantinedRow.file, QuarantinedRow.line, QuarantinedRow.id)
        )
    )
