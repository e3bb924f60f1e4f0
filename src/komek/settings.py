"""Settings from the environment (KOMEK_*), overridable by command-line flags."""
from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KOMEK_")

    data_dir: Path = Path("komek-data")
    database_url: str | None = None   # default: SQLite inside data_dir

    @property
    def database(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'komek.sqlite').as_posix()}"


def settings(**overrides) -> Settings:
    """The settings in force: environment first, then any non-None override (a CLI flag)."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
