"""Churn: the label from the bank's own data, training on past snapshots, scoring, reasons.

Label: a customer with at least one product open on a cutoff day has churned when none of
their products is open `HORIZON_DAYS` later (every account closed). That is what the core
system records when a relationship ends; customers who only go quiet stay in the data and
show up through their falling activity and balances, which are features.

Time-based split: snapshots every quarter back from the as-of date. The newest snapshot
whose label window has ended (cutoff = as_of - 91 days) is the test set; the older ones
are the training set. The model card reports the test metrics; the model that scores is
then refitted on all snapshots, so it has seen the most recent behaviour.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import ibis.expr.types as ir
import numpy as np
import numpy.typing as npt
import pandas as pd

from bankcrm.analytics import metrics
from bankcrm.analytics.learner import TabularLearner
from bankcrm.analytics.ledger import epoch_day
from bankcrm.analytics.phrases import describe
from bankcrm.analytics.sampling import capped_sample
from bankcrm.kit.db import utcnow

HORIZON_DAYS = 91
SNAPSHOT_STEP_DAYS = 91
MAX_NEGATIVES_PER_SNAPSHOT = 40_000
MAX_CHURNERS_PER_SNAPSHOT = 20_000
# Reasons are looked for among the 10 most important columns (a manager reads three):
# every column tried is one more prediction of the riskiest 100,000 customers.
REASON_COLUMNS = 10
# Identifiers, absolute dates and consent flags say nothing about behaviour. Balances from
# the extract are today's, not the snapshot day's: an account closed since shows 0, which
# would leak the label into past snapshots, so the model learns from lake balances only.
NOT_FEATURES = frozenset(
    {
        "customer_id",
        "branch_id",
        "first_opened_day",
        "marketing_consent",
        "profiling_consent",
        "extract_deposit_balance",
        "lending_exposure",
        "wealth_balance",
        "credit_limit",
    }
)


def churn_labels(accounts: ir.Table, cutoff: date, horizon_days: int = HORIZON_DAYS) -> ir.Table:
    """customer_id, churned: open product on `cutoff`, none open `horizon_days` later."""
    start, end = epoch_day(cutoff), epoch_day(cutoff) + horizon_days
    opened = accounts.opened_on.epoch_days()
    closed = accounts.closed_on.epoch_days()
    open_start = (opened <= start) & (closed.isnull() | (closed > start))
    open_end = (opened <= end) & (closed.isnull() | (closed > end))
    per = accounts.group_by("customer_id").aggregate(
        open_at_start=accounts.count(where=open_start), open_at_end=accounts.count(where=open_end)
    )
    per = per.filter(per.open_at_start > 0)
    return per.select("customer_id", churned=per.open_at_end == 0)


def snapshot_cutoffs(as_of: date, snapshots: int) -> list[date]:
    """Cutoffs from newest to oldest; each label window ends on or before `as_of`."""
    return [as_of - timedelta(days=SNAPSHOT_STEP_DAYS * k) for k in range(1, snapshots + 1)]


def model_frame(features: pd.DataFrame) -> pd.DataFrame:
    return features[[c for c in features.columns if c not in NOT_FEATURES]]


@dataclass
class Snapshot:
    cutoff: date
    features: pd.DataFrame  # the feature table as of `cutoff`, with customer_id
    churned: npt.NDArray[np.bool_]  # aligned with `features`


@dataclass
class ChurnModel:
    learner: TabularLearner
    card: dict[str, Any]
    path: Path | None = None


def _sample(snapshot: Snapshot, seed: int) -> tuple[pd.DataFrame, npt.NDArray[np.bool_], Any]:
    """At most MAX_CHURNERS_PER_SNAPSHOT churners and MAX_NEGATIVES_PER_SNAPSHOT others,
    weighted back to the snapshot's population (see `bankcrm.analytics.sampling`)."""
    y = snapshot.churned
    sample = capped_sample(
        y, MAX_CHURNERS_PER_SNAPSHOT, MAX_NEGATIVES_PER_SNAPSHOT, np.random.default_rng(seed)
    )
    frame = model_frame(snapshot.features).iloc[sample.rows]
    return frame, y[sample.rows], sample.weight


def _stack(snapshots: Sequence[Snapshot], seed: int) -> tuple[pd.DataFrame, Any, Any]:
    parts = [_sample(s, seed + i) for i, s in enumerate(snapshots)]
    frame = pd.concat([p[0] for p in parts], ignore_index=True)
    return frame, np.concatenate([p[1] for p in parts]), np.concatenate([p[2] for p in parts])


def _rounded(rows: Sequence[Any]) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        values = row._asdict() if hasattr(row, "_asdict") else asdict(row)
        out.append({k: round(v, 6) if isinstance(v, float) else v for k, v in values.items()})
    return out


def train_churn(
    as_of: date,
    train: Sequence[Snapshot],
    test: Snapshot,
    seed: int = 0,
    n_threads: int | None = None,
) -> ChurnModel:
    """Fit on `train`, measure on `test` (later in time), refit on all for scoring."""
    x_train, y_train, w_train = _stack(train, seed)
    if not y_train.any() or not test.churned.any():
        raise ValueError(
            "too few churners in the history to train a churn model "
            f"(training: {int(y_train.sum())}, test: {int(test.churned.sum())})"
        )
    holdout = TabularLearner(seed=seed, n_threads=n_threads, max_features=REASON_COLUMNS).fit(
        x_train, y_train, sample_weight=w_train
    )
    y_test = test.churned
    p_test = holdout.predict_proba(model_frame(test.features))
    x_all, y_all, w_all = _stack([test, *train], seed)
    final = TabularLearner(seed=seed, n_threads=n_threads, max_features=REASON_COLUMNS)
    final.fit(x_all, y_all, sample_weight=w_all)
    card: dict[str, Any] = {
        "model": "churn",
        "created_at": utcnow().isoformat(timespec="seconds"),
        "as_of": as_of.isoformat(),
        "label": (
            f"every product closed within {HORIZON_DAYS} days of the cutoff, "
            "among customers with an open product on the cutoff"
        ),
        "learner": "HistGradientBoostingClassifier, calibrated on a held-out 20%",
        "train_cutoffs": [s.cutoff.isoformat() for s in train],
        "test_cutoff": test.cutoff.isoformat(),
        "data_window": {
            "first_day": (min(s.cutoff for s in train) - timedelta(days=365)).isoformat(),
            "last_day": as_of.isoformat(),
        },
        "train_rows": len(y_train),
        "train_churners": int(y_train.sum()),
        "test_rows": len(y_test),
        "test_churners": int(y_test.sum()),
        "test_churn_rate": round(float(y_test.mean()), 6),
        "metrics": {
            "roc_auc": round(metrics.roc_auc(y_test, p_test), 6),
            "pr_auc": round(metrics.pr_auc(y_test, p_test), 6),
            "brier": round(metrics.brier(y_test, p_test), 6),
            "top_decile_lift": round(metrics.top_decile_lift(y_test, p_test), 6),
        },
        "calibration": _rounded(metrics.calibration_table(y_test, p_test)),
        "lift": _rounded(metrics.lift_table(y_test, p_test)),
        "top_features": [
            {"feature": name, "importance": round(value, 6)}
            for name, value in final.feature_importances[:15]
        ],
        "final_model_rows": len(y_all),
        "feature_schema": [list(c) for c in final.columns],
        "schema_hash": schema_hash(final),
    }
    return ChurnModel(final, card)


def schema_hash(learner: TabularLearner) -> str:
    text = json.dumps([list(c) for c in learner.columns])
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def save_model(model: ChurnModel, models_dir: Path) -> Path:
    """Write `churn-<as_of>-<schema>-<time>.model` and its card (JSON and Markdown)."""
    folder = models_dir / "churn"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.fromisoformat(model.card["created_at"]).strftime("%Y%m%dT%H%M%S")
    name = f"churn-{model.card['as_of']}-{model.card['schema_hash']}-{stamp}"
    path = folder / f"{name}.model"
    model.learner.save(path)
    model.card["model_file"] = path.name
    (folder / f"{name}.card.json").write_text(json.dumps(model.card, indent=2) + "\n")
    (folder / f"{name}.card.md").write_text(render_card(model.card))
    model.path = path
    return path


def load_model(path: Path) -> ChurnModel:
    learner = TabularLearner.load(path)
    card_path = path.with_name(path.name.removesuffix(".model") + ".card.json")
    card = json.loads(card_path.read_text()) if card_path.is_file() else {}
    return ChurnModel(learner, card, path)


def render_card(card: dict[str, Any]) -> str:
    m = card["metrics"]
    lines = [
        f"# Churn model card ({card['as_of']})",
        "",
        f"- Label: {card['label']}.",
        f"- Learner: {card['learner']}.",
        f"- Data window: {card['data_window']['first_day']} to {card['data_window']['last_day']}"
        f"; training cutoffs {', '.join(card['train_cutoffs'])}; test cutoff "
        f"{card['test_cutoff']}.",
        f"- Training rows {card['train_rows']:,} ({card['train_churners']:,} churners); "
        f"test rows {card['test_rows']:,} ({card['test_churners']:,} churners, "
        f"{card['test_churn_rate']:.2%}).",
        "",
        "| ROC AUC | PR AUC | Brier | top-decile lift |",
        "|---:|---:|---:|---:|",
        f"| {m['roc_auc']:.3f} | {m['pr_auc']:.3f} | {m['brier']:.4f} | "
        f"{m['top_decile_lift']:.2f} |",
        "",
        "## Calibration (test)",
        "",
        "| bin | customers | mean predicted | observed |",
        "|---:|---:|---:|---:|",
    ]
    for row in card["calibration"]:
        values = list(row.values())
        lines.append("| " + " | ".join(str(v) for v in values) + " |")
    lines += ["", "## Most important features", ""]
    lines += [f"- {f['feature']}: {f['importance']:.4f}" for f in card["top_features"]]
    return "\n".join(lines) + "\n"


@dataclass
class ChurnScores:
    probability: npt.NDArray[np.float64]
    reasons: list[list[str]]


def score_churn(
    model: ChurnModel,
    features: pd.DataFrame,
    reasons_for_top: float = 0.1,
    max_reasons: int = 100_000,
) -> ChurnScores:
    """Probabilities for all; reasons in words for the riskiest (the ones managers call).

    Reasons cost one prediction per candidate feature, so they are found for the riskiest
    `reasons_for_top` share, at most `max_reasons` customers.

    Refuses (UserError from the learner) a feature table whose schema differs from the
    model's: a model trained on other features would score garbage silently.
    """
    frame = model_frame(features)
    probability = model.learner.predict_proba(frame)
    reasons: list[list[str]] = [[] for _ in range(len(frame))]
    if len(frame):
        count = min(max(int(len(frame) * reasons_for_top), 1), max_reasons)
        chosen = np.sort(np.argsort(-probability, kind="stable")[:count])
        found = model.learner.reasons(frame.iloc[chosen], top=3)
        for row, pairs in zip(chosen.tolist(), found, strict=True):
            reasons[row] = [describe(name, frame[name].iat[row]) for name, _ in pairs]
    return ChurnScores(probability, reasons)
