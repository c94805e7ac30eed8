"""Propensity models on disk and in a summary table.

A folder holds one versioned learner file per product (`product-<id>.model`, written by
`TabularLearner.save`) and `propensity.json`, the index: feature columns, snapshot,
horizon, training counts and medians per product, and the products without a model.
The index is written last, so a folder with an index is complete.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import date
from pathlib import Path

import pandas as pd

from bankcrm.analytics.learner import TabularLearner
from bankcrm.analytics.propensity import ProductModel, PropensityModels
from bankcrm.kit.errors import UserError

INDEX = "propensity.json"


def save_models(models: PropensityModels, folder: str | os.PathLike[str]) -> Path:
    """Write the models into `folder` (created if needed); returns the index file."""
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    products = {}
    for product_id, model in sorted(models.models.items()):
        name = f"product-{product_id}.model"
        model.learner.save(target / name)
        products[str(product_id)] = {
            "file": name,
            "positives": model.positives,
            "negatives": model.negatives,
            "negatives_kept": model.negatives_kept,
            "positives_kept": model.positives_kept,
            "medians": model.medians,
        }
    index = {
        "columns": list(models.columns),
        "snapshot": models.snapshot.isoformat(),
        "horizon_days": models.horizon_days,
        "products": products,
        "skipped": {str(k): v for k, v in sorted(models.skipped.items())},
    }
    path = target / INDEX
    temp = path.with_name(f".{INDEX}.tmp")
    temp.write_text(json.dumps(index, indent=1))
    os.replace(temp, path)
    return path


def load_models(folder: str | os.PathLike[str]) -> PropensityModels:
    """Read models written by `save_models`; UserError when the folder holds none."""
    source = Path(folder)
    try:
        index = json.loads((source / INDEX).read_text())
    except FileNotFoundError as exc:
        raise UserError(f"no propensity models in {source} ({INDEX} not found)") from exc
    except json.JSONDecodeError as exc:
        raise UserError(f"{source / INDEX} is not valid JSON: {exc}") from exc
    models = PropensityModels(
        columns=tuple(index["columns"]),
        snapshot=date.fromisoformat(index["snapshot"]),
        horizon_days=int(index["horizon_days"]),
        skipped={int(k): int(v) for k, v in index["skipped"].items()},
    )
    for key, entry in index["products"].items():
        product_id = int(key)
        models.models[product_id] = ProductModel(
            product_id=product_id,
            learner=TabularLearner.load(source / entry["file"]),
            positives=int(entry["positives"]),
            negatives=int(entry["negatives"]),
            negatives_kept=int(entry["negatives_kept"]),
            positives_kept=int(entry.get("positives_kept", entry["positives"])),
            medians={str(k): float(v) for k, v in entry["medians"].items()},
        )
    return models


def model_summary(models: PropensityModels, names: Mapping[int, str] | None = None) -> pd.DataFrame:
    """One row per product: modelled or not, with its training counts (for the summary)."""
    names = names or {}
    rows = [
        {
            "product_id": pid,
            "product": names.get(pid, str(pid)),
            "modelled": True,
            "positives": m.positives,
            "negatives": m.negatives,
            "negatives_kept": m.negatives_kept,
            "positives_kept": m.positives_kept,
        }
        for pid, m in models.models.items()
    ]
    rows += [
        {
            "product_id": pid,
            "product": names.get(pid, str(pid)),
            "modelled": False,
            "positives": n,
            "negatives": 0,
            "negatives_kept": 0,
            "positives_kept": 0,
        }
        for pid, n in models.skipped.items()
    ]
    return pd.DataFrame(rows).sort_values("product_id", ignore_index=True)
