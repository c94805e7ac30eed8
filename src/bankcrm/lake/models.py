"""The lake's manifest: which Parquet files hold committed transactions."""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from bankcrm.kit.db import Base


class LakeFile(Base):
    __tablename__ = "lake_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id"), index=True)
    dataset: Mapped[str] = mapped_column(String(32))
    month: Mapped[str] = mapped_column(String(7), index=True)
    path: Mapped[str] = mapped_column(String(500), unique=True)
    rows: Mapped[int] = mapped_column(BigInteger)
    min_id: Mapped[int] = mapped_column(BigInteger)
    max_id: Mapped[int] = mapped_column(BigInteger)
    first_day: Mapped[date]
    last_day: Mapped[date]
