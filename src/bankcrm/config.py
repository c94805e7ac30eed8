"""All settings in one place, read from BANKCRM_* environment variables or a .env file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Runtime settings. Relative paths are relative to the working directory."""

    model_config = SettingsConfigDict(env_prefix="BANKCRM_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///./var/bankcrm.db"
    lake_dir: Path = Path("./var/lake")
    datasets: Path = Path("../shared/datasets")  # public bank data sets (tests, demos)
    sql_echo: bool = False


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
