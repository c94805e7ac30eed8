"""The scoring run's writes: what is stored is `round(v, 6)` of every score (NaN as 0), text
and nulls as given, and writing a date again replaces that date's rows."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bankcrm.analytics import score_repository
from bankcrm.analytics.models import CustomerScore, Offer, TierChange
from bankcrm.customers.models import Customer
from bankcrm.ingest.service import run_import
from bankcrm.lake.store import LakeStore
from bankcrm.products.models import Product
from bankcrm.synth import generate

AS_OF = date(2025, 6, 30)
FLOATS = [0.1 + 0.2, 2.5e-6, -2.5e-6, 123456.0000005, math.nan, -1e-9, 1e12 + 0.3]


def _write(session: Session, scores: pd.DataFrame, offers: pd.DataFrame) -> int:
    return score_repository.replace_results(
        session,
        as_of=AS_OF,
        engine="duckdb",
        policy_hash="p",
        churn_model="m",
        seconds=1.0,
        facts={},
        scores=scores,
        extra={"pareto": {}},
        offers=offers,
    )


def test_scores_are_stored_as_rounded_and_a_rerun_replaces_them(
    sessions: sessionmaker[Session], lake: LakeStore, tmp_path: Path
) -> None:
    generate(customers=40, seed=3, out=tmp_path / "extract")
    assert not run_import(sessions, lake, tmp_path / "extract").problems
    with sessions() as session:
        ids = sorted(session.scalars(select(Customer.id)))
        product = session.scalars(select(Product.id).limit(1)).one()
        n = len(ids)
        values = np.resize(np.array(FLOATS), n)
        scores = pd.DataFrame({name: values for name in score_repository.SCORE_COLUMNS})
        scores["customer_id"] = ids
        for name in ("tier", "band", "tier_reason", "churn_reasons"):
            scores[name] = [f"{name} {i} «ü»" for i in range(n)]
        scores["segment"] = pd.Series([None if i % 3 else "young" for i in range(n)], dtype=object)
        offers = pd.DataFrame(
            {
                "customer_id": ids,
                "product_id": product,
                "rank": 1,
                "propensity": values,
                "expected_value": values,
                "explanation": pd.Series(['why, "quoted"'] * n, dtype="string"),
            }
        )
        _write(session, scores, offers)
        session.commit()
        _write(session, scores, offers)
        session.commit()

        stored = {s.customer_id: s for s in session.scalars(select(CustomerScore))}
        assert sorted(stored) == ids
        for i, customer_id in enumerate(ids):
            row = stored[customer_id]
            want = round(float(np.nan_to_num(values[i], nan=0.0)), 6)
            assert row.clv == want and row.p_alive == want and row.as_of == AS_OF
            assert row.tier == f"tier {i} «ü»"
            assert row.segment == (None if i % 3 else "young")
        count = func.count()
        assert session.scalar(select(count).select_from(TierChange)) == n
        stored_offers = session.scalars(select(Offer)).all()
        assert len(stored_offers) == n
        assert {o.explanation for o in stored_offers} == {'why, "quoted"'}
        assert sorted(o.propensity for o in stored_offers) == sorted(
            round(float(v), 6) for v in np.nan_to_num(values, nan=0.0)
        )
