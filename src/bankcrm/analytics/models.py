"""What `bankcrm score` writes back: scores per customer and date, tier moves, offers and
the bank-wide results the dashboard shows. One row per customer and as-of date, so the
history of every score is kept and a re-run for the same date replaces that date only."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bankcrm.kit.db import Base, TimestampMixin


class ScoreRun(TimestampMixin, Base):
    __tablename__ = "score_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    as_of: Mapped[date] = mapped_column(index=True)
    engine: Mapped[str] = mapped_column(String(16))
    policy_hash: Mapped[str] = mapped_column(String(16))
    churn_model: Mapped[str] = mapped_column(String(200))
    customers: Mapped[int]
    seconds: Mapped[float] = mapped_column(Float)
    summary: Mapped[str] = mapped_column(Text)  # JSON


class CustomerScore(TimestampMixin, Base):
    __tablename__ = "customer_scores"
    __table_args__ = (
        UniqueConstraint("customer_id", "as_of"),
        Index("ix_customer_scores_as_of_tier", "as_of", "tier"),
        # The dashboard's tier migration joins two dates by customer (index-only).
        Index("ix_customer_scores_as_of_customer", "as_of", "customer_id", "tier"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("score_runs.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    as_of: Mapped[date]
    contribution: Mapped[float] = mapped_column(Float)
    net_interest: Mapped[float] = mapped_column(Float)
    fee_income: Mapped[float] = mapped_column(Float)
    cost_to_serve: Mapped[float] = mapped_column(Float)
    expected_loss: Mapped[float] = mapped_column(Float)
    tier: Mapped[str] = mapped_column(String(16))
    band: Mapped[str] = mapped_column(String(16))
    tier_reason: Mapped[str] = mapped_column(String(400))
    p_alive: Mapped[float] = mapped_column(Float)
    expected_activity: Mapped[float] = mapped_column(Float)
    clv: Mapped[float] = mapped_column(Float)
    clv_low: Mapped[float] = mapped_column(Float)
    clv_high: Mapped[float] = mapped_column(Float)
    churn_probability: Mapped[float] = mapped_column(Float)
    churn_reasons: Mapped[str] = mapped_column(Text)  # JSON list of phrases
    value_at_risk: Mapped[float] = mapped_column(Float)
    segment: Mapped[str | None] = mapped_column(String(80))


class TierChange(TimestampMixin, Base):
    """Every move between tiers, with why; the first scoring records the starting tier."""

    __tablename__ = "tier_changes"
    __table_args__ = (UniqueConstraint("customer_id", "as_of"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("score_runs.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    as_of: Mapped[date] = mapped_column(index=True)
    from_tier: Mapped[str | None] = mapped_column(String(16))
    to_tier: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(400))


class Offer(TimestampMixin, Base):
    """A next best product for a customer on a date, ranked by expected value."""

    __tablename__ = "offers"
    __table_args__ = (UniqueConstraint("customer_id", "as_of", "product_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("score_runs.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    as_of: Mapped[date] = mapped_column(index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    rank: Mapped[int]
    propensity: Mapped[float] = mapped_column(Float)
    expected_value: Mapped[float] = mapped_column(Float)
    explanation: Mapped[str] = mapped_column(String(400))


class AnalyticsResult(TimestampMixin, Base):
    """Bank-wide results of a run (Pareto, segments, associations, forecast, model card)."""

    __tablename__ = "analytics_results"
    __table_args__ = (UniqueConstraint("as_of", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("score_runs.id"), index=True)
    as_of: Mapped[date]
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[str] = mapped_column(Text)  # JSON
