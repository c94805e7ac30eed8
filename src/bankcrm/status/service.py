"""What the system holds, for operators and for automated checks."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bankcrm.ingest.spec import CARD_CATEGORIES, LENDING_CATEGORIES, LOAN_CATEGORIES
from bankcrm.lake import repository as lake_repo
from bankcrm.status import repository as repo


def system_status(session: Session) -> dict[str, Any]:
    kinds: dict[str, dict[str, int]] = {}
    for kind, status, n in repo.customers_by_kind_status(session):
        kinds.setdefault(kind, {})[status] = n
    categories = {c: {"holdings": n, "open": o} for c, n, o in repo.holdings_by_category(session)}
    counts = repo.simple_counts(session)
    files, rows, first_day, last_day = lake_repo.totals(session, "transactions")
    batches = repo.import_batches(session)
    return {
        "customers": {
            "total": sum(sum(v.values()) for v in kinds.values()),
            "by_kind": {k: sum(v.values()) for k, v in kinds.items()},
            "by_kind_and_status": kinds,
        },
        "holdings": {
            "total": sum(v["holdings"] for v in categories.values()),
            "by_category": categories,
            "accounts": sum(
                v["holdings"]
                for c, v in categories.items()
                if c not in LENDING_CATEGORIES and c not in CARD_CATEGORIES
            ),
            "current_accounts": categories.get("current_account", {}).get("holdings", 0),
            "loans": sum(categories.get(c, {}).get("holdings", 0) for c in LOAN_CATEGORIES),
            "cards": sum(categories.get(c, {}).get("holdings", 0) for c in CARD_CATEGORIES),
        },
        "loans_by_status": dict(repo.loans_by_status(session)),
        **counts,
        "transactions": {
            "rows": rows,
            "files": files,
            "first_day": first_day.isoformat() if first_day is not None else None,  # type: ignore[attr-defined]
            "last_day": last_day.isoformat() if last_day is not None else None,  # type: ignore[attr-defined]
        },
        "import_batches": {
            "total": repo.import_batch_count(session),
            "recent": [
                {
                    "id": b.id,
                    "source": b.source,
                    "format": b.format,
                    "outcome": b.outcome,
                    "lake_state": b.lake_state,
                    "finished_at": b.finished_at.isoformat() if b.finished_at else None,
                    "rows_read": b.rows_read,
                    "rows_loaded": b.rows_loaded,
                    "rows_updated": b.rows_updated,
                    "rows_quarantined": b.rows_quarantined,
                }
                for b in batches
            ],
        },
        "last_scoring": None,
    }
