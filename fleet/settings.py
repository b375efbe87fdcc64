"""Service settings from the environment (``BASURACERO_*``) and an optional TOML file."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

MIN_ADMIN_TOKEN = 32  # characters: ~190 bits from token_urlsafe, beyond any guessing


class Settings(BaseSettings):
    """Everything an operator may tune; secrets are SecretStr so they never print."""

    model_config = SettingsConfigDict(env_prefix="BASURACERO_", extra="ignore")

    database_url: str = Field(
        "sqlite:///basuracero.db",
        description="SQLAlchemy URL: sqlite:///file.db (default) or postgresql+psycopg://...",
    )
    admin_token: SecretStr | None = Field(
        None,
        description=f"Bearer token for management calls (at least {MIN_ADMIN_TOKEN} characters).",
    )
    session_secret: SecretStr | None = Field(
        None,
        description="Key signing the console's session cookies (default: made on first start "
        "and kept in a file beside the SQLite database, or in the cache folder).",
    )
    sqlite_synchronous: str = Field("NORMAL", description="NORMAL (crash-safe) or FULL.")
    max_body_bytes: int = Field(2_000_000, gt=0, description="Larger requests get 413.")
    max_batch: int = Field(5000, gt=0, description="Most pings in one JSON batch.")
    max_inflight_per_device: int = Field(
        4, gt=0, description="Concurrent requests one device may have; more get 429."
    )
    areas_dir: str | None = Field(
        None,
        description="Folder of service areas (each with area.toml); default: the bundled ones.",
    )
    default_area: str | None = Field(
        None, description="Area of devices and plans that name none (default: the demo's)."
    )
    broker_url: str | None = Field(
        None,
        description="Job queue broker (redis://...). None: a SQLite queue file beside the "
        "database and a worker process started by the service itself.",
    )
    queue_file: str | None = Field(
        None, description="SQLite queue file when no broker is set (default: beside the database)."
    )
    embedded_worker: bool = Field(
        True, description="Without a broker, run plan jobs in a worker process of the service."
    )
    worker_concurrency: int = Field(1, ge=1, le=64, description="Jobs one worker runs at once.")
    job_heartbeat_s: float = Field(2.0, gt=0, description="How often a running job says alive.")
    job_stale_s: float = Field(
        30.0, gt=0, description="A running job silent this long is given to another worker."
    )
    public_read_limit: str = Field(
        "20/20 seconds",
        description="Per client address, reads of progress, missed.csv, positions and coverage "
        "(a moving window of the limits library; '20/20 seconds' is 60 a minute, 20 at once; "
        "several with ';'). Over it: 429 with Retry-After. Pings are never limited.",
    )
    public_page_limit: str = Field(
        "30/10 seconds",
        description="Per client address, every other public read (plans, areas, plan jobs): "
        "30 at once, then 3 a second.",
    )
    rate_limit_storage: str = Field(
        "memory://",
        description="Where read counts live: memory:// (per process) or redis://host:6379 "
        "(shared by every worker).",
    )
    client_ip_header: str | None = Field(
        None,
        description="Behind a reverse proxy: the header it writes the client's address in "
        "(e.g. X-Forwarded-For; its last address counts). Unset: the connection's address.",
    )
    public_refresh_s: float = Field(
        60.0,
        ge=0,
        description="Progress, coverage and positions as of now are recomputed at most this "
        "often (and only when new pings arrived or the minute changed); 0: on every change.",
    )
    public_read_workers: int = Field(
        1,
        ge=1,
        le=32,
        description="Threads computing public reads (progress, coverage); each one more "
        "competes with the pings for the interpreter.",
    )
    public_read_processes: int = Field(
        1,
        ge=0,
        le=8,
        description="Worker processes map-matching for public reads (0: in a thread of the "
        "server, where it competes with the pings for the interpreter).",
    )

    @field_validator("admin_token")
    @classmethod
    def _long_admin_token(cls, value: SecretStr | None) -> SecretStr | None:
        """A short admin token can be guessed over the network; refuse to start with one."""
        if value is not None and len(value.get_secret_value()) < MIN_ADMIN_TOKEN:
            raise ValueError(
                f"admin_token must be at least {MIN_ADMIN_TOKEN} characters "
                f"(it has {len(value.get_secret_value())}); make one with "
                "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = Path(os.environ.get("BASURACERO_CONFIG", "basuracero.toml"))
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=toml_file),
        )
