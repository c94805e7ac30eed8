"""Every query the importer makes. Repositories never commit: the import service does."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.orm import Session

from bankcrm.ingest.mapping import Target
from bankcrm.ingest.models import ImportBatch, QuarantinedRow, RecordHistory
from bankcrm.kit.db import Base, utcnow
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


_SQLITE_VALUE: dict[type, Callable[[Any], Any]] = {
    Decimal: float,  # what SQLAlchemy's Numeric stores on SQLite
    date: date.isoformat,
    datetime: lambda v: v.isoformat(sep=" ", timespec="microseconds"),
    bool: int,
}


def insert_rows(session: Session, model: type[Base], rows: list[dict[str, Any]]) -> None:
    """Bulk INSERT. On SQLite the rows go straight to the driver's executemany, converted the
    way SQLAlchemy's types store them: per-row type processing would double an import."""
    if not rows:
        return
    now = utcnow()
    for row in rows:
        row["created_at"] = row["updated_at"] = now
    table = _table(model)
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        session.execute(insert(table), rows)
        return
    columns = list(rows[0])
    quote = connection.dialect.identifier_preparer.quote
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
        f"VALUES ({', '.join('?' for _ in columns)})"
    )
    convert = _SQLITE_VALUE
    connection.exec_driver_sql(
        sql,
        [
            tuple(
                v if v is None or v.__class__ not in convert else convert[v.__class__](v)
                for v in (row[c] for c in columns)
            )
            for row in rows
        ],
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


def count_batches(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(ImportBatch)) or 0)
