"""Pages of results: offset and limit in, items and the total out."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")

MAX_LIMIT = 200


class PageParams(BaseModel):
    offset: int = Field(0, ge=0, le=10_000_000)
    limit: int = Field(50, ge=1, le=MAX_LIMIT)


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    offset: int
    limit: int
