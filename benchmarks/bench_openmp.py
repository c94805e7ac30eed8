"""How OpenMP threads should wait: one booster fit with 2 OpenMP threads while 0, 1 or 2
other processes keep the cores busy, with spinning (ACTIVE), sleeping (PASSIVE), bounded
spinning (GOMP_SPINCOUNT) and default waits, and on one thread.

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
CASES = (
    ("spinning, 2 threads", {"OMP_WAIT_POLICY": "ACTIVE", "OMP_NUM_THREADS": "2"}),
    ("sleeping, 2 threads", {"OMP_WAIT_POLICY": "PASSIVE", "OMP_NUM_THREADS": "2"}),
    ("spin 10k, 2 threads", {"GOMP_SPINCOUNT": "10000", "OMP_NUM_THREADS": "2"}),
    ("default, 2 threads", {"OMP_NUM_THREADS": "2"}),
    ("one thread", {"OMP_NUM_THREADS": "1"}),
)


def _burn(stop: float) -> None:
    while time.perf_counter() < stop:
        pass


def fit_seconds(settings: dict[str, str]) -> float:
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    env.update(settings)
    out = subprocess.run([sys.executable, "-c", FIT], env=env, capture_output=True, text=True)
    return float(out.stdout.strip())


def main() -> None:
    for busy in (0, 1, 2):
        burners = [
            multiprocessing.Process(target=_burn, args=(time.perf_counter() + 900,))
            for _ in range(busy)
        ]
        for burner in burners:
            burner.start()
        try:
            for name, settings in CASES:
                seconds = fit_seconds(settings)
                print(f"{busy} other busy processes  {name:22} {seconds:6.1f} s", flush=True)
        finally:
            for burner in burners:
                burner.terminate()
                burner.join()


if __name__ == "__main__":
    main()
