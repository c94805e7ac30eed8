"""Load validated rows of one database entity: insert new, update changed, skip unchanged."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlalchemy.orm import Session

from bankcrm.ingest import repository as repo
from bankcrm.ingest.mapping import Target
from bankcrm.ingest.reader import iter_chunks
from bankcrm.ingest.validate import EntityValidator, KeyBook, Problem, ValidRows
from bankcrm.kit.bulk import insert_columns
from bankcrm.kit.progress import Progress


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


def jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


Plan = list[tuple[str, str, dict[str, int] | None]]


def database_plan(target: Target, book: KeyBook) -> Plan:
    """Per column: (extract name, database name, id map when it is a foreign key)."""
    plan: Plan = []
    for column in target.entity.columns:
        ids = None
        if column.name in target.foreign_keys:
            assert column.references is not None
            ids = book.ids[column.references[0]]
        plan.append((column.name, target.db_column(column.name), ids))
    return plan


def database_columns(
    target: Target, rows: ValidRows, plan: Plan, keep: list[int] | None = None
) -> dict[str, list[Any]]:
    """The rows (all, or those at `keep`) as database columns: foreign keys become ids."""
    out: dict[str, list[Any]] = {}
    for name, db_name, ids in plan:
        values = rows.stored[name]
        if keep is not None:
            values = [values[i] for i in keep]
        if ids is not None:
            values = [None if v is None else ids[str(v)] for v in values]
        out[db_name] = values
    keys, digests = rows.keys, rows.digests
    if keep is not None:
        keys, digests = [keys[i] for i in keep], [digests[i] for i in keep]
    out[target.key_column] = keys
    out["source_hash"] = digests
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
    for chunk in iter_chunks(path, target.entity, total_rows):
        rows, problems = validator.validate(chunk)
        report.rows_read += chunk.rows
        report.problems.extend(problems)
        report.quarantined += chunk.rows - len(rows)
        new: list[int] = []
        changed: list[int] = []
        for index, (key, digest) in enumerate(zip(rows.keys, rows.digests, strict=True)):
            state = states.get(key)
            if state is None:
                new.append(index)
            elif state[1] == digest:
                report.unchanged += 1
            else:
                changed.append(index)
        if new:
            insert_columns(session, target.model, database_columns(target, rows, plan, new))
        report.loaded += len(new)
        if changed:
            really = _apply_changes(session, target, rows, plan, changed, states, batch_id)
            report.updated += really
            report.unchanged += len(changed) - really
        if progress is not None:
            progress.advance(chunk.rows)
    if progress is not None:
        progress.end_file()
    report.seconds = time.perf_counter() - started
    return report


def _apply_changes(
    session: Session,
    target: Target,
    rows: ValidRows,
    plan: Plan,
    changed: list[int],
    states: dict[str, tuple[int, str | None, int]],
    batch_id: int,
) -> int:
    """Update changed records, keeping their previous values in record_history; returns
    how many really changed. Only columns the file carries are compared and written: an
    extract that leaves out an optional column does not wipe what the bank holds."""
    take = pa.array(changed, pa.int64())
    python = {name: rows.typed[name].take(take).to_pylist() for name in rows.present}
    new_values = database_columns(target, rows, plan, changed)
    for name, db_name, ids in plan:
        if ids is None and name in rows.present:  # Python objects for the ORM's UPDATE
            new_values[db_name] = python[name]
    present_db = {db for name, db, _ids in plan if name in rows.present}
    columns = [c for c in new_values if c in present_db]
    ids_ = [states[rows.keys[i]][0] for i in changed]
    previous = repo.current_values(session, target.model, ids_, columns)
    updates: list[dict[str, Any]] = []
    refreshed: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    for position, index in enumerate(changed):
        key = rows.keys[index]
        id_, _hash, version = states[key]
        new = {c: new_values[c][position] for c in columns}
        old = previous[id_]
        differs = {c: jsonable(old[c]) for c in columns if _hashable(old[c]) != _hashable(new[c])}
        digest = new_values["source_hash"][position]
        if not differs:  # same content in another shape (fewer columns, other format)
            refreshed.append({"id": id_, "source_hash": digest})
            continue
        history.append(
            {
                "batch_id": batch_id,
                "entity": target.entity.name,
                "external_id": key,
                "previous": {**differs, "version": version},
            }
        )
        updates.append({**new, "source_hash": digest, "id": id_, "version": version + 1})
    repo.update_rows(session, target.model, updates)
    repo.update_rows(session, target.model, refreshed)
    repo.add_history(session, history)
    return len(updates)
