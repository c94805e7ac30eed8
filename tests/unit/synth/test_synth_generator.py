"""Determinism and realism of the synthetic bank (the structure analytics relies on)."""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from bankcrm.synth import AS_OF, generate

CUSTOMERS = 3000
TEXT = pacsv.ConvertOptions(strings_can_be_null=True)


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pa.Table]:
    out = tmp_path_factory.mktemp("bank") / "extract"
    seen: list[int] = []
    generate(CUSTOMERS, seed=5, out=out, progress=seen.append, workers=0)
    assert seen == [CUSTOMERS]
    t = {p.stem: pacsv.read_csv(p, convert_options=TEXT) for p in out.glob("*.csv")}
    t["transactions"] = pq.read_table(out / "transactions.parquet")
    t["truth"] = pq.read_table(out.with_name("extract-truth") / "customers.parquet")
    t["meta"] = pa.table({"json": [(out.with_name("extract-truth") / "truth.json").read_text()]})
    return t


def test_same_seed_same_bytes_other_seed_differs(tmp_path: Path) -> None:
    a, b, c = (tmp_path / x / "out" for x in ("a", "b", "c"))
    generate(300, seed=1, out=a, workers=0)
    generate(300, seed=1, out=b, workers=0)
    generate(300, seed=2, out=c, workers=0)
    assert _digest(a) == _digest(b)
    assert _digest(a.with_name("out-truth")) == _digest(b.with_name("out-truth"))
    assert _digest(a)["transactions.parquet"] != _digest(c)["transactions.parquet"]
    assert _digest(a)["customers.csv"] != _digest(c)["customers.csv"]


def test_truth_is_separate_and_described(bank: dict[str, pa.Table]) -> None:
    truth = bank["truth"]
    assert truth.column_names == [
        "customer_no",
        "true_segment",
        "life_stage",
        "will_churn",
        "churn_date",
        "churned_in_history",
    ]
    assert (
        truth.column("customer_no").to_pylist()
        == bank["customers"].column("customer_no").to_pylist()
    )
    meta = json.loads(bank["meta"].column("json")[0].as_py())
    assert meta["as_of"] == AS_OF.isoformat() == "2026-09-30"
    assert meta["seed"] == 5 and meta["customers"] == CUSTOMERS
    assert "true_segment" not in bank["customers"].column_names


def test_segment_shares(bank: dict[str, pa.Table]) -> None:
    seg = np.asarray(bank["truth"].column("true_segment").to_pylist())
    share = {s: float((seg == s).mean()) for s in set(seg)}
    assert 0.71 < share["mass_retail"] < 0.79
    assert 0.09 < share["affluent"] < 0.15
    assert 0.075 < share["sme"] < 0.125
    assert 0.004 < share["private_banking"] < 0.03
    assert 0.004 < share["large_corporate"] < 0.03
    kinds = bank["customers"].column("kind").to_numpy(zero_copy_only=False)
    assert ((kinds == "corporate") == np.isin(seg, ["sme", "large_corporate"])).all()


def test_transactions_per_customer_and_history_window(bank: dict[str, pa.Table]) -> None:
    tx = bank["transactions"]
    assert 70 < tx.num_rows / CUSTOMERS < 140
    first = pc.min(tx.column("booked_on")).as_py()
    assert first >= date(2024, 10, 1) and pc.max(tx.column("booked_on")).as_py() <= AS_OF


def _account_customer(bank: dict[str, pa.Table]) -> dict[str, str]:
    h = bank["holdings"]
    return dict(
        zip(h.column("account_no").to_pylist(), h.column("customer_no").to_pylist(), strict=True)
    )


def _activity(bank: dict[str, pa.Table], start: date, end: date) -> dict[str, int]:
    tx = bank["transactions"]
    day = tx.column("booked_on")
    mask = pc.and_(pc.greater_equal(day, pa.scalar(start)), pc.less(day, pa.scalar(end)))
    chan = tx.column("channel")
    own = pc.is_in(chan, pa.array(["card", "atm", "branch", "online", "mobile"]))
    acc = tx.filter(pc.and_(mask, own)).column("account_no").to_pylist()
    owner = _account_customer(bank)
    counts: dict[str, int] = {}
    for a in acc:
        counts[owner[a]] = counts.get(owner[a], 0) + 1
    return counts


def test_churn_ground_truth_and_precursors(bank: dict[str, pa.Table]) -> None:
    truth = bank["truth"].to_pydict()
    n = len(truth["customer_no"])
    will = np.asarray(truth["will_churn"])
    hist = np.asarray(truth["churned_in_history"])
    assert 0.01 < will.mean() < 0.045
    assert 0.035 < hist.mean() < 0.1
    assert not (will & hist).any()
    for i in range(n):
        d = truth["churn_date"][i]
        if will[i]:
            assert AS_OF < d <= AS_OF + timedelta(days=90)
        elif hist[i]:
            assert date(2024, 10, 1) <= d <= AS_OF
        else:
            assert d is None
    status = dict(
        zip(
            bank["customers"].column("customer_no").to_pylist(),
            bank["customers"].column("status").to_pylist(),
            strict=True,
        )
    )
    assert all(status[c] == "closed" for c, h in zip(truth["customer_no"], hist, strict=True) if h)
    assert all(status[c] != "closed" for c, w in zip(truth["customer_no"], will, strict=True) if w)

    # Customer-initiated activity (card, cash, online and mobile) in the last 3 months vs the
    # 3 months before, among customers who were already customers a year before AS_OF.
    recent = _activity(bank, AS_OF - timedelta(days=90), AS_OF + timedelta(days=1))
    before = _activity(bank, AS_OF - timedelta(days=180), AS_OF - timedelta(days=90))
    ids = truth["customer_no"]
    onboarded = bank["customers"].column("onboarded_on").to_pylist()
    old = {c for c, d in zip(ids, onboarded, strict=True) if d < AS_OF - timedelta(days=365)}
    staying = [c for c, w, h in zip(ids, will, hist, strict=True) if not w and not h and c in old]
    leaving = [c for c, w in zip(ids, will, strict=True) if w and c in old]

    def ratio(group: list[str]) -> float:
        return sum(recent.get(c, 0) for c in group) / max(sum(before.get(c, 0) for c in group), 1)

    assert len(leaving) >= 20
    assert ratio(leaving) < 0.85 * ratio(staying)
    staying = [c for c, w, h in zip(ids, will, hist, strict=True) if not w and not h]

    # Complaints cluster among leavers.
    cases = bank["cases"]
    complaints = cases.filter(pc.equal(cases.column("kind"), "complaint")).column("customer_no")
    per = {c: 0 for c in ids}
    for c in complaints.to_pylist():
        per[c] += 1
    churners = [c for c, w, h in zip(ids, will, hist, strict=True) if w or h]
    assert np.mean([per[c] for c in churners]) > 2 * np.mean([per[c] for c in staying])

    # History churners leave: their transactions stop at the churn date.
    tx = bank["transactions"]
    owner = _account_customer(bank)
    churn_date = {c: d for c, d, h in zip(ids, truth["churn_date"], hist, strict=True) if h}
    for a, d in zip(
        tx.column("account_no").to_pylist(), tx.column("booked_on").to_pylist(), strict=True
    ):
        c = owner[a]
        if c in churn_date:
            assert d <= churn_date[c]


def test_pareto_balances(bank: dict[str, pa.Table]) -> None:
    h = bank["holdings"]
    products = bank["products"]
    deposit = dict(
        zip(
            products.column("product_code").to_pylist(),
            products.column("category").to_pylist(),
            strict=True,
        )
    )
    totals: dict[str, float] = {}
    for c, p, b in zip(
        h.column("customer_no").to_pylist(),
        h.column("product_code").to_pylist(),
        h.column("balance").to_pylist(),
        strict=True,
    ):
        if deposit[p] in (
            "current_account",
            "savings_account",
            "term_deposit",
            "wealth_management",
        ):
            totals[c] = totals.get(c, 0.0) + max(b, 0.0)
    values = np.sort(np.asarray(list(totals.values())))[::-1]
    top = values[: len(values) // 5].sum() / values.sum()
    assert top > 0.6


def test_balances_replay_per_account(bank: dict[str, pa.Table]) -> None:
    tx = bank["transactions"]
    h = bank["holdings"]
    card = {
        a
        for a, p in zip(
            h.column("account_no").to_pylist(), h.column("product_code").to_pylist(), strict=True
        )
        if p.startswith("CC_")
    }
    final = dict(
        zip(h.column("account_no").to_pylist(), h.column("balance").to_pylist(), strict=True)
    )
    order = pc.sort_indices(
        tx,
        sort_keys=[
            ("account_no", "ascending"),
            ("booked_on", "ascending"),
            ("transaction_id", "ascending"),
        ],
    )
    t = tx.take(order).to_pydict()
    last: dict[str, float] = {}
    for a, d, amt, bal in zip(
        t["account_no"], t["direction"], t["amount"], t["balance_after"], strict=True
    ):
        sign = 1 if (d == "credit") != (a in card) else -1
        if a in last:
            assert abs(last[a] + sign * amt - bal) < 0.011, a
        last[a] = bal
    for a, bal in last.items():
        assert abs(final[a] - bal) < 0.011, a


def test_worker_processes_do_not_change_the_bytes(tmp_path: Path) -> None:
    """Two chunks, generated in this process and in a worker process: same files."""
    a, b = tmp_path / "a" / "out", tmp_path / "b" / "out"
    done: list[int] = []
    summary = generate(20_050, seed=3, out=a, workers=0, progress=done.append)
    generate(20_050, seed=3, out=b, workers=1)
    assert done == [20_000, 20_050]
    assert _digest(a) == _digest(b)
    assert _digest(a.with_name("out-truth")) == _digest(b.with_name("out-truth"))
    ids = pq.read_table(a / "transactions.parquet", columns=["transaction_id"]).column(0)
    assert ids.to_pylist() == list(range(1, summary.transactions + 1))
