"""The bot's configuration, read from AINASCAN_* environment variables (pydantic-settings).

A missing or malformed setting stops the process at start with one clear
line naming it; secret values are never printed.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class SettingsError(SystemExit):
    """Raised (as a clean exit) when the environment does not configure the bot."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AINASCAN_", extra="ignore")

    app_id: int = Field(gt=0)
    private_key: SecretStr | None = None
    private_key_path: Path | None = None
    webhook_secret: SecretStr
    github_api_url: str = "https://api.github.com"
    redis_url: str = "redis://localhost:6379/0"
    queue_name: str = "ainascan"
    web_workers: int = Field(default=1, ge=0)  # processes of `ainascan serve` sharing its port; 0: one per core
    job_timeout_seconds: int = 600
    max_inline_comments: int = 25
    review_drafts: bool = False
    # The star gate (bot/gate.py): who may run a full-repository scan and read the scan history.
    star_repo: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+$")  # unset: no gate
    star_min_repo_stars: int = Field(default=0, ge=0)  # 0: off; else repositories with this many stars are unlocked
    star_cache_ttl_seconds: int = Field(default=3600, gt=0)
    history_retention: int = Field(default=500, gt=0)  # scans kept per repository
    full_scan_max_download_bytes: int = Field(default=100 * 1024 * 1024, gt=0)
    full_scan_jobs: int = Field(default=0, ge=0)  # processes for a full scan; 0: one per core
    # Where the check run's rule links point: the docs/rules/ folder of this project's repository.
    rules_doc_url: str = "https://github.com/ainascan/ainascan/blob/main/docs/rules"
    # Reliability (bot/queue.py, bot/worker.py, bot/redeliver.py): retries, lost workers, stuck runs, redelivery.
    job_retries: int = Field(default=2, ge=0)
    job_retry_intervals: list[int] = [60, 300]  # seconds before each retry; secondary rate limits want a minute
    worker_heartbeat_seconds: int = Field(default=10, gt=0)  # how often a busy worker says it is alive
    worker_maintenance_seconds: int = Field(default=15, gt=0)  # how often a worker looks for lost jobs and stuck runs
    abandoned_after_seconds: int = Field(default=30, gt=0)  # a running job whose worker is silent this long is reclaimed
    github_timeout_seconds: float = Field(default=30.0, gt=0)
    scan_budget_seconds: float = Field(default=20.0, gt=0)  # CPU seconds the analyzer may spend on one file
    redeliver_every_minutes: int = Field(default=0, ge=0)  # 0: off; else workers ask GitHub to redeliver failed webhooks
    redeliver_window_minutes: int = Field(default=60, gt=0)  # how far back each periodic redelivery looks

    # A variable left blank (`AINASCAN_PRIVATE_KEY=` in an env file) means "not set", not an empty value.
    @field_validator("star_repo", "private_key", "private_key_path", mode="before")
    @classmethod
    def _blank_is_unset(cls, value):
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _needs_a_private_key(self) -> "Settings":
        if self.private_key is None and self.private_key_path is None:
            raise ValueError("set AINASCAN_PRIVATE_KEY (PEM text) or AINASCAN_PRIVATE_KEY_PATH")
        return self

    def private_key_pem(self) -> str:
        if self.private_key is not None:
            return self.private_key.get_secret_value().replace("\\n", "\n")
        assert self.private_key_path is not None
        try:
            return self.private_key_path.read_text(encoding="utf-8")
        except OSError as exc:
            raise SettingsError(f"ainascan: cannot read AINASCAN_PRIVATE_KEY_PATH: {exc.strerror}") from None


def load_settings(**overrides) -> Settings:
    """Settings from the environment, or a SettingsError naming the first bad variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = "_".join(str(part) for part in first["loc"]) if first["loc"] else ""
        name = f"AINASCAN_{field.upper()}" if field else "settings"
        kind = "is missing" if first["type"] == "missing" else f"is invalid ({first['msg']})"
        raise SettingsError(f"ainascan: {name} {kind}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
