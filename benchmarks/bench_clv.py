"""Time the CLV fits (BG/NBD, Gamma-Gamma) and clv_with_interval on simulated customers, and fit
the same BG/NBD data with lifetimes and pymc-marketing for comparison.

    .venv/bin/python benchmarks/bench_clv.py [--customers 1000000 100000] [--no-peers]

Customers are simulated (seeded) from known BG/NBD and Gamma-Gamma parameters the way a CRM
reports them: T in whole weeks since the first purchase (1..104), recency in whole weeks
(rounded down), mean spend in cents. Each tool runs in its own process (ours in this venv, the
peers in .venv-bench through benchmarks/clv_peers.py) on the same data saved under
benchmarks/out/, and every fitted parameter set is scored with bankcrm's own BG/NBD
log-likelihood so the numbers compare. Our times are the best of --repeat runs; a peer runs
once, and is stopped after --peer-timeout seconds. Peak memory is the worker process's
own peak resident set size (VmHWM: imports and the loaded data included).

The peers' venv (not a project dependency):

    python3.11 -m venv .venv-bench && .venv-bench/bin/pip install lifetimes pymc-marketing
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ingest import machine

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
PEER_PYTHON = ROOT / ".venv-bench" / "bin" / "python"
PEERS = ["lifetimes", "lifetimes-weighted", "pymc-marketing"]

TRUE_BGNBD = {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5}
TRUE_GG = {"p": 6.0, "q": 4.0, "gamma": 15.0}
HORIZON_WEEKS = 52
WEEKLY_DISCOUNT = 1.10 ** (1 / 52) - 1  # 10% a year

FloatArray = npt.NDArray[np.float64]


def simulate(n: int, seed: int) -> dict[str, FloatArray]:
    """BG/NBD purchases in continuous time, Gamma-Gamma spend per repeat purchase."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(TRUE_BGNBD["r"], 1.0 / TRUE_BGNBD["alpha"], size=n)
    drop = rng.beta(TRUE_BGNBD["a"], TRUE_BGNBD["b"], size=n)
    nu = rng.gamma(TRUE_GG["q"], 1.0 / TRUE_GG["gamma"], size=n)
    t_big = rng.integers(1, 105, size=n).astype(np.float64)
    now, x, tx, spent = np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n)
    idx = np.arange(n)
    while idx.size:
        now[idx] += rng.exponential(1.0 / lam[idx])
        idx = idx[now[idx] <= t_big[idx]]
        x[idx] += 1
        tx[idx] = now[idx]
        spent[idx] += rng.gamma(TRUE_GG["p"], 1.0 / nu[idx])
        idx = idx[rng.random(idx.size) >= drop[idx]]
    m = np.round(np.divide(spent, x, out=np.zeros(n), where=x > 0), 2)
    m[(x > 0) & (m <= 0)] = 0.01
    return {
        "frequency": x,
        "recency": np.floor(tx),
        "recency_exact": tx,
        "T": t_big,
        "monetary_value": m,
    }


def peak_mb() -> float:
    """This process's peak resident memory (VmHWM). Not getrusage's ru_maxrss: Linux carries
    that over from the parent through fork and exec, so a child would report at least the
    parent's size."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def best_of(repeat: int, fn: Any) -> tuple[float, Any]:
    best, result = math.inf, None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - started)
    return best, result


def worker(data_path: str, repeat: int, exact: bool) -> None:
    """Our side, in a child process so its peak memory is its own."""
    from bankcrm.analytics import clv, clv_inputs

    data = np.load(data_path)
    x, t_big, m = data["frequency"], data["T"], data["monetary_value"]
    tx = data["recency_exact"] if exact else data["recency"]
    base = peak_mb()
    rows = clv_inputs.BgNbdData.build(x, tx, t_big)
    bg_s, bg = best_of(repeat, lambda: clv.fit_bgnbd(x, tx, t_big))
    gg_s, gg = best_of(repeat, lambda: clv.fit_gamma_gamma(x, m))
    fit_peak = peak_mb()
    out: dict[str, Any] = {
        "bgnbd_seconds": bg_s,
        "gg_seconds": gg_s,
        "params": {k: getattr(bg, k) for k in ("r", "alpha", "a", "b")},
        "gg_params": {k: getattr(gg, k) for k in ("p", "q", "gamma")},
        "gg_log_likelihood": gg.log_likelihood,
        "distinct_rows": int(rows.x.size + rows.t0.size),
        "base_mb": base,
        "fit_peak_mb": fit_peak,
    }
    if not exact:
        args = (bg, gg, x, tx, t_big, m, HORIZON_WEEKS, WEEKLY_DISCOUNT)
        out["clv_seconds"], _ = best_of(repeat, lambda: clv.discounted_clv(*args))
        out["interval_seconds"], res = best_of(repeat, lambda: clv.clv_with_interval(*args))
        out["interval_peak_mb"] = peak_mb()
        out["distinct_x_t"] = int(np.unique(np.column_stack([x, t_big]), axis=0).shape[0])
        out["point_inside"] = float(np.mean((res.low <= res.point) & (res.point <= res.high)))
    print(json.dumps(out))


def run_json(cmd: list[str], timeout: float) -> dict[str, Any] | None:
    started = time.perf_counter()
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        print(f"  timed out after {timeout:.0f} s: {' '.join(cmd[-4:])}", file=sys.stderr)
        return None
    if done.returncode != 0:
        print(f"  failed ({done.returncode}): {done.stderr[-2000:]}", file=sys.stderr)
        return None
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["process_seconds"] = time.perf_counter() - started
    return result


def total_ll(params: dict[str, float], data: dict[str, FloatArray]) -> float:
    from bankcrm.analytics.clv import bgnbd_log_likelihood

    values = [params[k] for k in ("r", "alpha", "a", "b")]
    return math.fsum(bgnbd_log_likelihood(values, data["frequency"], data["recency"], data["T"]))


def fmt_params(p: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.4g}" for k, v in p.items())


def bench(n: int, args: argparse.Namespace) -> list[str]:
    print(f"{n:,} customers: simulating", file=sys.stderr)
    data = simulate(n, args.seed)
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"clv_{n}.npz"
    np.savez(path, **data)  # type: ignore[arg-type]
    me = Path(__file__).resolve()
    repeat = str(args.repeat)
    ours = run_json([sys.executable, str(me), "--worker", str(path), "--repeat", repeat], 1800)
    if ours is None:
        raise SystemExit("our fit failed")
    exact = run_json(
        [sys.executable, str(me), "--worker", str(path), "--repeat", repeat, "--exact"], 1800
    )
    truth_ll = total_ll(TRUE_BGNBD, data)
    our_ll = total_ll(ours["params"], data)
    ours_s = ours["bgnbd_seconds"]
    lines = [
        f"| {n:,} | bankcrm (scipy L-BFGS-B, {ours['distinct_rows']:,} distinct rows) "
        f"| {ours_s:.2f} s | {ours['fit_peak_mb']:,.0f} MB | {our_ll:,.3f} | 0 "
        f"| {fmt_params(ours['params'])} | 1.0x |"
    ]
    if exact is not None:
        exact_data = dict(data, recency=data["recency_exact"])
        ll = total_ll(exact["params"], exact_data)
        lines.append(
            f"| {n:,} | bankcrm, recency not rounded ({exact['distinct_rows']:,} distinct "
            f"rows; other data, LL not comparable) | {exact['bgnbd_seconds']:.2f} s "
            f"| {exact['fit_peak_mb']:,.0f} MB | ({ll:,.2f}) | | "
            f"{fmt_params(exact['params'])} | |"
        )
    data_arg = ["--data", str(path)]
    for tool in args.peers:
        print(f"{n:,} customers: {tool}", file=sys.stderr)
        peer = run_json(
            [
                str(PEER_PYTHON),
                str(ROOT / "benchmarks" / "clv_peers.py"),
                "--tool",
                tool,
                *data_arg,
            ],
            args.peer_timeout,
        )
        if peer is None:
            lines.append(f"| {n:,} | {tool} | > {args.peer_timeout:.0f} s or failed | | | | | |")
            continue
        ll = total_ll(peer["params"], data)
        version = peer["versions"].get(tool.split("-weighted")[0].replace("-", "_"), "?")
        lines.append(
            f"| {n:,} | {tool} {version} | {peer['seconds']:.2f} s | {peer['peak_mb']:,.0f} MB "
            f"| {ll:,.3f} | {ll - our_ll:+.3f} | {fmt_params(peer['params'])} "
            f"| {peer['seconds'] / ours_s:,.1f}x |"
        )
    print(
        f"{n:,}: truth LL {truth_ll:,.2f}; gamma-gamma {ours['gg_seconds']:.2f} s "
        f"({fmt_params(ours['gg_params'])}, LL {ours['gg_log_likelihood']:,.2f}); "
        f"discounted_clv {ours['clv_seconds']:.2f} s; clv_with_interval "
        f"{ours['interval_seconds']:.2f} s (peak {ours['interval_peak_mb']:,.0f} MB, "
        f"{ours['distinct_x_t']:,} distinct (x, T), point inside "
        f"{ours['point_inside']:.1%}); base RSS {ours['base_mb']:,.0f} MB",
        file=sys.stderr,
    )
    extra = (
        f"| {n:,} | {ours['gg_seconds']:.2f} s | {fmt_params(ours['gg_params'])} "
        f"| {ours['clv_seconds']:.2f} s | {ours['interval_seconds']:.2f} s "
        f"| {ours['interval_peak_mb']:,.0f} MB | {ours['distinct_x_t']:,} |"
    )
    return [*lines, "EXTRA" + extra]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, nargs="+", default=[1_000_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20251125)
    parser.add_argument("--peers", nargs="*", default=PEERS, choices=PEERS)
    parser.add_argument("--no-peers", dest="peers", action="store_const", const=[])
    parser.add_argument("--peer-timeout", type=float, default=600.0)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--exact", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.repeat, args.exact)
        return
    if args.peers and not PEER_PYTHON.exists():
        raise SystemExit(f"{PEER_PYTHON} is missing: see this script's docstring, or --no-peers")
    rows: list[str] = []
    load_before = os.getloadavg()[0]
    for n in args.customers:
        rows += bench(n, args)
    load = f"load average {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    command = " ".join(["benchmarks/bench_clv.py", *sys.argv[1:]])
    print(f"Measured {time.strftime('%Y-%m-%d')} on {machine()} ({load}) with `{command}`.\n")
    print("| customers | tool | BG/NBD fit | peak RSS | log-likelihood (ours) | vs ours | ", end="")
    print("parameters | time vs ours |")
    print("|---:|---|---:|---:|---:|---:|---|---:|")
    print("\n".join(r for r in rows if not r.startswith("EXTRA")))
    print(
        "\n| customers | Gamma-Gamma fit | parameters | discounted_clv | clv_with_interval ", end=""
    )
    print("| peak RSS | distinct (x, T) |")
    print("|---:|---:|---|---:|---:|---:|---:|")
    print("\n".join(r.removeprefix("EXTRA") for r in rows if r.startswith("EXTRA")))


if __name__ == "__main__":
    main()
