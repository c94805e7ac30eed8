"""Queries on the lake manifest (which Parquet files hold committed rows)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from bankcrm.lake.models import LakeFile
from bankcrm.lake.staging import StagedFile


def add_files(session: Session, batch_id: int, dataset: str, files: Sequence[StagedFile]) -> None:
    if files:
        session.execute(
            insert(LakeFile),
            [
                {
                    "batch_id": batch_id,
                    "dataset": dataset,
                    "month": f.month,
                    "path": f.path,
                    "rows": f.rows,
                    "min_id": f.min_id,
                    "max_id": f.max_id,
                    "first_day": f.first_day,
                    "last_day": f.last_day,
                }
                for f in files
            ],
        )


def files_overlapping(session: Session, dataset: str, low: int, high: int) -> list[str]:
    return list(
        session.scalars(
            select(LakeFile.path).where(
                LakeFile.dataset == dataset, LakeFile.max_id >= low, LakeFile.min_id <= high
            )
        )
    )


def totals(session: Session, dataset: str) -> tuple[int, int, object, object]:
    """(files, rows, first day, last day) of a dataset."""
    row = session.execute(
        select(
            func.count(LakeFile.id),
            func.coalesce(func.sum(LakeFile.rows), 0),
            func.min(LakeFile.first_day),
            func.max(LakeFile.last_day),
        ).where(LakeFile.dataset == dataset)
    ).one()
    return int(row[0]), int(row[1]), row[2], row[3]


def files_by_month(session: Session, dataset: str, months: int) -> list[tuple[str, list[str]]]:
    """The newest `months` months of a dataset, newest first, with their files; one
    round trip."""
    recent = (
        select(LakeFile.month)
        .where(LakeFile.dataset == dataset)
        .group_by(LakeFile.month)
        .order_by(LakeFile.month.desc())
        .limit(months)
        .subquery()
    )
    paths: dict[str, list[str]] = {}
    for month, path in session.execute(
        select(LakeFile.month, LakeFile.path)
        .where(LakeFile.dataset == dataset, LakeFile.month.in_(select(recent.c.month)))
        .order_by(LakeFile.month.desc(), LakeFile.path)
    ):
        paths.setdefault(month, []).append(path)
    return list(paths.items())
