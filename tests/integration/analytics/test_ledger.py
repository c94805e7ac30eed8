"""The features read through the quarterly ledger equal the same features computed
directly from the lake's transactions (pandas, one row at a time in spirit), on the as-of
date and on a snapshot a quarter earlier."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pyarrow.dataset as ds
import pytest
from ibis.backends import BaseBackend

from bankcrm.analytics.features import DEPOSIT_CATEGORIES, FeatureSources, build_features
from bankcrm.analytics.ledger import CUSTOMER_CHANNELS, INCOME_CATEGORIES, Ledger, build_ledger
from bankcrm.lake.engines import read_transactions, table_from_arrow, to_arrow
from tests.generated import GeneratedBank

YEAR, QUARTER, MONTH = 364, 91, 28


@pytest.fixture(scope="module")
def ledger_and_sources(
    small_bank: GeneratedBank, duckdb_backend: BaseBackend
) -> Iterator[tuple[Ledger, FeatureSources]]:
    con = duckdb_backend
    sources = FeatureSources(
        transactions=read_transactions(con, small_bank.lake),
        **{name: table_from_arrow(con, name, t) for name, t in small_bank.tables.items()},
    )
    ledger = build_ledger(sources.transactions, sources.accounts, small_bank.as_of, snapshots=2)
    yield ledger, sources
    ledger.release()


def _lake(bank: GeneratedBank) -> pd.DataFrame:
    tx = ds.dataset(bank.lake / "transactions", partitioning="hive").to_table().to_pandas()
    accounts = bank.tables["accounts"].to_pandas()[["account_no", "customer_id", "category"]]
    tx = tx.merge(accounts.rename(columns={"category": "product"}), on="account_no")
    tx["amount"] = tx["amount"].astype(float)
    tx["balance_after"] = tx["balance_after"].astype(float)
    return tx


def _expected(tx: pd.DataFrame, cutoff: date) -> pd.DataFrame:
    """The features by their definitions in docs/models.md, straight from transactions."""
    age = (pd.Timestamp(cutoff) - pd.to_datetime(tx["booked_on"])).dt.days
    tx = tx.assign(age=age)
    seen = tx[tx["age"] >= 0]
    year = seen[seen["age"] < YEAR]
    own = year["channel"].isin(CUSTOMER_CHANNELS)
    credit = year["direction"] == "credit"
    prior = (year["age"] >= QUARTER) & (year["age"] < 2 * QUARTER)
    income = credit & year["category"].isin(INCOME_CATEGORIES)
    by = year.groupby("customer_id")
    columns: dict[str, pd.Series] = {
        "tx_12m": by.size(),
        "tx_1m": year[year["age"] < MONTH].groupby("customer_id").size(),
        "own_tx_3m": year[own & (year["age"] < QUARTER)].groupby("customer_id").size(),
        "inflow_12m": year[credit].groupby("customer_id")["amount"].sum(),
        "inflow_prior_3m": year[credit & prior].groupby("customer_id")["amount"].sum(),
        "income_12m": year[income].groupby("customer_id")["amount"].sum(),
        "days_since_tx": by["age"].min(),
        "active_weeks_12m": (year[own]["age"] // 7).groupby(year[own]["customer_id"]).nunique(),
        "first_active_week": year[own].groupby("customer_id")["age"].max() // 7,
    }
    deposit = seen[seen["product"].isin(DEPOSIT_CATEGORIES) & seen["balance_after"].notna()]
    for name, back in (("deposit_balance", 0), ("deposit_balance_12m_ago", YEAR)):
        before = deposit[deposit["age"] >= back].sort_values("transaction_id")
        last = before.groupby("account_no").tail(1)
        columns[name] = last.groupby("customer_id")["balance_after"].sum()
    recent = deposit[deposit["age"] < YEAR]
    means = recent.groupby(["customer_id", "account_no"])["balance_after"].mean().round(2)
    columns["avg_deposit_balance_12m"] = means.groupby(level="customer_id").sum()
    return pd.concat(columns, axis=1)  # every customer any of the columns has


@pytest.mark.parametrize("days_back", [0, QUARTER])
def test_ledger_features_equal_a_direct_computation(
    small_bank: GeneratedBank,
    duckdb_backend: BaseBackend,
    ledger_and_sources: tuple[Ledger, FeatureSources],
    days_back: int,
) -> None:
    ledger, sources = ledger_and_sources
    cutoff = small_bank.as_of - timedelta(days=days_back)
    got = to_arrow(duckdb_backend, build_features(sources, ledger, cutoff)).to_pandas()
    got = got.set_index("customer_id")
    expected = _expected(_lake(small_bank), cutoff).reindex(got.index)
    nullable = {"days_since_tx", "first_active_week"}
    for name in expected.columns:
        want = expected[name] if name in nullable else expected[name].fillna(0)
        have = got[name].astype(float)
        # Averages are rounded to cents per account: pandas rounds half-cent ties to even.
        cents = 0.03 if name.startswith("avg_") else 0.005
        assert np.allclose(have, want.astype(float), rtol=1e-9, atol=cents, equal_nan=True), (
            name,
            pd.DataFrame({"ledger": have, "direct": want})[~np.isclose(have, want, equal_nan=True)]
            .head()
            .to_dict(),
        )
    assert (got["tx_12m"] > 0).mean() > 0.5  # the bank is active: the test compares something


def test_a_day_between_snapshots_is_refused(
    small_bank: GeneratedBank, ledger_and_sources: tuple[Ledger, FeatureSources]
) -> None:
    ledger, sources = ledger_and_sources
    with pytest.raises(ValueError, match="not one of the ledger's snapshots"):
        build_features(sources, ledger, small_bank.as_of - timedelta(days=30))
