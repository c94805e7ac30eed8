"""Prospects that the core-banking extract brings as customers: run by the import inside
the batch's transaction, once its customers are loaded (ingest/service.py)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from bankcrm.kit.db import utcnow
from bankcrm.prospects import conversion_repository


@dataclass(frozen=True)
class Conversions:
    converted: int  # matched by national id or registration number: now customers
    flagged: int  # same name and birth date, phone or e-mail only: for a person to decide


def convert_on_import(session: Session) -> Conversions:
    """Convert the open prospects that match a customer by id, then flag the likely ones
    for review. A few set-based statements, whatever the size of the batch."""
    converted = conversion_repository.convert_by_national_id(session, utcnow())
    flagged = conversion_repository.flag_for_review(session)
    return Conversions(converted=converted, flagged=flagged)
