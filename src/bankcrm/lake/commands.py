"""`bankcrm lake rebuild-latest`: upkeep of the Parquet lake."""

from __future__ import annotations

import time

import typer
from rich.console import Console

from bankcrm.config import get_settings
from bankcrm.ingest.service import rebuild_latest
from bankcrm.lake.store import LakeStore

lake_app = typer.Typer(no_args_is_help=True, help="Upkeep of the Parquet lake.")
console = Console()


@lake_app.command("rebuild-latest")
def rebuild_latest_command() -> None:
    """Rebuild the store of each account's latest transactions (the customer page's recent
    transactions) from every month file: for a lake imported before the store existed.
    Imports keep it up to date by themselves."""
    started = time.perf_counter()
    store = LakeStore(get_settings().lake_dir)
    with console.status("reading every month file of the lake"):
        rows = rebuild_latest(store)
    console.print(
        f"{rows:,} transactions kept in {store.latest_file} "
        f"in {time.perf_counter() - started:.1f} s"
    )
