"""Types shared by the API schemas of every feature.

The database keeps naive UTC timestamps; the API shows them as RFC 3339 date-times with a
zone (`2026-11-26T02:08:03Z`), and takes a given zone into account on the way in.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _naive_utc(value: datetime) -> datetime:
    return value if value.tzinfo is None else value.astimezone(UTC).replace(tzinfo=None)


# In responses: a stored (naive UTC) timestamp, shown with its zone.
UtcDateTime = Annotated[datetime, AfterValidator(_aware)]
# In requests: any zone, turned into the naive UTC the database compares with.
DateTimeIn = Annotated[datetime, AfterValidator(_naive_utc)]
