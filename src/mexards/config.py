"""Settings from the environment (prefix ``MEXARDS_``), validated at start; nothing happens at import."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "change-me-development-only"


class Settings(BaseSettings):
    """Run-time settings. ``MEXARDS_DATABASE_URL`` selects the database (SQLite file by default)."""

    model_config = SettingsConfigDict(env_prefix="MEXARDS_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite:///mexards.sqlite"
    secret_key: str = DEFAULT_SECRET
    admin_password: str | None = None
    worker_threads: Annotated[int, Field(ge=1, le=200)] = 8
    """Requests a server process handles at once (its thread pool; more wait in its queue). Python runs one
    thread at a time, so a few threads give the same throughput as many with less switching between them; enough
    remain for a slow request (a login's password hash, a report) not to hold up the others."""

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.environment == "production":
            if self.secret_key == DEFAULT_SECRET or len(self.secret_key) < 32:
                raise ValueError("secret_key: production needs MEXARDS_SECRET_KEY of at least 32 characters")
            if not self.admin_password:
                raise ValueError("admin_password: production needs MEXARDS_ADMIN_PASSWORD")
        return self
