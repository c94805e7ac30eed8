"""Entry point: generates a whole synthetic bank extract chunk by chunk.

Random streams are children of SeedSequence(seed): (0,) for the organisation, (1, i) for
chunk i of CHUNK_SIZE customers. The output therefore depends only on (customers, seed),
never on the number of worker processes; optional workers generate chunks ahead while this
process writes them strictly in chunk order.
"""

from __future__ import annotations

import json
import math
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from bankcrm.ingest import spec
from bankcrm.synth import catalogue as cat
from bankcrm.synth.adoption import build_holdings
from bankcrm.synth.arrays import NEVER
from bankcrm.synth.cases import build_cases
from bankcrm.synth.duplicates import TRUTH_SCHEMA as DUPLICATES_SCHEMA
from bankcrm.synth.duplicates import plant
from bankcrm.synth.flows import transactions
from bankcrm.synth.holdings import account_numbers, holdings_table
from bankcrm.synth.identity import customer_no, customers_table
from bankcrm.synth.interactions import build_interactions
from bankcrm.synth.orders import build_orders, orders_table
from bankcrm.synth.org import build_org
from bankcrm.synth.people import Customers, build_customers
from bankcrm.synth.relations import build_relationships
from bankcrm.synth.writer import CsvSink, format_csv

AS_OF = cat.AS_OF
CHUNK_SIZE = 20_000  # part of the output definition: changing it changes the data
ROW_GROUP_ROWS = 1_000_000
CSV_ENTITIES = (
    "branches",
    "staff",
    "products",
    "customers",
    "relationships",
    "holdings",
    "standing_orders",
    "interactions",
    "cases",
)
CHUNK_ENTITIES = CSV_ENTITIES[3:]
TRUTH_SCHEMA = pa.schema([
    ("customer_no", pa.string()), ("true_segment", pa.string()), ("life_stage", pa.string()),
    ("will_churn", pa.bool_()), ("churn_date", pa.date32()), ("churned_in_history", pa.bool_()),
])  # fmt: skip
_CODES = pa.dictionary(pa.int8(), pa.string())
# In memory the low-cardinality columns are dictionary-encoded (cheap to build); the file is
# written without the Arrow schema, so readers see plain string columns.
TX_SCHEMA = pa.schema([
    ("transaction_id", pa.int64()), ("account_no", pa.string()), ("booked_on", pa.date32()),
    ("direction", _CODES), ("amount", pa.float64()), ("balance_after", pa.float64()),
    ("channel", _CODES), ("category", _CODES), ("counterparty_bank", _CODES),
    ("counterparty_account", pa.dictionary(pa.int32(), pa.string())),
])  # fmt: skip
TX_SCHEMA_NO_ID = TX_SCHEMA.remove(0)


@dataclass(frozen=True)
class GenerateSummary:
    """What was written: rows per file, wall-clock seconds and the extract's as-of date."""

    rows: dict[str, int]
    seconds: float
    as_of: date
    out: Path
    truth_out: Path
    customers: int = 0
    seed: int = 0

    @property
    def transactions(self) -> int:
        return self.rows.get("transactions.parquet", 0)


@dataclass
class _Chunk:
    index: int
    customers: int
    csv: dict[str, bytes] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    transactions: pa.Table | None = None
    truth: pa.Table | None = None
    spill: Path | None = None  # transactions parked on disk by a worker process
    duplicates: pa.Table | None = None  # planted pairs (synth/duplicates.py)


def _truth(c: Customers) -> pa.Table:
    churn = c.churn_day < NEVER
    return pa.table(
        {
            "customer_no": customer_no(c.number),
            "true_segment": pa.array(
                np.asarray(cat.SEGMENTS, dtype=object)[c.segment], pa.string()
            ),
            "life_stage": pa.array(
                np.asarray(cat.LIFE_STAGES, dtype=object)[np.maximum(c.stage, 0)],
                pa.string(),
                mask=c.stage < 0,
            ),
            "will_churn": pa.array(c.will_churn),
            "churn_date": pa.array(
                (np.where(churn, c.churn_day, 0) + cat.EPOCH_OFFSET).astype(np.int32), mask=~churn
            ).cast(pa.date32()),
            "churned_in_history": pa.array(c.churn_hist),
        },
        schema=TRUTH_SCHEMA,
    )


def build_chunk(customers: int, seed: int, index: int, duplicates: float = 0.0) -> _Chunk:
    """Generates chunk ``index`` completely; a pure function of its arguments.
    ``duplicates``: the share of customers given a second customer number."""
    org = build_org(customers, seed)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1, index)))
    first = index * CHUNK_SIZE
    c = build_customers(rng, first, min(CHUNK_SIZE, customers - first), org)
    h = build_holdings(rng, c)
    orders = build_orders(rng, c, h)
    accounts = account_numbers(c, h)
    tx = transactions(rng, c, h, orders, accounts, org)  # also settles balances and limits
    tables = {
        "customers": customers_table(rng, c, org.branch_ids, org.staff_ids, index),
        "relationships": build_relationships(rng, c, h, accounts),
        "holdings": holdings_table(c, h, accounts),
        "standing_orders": orders_table(c, orders, accounts, org),
    }
    cases, complaints = build_cases(rng, c)
    tables["interactions"] = build_interactions(rng, c, h, org, complaints)
    tables["cases"] = cases
    chunk = _Chunk(index=index, customers=c.n, transactions=tx, truth=_truth(c))
    if duplicates > 0:
        tables["customers"], chunk.duplicates = plant(tables["customers"], seed, index, duplicates)
    for name in CHUNK_ENTITIES:
        cols = tables[name]
        chunk.csv[name] = format_csv(spec.ENTITY_BY_NAME[name], cols)
        chunk.rows[name] = len(next(iter(cols.values())))
    return chunk


def _products() -> dict[str, pa.Array]:
    p = cat.PRODUCTS
    rate = np.asarray([x.rate for x in p])
    return {
        "product_code": pa.array([x.code for x in p]),
        "name": pa.array([x.name for x in p]),
        "category": pa.array([x.category for x in p]),
        "currency": pa.array(["CZK"] * len(p)),
        "interest_rate": pa.array(rate, mask=rate == 0),
        "monthly_fee": pa.array([x.monthly_fee for x in p], pa.float64()),
        "annual_fee": pa.array([x.annual_fee for x in p], pa.float64()),
        "transaction_fee": pa.array([x.transaction_fee for x in p], pa.float64()),
        "launched_on": pa.array([x.launched for x in p], pa.date32()),
        "active": pa.array([x.active for x in p]),
    }


def _build_spilled(
    customers: int, seed: int, index: int, folder: str, duplicates: float = 0.0
) -> _Chunk:
    """Worker side: builds a chunk and parks its transactions in an Arrow IPC file.

    Handing a file name back instead of pickling millions of rows through a pipe keeps the
    parent's share of the work (and the system time) small.
    """
    chunk = build_chunk(customers, seed, index, duplicates)
    assert chunk.transactions is not None
    path = Path(folder) / f"chunk-{index:06d}.arrow"
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, TX_SCHEMA_NO_ID) as writer:
        writer.write_table(chunk.transactions)
    chunk.transactions = None
    chunk.spill = path
    return chunk


def _load(chunk: _Chunk) -> pa.Table:
    if chunk.transactions is not None:
        return chunk.transactions
    assert chunk.spill is not None
    with pa.memory_map(str(chunk.spill)) as source:
        table = pa.ipc.open_file(source).read_all()
    return table


def _chunks(
    customers: int, seed: int, workers: int, scratch: Path, duplicates: float = 0.0
) -> Iterator[_Chunk]:
    """Chunks in order; with workers, a bounded number are generated ahead in parallel."""
    total = math.ceil(customers / CHUNK_SIZE)
    if workers < 1 or total <= 1:
        for i in range(total):
            yield build_chunk(customers, seed, i, duplicates)
        return
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        pending: list[Future[_Chunk]] = []
        submitted = 0
        while submitted < min(total, workers + 1):
            pending.append(
                pool.submit(_build_spilled, customers, seed, submitted, str(scratch), duplicates)
            )
            submitted += 1
        while pending:
            chunk = pending.pop(0).result()
            if submitted < total:
                pending.append(
                    pool.submit(
                        _build_spilled, customers, seed, submitted, str(scratch), duplicates
                    )
                )
                submitted += 1
            yield chunk


def generate(
    customers: int,
    seed: int,
    out: Path,
    truth_out: Path | None = None,
    progress: Callable[[int], None] | None = None,
    *,
    workers: int = 0,
    duplicates: float = 0.0,
) -> GenerateSummary:
    """Writes a synthetic core-banking extract to ``out`` and its ground truth apart.

    ``progress`` is called with the number of customers done after each chunk.
    ``workers`` > 0 generates chunks in that many background processes while this one writes;
    worth it only with spare cores (scripts then need the usual ``if __name__ == "__main__"``
    guard, since workers are spawned). The files are byte-identical whatever ``workers`` is.
    ``duplicates`` > 0 gives that share of customers a second customer number with typical
    variations (synth/duplicates.py); the planted pairs go to the truth's duplicates.parquet.
    """
    if not 0 <= duplicates <= 0.5:
        raise ValueError("duplicates must be a share from 0 to 0.5")
    if customers < 1:
        raise ValueError("customers must be at least 1")
    started = time.perf_counter()
    out = Path(out)
    truth_dir = Path(truth_out) if truth_out is not None else out.with_name(out.name + "-truth")
    out.mkdir(parents=True, exist_ok=True)
    truth_dir.mkdir(parents=True, exist_ok=True)
    org = build_org(customers, seed)
    sinks = {name: CsvSink(out / f"{name}.csv", spec.ENTITY_BY_NAME[name]) for name in CSV_ENTITIES}
    tx_path = out / "transactions.parquet"
    tx_writer = pq.ParquetWriter(
        tx_path,
        TX_SCHEMA,
        compression="zstd",
        store_schema=False,
        use_dictionary=[
            "direction",
            "channel",
            "category",
            "counterparty_bank",
            "counterparty_account",
        ],
        write_statistics=["transaction_id", "account_no", "booked_on"],
        column_encoding={"transaction_id": "DELTA_BINARY_PACKED"},
    )
    truth_writer = pq.ParquetWriter(truth_dir / "customers.parquet", TRUTH_SCHEMA)
    planted = (
        pq.ParquetWriter(truth_dir / "duplicates.parquet", DUPLICATES_SCHEMA)
        if duplicates > 0
        else None
    )
    planted_rows = 0
    tx_rows = 0
    done = 0
    scratch = Path(tempfile.mkdtemp(prefix=".synth-", dir=out))
    try:
        sinks["branches"].write_columns(org.branches)
        sinks["staff"].write_columns(org.staff)
        sinks["products"].write_columns(_products())
        for chunk in _chunks(customers, seed, workers, scratch, duplicates):
            for name in CHUNK_ENTITIES:
                sinks[name].write(chunk.csv[name], chunk.rows[name])
            tx = _load(chunk)
            assert chunk.truth is not None
            ids = pa.array(np.arange(tx_rows + 1, tx_rows + tx.num_rows + 1, dtype=np.int64))
            tx_writer.write_table(
                tx.add_column(0, "transaction_id", ids), row_group_size=ROW_GROUP_ROWS
            )
            tx_rows += tx.num_rows
            del tx
            if chunk.spill is not None:
                chunk.spill.unlink()
            truth_writer.write_table(chunk.truth)
            if planted is not None and chunk.duplicates is not None:
                planted.write_table(chunk.duplicates)
                planted_rows += chunk.duplicates.num_rows
            done += chunk.customers
            if progress is not None:
                progress(done)
    finally:
        for sink in sinks.values():
            sink.close()
        tx_writer.close()
        truth_writer.close()
        if planted is not None:
            planted.close()
        shutil.rmtree(scratch, ignore_errors=True)
    rows = {f"{name}.csv": sink.rows for name, sink in sinks.items()}
    rows["transactions.parquet"] = tx_rows
    extra: dict[str, object] = (
        {"duplicate_share": duplicates, "duplicates": planted_rows} if duplicates > 0 else {}
    )
    _write_truth_json(truth_dir, customers, seed, rows, extra)
    return GenerateSummary(
        rows=rows,
        seconds=time.perf_counter() - started,
        as_of=AS_OF,
        out=out,
        truth_out=truth_dir,
        customers=customers,
        seed=seed,
    )


def _write_truth_json(
    folder: Path, customers: int, seed: int, rows: dict[str, int], extra: dict[str, object]
) -> None:
    meta = {
        "as_of": AS_OF.isoformat(),
        "history_start": cat.WINDOW_START.isoformat(),
        "history_months": cat.HISTORY_MONTHS,
        "churn_horizon_days": cat.CHURN_HORIZON_DAYS,
        "seed": seed,
        "customers": customers,
        "chunk_size": CHUNK_SIZE,
        "segment_shares": dict(zip(cat.SEGMENTS, cat.SEGMENT_SHARES, strict=True)),
        "rows": rows,
        **extra,
    }
    (folder / "truth.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
