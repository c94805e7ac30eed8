"""A synthetic bank generated and imported into SQLite and its lake, for analytics tests.

The generator writes an extract; the import loads it as a bank would; the analytics tests
read the CRM tables back the way `bankcrm score` reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyarrow as pa

from bankcrm.analytics import repository
from bankcrm.ingest.service import run_import
from bankcrm.kit import migrate
from bankcrm.kit.db import make_engine, make_session_factory
from bankcrm.lake.store import LakeStore
from bankcrm.synth import generate


@dataclass
class GeneratedBank:
    tables: dict[str, pa.Table]  # the CRM tables the features read, as the pipeline reads them
    products: pa.Table
    lake: Path
    as_of: date


def generated_bank(root: Path, customers: int, seed: int) -> GeneratedBank:
    summary = generate(customers=customers, seed=seed, out=root / "extract")
    engine = make_engine(f"sqlite:///{root / 'bank.db'}")
    migrate.upgrade(engine)
    sessions = make_session_factory(engine)
    report = run_import(sessions, LakeStore(root / "lake"), root / "extract")
    assert not report.problems
    with sessions() as session:
        tables = repository.feature_tables(session)
        products = repository.products(session)
    engine.dispose()
    return GeneratedBank(tables, products, root / "lake", summary.as_of)
