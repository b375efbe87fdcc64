"""Service settings from the environment (``BASURACERO_*``) and an optional TOML file."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from basuracero.data import demo_area


class Settings(BaseSettings):
    """Everything an operator may tune; secrets are SecretStr so they never print."""

    model_config = SettingsConfigDict(env_prefix="BASURACERO_", extra="ignore")

    database_url: str = Field(
        "sqlite:///basuracero.db",
        description="SQLAlchemy URL: sqlite:///file.db (default) or postgresql+psycopg://...",
    )
    admin_token: SecretStr | None = Field(None, description="Bearer token for management calls.")
    sqlite_synchronous: str = Field("NORMAL", description="NORMAL (crash-safe) or FULL.")
    max_body_bytes: int = Field(2_000_000, gt=0, description="Larger requests get 413.")
    max_batch: int = Field(5000, gt=0, description="Most pings in one JSON batch.")
    max_inflight_per_device: int = Field(
        4, gt=0, description="Concurrent requests one device may have; more get 429."
    )
    streets_file: str = Field(
        default_factory=lambda: str(demo_area() / "streets.osm.pbf"),
        description="OSM file of the service area, for map matching and progress.",
    )

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
