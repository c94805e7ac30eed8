"""Scoring a compared pair: documented additive weights per field (Fellegi-Sunter style:
roughly log2 of how much likelier an agreement is between two records of one person than
between two people), summed; pairs at or over `THRESHOLD` are candidates.
docs/models.md, "Duplicate detection", lists the weights and why.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bankcrm.duplicates.blocking import I64, Frame, Strings

F64 = npt.NDArray[np.float64]
THRESHOLD = 10.0


@dataclass(frozen=True)
class Weight:
    agree: float
    disagree: float  # both present and different
    similar: float | None = None  # one or two typing errors, when the field allows it


WEIGHTS: dict[str, Weight] = {
    "national_id": Weight(10.0, -8.0, 5.0),
    "name": Weight(6.0, -4.0, 3.0),
    "birth_date": Weight(4.0, -6.0),
    "email": Weight(7.0, -1.0),
    "phone": Weight(6.0, -1.0),
    "address": Weight(3.0, 0.0),
    "postal_code": Weight(1.0, 0.0),
}
COMPANY_NAME = Weight(7.0, -4.0, 4.0)
AGREE, SIMILAR, DISAGREE, MISSING = 2, 1, -1, 0


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance (insert, delete, substitute, swap two neighbours),
    or limit + 1 as soon as it must exceed `limit` (cheap for the far pairs)."""
    if a == b:
        return 0
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    before: list[int] | None = None
    row = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            best = min(row[j] + 1, current[j - 1] + 1, row[j - 1] + cost)
            if before is not None and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                best = min(best, before[j - 2] + 1)
            current[j] = best
        if min(current) > limit:
            return limit + 1
        before, row = row, current
    return row[-1]


def names_similar(a: str, b: str) -> bool:
    """Person names (sorted words) within two typing errors, word by word in the best
    pairing of words, so that a typo that changes the sort order still counts."""
    wa, wb = a.split(), b.split()
    if len(wa) == len(wb) == 2:
        straight = edit_distance(wa[0], wb[0], 2) + edit_distance(wa[1], wb[1], 2)
        crossed = edit_distance(wa[0], wb[1], 2) + edit_distance(wa[1], wb[0], 2)
        return min(straight, crossed) <= 2
    return edit_distance(a, b, 2) <= 2


def ids_similar(a: str, b: str) -> bool:
    """One typing error in an id of the same length: one wrong character, or two
    neighbours swapped (what `edit_distance(a, b, 1) <= 1` says for equal lengths)."""
    if len(a) != len(b):
        return False
    diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    if len(diff) <= 1:
        return True
    i, j = diff[0], diff[-1]
    return len(diff) == 2 and j == i + 1 and a[i] == b[j] and a[j] == b[i]


@dataclass
class Scored:
    score: F64
    levels: dict[str, npt.NDArray[np.int8]]  # field -> AGREE | SIMILAR | DISAGREE | MISSING


def _levels(a: Strings, b: Strings) -> npt.NDArray[np.int8]:
    present = (a != "") & (b != "")
    level = np.where(present, DISAGREE, MISSING).astype(np.int8)
    level[present & (a == b)] = AGREE
    return level


def score_pairs(frame: Frame, left: I64, right: I64, threshold: float = THRESHOLD) -> Scored:
    """Scores of the pairs (left[k], right[k]). Exact agreement is vectorised; the typo
    comparison (Python) runs only on pairs that could still reach `threshold` with it."""
    company = frame.corporate[left]
    fields = {
        "national_id": frame.national_id,
        "name": frame.name,
        "birth_date": frame.birth_date,
        "email": frame.email,
        "phone": frame.phone,
        "address": frame.address,
        "postal_code": frame.postal_code,
    }
    levels = {name: _levels(col[left], col[right]) for name, col in fields.items()}
    score = np.zeros(len(left), dtype=np.float64)
    for name, level in levels.items():
        w = WEIGHTS[name]
        agree = np.where(company, COMPANY_NAME.agree, w.agree) if name == "name" else w.agree
        disagree = (
            np.where(company, COMPANY_NAME.disagree, w.disagree) if name == "name" else w.disagree
        )
        score += np.where(level == AGREE, agree, 0.0) + np.where(level == DISAGREE, disagree, 0.0)
    gain_id = WEIGHTS["national_id"].similar - WEIGHTS["national_id"].disagree  # type: ignore[operator]
    gain_name = np.where(
        company,
        COMPANY_NAME.similar - COMPANY_NAME.disagree,  # type: ignore[operator]
        WEIGHTS["name"].similar - WEIGHTS["name"].disagree,  # type: ignore[operator]
    )
    open_id = levels["national_id"] == DISAGREE
    open_name = levels["name"] == DISAGREE
    reach = score + np.where(open_id, gain_id, 0.0) + np.where(open_name, gain_name, 0.0)
    for k in np.flatnonzero((open_id | open_name) & (reach >= threshold)):
        i, j = left[k], right[k]
        if open_id[k] and ids_similar(frame.national_id[i], frame.national_id[j]):
            levels["national_id"][k] = SIMILAR
            score[k] += gain_id
        # The id is settled (and cheap); the name's edit distance only if it can still tip.
        if (
            open_name[k]
            and score[k] + gain_name[k] >= threshold
            and names_similar(frame.name[i], frame.name[j])
        ):
            levels["name"][k] = SIMILAR
            score[k] += gain_name[k]
    return Scored(score=score, levels=levels)


def matched_fields(scored: Scored, k: int) -> list[tuple[str, str]]:
    """The fields that agreed (exact) or nearly agreed (similar) in pair k."""
    out = []
    for name, level in scored.levels.items():
        if level[k] == AGREE:
            out.append((name, "exact"))
        elif level[k] == SIMILAR:
            out.append((name, "similar"))
    return out
