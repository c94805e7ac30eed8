"""All settings in one place, read from BANKCRM_* environment variables or a .env file."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bankcrm.opportunities.stages import DEFAULT_PROBABILITIES, check_probabilities


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
    # Security. The secret key keys pseudonyms; None: one is created in secret_key_file.
    secret_key: SecretStr | None = None
    secret_key_file: Path = Path("./var/secret.key")
    token_minutes: int = 8 * 60  # API bearer tokens
    session_minutes: int = 8 * 60  # browser sessions
    secure_cookies: bool = True  # False only for plain-HTTP development on localhost
    login_max_failures: int = 5  # failed logins per username within login_window_minutes
    login_window_minutes: int = 15
    display_timezone: str = "Europe/Prague"  # dates and times on the pages
    recent_transactions: int = 20  # shown on the customer page, read from the lake
    # Service desk: hours to resolve a case by the customer's tier at opening (DESIGN.md,
    # service schemes); a customer without a score is served as general.
    case_sla_hours: dict[str, int] = {"gold": 4, "growth": 24, "general": 48, "unprofitable": 72}
    # Privacy: anti-money-laundering record keeping after the relationship ended (years).
    aml_retention_years: int = 5
    # Opportunities: the probability of winning at each stage (stages.DEFAULT_PROBABILITIES:
    # identified 0.1, needs_analysis 0.2, proposal 0.4, credit_review 0.6, approved 0.8,
    # won 1, lost 0). Stages left out keep their default; each 0..1, won 1 and lost 0.
    opportunity_probabilities: dict[str, float] = dict(DEFAULT_PROBABILITIES)
    opportunity_credit_review_days: int = 5  # due date of the credit department's task

    @field_validator("opportunity_probabilities")
    @classmethod
    def _probabilities(cls, value: dict[str, float]) -> dict[str, float]:
        return check_probabilities(value)

    def pseudonym_key(self) -> str:
        """The configured key, or the one kept next to the database (created once, 0600)."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        return _key_file(self.secret_key_file.resolve())


@lru_cache(maxsize=8)
def _key_file(path: Path) -> str:
    """Read once per process (every customer list asks for it), created on first use."""
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(32))
    return path.read_text().strip()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
