"""Why bankcrm sets OMP_WAIT_POLICY=PASSIVE: one booster fit with 2 OpenMP threads while
another process keeps one core busy, with spinning (ACTIVE) and sleeping (PASSIVE) waits,
and on one thread; then the same on idle cores.

    .venv/bin/python benchmarks/bench_openmp.py

Each fit runs in a fresh process, since the OpenMP runtime reads the policy when it loads.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import time

FIT = """
import time, numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
rng = np.random.default_rng(0)
X = rng.normal(size=(100_000, 80))
y = (X[:, 0] + rng.normal(size=100_000)) > 1.5
start = time.perf_counter()
HistGradientBoostingClassifier(max_iter=100, early_stopping=False, random_state=0).fit(X, y)
print(time.perf_counter() - start)
"""
CASES = (("spinning, 2 threads", "ACTIVE", "2"), ("sleeping, 2 threads", "PASSIVE", "2"),
         ("one thread", "PASSIVE", "1"))  # fmt: skip


def _burn(stop: float) -> None:
    while time.perf_counter() < stop:
        pass


def fit_seconds(policy: str, threads: str) -> float:
    env = {**os.environ, "OMP_WAIT_POLICY": policy, "OMP_NUM_THREADS": threads}
    out = subprocess.run([sys.executable, "-c", FIT], env=env, capture_output=True, text=True)
    return float(out.stdout.strip())


def main() -> None:
    for busy in (True, False):
        burner = None
        if busy:
            burner = multiprocessing.Process(target=_burn, args=(time.perf_counter() + 600,))
            burner.start()
        try:
            for name, policy, threads in CASES:
                seconds = fit_seconds(policy, threads)
                print(f"{'one core busy' if busy else 'idle cores':14} {name:20} {seconds:6.1f} s")
        finally:
            if burner is not None:
                burner.terminate()
                burner.join()


if __name__ == "__main__":
    main()
