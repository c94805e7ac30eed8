"""The customer features and the profit contribution are the same on DuckDB and on Spark.

A small synthetic bank is generated, imported into SQLite and its lake, and the feature
table and the contribution are built from the same sources on both engines, as
`bankcrm score` builds them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import numpy as np
import pyarrow as pa
import pytest
from ibis.backends import BaseBackend

from bankcrm.analytics import profitability
from bankcrm.analytics.features import FeatureSources, account_balances, build_features
from bankcrm.analytics.ledger import build_ledger
from bankcrm.analytics.policy import Policy
from bankcrm.lake.engines import read_transactions, table_from_arrow, to_arrow
from tests.generated import GeneratedBank as SmallBank

CUSTOMERS = 1_000  # SMALL_BANK_CUSTOMERS in conftest

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("spark")]

RELATIVE = 1e-9  # floats: sums of the same numbers in another order differ in the last bits


def _sources(con: BaseBackend, bank: SmallBank) -> FeatureSources:
    return FeatureSources(
        transactions=read_transactions(con, bank.lake),
        **{name: table_from_arrow(con, name, table) for name, table in bank.tables.items()},
    )


def _features(con: BaseBackend, bank: SmallBank, days_back: Sequence[int]) -> list[pa.Table]:
    """The feature tables `days_back` days before the bank's as-of date, from one ledger."""
    src = _sources(con, bank)
    ledger = build_ledger(src.transactions, src.accounts, bank.as_of, snapshots=2)
    tables = [
        to_arrow(con, build_features(src, ledger, bank.as_of - timedelta(days=back))).sort_by(
            "customer_id"
        )
        for back in days_back
    ]
    ledger.release()
    return tables


def _contribution(con: BaseBackend, bank: SmallBank) -> tuple[pa.Table, pa.Table]:
    """Per account and per customer, with the default policy, as the pipeline runs it."""
    policy = Policy()
    src = _sources(con, bank)
    ledger = build_ledger(src.transactions, src.accounts, bank.as_of, snapshots=1)
    features = to_arrow(con, build_features(src, ledger, bank.as_of))
    accounts = profitability.account_contribution(
        src.accounts,
        account_balances(ledger, 0),
        src.customers,
        table_from_arrow(con, "policy_terms", profitability.category_terms_table(policy)),
        table_from_arrow(con, "policy_risk", profitability.risk_table(policy)),
        policy,
        bank.as_of,
    )
    customers = profitability.customer_contribution(
        accounts, table_from_arrow(con, "features_now", features), policy
    )
    tables = (
        to_arrow(con, accounts).sort_by("account_no"),
        to_arrow(con, customers).sort_by("customer_id"),
    )
    ledger.release()
    return tables


def _key(table: pa.Table) -> str:
    return "account_no" if "account_no" in table.column_names else "customer_id"


def _differences(duck: pa.Table, spark: pa.Table) -> dict[str, str]:
    """Per column, what differs between the two tables (nothing when identical)."""
    out = {}
    key = _key(duck)
    for name in duck.column_names:
        a, b = duck[name], spark[name]
        if not a.is_null().equals(b.is_null()):
            out[name] = f"nulls: {a.null_count} on DuckDB, {b.null_count} on Spark"
        elif pa.types.is_floating(a.type):
            x = a.to_numpy(zero_copy_only=False)
            y = b.to_numpy(zero_copy_only=False)
            close = np.isclose(x, y, rtol=RELATIVE, atol=0.0, equal_nan=True)
            if not close.all():
                at = int(np.argmin(close))
                out[name] = (
                    f"{int((~close).sum())} values, e.g. {key} {duck[key][at]}: "
                    f"{float(x[at])!r} on DuckDB, {float(y[at])!r} on Spark"
                )
        elif not a.equals(b):
            out[name] = "values"
    return out


def test_features_are_the_same_on_duckdb_and_spark(
    small_bank: SmallBank, duckdb_backend: BaseBackend, spark_backend: BaseBackend
) -> None:
    # Today and the churn snapshot a quarter ago, in one test: one Spark session, one bank.
    days_back = (0, 91)
    both = zip(
        _features(duckdb_backend, small_bank, days_back),
        _features(spark_backend, small_bank, days_back),
        strict=True,
    )
    for back, (duck, spark) in zip(days_back, both, strict=True):
        as_of = small_bank.as_of - timedelta(days=back)
        assert duck.num_rows > 0.8 * CUSTOMERS, as_of  # customers with a product open
        assert spark.schema == duck.schema, as_of
        assert spark["customer_id"].equals(duck["customer_id"]), as_of
        assert _differences(duck, spark) == {}, as_of


def test_contribution_is_the_same_on_duckdb_and_spark(
    small_bank: SmallBank, duckdb_backend: BaseBackend, spark_backend: BaseBackend
) -> None:
    duck = _contribution(duckdb_backend, small_bank)
    spark = _contribution(spark_backend, small_bank)

    for duck_table, spark_table in zip(duck, spark, strict=True):
        assert duck_table.num_rows > 0
        assert spark_table.schema == duck_table.schema
        key = _key(duck_table)
        assert spark_table[key].equals(duck_table[key])
        assert _differences(duck_table, spark_table) == {}
