"""Every query the importer makes. Repositories never commit: the import service does."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import insert, select, text, update
from sqlalchemy.orm import Session

from bankcrm.ingest.mapping import Target
from bankcrm.ingest.models import ImportBatch, QuarantinedRow, RecordHistory
from bankcrm.kit.bulk import table_of
from bankcrm.kit.db import Base, utcnow
from bankcrm.products.models import Product

CHUNK = 5_000


def key_ids(session: Session, target: Target) -> dict[str, int]:
    table = table_of(target.model)
    rows = session.execute(select(table.c[target.key_column], table.c.id))
    return {key: id_ for key, id_ in rows}


def key_states(session: Session, target: Target) -> dict[str, tuple[int, str | None, int]]:
    """External key -> (id, source_hash, version) for change detection."""
    table = table_of(target.model)
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
    table = table_of(model)
    wanted = [table.c[c] for c in columns]
    found: dict[int, dict[str, Any]] = {}
    for start in range(0, len(ids), CHUNK):
        part = ids[start : start + CHUNK]
        for row in session.execute(select(table.c.id, *wanted).where(table.c.id.in_(part))):
            mapping = row._asdict()
            found[mapping.pop("id")] = mapping
    return found


def update_rows(session: Session, model: type[Base], rows: list[dict[str, Any]]) -> None:
    """Bulk UPDATE by primary key; each dict carries `id` and the new values."""
    if rows:
        now = utcnow()
        for row in rows:
            row["updated_at"] = now
        session.execute(update(model), rows)


def add_history(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(table_of(RecordHistory)), rows)


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
        session.execute(insert(table_of(QuarantinedRow)), rows)


def quarantine_for(session: Session, batch_id: int) -> list[QuarantinedRow]:
    return list(
        session.scalars(
            select(QuarantinedRow)
            .where(QuarantinedRow.batch_id == batch_id)
            .order_by(QuarantinedRow.file, QuarantinedRow.line, QuarantinedRow.id)
        )
    )
