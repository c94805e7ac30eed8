"""Validation of database entities: cells, cross-cell rules and references a column at a
time (Arrow), then keys and duplicates row by row. Good rows come out column by column,
ready for the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from bankcrm.ingest import spec
from bankcrm.ingest.columnar import Mask, as_mask, convert, first_reasons, row_digests, shown
from bankcrm.ingest.reader import Chunk
from bankcrm.ingest.rules import rule_checks


@dataclass(frozen=True)
class Problem:
    """One reason a row was quarantined."""

    file: str
    line: int
    column: str | None
    value: str | None
    reason: str


@dataclass
class KeyBook:
    """What keys of each entity are known: loaded in the database or accepted in this batch.

    `ids` maps external key -> database id (refreshed after each entity is loaded);
    `rejected` remembers keys quarantined in this batch to explain follow-on failures.
    """

    ids: dict[str, dict[str, int]] = field(default_factory=dict)
    rejected: dict[str, dict[str, tuple[str, int]]] = field(default_factory=dict)
    product_category: dict[str, str] = field(default_factory=dict)
    today: date = field(default_factory=date.today)

    def set_ids(self, entity: str, ids: dict[str, int]) -> None:
        self.ids[entity] = ids

    def known_mask(self, entity: str, values: pa.Array) -> Mask:
        """Which values are known keys. Each distinct value is looked up once in the id map,
        so a batch of a million rows costs as many lookups as it has distinct accounts."""
        ids = self.ids.get(entity, {})
        encoded = pc.dictionary_encode(pc.cast(values, pa.string()))
        distinct = encoded.dictionary.to_pylist()
        known = np.fromiter((value in ids for value in distinct), dtype=bool, count=len(distinct))
        indices = pc.fill_null(encoded.indices, 0).to_numpy(zero_copy_only=False)
        mask = known[indices] if len(distinct) else np.zeros(len(values), dtype=bool)
        return np.asarray(mask & as_mask(pc.is_valid(values)), dtype=bool)

    def explain_unknown(self, entity: str, key: str) -> str:
        where = self.rejected.get(entity, {}).get(key)
        if where is not None:
            return f"{entity} '{key}' was itself rejected ({where[0]} line {where[1]})"
        return f"unknown {entity} '{key}' (not in this extract nor in the database)"


@dataclass
class ValidRows:
    """The accepted rows of a chunk, column by column."""

    lines: list[int]
    keys: list[str]
    digests: list[str]
    typed: dict[str, pa.Array]  # Arrow values, for the rare row that needs Python objects
    stored: dict[str, list[Any]]  # values as the database stores them (see storage_values)
    present: frozenset[str]  # columns the file carries

    def __len__(self) -> int:
        return len(self.keys)


def storage_values(column: spec.Column, values: pa.Array) -> list[Any]:
    """Python values both drivers store without per-value conversion in Python: money
    and dates as canonical text, the rest as themselves."""
    kind = column.type
    if kind is spec.ColumnType.DECIMAL:
        values = pc.cast(values, pa.string())
    elif kind is spec.ColumnType.DATE:
        values = pc.strftime(values, format="%Y-%m-%d")
    elif kind is spec.ColumnType.DATETIME:
        values = pc.strftime(values, format="%Y-%m-%d %H:%M:%S")
    return list(values.to_pylist())


@dataclass
class EntityValidator:
    """Validates the chunks of one file; remembers keys seen so duplicates are caught."""

    entity: spec.Entity
    file_name: str
    book: KeyBook
    seen: dict[str, int] = field(default_factory=dict)

    def validate(self, chunk: Chunk) -> tuple[ValidRows, list[Problem]]:
        n = len(chunk.lines)
        problems = [
            Problem(self.file_name, line, None, None, why) for line, why in chunk.shape_problems
        ]
        typed: dict[str, pa.Array] = {}
        row_problems: dict[int, list[Problem]] = {}

        def blame(mask: Mask, column: str, reasons: Any, value_of: Any) -> None:
            for index in np.flatnonzero(mask).tolist():
                text = shown(value_of(index))
                reason = str(reasons[index] if not isinstance(reasons, str) else reasons)
                problem = Problem(
                    self.file_name,
                    chunk.lines[index],
                    column,
                    text,
                    reason.replace("{value}", text or ""),
                )
                row_problems.setdefault(index, []).append(problem)

        for column in self.entity.columns:
            raw = chunk.columns.get(column.name)
            values, checks = convert(column, raw if raw is not None else pa.nulls(n, pa.string()))
            broken = chunk.broken.get(column.name)
            if broken is not None:
                checks.insert(0, (broken, "not valid UTF-8 (bad encoding)"))
            bad, reasons = first_reasons(checks, n)
            blame(bad, column.name, reasons, lambda i, c=column.name: chunk.original(c, i))
            typed[column.name] = values
        cell_ok = np.ones(n, dtype=bool)
        for index in row_problems:
            cell_ok[index] = False
        for column_name, mask, reason in rule_checks(
            self.entity.name, typed, self.book.today, self.book.product_category
        ):
            blame(mask & cell_ok, column_name, reason, lambda i, c=column_name: typed[c][i].as_py())
        for column in self.entity.columns:
            if column.references is None:
                continue
            target = column.references[0]
            values = typed[column.name]
            unknown = cell_ok & as_mask(pc.is_valid(values)) & ~self.book.known_mask(target, values)
            for index in np.flatnonzero(unknown).tolist():
                reference = str(values[index].as_py())
                row_problems.setdefault(index, []).append(
                    Problem(
                        self.file_name,
                        chunk.lines[index],
                        column.name,
                        shown(reference),
                        self.book.explain_unknown(target, reference),
                    )
                )
        keys = self._keys(typed, n)
        accepted: list[int] = []
        for index in range(n):
            key: str | None = keys[index]
            line = chunk.lines[index]
            found = row_problems.get(index, [])
            if key is not None:
                first_line = self.seen.get(key)
                if first_line is not None:
                    found.append(
                        Problem(
                            self.file_name,
                            line,
                            self.entity.key[0],
                            shown(key),
                            f"duplicate key '{key}': already on line {first_line}",
                        )
                    )
                else:
                    self.seen[key] = line
                    if found:
                        self.book.rejected.setdefault(self.entity.name, {})[key] = (
                            self.file_name,
                            line,
                        )
            if found:
                problems.extend(found)
            elif key is not None:
                accepted.append(index)
        return self._accepted(chunk, typed, keys, accepted), problems

    def _keys(self, typed: dict[str, pa.Array], n: int) -> list[str | None]:
        parts = [pc.cast(typed[k], pa.string()) for k in self.entity.key]
        if len(parts) == 1:
            return list(parts[0].to_pylist())
        joined = pc.binary_join_element_wise(*parts, "|")  # null if any part is null
        return list(joined.to_pylist()) if n else []

    def _accepted(
        self,
        chunk: Chunk,
        typed: dict[str, pa.Array],
        keys: list[str | None],
        accepted: list[int],
    ) -> ValidRows:
        take = pa.array(accepted, pa.int64())
        kept = {name: values.take(take) for name, values in typed.items()}
        stored = {c.name: storage_values(c, kept[c.name]) for c in self.entity.columns}
        digests = row_digests([pc.cast(v, pa.string()) for v in kept.values()], len(accepted))
        return ValidRows(
            lines=[chunk.lines[i] for i in accepted],
            keys=[str(keys[i]) for i in accepted],
            digests=digests,
            typed=kept,
            stored=stored,
            present=frozenset(chunk.columns),
        )
