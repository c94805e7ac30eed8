"""Detection: read the records in set queries, block, score, store the candidates.

`detect_all` is the batch job (`bankcrm duplicates detect`); `detect_one` compares one
record with the records that share an indexed id or surname with it (the API's "run
detection for this record"). Both store candidates idempotently by their pair key.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from bankcrm.duplicates import repository
from bankcrm.duplicates.blocking import MAX_BLOCK, BlockStats, Frame, candidate_pairs
from bankcrm.duplicates.frame import FrameBuilder
from bankcrm.duplicates.normalise import national_id
from bankcrm.duplicates.scoring import THRESHOLD, Scored, matched_fields, score_pairs
from bankcrm.kit.db import utcnow
from bankcrm.kit.progress import Progress, QuietProgress


@dataclass(frozen=True)
class Found:
    """A pair over the threshold, oriented: a customer first, then a customer or prospect."""

    pair_key: str
    customer_id: int
    other_customer_id: int | None
    prospect_id: int | None
    score: float
    matched: str


@dataclass
class DetectReport:
    records: int = 0
    pairs_compared: int = 0
    candidates: int = 0  # pairs at or over the threshold
    created: int = 0
    rescored: int = 0
    kept: int = 0  # already decided (dismissed or merged): left as they were
    seconds: float = 0.0
    blocks: list[BlockStats] = field(default_factory=list)
    found: list[Found] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "pairs_compared": self.pairs_compared,
            "candidates": self.candidates,
            "created": self.created,
            "rescored": self.rescored,
            "kept": self.kept,
            "seconds": round(self.seconds, 2),
            "max_block": MAX_BLOCK,
            "blocks": [b.__dict__ for b in self.blocks],
        }


def _orient(a: str, b: str) -> tuple[str, int, int | None, int | None]:
    """The pair key and columns: the customer (lower id first when both are)."""
    (ka, ia), (kb, ib) = a.split(":"), b.split(":")
    if ka == "p":
        (ka, ia), (kb, ib) = (kb, ib), (ka, ia)
    first, second = int(ia), int(ib)
    if kb == "c":
        first, second = min(first, second), max(first, second)
        return f"c:{first}|c:{second}", first, second, None
    return f"c:{first}|p:{second}", first, None, second


def found_pairs(
    frame: Frame, left: np.ndarray[Any, Any], right: np.ndarray[Any, Any], scored: Scored
) -> list[Found]:
    out = []
    for k in np.flatnonzero(scored.score >= THRESHOLD):
        key, cid, other, pid = _orient(frame.ref[left[k]], frame.ref[right[k]])
        matched = ",".join(f"{f}={lvl}" for f, lvl in matched_fields(scored, int(k)))
        out.append(Found(key, cid, other, pid, round(float(scored.score[k]), 2), matched))
    return out


NOT_SAME = "not the same person: decided on the prospect's import review"


def store(session: Session, found: list[Found], report: DetectReport) -> None:
    """Insert new pairs, rescore open ones, keep decided ones untouched. A customer and
    prospect a person already found not to be the same (the prospect's review) are not
    offered again: no new pair, and an open one is set aside with that reason."""
    keys = [f.pair_key for f in found]
    known = repository.existing_candidates(session, keys if len(keys) < 1000 else None)
    not_same = repository.not_same_decisions(
        session, sorted({f.prospect_id for f in found if f.prospect_id is not None})
    )
    now = utcnow()
    new: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    set_aside: list[int] = []
    for f in found:
        old = known.get(f.pair_key)
        if f.prospect_id is not None and (f.customer_id, f.prospect_id) in not_same:
            report.kept += 1
            if old is not None and old[1] == "open":
                set_aside.append(old[0])
            continue
        if old is None:
            new.append(
                {
                    "pair_key": f.pair_key,
                    "customer_id": f.customer_id,
                    "other_customer_id": f.other_customer_id,
                    "prospect_id": f.prospect_id,
                    "score": f.score,
                    "matched": f.matched,
                    "status": "open",
                    "detected_at": now,
                    "created_at": now,
                    "updated_at": now,
                    "version": 1,
                }
            )
        elif old[1] != "open":
            report.kept += 1
        elif old[2] != f.score or old[3] != f.matched:
            changed.append({"id": old[0], "score": f.score, "matched": f.matched})
    repository.insert_candidates(session, new)
    repository.rescore_candidates(session, changed)
    repository.dismiss_candidates(session, set_aside, NOT_SAME, now)
    report.created += len(new)
    report.rescored += len(changed)


def detect_all(session: Session, progress: Progress | None = None) -> DetectReport:
    """Every customer and open prospect against each other, block by block."""
    started = time.perf_counter()
    bar = progress or QuietProgress()
    report = DetectReport()
    builder = FrameBuilder()
    bar.start_file("reading and normalising records", repository.count_records(session))
    for batch in repository.customer_batches(session):
        bar.advance(builder.add("c", batch))
    for batch in repository.prospect_batches(session):
        bar.advance(builder.add("p", batch))
    bar.end_file()
    frame = builder.frame()
    del builder
    report.records = frame.n
    bar.start_file("blocking and scoring pairs", 3)
    left, right, report.blocks = candidate_pairs(frame)
    report.pairs_compared = len(left)
    bar.advance(1)
    scored = score_pairs(frame, left, right)
    bar.advance(1)
    report.found = found_pairs(frame, left, right, scored)
    report.candidates = len(report.found)
    store(session, report.found, report)
    bar.advance(1)
    bar.end_file()
    report.seconds = time.perf_counter() - started
    return report


def _id_forms(value: str | None) -> list[str]:
    """An id as it may be written: as given, bare, and a birth number with its slash."""
    if not value:
        return []
    bare = national_id(value)
    forms = {value, bare}
    if len(bare) in (9, 10) and bare.isdigit():
        forms.add(f"{bare[:6]}/{bare[6:]}")
    return sorted(f for f in forms if f)


def detect_one(session: Session, prefix: str, row: Any) -> DetectReport:
    """One record (a customer "c" or prospect "p" row of frame.COLUMNS) against the
    records sharing its id or a surname (customers: indexed columns) or, for prospects,
    an e-mail or phone too. Slower typos are the batch job's."""
    started = time.perf_counter()
    words = [w for w in (row.first_name, row.last_name) if w]
    contacts = [v for v in (row.email, row.phone) if v]
    customers, prospects = repository.neighbours(
        session, _id_forms(row.national_id), words, contacts
    )
    builder = FrameBuilder()
    builder.add(prefix, [row])
    builder.add("c", [r for r in customers if not (prefix == "c" and r.id == row.id)])
    builder.add("p", [r for r in prospects if not (prefix == "p" and r.id == row.id)])
    frame = builder.frame()
    left, right, blocks = candidate_pairs(frame)
    mine = left == 0  # the record itself is row 0, so it is always the left of its pairs
    left, right = left[mine], right[mine]
    scored = score_pairs(frame, left, right)
    report = DetectReport(records=frame.n, pairs_compared=len(left), blocks=blocks)
    report.found = found_pairs(frame, left, right, scored)
    report.candidates = len(report.found)
    store(session, report.found, report)
    report.seconds = time.perf_counter() - started
    return report


def matched_list(matched: str) -> list[tuple[str, str]]:
    """ "national_id=exact,name=similar" -> [("national_id", "exact"), ("name", "similar")]."""
    return [(p.split("=")[0], p.split("=")[1]) for p in matched.split(",") if "=" in p]
