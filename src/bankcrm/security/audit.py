"""Record every read of personal data and every write in the append-only audit log."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy.orm import Session

from bankcrm.security import repository
from bankcrm.security.principal import Principal


def record(
    session: Session,
    principal: Principal,
    action: str,
    record_type: str,
    record_id: int | str | None = None,
    *,
    fields: Iterable[str] = (),
    record_ids: Sequence[int | str] | None = None,
    reason: str | None = None,
) -> None:
    """Add one audit event to the caller's transaction: it commits with the work it
    describes, or not at all."""
    repository.add_audit(
        session,
        actor=principal.actor,
        role=principal.role_name,
        action=action,
        record_type=record_type,
        record_id=str(record_id) if record_id is not None else None,
        record_ids=record_ids,
        fields=list(fields),
        ip=principal.ip,
        reason=reason,
        request_id=principal.request_id,
    )
