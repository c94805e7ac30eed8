"""Row validation for database entities: types, enums, required, keys, references, rules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa

from bankcrm.ingest import spec
from bankcrm.ingest.columnar import convert, first_reasons, shown
from bankcrm.ingest.mapping import external_key
from bankcrm.ingest.reader import Chunk

LOAN_CATEGORIES = frozenset({"consumer_loan", "mortgage", "business_loan"})


@dataclass(frozen=True)
class Problem:
    """One reason a row was quarantined."""

    file: str
    line: int
    column: str | None
    value: str | None
    reason: str


@dataclass
class GoodRow:
    line: int
    key: str
    values: dict[str, Any]


@dataclass
class KeyBook:
    """What keys of each entity are known: loaded in the database or accepted in this batch.

    `ids` maps external key -> database id (filled after each entity is loaded);
    `rejected` remembers keys quarantined in this batch to explain follow-on failures.
    """

    ids: dict[str, dict[str, int]] = field(default_factory=dict)
    rejected: dict[str, dict[str, tuple[str, int]]] = field(default_factory=dict)
    product_category: dict[str, str] = field(default_factory=dict)

    def known(self, entity: str, key: str) -> bool:
        return key in self.ids.get(entity, {})

    def explain_unknown(self, entity: str, key: str) -> str:
        where = self.rejected.get(entity, {}).get(key)
        if where is not None:
            return f"{entity} '{key}' was itself rejected ({where[0]} line {where[1]})"
        return f"unknown {entity} '{key}' (not in this extract nor in the database)"


def _rule_problems(
    entity: spec.Entity, values: dict[str, Any], book: KeyBook
) -> list[tuple[str | None, str]]:
    """Rules that span cells; each returns (column, reason)."""
    found: list[tuple[str | None, str]] = []
    name = entity.name
    if name == "customers":
        birth = values.get("birth_date")
        if birth is not None and birth > date.today():
            found.append(("birth_date", "lies in the future"))
        if values.get("kind") == "corporate" and not values.get("company_name"):
            found.append(("company_name", "required for corporate customers"))
    elif name == "relationships":
        if values.get("from_customer_no") == values.get("to_customer_no"):
            found.append(("to_customer_no", "a customer cannot be related to itself"))
    elif name == "holdings":
        opened, closed = values.get("opened_on"), values.get("closed_on")
        if opened is not None and closed is not None and closed < opened:
            found.append(("closed_on", f"precedes opened_on {opened.isoformat()}"))
        category = book.product_category.get(str(values.get("product_code")))
        if category in LOAN_CATEGORIES and values.get("loan_status") is None:
            found.append(("loan_status", f"required for {category} holdings (good or bad)"))
    elif name == "cases":
        opened_at, resolved_at = values.get("opened_at"), values.get("resolved_at")
        if opened_at is not None and resolved_at is not None and resolved_at < opened_at:
            found.append(("resolved_at", "precedes opened_at"))
        score = values.get("satisfaction")
        if score is not None and not 1 <= score <= 5:
            found.append(("satisfaction", "must be between 1 and 5"))
    return found


@dataclass
class EntityValidator:
    """Validates the rows of one file; remembers keys seen so duplicates are caught.

    Cells are checked a column at a time (columnar.convert); what spans cells or files
    (keys, references, cross-cell rules) is checked row by row on the typed values.
    """

    entity: spec.Entity
    file_name: str
    book: KeyBook
    seen: dict[str, int] = field(default_factory=dict)
    references: list[tuple[str, str]] = field(init=False)

    def __post_init__(self) -> None:
        self.references = [
            (c.name, c.references[0]) for c in self.entity.columns if c.references is not None
        ]

    def validate(self, chunk: Chunk) -> tuple[list[GoodRow], list[Problem]]:
        problems = [
            Problem(self.file_name, line, None, None, reason)
            for line, reason in chunk.shape_problems
        ]
        n = len(chunk.lines)
        names = self.entity.column_names
        typed: list[list[Any]] = []
        cell_problems: dict[int, list[Problem]] = {}
        for column in self.entity.columns:
            raw = chunk.columns.get(column.name)
            if raw is None:
                raw = pa.nulls(n, pa.string())
            values, checks = convert(column, raw)
            broken = chunk.broken.get(column.name)
            if broken is not None:
                checks.insert(0, (broken, "not valid UTF-8 (bad encoding)"))
            bad, reasons = first_reasons(checks, n)
            for index in np.flatnonzero(bad).tolist():
                text = shown(chunk.original(column.name, index))
                reason = str(reasons[index]).replace("{value}", text or "")
                problem = Problem(self.file_name, chunk.lines[index], column.name, text, reason)
                cell_problems.setdefault(index, []).append(problem)
            typed.append(values.to_pylist())
        good: list[GoodRow] = []
        rows = zip(*typed, strict=True) if n else iter(())
        for row, row_values in enumerate(rows):
            accepted, found = self._row(
                chunk.lines[row],
                dict(zip(names, row_values, strict=True)),
                cell_problems.get(row, []),
            )
            if accepted is not None:
                good.append(accepted)
            problems.extend(found)
        return good, problems

    def _problem(self, line: int, column: str | None, raw: Any, reason: str) -> Problem:
        return Problem(self.file_name, line, column, shown(raw), reason)

    def _row(
        self, line: int, values: dict[str, Any], found: list[Problem]
    ) -> tuple[GoodRow | None, list[Problem]]:
        if not found:
            found.extend(self._references(line, values))
            for column_name, reason in _rule_problems(self.entity, values, self.book):
                found.append(
                    self._problem(line, column_name, values.get(column_name or ""), reason)
                )
        key: str | None = None
        if all(values.get(k) is not None for k in self.entity.key):
            key = external_key(self.entity, values)
            first_line = self.seen.get(key)
            if first_line is not None:
                reason = f"duplicate key '{key}': already on line {first_line}"
                found.append(self._problem(line, self.entity.key[0], key, reason))
            else:
                self.seen[key] = line
        if found or key is None:
            if key is not None and self.seen.get(key) == line:
                rejected = self.book.rejected.setdefault(self.entity.name, {})
                rejected[key] = (self.file_name, line)
            return None, found
        return GoodRow(line, key, values), []

    def _references(self, line: int, values: dict[str, Any]) -> list[Problem]:
        found = []
        for name, target_entity in self.references:
            value = values[name]
            if value is None or str(value) in self.book.ids.get(target_entity, ()):
                continue
            reason = self.book.explain_unknown(target_entity, str(value))
            found.append(self._problem(line, name, value, reason))
        return found


ProgressFn = Callable[[int], None]
