"""Load validated rows of one database entity: insert new, update changed, skip unchanged."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.orm import Session

from bankcrm.ingest import repository as repo
from bankcrm.ingest.mapping import Target
from bankcrm.ingest.reader import iter_chunks
from bankcrm.ingest.validate import EntityValidator, GoodRow, KeyBook, Problem


class Progress(Protocol):
    def start_file(self, name: str, total: int) -> None: ...

    def advance(self, rows: int) -> None: ...

    def end_file(self) -> None: ...


@dataclass
class FileReport:
    file: str
    entity: str
    rows_read: int = 0
    loaded: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    seconds: float = 0.0
    problems: list[Problem] = field(default_factory=list)

    @property
    def rows_per_second(self) -> float:
        return self.rows_read / self.seconds if self.seconds > 0 else 0.0


def _hashable(value: Any) -> str:
    if isinstance(value, Decimal):
        return str(value.normalize())
    if isinstance(value, date | datetime):
        return value.isoformat()
    return repr(value)


def row_hash(values: dict[str, Any]) -> str:
    """Fingerprint of a record's content, to tell a changed record from a repeated one."""
    text = "\x1f".join(
        [
            str(v.normalize()) if v.__class__ is Decimal else ("" if v is None else str(v))
            for v in values.values()
        ]
    )
    return hashlib.blake2b(text.encode("utf-8", "surrogateescape"), digest_size=16).hexdigest()


def jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


Plan = list[tuple[str, str, dict[str, int] | None, Any]]


def database_plan(target: Target, book: KeyBook) -> Plan:
    """Per column: (extract name, database name, id map for a foreign key, default)."""
    plan: Plan = []
    for column in target.entity.columns:
        ids = None
        if column.name in target.foreign_keys:
            assert column.references is not None
            ids = book.ids[column.references[0]]
        plan.append(
            (column.name, target.db_column(column.name), ids, target.defaults.get(column.name))
        )
    return plan


def to_database_row(target: Target, row: GoodRow, plan: Plan) -> dict[str, Any]:
    values = row.values
    out: dict[str, Any] = {}
    for name, db_name, ids, default in plan:
        value = values[name]
        if value is None:
            value = default
        elif ids is not None:
            value = ids[str(value)]
        out[db_name] = value
    out[target.key_column] = row.key
    out["source_hash"] = row_hash(out)
    return out


def load_entity(
    session: Session,
    target: Target,
    path: Path,
    book: KeyBook,
    batch_id: int,
    total_rows: int,
    progress: Progress | None = None,
) -> FileReport:
    """Validate and load one file inside the caller's transaction."""
    started = time.perf_counter()
    report = FileReport(file=path.name, entity=target.entity.name)
    validator = EntityValidator(target.entity, path.name, book)
    states = repo.key_states(session, target)
    plan = database_plan(target, book)
    if progress is not None:
        progress.start_file(path.name, total_rows)
    for chunk in iter_chunks(path, target.entity):
        good, problems = validator.validate(chunk)
        report.rows_read += chunk.rows
        report.problems.extend(problems)
        report.quarantined += chunk.rows - len(good)
        inserts: list[dict[str, Any]] = []
        changes: list[tuple[tuple[int, str | None, int], dict[str, Any], str]] = []
        for row in good:
            db_row = to_database_row(target, row, plan)
            state = states.get(row.key)
            if state is None:
                inserts.append(db_row)
            elif state[1] == db_row["source_hash"]:
                report.unchanged += 1
            else:
                changes.append((state, db_row, row.key))
        repo.insert_rows(session, target.model, inserts)
        report.loaded += len(inserts)
        _apply_changes(session, target, changes, batch_id)
        report.updated += len(changes)
        if progress is not None:
            progress.advance(chunk.rows)
    if progress is not None:
        progress.end_file()
    report.seconds = time.perf_counter() - started
    return report


def _apply_changes(
    session: Session,
    target: Target,
    changes: list[tuple[tuple[int, str | None, int], dict[str, Any], str]],
    batch_id: int,
) -> None:
    """Update changed records and keep their previous values in record_history."""
    if not changes:
        return
    columns = [c for c in changes[0][1] if c != "source_hash"]
    previous = repo.current_values(session, target.model, [s[0] for s, _, _ in changes], columns)
    updates: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    for (id_, _hash, version), db_row, key in changes:
        old = previous[id_]
        differs = {
            c: jsonable(old[c]) for c in columns if _hashable(old[c]) != _hashable(db_row[c])
        }
        history.append(
            {
                "batch_id": batch_id,
                "entity": target.entity.name,
                "external_id": key,
                "previous": {**differs, "version": version},
            }
        )
        updates.append({**db_row, "id": id_, "version": version + 1})
    repo.update_rows(session, target.model, updates)
    repo.add_history(session, history)
