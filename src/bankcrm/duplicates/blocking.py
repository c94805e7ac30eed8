"""Blocking: which pairs of records are compared at all (never all pairs).

Every rule gives each record zero or more keys; two records are compared only when they
share a key of some rule, and a block (the records sharing one key) larger than
`MAX_BLOCK` is skipped as uninformative (a shared switchboard number, a family e-mail),
with the count of skipped blocks reported. docs/models.md, "Duplicate detection".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

I64 = npt.NDArray[np.int64]
Strings = npt.NDArray[np.object_]
MAX_BLOCK = 60  # records per block; larger blocks are skipped (documented)
NAME_PREFIX = 4  # letters of a name word in the name + birth date key
COMPANY_PREFIX = 5


@dataclass
class Frame:
    """Normalised records as columns (row i is one customer or prospect)."""

    ref: Strings  # "c:<customer id>" or "p:<prospect id>"
    customer: npt.NDArray[np.bool_]
    corporate: npt.NDArray[np.bool_]
    national_id: Strings
    name: Strings  # person: sorted name words; company: company name
    birth_date: Strings  # ISO date or ""
    email: Strings
    phone: Strings
    address: Strings
    postal_code: Strings

    @property
    def n(self) -> int:
        return len(self.ref)


@dataclass(frozen=True)
class Rule:
    """A blocking rule: its name and the keys it gives the records (record index, key)."""

    name: str
    keys: Callable[[Frame], tuple[I64, Strings]]


def _single(column: Strings) -> tuple[I64, Strings]:
    present = np.flatnonzero(column != "")
    return present.astype(np.int64), column[present]


def _name_words(frame: Frame) -> tuple[I64, Strings]:
    """Birth date + the first letters of each name word: a typo in one word, or the words
    in another order, still leaves a shared key."""
    rows: list[int] = []
    keys: list[str] = []
    for i in np.flatnonzero(~frame.corporate & (frame.birth_date != "")):
        dob = frame.birth_date[i]
        for word in set(frame.name[i].split()):
            if len(word) >= 2:
                rows.append(int(i))
                keys.append(f"{dob}|{word[:NAME_PREFIX]}")
    return np.asarray(rows, dtype=np.int64), np.asarray(keys, dtype=object)


def _birth_postal(frame: Frame) -> tuple[I64, Strings]:
    keep = np.flatnonzero(~frame.corporate & (frame.birth_date != "") & (frame.postal_code != ""))
    keys = frame.birth_date[keep] + "|" + frame.postal_code[keep]
    return keep.astype(np.int64), keys


def _company_postal(frame: Frame) -> tuple[I64, Strings]:
    rows: list[int] = []
    keys: list[str] = []
    for i in np.flatnonzero(frame.corporate & (frame.postal_code != "")):
        words = [w for w in frame.name[i].split() if len(w) >= 3]
        if words:
            rows.append(int(i))
            keys.append(f"{words[0][:COMPANY_PREFIX]}|{frame.postal_code[i]}")
    return np.asarray(rows, dtype=np.int64), np.asarray(keys, dtype=object)


RULES: tuple[Rule, ...] = (
    Rule("national_id", lambda f: _single(f.national_id)),
    Rule("phone", lambda f: _single(f.phone)),
    Rule("email", lambda f: _single(f.email)),
    Rule("name_birth_date", _name_words),
    Rule("birth_date_postal_code", _birth_postal),
    Rule("company_postal_code", _company_postal),
)


@dataclass
class BlockStats:
    rule: str
    keys: int
    blocks: int  # blocks of 2..MAX_BLOCK records
    skipped: int  # blocks over MAX_BLOCK
    pairs: int


def block_pairs(rows: I64, keys: Strings, cap: int = MAX_BLOCK) -> tuple[I64, I64, int, int]:
    """Pairs (left, right), left < right, of records sharing a key, within blocks of at
    most `cap` records; also the number of blocks used and skipped."""
    empty = np.zeros(0, dtype=np.int64)
    if len(rows) < 2:
        return empty, empty, 0, 0
    codes = pa.array(keys, pa.string()).dictionary_encode().indices.to_numpy(zero_copy_only=False)
    codes = codes.astype(np.int64)
    order = np.lexsort((rows, codes))
    group, members = codes[order], rows[order]
    sizes = np.bincount(group)
    usable = (sizes >= 2) & (sizes <= cap)
    keep = usable[group]
    group, members = group[keep], members[keep]
    lefts: list[I64] = []
    rights: list[I64] = []
    for step in range(1, int(sizes[usable].max(initial=1))):
        same = group[:-step] == group[step:]
        if not same.any():
            break
        a, b = members[:-step][same], members[step:][same]
        lefts.append(np.minimum(a, b))
        rights.append(np.maximum(a, b))
    left = np.concatenate(lefts) if lefts else empty
    right = np.concatenate(rights) if rights else empty
    distinct = left != right  # one record with two equal keys of a rule
    return left[distinct], right[distinct], int(usable.sum()), int((sizes > cap).sum())


def candidate_pairs(
    frame: Frame, rules: Iterable[Rule] = RULES, cap: int = MAX_BLOCK
) -> tuple[I64, I64, list[BlockStats]]:
    """The distinct pairs to compare: sharing a block of some rule, of the same kind
    (person or company), and not two prospects (a merge keeps a customer)."""
    lefts: list[I64] = []
    rights: list[I64] = []
    stats: list[BlockStats] = []
    for rule in rules:
        rows, keys = rule.keys(frame)
        left, right, blocks, skipped = block_pairs(rows, keys, cap)
        stats.append(BlockStats(rule.name, len(rows), blocks, skipped, len(left)))
        lefts.append(left)
        rights.append(right)
    left = np.concatenate(lefts) if lefts else np.zeros(0, dtype=np.int64)
    right = np.concatenate(rights) if rights else np.zeros(0, dtype=np.int64)
    code = np.unique(left * frame.n + right)
    left, right = code // max(frame.n, 1), code % max(frame.n, 1)
    useful = (frame.corporate[left] == frame.corporate[right]) & (
        frame.customer[left] | frame.customer[right]
    )
    return left[useful], right[useful], stats
