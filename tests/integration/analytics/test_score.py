"""`bankcrm score` end to end on a generated bank, on SQLite and PostgreSQL.

The bank is generated once per module; each test imports it into its own rolled-back
transaction, scores it, and checks what a user of the scores relies on: every open
customer scored once per date, re-runs idempotent, tier moves recorded with reasons,
a churn model that finds the leavers the generator planted, and no scoring with a model
whose features differ.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bankcrm.analytics import metrics
from bankcrm.analytics.learner import TabularLearner
from bankcrm.analytics.models import (
    AnalyticsResult,
    CustomerScore,
    Offer,
    ScoreRun,
    TierChange,
)
from bankcrm.analytics.pipeline import ScoreSummary, run_scoring
from bankcrm.analytics.policy import Policy
from bankcrm.config import Settings
from bankcrm.customers.models import Customer
from bankcrm.ingest.service import run_import
from bankcrm.kit import migrate
from bankcrm.kit.db import make_engine
from bankcrm.kit.errors import UserError
from bankcrm.lake.store import LakeStore
from bankcrm.marketing.models import Campaign, CampaignMember
from bankcrm.products.models import Product
from bankcrm.synth import generate
from tests.conftest import BACKENDS, database_url_for

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("score")]

CUSTOMERS = 3_000


@dataclass
class Extract:
    folder: Path
    truth: Path
    as_of: date


@pytest.fixture(scope="module")
def extract(tmp_path_factory: pytest.TempPathFactory) -> Extract:
    root = tmp_path_factory.mktemp("score_bank")
    summary = generate(customers=CUSTOMERS, seed=3, out=root / "extract")
    return Extract(root / "extract", summary.truth_out, summary.as_of)


def _scores(session: Session, as_of: date) -> pd.DataFrame:
    rows = session.execute(
        select(
            Customer.customer_no,
            CustomerScore.customer_id,
            CustomerScore.tier,
            CustomerScore.band,
            CustomerScore.contribution,
            CustomerScore.clv,
            CustomerScore.clv_low,
            CustomerScore.clv_high,
            CustomerScore.churn_probability,
            CustomerScore.churn_reasons,
            CustomerScore.value_at_risk,
            CustomerScore.segment,
        )
        .join(Customer, Customer.id == CustomerScore.customer_id)
        .where(CustomerScore.as_of == as_of)
        .order_by(CustomerScore.customer_id)
    ).all()
    return pd.DataFrame([r._asdict() for r in rows])


ACCEPTED = 5  # campaign offers accepted a month before the as-of date


def _campaign_answers(sessions: sessionmaker[Session], as_of: date) -> None:
    """A savings campaign that five customers accepted and two declined a month before
    `as_of`: outcomes the propensity models must learn from."""
    with sessions() as session:
        savings = session.scalars(
            select(Product).where(Product.category == "savings_account").order_by(Product.id)
        ).first()
        assert savings is not None
        campaign = Campaign(
            name="Savings push",
            product_id=savings.id,
            channel="phone",
            starts_on=as_of - timedelta(days=60),
            ends_on=as_of,
            segment="{}",
        )
        session.add(campaign)
        session.flush()
        answered = datetime.combine(as_of - timedelta(days=30), datetime.min.time())
        customers = session.scalars(select(Customer.id).order_by(Customer.id).limit(7)).all()
        for i, customer_id in enumerate(customers):
            session.add(
                CampaignMember(
                    campaign_id=campaign.id,
                    customer_id=customer_id,
                    status="accepted" if i < ACCEPTED else "declined",
                    contacted_at=answered,
                    responded_at=answered,
                )
            )
        session.commit()


@dataclass
class Scored:
    """The bank scored a quarter before its as-of date, then twice on it."""

    earlier: pd.DataFrame
    latest: pd.DataFrame
    latest_again: pd.DataFrame
    summary: ScoreSummary
    changes: list[Any]
    runs: int
    offers: int
    offers_to_unreachable: int
    results: list[str]
    models_dir: Path
    as_of: date
    truth: Path
    sessions: sessionmaker[Session]
    settings: Settings


@pytest.fixture(scope="module", params=BACKENDS)
def scored(
    request: pytest.FixtureRequest, extract: Extract, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Scored]:
    """A database of its own, committed for real: three scoring runs are too slow to repeat
    per test, and a transaction held open across tests would hold the import lock."""
    tmp = tmp_path_factory.mktemp("scored")
    worker = getattr(request.config, "workerinput", {}).get("workerid", "main")
    url = database_url_for(str(request.param), tmp, f"bankcrm_score_{worker}")
    engine = make_engine(url)
    migrate.upgrade(engine)
    sessions = sessionmaker(bind=engine, expire_on_commit=False)
    try:
        report = run_import(sessions, LakeStore(tmp / "lake"), extract.folder)
        assert not report.problems
        settings = Settings(lake_dir=tmp / "lake", models_dir=tmp / "models", analytics_threads=1)
        _campaign_answers(sessions, extract.as_of)
        earlier_day = extract.as_of - timedelta(days=91)
        run_scoring(settings, sessions, Policy(), earlier_day)
        run_scoring(settings, sessions, Policy(), extract.as_of)
        with sessions() as session:
            latest = _scores(session, extract.as_of)
        summary = run_scoring(settings, sessions, Policy(), extract.as_of)
        with sessions() as session:
            yield Scored(
                earlier=_scores(session, earlier_day),
                latest=latest,
                latest_again=_scores(session, extract.as_of),
                summary=summary,
                changes=list(
                    session.execute(
                        select(
                            TierChange.customer_id,
                            TierChange.from_tier,
                            TierChange.to_tier,
                            TierChange.reason,
                        ).where(TierChange.as_of == extract.as_of)
                    ).all()
                ),
                runs=session.scalar(select(func.count()).select_from(ScoreRun)) or 0,
                offers_to_unreachable=session.scalar(
                    select(func.count())
                    .select_from(Offer)
                    .join(Customer, Customer.id == Offer.customer_id)
                    .where(Customer.status.not_in(("active", "dormant")))
                )
                or 0,
                offers=session.scalar(
                    select(func.count()).select_from(Offer).where(Offer.as_of == extract.as_of)
                )
                or 0,
                results=sorted(
                    session.scalars(
                        select(AnalyticsResult.kind).where(AnalyticsResult.as_of == extract.as_of)
                    ).all()
                ),
                models_dir=tmp / "models",
                as_of=extract.as_of,
                truth=extract.truth,
                sessions=sessions,
                settings=settings,
            )
    finally:
        engine.dispose()


def test_score_writes_every_open_customer_once_and_is_idempotent(scored: Scored) -> None:
    once = scored.latest
    assert scored.summary.customers == len(once) > 0.9 * CUSTOMERS
    assert once["customer_id"].is_unique
    assert set(once["tier"]) <= {"gold", "growth", "general", "unprofitable"}
    assert {"gold", "general"} <= set(once["tier"])
    assert (once["clv_low"] <= once["clv_high"]).all()
    exposure = once["clv"].clip(lower=0)
    # Stored probabilities keep six decimals: the product may differ by 1e-6 x CLV.
    gap = (once["value_at_risk"] - once["churn_probability"] * exposure).abs()
    assert (gap <= 1.0 + 1e-6 * exposure).all()
    gold = once[once["tier"] == "gold"]
    positive = once["contribution"].clip(lower=0).sum()
    assert gold["contribution"].sum() >= 0.8 * positive  # the Pareto rule that defines gold
    # The same date again gives the same scores (to 1e-4: engines sum floats in any order).
    pd.testing.assert_frame_equal(once, scored.latest_again, check_exact=False, rtol=1e-4)
    assert scored.runs == 3
    assert scored.results == [
        "associations",
        "churn_model_card",
        "dashboard_cube",
        "demand_forecast",
        "offer_exclusions",
        "pareto",
        "propensity_models",
        "segments",
    ]
    assert scored.offers > 0 and once["segment"].notna().all()
    assert scored.offers_to_unreachable == 0  # no offers to the deceased or closed


def test_tier_history_records_each_move_with_its_reason(scored: Scored) -> None:
    before = scored.earlier.set_index("customer_id")["tier"]
    after = scored.latest.set_index("customer_id")["tier"]
    both = before.index.intersection(after.index)
    moved = {int(c) for c in both if before[c] != after[c]}
    new = {int(c) for c in after.index.difference(before.index)}
    assert {c.customer_id for c in scored.changes} == moved | new
    for change in scored.changes:
        if change.customer_id in moved:
            assert change.from_tier == before[change.customer_id]
            assert change.to_tier == after[change.customer_id]
        else:
            assert change.from_tier is None
        assert change.reason


def test_churn_model_finds_the_leavers_the_generator_planted(scored: Scored) -> None:
    scores = scored.latest
    truth = pd.read_parquet(scored.truth / "customers.parquet")
    joined = scores.merge(truth, on="customer_no")
    auc = metrics.roc_auc(joined["will_churn"], joined["churn_probability"])
    assert auc > 0.75, f"AUC against the hidden truth {auc:.3f}"
    assert scored.summary.facts["churn_test_metrics"]["roc_auc"] > 0.7
    risky = scores.nlargest(20, "churn_probability")
    assert all(json.loads(r) for r in risky["churn_reasons"])  # the riskiest have reasons
    name = scored.summary.churn_model.replace(".model", ".card.json")
    card = json.loads((scored.models_dir / "churn" / name).read_text())
    assert {"roc_auc", "pr_auc", "brier", "top_decile_lift"} <= set(card["metrics"])
    assert card["calibration"] and card["data_window"]


def test_accepted_campaign_offers_reach_the_propensity_models(scored: Scored) -> None:
    """Offers accepted inside a run's training window are labels of that run only."""
    with scored.sessions() as session:
        payloads = {
            day: json.loads(payload)
            for day, payload in session.execute(
                select(AnalyticsResult.as_of, AnalyticsResult.payload).where(
                    AnalyticsResult.kind == "propensity_models"
                )
            ).all()
        }
    assert payloads[scored.as_of]["campaign_acceptances"] == ACCEPTED
    assert payloads[scored.as_of - timedelta(days=91)]["campaign_acceptances"] == 0
    assert all(n > 0 for n in payloads[scored.as_of]["positives"].values())


def test_scoring_refuses_a_model_with_other_features(scored: Scored, tmp_path: Path) -> None:
    """Uses the module's bank: a second import would wait for the import lock it holds."""
    rng = np.random.default_rng(0)
    other = pd.DataFrame({"tenure_days": rng.random(400), "something_else": rng.random(400)})
    learner = TabularLearner(seed=0, n_threads=1).fit(other, rng.random(400) < 0.3)
    path = tmp_path / "other.model"
    learner.save(path)
    with pytest.raises(UserError, match="something_else"):
        run_scoring(scored.settings, scored.sessions, Policy(), scored.as_of, churn_model_file=path)
    with scored.sessions() as session:  # nothing was written: the date's scores are as before
        pd.testing.assert_frame_equal(
            _scores(session, scored.as_of), scored.latest_again, check_exact=True
        )
