"""`generate_tasks`: each kind's rule, reasons in words, idempotency, cooldown after a
task was closed, the latest scores up to the date, and the database's own guard."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bankcrm.analytics.models import Offer, ScoreRun
from bankcrm.customers.models import Customer
from bankcrm.interactions.generator import TaskPolicy, generate_tasks, load_task_policy
from bankcrm.interactions.models import Task
from bankcrm.kit.db import make_engine
from bankcrm.kit.errors import UserError
from bankcrm.security.models import AuditEvent
from bankcrm.staff.models import Branch, Staff
from tests import records

AS_OF = date(2026, 9, 30)
POLICY = TaskPolicy()


@pytest.fixture
def branch(session: Session) -> Branch:
    return records.branch(session)


@pytest.fixture
def manager(session: Session, branch: Branch) -> Staff:
    return records.staff(session, branch)


def _customer(session: Session, branch: Branch, manager: Staff, **score: Any) -> Customer:
    customer = records.customer(session, branch, manager)
    records.score(session, customer, AS_OF, **score)
    return customer


def _offer(session: Session, customer: Customer, rank: int, value: float) -> Offer:
    product = records.product(session, "savings_account", name=f"Saver {rank}")
    run = session.scalars(select(ScoreRun).where(ScoreRun.as_of == AS_OF)).one()
    offer = Offer(
        run_id=run.id,
        customer_id=customer.id,
        as_of=AS_OF,
        product_id=product.id,
        rank=rank,
        propensity=0.3,
        expected_value=value,
        explanation="customers like this one keep savings here; salary arrives monthly",
    )
    session.add(offer)
    session.flush()
    return offer


def _tasks(session: Session, kind: str | None = None) -> list[Task]:
    query = select(Task).order_by(Task.id)
    if kind is not None:
        query = query.where(Task.kind == kind)
    return list(session.scalars(query))


def test_retention_calls_go_to_the_most_value_at_risk_above_the_threshold(
    session: Session, branch: Branch, manager: Staff
) -> None:
    reasons = json.dumps(["deposit balance is 40% of 3 months ago", "salary stopped arriving"])
    high = _customer(
        session,
        branch,
        manager,
        tier="gold",
        value_at_risk=9000.0,
        churn_probability=0.3,
        clv=30000.0,
        churn_reasons=reasons,
    )
    middle = _customer(session, branch, manager, value_at_risk=4000.0)
    _customer(session, branch, manager, value_at_risk=3000.0)  # beyond the top 2
    _customer(session, branch, manager, value_at_risk=999.0)  # below the threshold
    gone = _customer(session, branch, manager, value_at_risk=50000.0)
    gone.status = "closed"
    policy = TaskPolicy(retention_max_tasks=2, review_every_days={})
    summary = generate_tasks(session, AS_OF, policy)
    calls = _tasks(session, "retention_call")
    assert [t.customer_id for t in calls] == [high.id, middle.id]
    assert summary.created["retention_call"] == 2
    first = calls[0]
    assert first.assignee_id == manager.id and first.value_at_risk == 9000.0
    assert first.due_on == AS_OF + timedelta(days=7) and first.source_as_of == AS_OF
    assert first.reason == (
        "Call to keep this gold customer: 30% risk of leaving puts 9,000 of their 30,000 "
        "lifetime value at risk. Signs: deposit balance is 40% of 3 months ago; "
        "salary stopped arriving."
    )


def test_offers_come_from_a_strong_first_offer_to_customers_who_agreed_to_marketing(
    session: Session, branch: Branch, manager: Staff
) -> None:
    strong = _customer(session, branch, manager, value_at_risk=10.0)
    _offer(session, strong, 1, 450.0)
    weak = _customer(session, branch, manager, value_at_risk=10.0)
    _offer(session, weak, 1, 150.0)
    second_only = _customer(session, branch, manager, value_at_risk=10.0)
    _offer(session, second_only, 2, 900.0)
    no_consent = _customer(session, branch, manager, value_at_risk=10.0)
    no_consent.marketing_consent = False
    _offer(session, no_consent, 1, 900.0)
    generate_tasks(session, AS_OF, TaskPolicy(review_every_days={}))
    offers = _tasks(session, "offer")
    assert [t.customer_id for t in offers] == [strong.id]
    assert offers[0].reason == (
        "Offer Saver 1 (expected value 450): customers like this one keep savings here; "
        "salary arrives monthly."
    )
    assert offers[0].due_on == AS_OF + timedelta(days=14)


def test_reviews_follow_the_service_scheme_cadence_from_the_last_personal_contact(
    session: Session, branch: Branch, manager: Staff
) -> None:
    def at(days_ago: int) -> datetime:
        return datetime.combine(AS_OF - timedelta(days=days_ago), datetime.min.time())

    gold_due = _customer(session, branch, manager, tier="gold", value_at_risk=10.0)
    records.interaction(session, gold_due, channel="visit", occurred_at=at(40))
    records.interaction(session, gold_due, channel="mobile", occurred_at=at(1))  # not personal
    gold_recent = _customer(session, branch, manager, tier="gold", value_at_risk=10.0)
    records.interaction(session, gold_recent, channel="phone", occurred_at=at(5))
    gold_soon = _customer(session, branch, manager, tier="gold", value_at_risk=10.0)
    records.interaction(session, gold_soon, channel="branch", occurred_at=at(25))  # due in 5
    gold_never = _customer(session, branch, manager, tier="gold", value_at_risk=10.0)
    growth_recent = _customer(session, branch, manager, tier="growth", value_at_risk=10.0)
    records.interaction(session, growth_recent, channel="phone", occurred_at=at(60))
    growth_due = _customer(session, branch, manager, tier="growth", value_at_risk=10.0)
    records.interaction(session, growth_due, channel="phone", occurred_at=at(100))
    general = _customer(session, branch, manager, tier="general", value_at_risk=10.0)
    generate_tasks(session, AS_OF, POLICY)
    reviews = {t.customer_id: t for t in _tasks(session, "review")}
    assert set(reviews) == {gold_due.id, gold_soon.id, gold_never.id, growth_due.id}
    assert general.id not in reviews
    assert reviews[gold_due.id].due_on == AS_OF - timedelta(days=10)  # overdue
    assert reviews[gold_due.id].reason == (
        "Monthly review of a gold customer: last personal contact on 2026-08-21 (40 days ago)."
    )
    assert reviews[gold_soon.id].due_on == AS_OF + timedelta(days=5)
    assert reviews[gold_never.id].due_on == AS_OF
    assert "no personal contact on record" in reviews[gold_never.id].reason
    assert reviews[growth_due.id].reason.startswith("Quarterly review of a growth customer")


def test_kyc_refresh_when_the_review_is_due_within_30_days_or_past(
    session: Session, branch: Branch, manager: Staff
) -> None:
    soon = _customer(session, branch, manager, value_at_risk=10.0)
    soon.kyc_review_due = AS_OF + timedelta(days=12)
    past = _customer(session, branch, manager, value_at_risk=10.0)
    past.kyc_review_due = AS_OF - timedelta(days=3)
    later = _customer(session, branch, manager, value_at_risk=10.0)
    later.kyc_review_due = AS_OF + timedelta(days=31)
    unscored = records.customer(session, branch, manager, kyc_review_due=AS_OF)
    session.flush()
    generate_tasks(session, AS_OF, POLICY)
    kyc = {t.customer_id: t for t in _tasks(session, "kyc_refresh")}
    assert set(kyc) == {soon.id, past.id, unscored.id}
    assert kyc[soon.id].reason.startswith("KYC review due on 2026-10-12 (in 12 days)")
    assert kyc[past.id].reason.startswith("KYC review overdue since 2026-09-27 (3 days)")
    assert kyc[past.id].due_on == AS_OF - timedelta(days=3)
    assert kyc[unscored.id].value_at_risk is None


def test_a_second_run_adds_nothing_and_a_closed_task_waits_for_the_cooldown(
    session: Session, branch: Branch, manager: Staff
) -> None:
    customer = _customer(session, branch, manager, tier="gold", value_at_risk=5000.0)
    customer.kyc_review_due = AS_OF
    _offer(session, customer, 1, 500.0)
    first = generate_tasks(session, AS_OF, POLICY)
    assert dict(first.created) == {"retention_call": 1, "offer": 1, "review": 1, "kyc_refresh": 1}
    second = generate_tasks(session, AS_OF, POLICY)
    assert sum(second.created.values()) == 0
    assert dict(second.kept) == {"retention_call": 1, "offer": 1, "review": 1, "kyc_refresh": 1}
    assert len(_tasks(session)) == 4

    # The manager called and closed the retention task: not again within 30 days.
    call = _tasks(session, "retention_call")[0]
    call.status, call.closed_at = "done", datetime(2026, 9, 30, 12, 0)
    session.flush()
    assert generate_tasks(session, AS_OF + timedelta(days=10), POLICY).created == {}
    later = generate_tasks(session, AS_OF + timedelta(days=31), POLICY)
    assert later.created["retention_call"] == 1
    assert len(_tasks(session, "retention_call")) == 2


def test_a_review_done_counts_as_the_last_review(
    session: Session, branch: Branch, manager: Staff
) -> None:
    customer = _customer(session, branch, manager, tier="gold", value_at_risk=10.0)
    generate_tasks(session, AS_OF, POLICY)
    review = _tasks(session, "review")[0]
    review.status, review.closed_at = "done", datetime(2026, 9, 30, 15, 0)
    session.flush()
    # 20 days later the next monthly review is 10 days away: beyond the 7-day lead.
    assert generate_tasks(session, AS_OF + timedelta(days=20), POLICY).created["review"] == 0
    # After the cooldown and the month, the next review is opened.
    nxt = generate_tasks(session, AS_OF + timedelta(days=31), POLICY)
    assert nxt.created["review"] == 1
    assert customer.id == _tasks(session, "review")[-1].customer_id


def test_the_latest_scores_up_to_the_date_are_used(
    session: Session, branch: Branch, manager: Staff
) -> None:
    customer = records.customer(session, branch, manager)
    records.score(session, customer, date(2026, 6, 30), value_at_risk=7000.0)
    records.score(session, customer, date(2026, 12, 31), value_at_risk=10.0)
    summary = generate_tasks(session, AS_OF, POLICY)
    assert summary.score_date == date(2026, 6, 30)
    assert [t.value_at_risk for t in _tasks(session, "retention_call")] == [7000.0]
    with pytest.raises(UserError, match="run `bankcrm score` first"):
        generate_tasks(session, date(2020, 1, 1), POLICY)


def test_the_run_is_audited_with_the_tasks_it_made(
    session: Session, branch: Branch, manager: Staff
) -> None:
    _customer(session, branch, manager, value_at_risk=5000.0)
    summary = generate_tasks(session, AS_OF, POLICY)
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.actor == "system:tasks generate")
    ).one()
    assert (event.action, event.record_type) == ("create", "task")
    assert (
        json.loads(event.record_ids or "[]") == summary.task_ids == [t.id for t in _tasks(session)]
    )
    assert "2026-09-30" in (event.reason or "")
    generate_tasks(session, AS_OF, POLICY)  # nothing new: no second event
    assert (
        len(
            session.scalars(
                select(AuditEvent).where(AuditEvent.actor == "system:tasks generate")
            ).all()
        )
        == 1
    )


def test_the_database_refuses_a_second_open_generated_task_of_a_kind(
    session: Session, branch: Branch, manager: Staff
) -> None:
    customer = records.customer(session, branch, manager)
    records.task(session, customer, kind="manual")
    records.task(session, customer, kind="manual")  # manual tasks may repeat
    records.task(session, customer, kind="offer", status="done")
    records.task(session, customer, kind="offer")
    with pytest.raises(IntegrityError), session.begin_nested():
        records.task(session, customer, kind="offer")


def test_a_policy_file_overrides_the_thresholds(tmp_path: Any) -> None:
    path = tmp_path / "tasks.toml"
    path.write_text("retention_min_value_at_risk = 250.0\n[review_every_days]\ngold = 14\n")
    policy = load_task_policy(path, offer_min_expected_value=75.0)
    assert policy.retention_min_value_at_risk == 250.0
    assert policy.review_every_days == {"gold": 14}
    assert policy.offer_min_expected_value == 75.0
    path.write_text("retention_max_tasks = -1\n")
    with pytest.raises(UserError, match="retention_max_tasks"):
        load_task_policy(path)
    path.write_text("no_such_setting = 1\n")
    with pytest.raises(UserError, match="no_such_setting"):
        load_task_policy(path)


def _bankcrm(args: list[str], tmp: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "BANKCRM_DATABASE_URL": f"sqlite:///{tmp / 'bankcrm.db'}",
        "BANKCRM_LAKE_DIR": str(tmp / "lake"),
    }
    return subprocess.run(
        [sys.executable, "-m", "bankcrm.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=tmp,
    )


def test_the_command_generates_once_and_says_what_it_did(tmp_path: Path) -> None:
    empty = _bankcrm(["tasks", "generate", "--as-of", "2026-09-30"], tmp_path)
    assert empty.returncode == 2  # no schema yet, or no scores: a message, no traceback
    assert "Traceback" not in empty.stderr
    assert _bankcrm(["db", "upgrade"], tmp_path).returncode == 0
    no_scores = _bankcrm(["tasks", "generate", "--as-of", "2026-09-30"], tmp_path)
    assert no_scores.returncode == 2 and "run `bankcrm score` first" in no_scores.stderr
    engine = make_engine(f"sqlite:///{tmp_path / 'bankcrm.db'}")
    with Session(engine) as session:
        branch = records.branch(session)
        customer = records.customer(session, branch, records.staff(session, branch))
        records.score(session, customer, AS_OF, value_at_risk=5000.0)
        session.commit()
    first = _bankcrm(["tasks", "generate", "--as-of", "2026-09-30"], tmp_path)
    assert first.returncode == 0, first.stderr
    assert "retention_call" in first.stdout
    second = _bankcrm(
        ["tasks", "generate", "--as-of", "2026-09-30", "--min-value-at-risk", "10"], tmp_path
    )
    assert second.returncode == 0, second.stderr
    with Session(engine) as session:
        assert session.scalars(select(Task.kind)).all() == ["retention_call"]
    engine.dispose()
    bad = _bankcrm(["tasks", "generate", "--as-of", "30.9.2026"], tmp_path)
    assert bad.returncode == 2 and "--as-of must be a date" in bad.stderr
