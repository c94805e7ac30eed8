"""The import job: check every file, validate, load the database and stage the lake,
commit once, then publish the lake. One batch is all or nothing.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import numpy as np
import numpy.typing as npt
import pyarrow.parquet as pq
from sqlalchemy.orm import Session, sessionmaker

from bankcrm.ingest import repository as repo
from bankcrm.ingest import spec, transactions
from bankcrm.ingest.load import FileReport, load_entity
from bankcrm.ingest.mapping import TARGETS
from bankcrm.ingest.models import ImportBatch
from bankcrm.ingest.reader import ExtractFileError, count_rows, read_header
from bankcrm.ingest.validate import KeyBook, Problem
from bankcrm.kit.db import utcnow
from bankcrm.kit.faults import checkpoint
from bankcrm.kit.progress import Progress
from bankcrm.lake import latest
from bankcrm.lake import repository as lake_repo
from bankcrm.lake.staging import MonthlyStager, StagedFile
from bankcrm.lake.store import LakeStore
from bankcrm.opportunities.linking import link_won_opportunities
from bankcrm.prospects.conversion import convert_on_import
from bankcrm.security.principal import system_principal


@dataclass
class ImportReport:
    source: str
    batch_id: int | None = None
    already_imported: bool = False
    files: list[FileReport] = field(default_factory=list)
    unknown_files: list[str] = field(default_factory=list)
    unknown_columns: dict[str, list[str]] = field(default_factory=dict)  # file -> ignored
    prospects_converted: int = 0  # open prospects that the batch's customers turned out to be
    prospects_flagged: int = 0  # prospects that look like a customer: a person decides
    seconds: float = 0.0

    @property
    def problems(self) -> list[Problem]:
        return [p for f in self.files for p in f.problems]

    def files_rows_loaded(self) -> int:
        return sum(f.loaded for f in self.files)

    @property
    def quarantined(self) -> int:
        return sum(f.quarantined for f in self.files)


def discover(directory: Path) -> tuple[dict[str, Path], list[str]]:
    """Find one file per entity; anything else in the folder is reported, not read."""
    if not directory.is_dir():
        raise ExtractFileError(f"{directory}: not a folder")
    found: dict[str, Path] = {}
    for entity in spec.ENTITIES:
        candidates = [directory / f"{entity.name}{s}" for s in spec.FILE_SUFFIXES]
        present = [c for c in candidates if c.is_file()]
        if len(present) > 1:
            raise ExtractFileError(
                f"{directory}: both {present[0].name} and {present[1].name} exist; keep one"
            )
        if present:
            found[entity.name] = present[0]
    if not found:
        expected = ", ".join(f"{e.name}.csv" for e in spec.ENTITIES)
        raise ExtractFileError(f"{directory}: no extract files found (expected e.g. {expected})")
    known = {p.name for p in found.values()}
    unknown = sorted(p.name for p in directory.iterdir() if p.is_file() and p.name not in known)
    return found, unknown


def content_hash(files: dict[str, Path]) -> str:
    digest = hashlib.sha256()
    for name in sorted(files):
        path = files[name]
        digest.update(f"{path.name}\0{path.stat().st_size}\0".encode())
        with path.open("rb") as handle:
            while block := handle.read(1 << 22):
                digest.update(block)
    return digest.hexdigest()


@contextmanager
def _locked(path: Path, wait: bool) -> Iterator[bool]:
    """An advisory lock that the OS drops when the process dies, even by SIGKILL."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle: IO[str] = path.open("a")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        handle.close()


def _import_lock(store: LakeStore) -> Path:
    """One lock per lake, never deleted (deleting a lock file lets two holders in)."""
    return store.root / "_import.lock"


def recover(factory: sessionmaker[Session], store: LakeStore) -> list[str]:
    """Finish or undo lake work left by an import that died; returns what it did.

    Skipped while an import holds the lake's lock: its staging is work in progress."""
    with _locked(_import_lock(store), wait=False) as mine:
        return _recover(factory, store) if mine else []


def _recover(factory: sessionmaker[Session], store: LakeStore) -> list[str]:
    done: list[str] = []
    for key in store.staged_batches():
        with factory() as session, session.begin():
            batch = repo.batch_by_hash(session, key)
            if batch is None:
                store.discard(key)
                done.append(f"discarded staged lake files of an unfinished import {key[:12]}")
            else:
                store.publish(key)
                batch.lake_state = "published"
                done.append(f"published lake files of committed batch {batch.id}")
    with factory() as session, session.begin():
        for batch in repo.batches_in_lake_state(session, "staged"):
            if not store.staging_dir(batch.content_hash).exists():  # died after the renames
                batch.lake_state = "published"
                done.append(f"marked batch {batch.id} published")
    return done


def rebuild_latest(store: LakeStore) -> int:
    """Rebuild the store of each account's latest transactions from every published month
    file (a lake imported before the store existed); returns its rows. Holds the import
    lock, stages the file like a batch and renames it into place: a run that dies leaves
    the old store, and its staging is discarded by the next import's recovery."""
    with _locked(_import_lock(store), wait=True):
        key = f"latest-{time.time_ns()}"
        target = store.staged_latest_file(key)
        try:
            rows = latest.build(store, [], target, rebuild=True)
            store.latest_file.parent.mkdir(parents=True, exist_ok=True)
            os.replace(target, store.latest_file)
        finally:
            store.discard(key)
    return rows


def run_import(
    factory: sessionmaker[Session],
    store: LakeStore,
    directory: Path,
    source_format: str = "extract",
    progress: Progress | None = None,
    source: str | None = None,
) -> ImportReport:
    """Import the extract in `directory`; `source` names where it came from, for the record.

    Imports into one lake run one at a time (a file lock on the lake, plus an advisory lock
    on PostgreSQL), so two extracts carrying the same transactions cannot both add them."""
    started = time.perf_counter()
    files, unknown = discover(directory)
    ignored_columns: dict[str, list[str]] = {}
    for entity_name, path in files.items():
        header = read_header(path, spec.ENTITY_BY_NAME[entity_name])
        if header.unknown:
            ignored_columns[path.name] = header.unknown
    key = content_hash(files)
    report = ImportReport(
        source=source or str(directory), unknown_files=unknown, unknown_columns=ignored_columns
    )
    with _locked(_import_lock(store), wait=True):
        _recover(factory, store)
        with factory() as session:
            existing = repo.batch_by_hash(session, key)
            if existing is not None:
                report.batch_id, report.already_imported = existing.id, True
                report.seconds = time.perf_counter() - started
                return report
        store.discard(key)
        staged = _load_and_commit(
            factory, store, files, key, report.source, source_format, report, progress
        )
        checkpoint("committed")
        if staged:
            store.publish(key)
            with factory() as session, session.begin():
                batch = session.get(ImportBatch, report.batch_id)
                assert batch is not None
                batch.lake_state = "published"
    report.seconds = time.perf_counter() - started
    return report


def _load_and_commit(
    factory: sessionmaker[Session],
    store: LakeStore,
    files: dict[str, Path],
    key: str,
    source: str,
    source_format: str,
    report: ImportReport,
    progress: Progress | None,
) -> int:
    """Everything of the batch in one database transaction; returns lake files staged."""
    with factory() as session, session.begin():
        repo.lock_imports(session)
        batch = repo.add_batch(
            session,
            ImportBatch(
                source=source[:500],
                format=source_format,
                content_hash=key,
                outcome="loading",
                lake_state="none",
                summary={},
            ),
        )
        book = KeyBook()
        for target in TARGETS:
            book.set_ids(target.entity.name, repo.key_ids(session, target))
        book.product_category = repo.product_categories(session)
        for target in TARGETS:
            path = files.get(target.entity.name)
            if path is None:
                continue
            file_report = load_entity(
                session, target, path, book, batch.id, count_rows(path), progress
            )
            report.files.append(file_report)
            checkpoint(f"loaded:{target.entity.name}")
            book.set_ids(target.entity.name, repo.key_ids(session, target))
            if target.entity.name == "products":
                book.product_category = repo.product_categories(session)
        if "customers" in files:  # prospects that are now customers convert with the batch
            conversions = convert_on_import(session)
            report.prospects_converted = conversions.converted
            report.prospects_flagged = conversions.flagged
            checkpoint("converted:prospects")
        staged = 0
        tx_path = files.get("transactions")
        if tx_path is not None:
            tx_report, staged_files = _stage_transactions(
                session, store, tx_path, book, key, progress
            )
            report.files.append(tx_report)
            lake_repo.add_files(session, batch.id, "transactions", staged_files)
            staged = len(staged_files)
            checkpoint("staged")
        report.batch_id = batch.id
        # Won opportunities take the holdings this batch brought (same transaction).
        link_won_opportunities(session, system_principal("import"))
        _finish_batch(session, batch, report, staged)
    return staged


def _stage_transactions(
    session: Session,
    store: LakeStore,
    path: Path,
    book: KeyBook,
    key: str,
    progress: Progress | None,
) -> tuple[FileReport, list[StagedFile]]:
    started = time.perf_counter()
    total = count_rows(path)

    def lake_ids(low: int, high: int) -> npt.NDArray[np.int64]:
        paths = lake_repo.files_overlapping(session, "transactions", low, high)
        parts = [
            pq.read_table(store.root / p, columns=["transaction_id"])
            .column("transaction_id")
            .to_numpy()
            for p in paths
        ]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    advance = progress.advance if progress is not None else None
    stager = MonthlyStager(store, key)
    if progress is not None:
        progress.start_file(path.name, total)
    try:
        scan = transactions.scan(path, book, lake_ids, advance, stager)
        if progress is not None:
            progress.end_file()
        if scan.rewrite:
            stager.abort()
            stager = MonthlyStager(store, key)
            if progress is not None:
                progress.start_file(f"{path.name} (without repeated ids)", total)
            transactions.stage(path, book, scan.drop, stager, advance)
            if progress is not None:
                progress.end_file()
        staged = stager.finish()
        if staged:
            latest.build(
                store,
                [store.staging_dir(key) / f.path for f in staged],
                store.staged_latest_file(key),
            )
    except BaseException:
        stager.abort()
        raise
    written = sum(f.rows for f in staged)
    report = FileReport(
        file=path.name,
        entity="transactions",
        rows_read=scan.rows_read,
        loaded=written,
        unchanged=scan.already_in_lake,
        quarantined=scan.bad_rows,
        seconds=time.perf_counter() - started,
        problems=scan.problems,
    )
    return report, staged


def _finish_batch(session: Session, batch: ImportBatch, report: ImportReport, staged: int) -> None:
    batch.finished_at = utcnow()
    batch.rows_read = sum(f.rows_read for f in report.files)
    batch.rows_loaded = sum(f.loaded for f in report.files)
    batch.rows_updated = sum(f.updated for f in report.files)
    batch.rows_quarantined = report.quarantined
    batch.outcome = "loaded_with_quarantine" if report.quarantined else "loaded"
    batch.lake_state = "staged" if staged else "none"
    batch.summary = {
        "files": [
            {
                "file": f.file,
                "entity": f.entity,
                "rows_read": f.rows_read,
                "loaded": f.loaded,
                "updated": f.updated,
                "unchanged": f.unchanged,
                "quarantined": f.quarantined,
                "seconds": round(f.seconds, 3),
            }
            for f in report.files
        ],
        "unknown_files": report.unknown_files,
        "unknown_columns": report.unknown_columns,
        "prospects": {
            "converted": report.prospects_converted,
            "flagged_for_review": report.prospects_flagged,
        },
    }
    repo.add_quarantine(
        session,
        [
            {
                "batch_id": batch.id,
                "file": p.file,
                "line": p.line,
                "column": p.column,
                "value": p.value,
                "reason": p.reason,
            }
            for p in report.problems
        ],
    )
