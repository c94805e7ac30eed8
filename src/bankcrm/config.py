"""All settings in one place, read from BANKCRM_* environment variables or a .env file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Runtime settings. Relative paths are relative to the working directory."""

    model_config = SettingsConfigDict(env_prefix="BANKCRM_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///./var/bankcrm.db"
    lake_dir: Path = Path("./var/lake")
    datasets: Path = Path("../shared/datasets")  # public bank data sets (tests, demos)
    sql_echo: bool = False
    # Analytics: where features run, the value policy, and where trained models are kept.
    analytics_engine: Literal["duckdb", "spark"] = "duckdb"
    spark_master: str = "local[2]"  # e.g. spark://host:7077 or yarn on a cluster
    duckdb_memory_limit: str = "6GB"
    policy_file: Path | None = None  # TOML; None means the built-in defaults (docs/models.md)
    models_dir: Path = Path("./var/models")
    analytics_threads: int | None = None  # threads for DuckDB and model training; None: all cores


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
