"""Fit BG/NBD with another library on the data bench_clv.py saved; print one JSON line.

Runs in the separate benchmark venv (.venv-bench: lifetimes, pymc-marketing), never in the
project's, and imports nothing from bankcrm: bench_clv.py evaluates the parameters with
bankcrm's own log-likelihood so every tool is judged by the same function.

    .venv-bench/bin/python benchmarks/clv_peers.py --tool lifetimes --data benchmarks/out/x.npz

Tools: lifetimes (BetaGeoFitter on one row per customer, its default use),
lifetimes-weighted (BetaGeoFitter on distinct (x, t_x, T) rows with its ``weights``
argument), pymc-marketing (BetaGeoModel fitted by MAP with flat priors on r, alpha, a, b, so
that the MAP is the maximum-likelihood estimate).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np


def peak_mb() -> float:
    """This process's peak resident memory (VmHWM). Not getrusage's ru_maxrss: Linux carries
    that over from the parent through fork and exec, so a child would report at least the
    parent's size."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def fit_lifetimes(x: Any, tx: Any, t_big: Any, weighted: bool) -> dict[str, float]:
    from lifetimes import BetaGeoFitter

    fitter = BetaGeoFitter()
    if weighted:
        rows, counts = np.unique(np.column_stack([x, tx, t_big]), axis=0, return_counts=True)
        fitter.fit(rows[:, 0], rows[:, 1], rows[:, 2], weights=counts)
    else:
        fitter.fit(x, tx, t_big)
    return {k: float(fitter.params_[k]) for k in ("r", "alpha", "a", "b")}


def fit_pymc_marketing(x: Any, tx: Any, t_big: Any) -> dict[str, float]:
    import pandas as pd
    from pymc_extras.prior import Prior
    from pymc_marketing.clv import BetaGeoModel

    data = pd.DataFrame(
        {"customer_id": np.arange(x.size), "frequency": x, "recency": tx, "T": t_big}
    )
    flat = {name: Prior("HalfFlat") for name in ("r", "alpha", "a", "b")}
    model = BetaGeoModel(model_config=flat)
    model.fit(data=data, method="map", progressbar=False)
    posterior = model.idata.posterior
    return {k: float(posterior[k].values.ravel()[0]) for k in ("r", "alpha", "a", "b")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--tool", required=True, choices=["lifetimes", "lifetimes-weighted", "pymc-marketing"]
    )
    parser.add_argument("--data", required=True)
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # peers' deprecation chatter is not what is measured
    loaded = np.load(args.data)
    x, tx, t_big = loaded["frequency"], loaded["recency"], loaded["T"]
    # Import before timing: the import is not part of the fit (it is reported separately).
    started = time.perf_counter()
    if args.tool.startswith("lifetimes"):
        import lifetimes  # noqa: F401
    else:
        import pymc_marketing.clv  # noqa: F401
    import_s = time.perf_counter() - started
    base_mb = peak_mb()
    started = time.perf_counter()
    if args.tool == "pymc-marketing":
        params = fit_pymc_marketing(x, tx, t_big)
    else:
        params = fit_lifetimes(x, tx, t_big, weighted=args.tool == "lifetimes-weighted")
    seconds = time.perf_counter() - started
    versions = {}
    for name in ("lifetimes", "pymc_marketing", "pymc", "numpy", "scipy", "pandas"):
        module = sys.modules.get(name)
        if module is not None:
            versions[name] = str(getattr(module, "__version__", "?"))
    out = {
        "tool": args.tool,
        "seconds": seconds,
        "import_seconds": import_s,
        "params": params,
        "base_mb": base_mb,
        "peak_mb": peak_mb(),
        "versions": versions,
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
