"""Turn one raw cell into a typed value, or say in plain words why it cannot be one."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from bankcrm.ingest.spec import Column, ColumnType

_INTEGER = re.compile(r"^[+-]?\d{1,18}$")
_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z)?$")
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}


class CellError(ValueError):
    """A cell that cannot be used; the message is shown to the bank's IT staff."""


def bad_encoding(text: str) -> bool:
    """True when the text carries bytes that were not valid UTF-8 (surrogate-escaped)."""
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _text(raw: Any) -> str:
    if not isinstance(raw, str):
        raise CellError(f"expected text, got {type(raw).__name__}")
    if bad_encoding(raw):
        raise CellError("not valid UTF-8 (bad encoding)")
    return raw


def _integer(raw: Any) -> int:
    if isinstance(raw, bool):
        raise CellError("expected a whole number, got a boolean")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    if isinstance(raw, str) and _INTEGER.match(raw):
        return int(raw)
    raise CellError("not a whole number")


def _decimal(raw: Any) -> Decimal:
    if isinstance(raw, bool):
        raise CellError("expected a number, got a boolean")
    if isinstance(raw, Decimal):
        value = raw
    elif isinstance(raw, int | float):
        value = Decimal(str(raw))
    elif isinstance(raw, str) and _DECIMAL.match(raw):
        try:
            value = Decimal(raw)
        except InvalidOperation as exc:  # pragma: no cover - the regex already guards
            raise CellError("not a number") from exc
    else:
        raise CellError("not a number (use a dot for decimals, no thousands separator)")
    if not value.is_finite():
        raise CellError("not a finite number")
    if abs(value) >= Decimal(10) ** 16:
        raise CellError("number too large")
    return value


def _date(raw: Any) -> date:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, str) and _DATE.match(raw):
        try:
            return date.fromisoformat(raw)
        except ValueError as exc:
            raise CellError("not a real calendar date") from exc
    raise CellError("not a date in the form YYYY-MM-DD")


def _datetime(raw: Any) -> datetime:
    if isinstance(raw, datetime):
        return raw.replace(tzinfo=None)
    if isinstance(raw, date):
        return datetime(raw.year, raw.month, raw.day)
    if isinstance(raw, str) and _DATETIME.match(raw):
        try:
            return datetime.fromisoformat(raw.rstrip("Z")).replace(tzinfo=None)
        except ValueError as exc:
            raise CellError("not a real date and time") from exc
    raise CellError("not a date-time in the form YYYY-MM-DDTHH:MM:SS")


def _boolean(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str):
        lowered = raw.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
    raise CellError("not true or false")


PARSERS: dict[ColumnType, Callable[[Any], Any]] = {
    ColumnType.TEXT: _text,
    ColumnType.INTEGER: _integer,
    ColumnType.DECIMAL: _decimal,
    ColumnType.DATE: _date,
    ColumnType.DATETIME: _datetime,
    ColumnType.BOOLEAN: _boolean,
}


def is_missing(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and raw.strip() == "")


def parse_cell(column: Column, raw: Any) -> Any:
    """Parse one present (non-missing) cell against its column's rules."""
    if isinstance(raw, str):
        raw = raw.strip()
    value = PARSERS[column.type](raw)
    if column.enum is not None and value not in column.enum:
        allowed = ", ".join(column.enum)
        raise CellError(f"'{value}' is not one of: {allowed}")
    if column.non_negative and value < 0:
        raise CellError("may not be negative")
    if column.max_length is not None and isinstance(value, str) and len(value) > column.max_length:
        raise CellError(f"longer than {column.max_length} characters")
    return value


def compile_parser(column: Column) -> Callable[[Any], Any]:
    """A parser specialised for one column; text cells, the bulk of any file, go fast."""
    if column.type is not ColumnType.TEXT:
        return lambda raw: parse_cell(column, raw)
    allowed = frozenset(column.enum) if column.enum is not None else None
    limit = column.max_length

    def parse_text(raw: Any) -> Any:
        if raw.__class__ is not str:
            return parse_cell(column, raw)
        text: str = raw.strip()
        if not text.isascii() and bad_encoding(text):
            raise CellError("not valid UTF-8 (bad encoding)")
        if allowed is not None and text not in allowed:
            raise CellError(f"'{text}' is not one of: {', '.join(column.enum or ())}")
        if limit is not None and len(text) > limit:
            raise CellError(f"longer than {limit} characters")
        return text

    return parse_text
