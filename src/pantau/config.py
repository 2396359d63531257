"""Settings: defaults, then `pantau.toml`, then `PANTAU_*` environment variables.

Validated once, at start, with messages that name the offending setting. Nested settings are
reached from the environment with a double underscore, e.g. ``PANTAU_HTTP__READ_TIMEOUT=20``
or ``PANTAU_REVIEW__FOUR_EYES=true``. Secrets (tokens) come only from the environment and are
never echoed back (`SecretStr`).
"""

from __future__ import annotations

import os
import re
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator,
)
from pydantic_settings import (
    BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, SettingsError,
)

from .errors import ConfigError

DEFAULT_CONFIG_FILE = "pantau.toml"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RateLimit(_Section):
    """A token bucket: `requests` per `per_seconds`, with bursts of up to `burst`."""

    requests: float = Field(gt=0, description="Requests allowed per `per_seconds`.")
    per_seconds: float = Field(gt=0, description="Length of the window, in seconds.")
    burst: int = Field(default=1, ge=1,
                       description="Requests that may go out back to back before waiting.")


def _default_rate_limits() -> dict[str, RateLimit]:
    return {
        # domain.md: be polite to t.me, at least 0.5 s between requests.
        "telegram": RateLimit(requests=1, per_seconds=0.5),
        # Mastodon: about 300 requests / 5 min per IP.
        "mastodon": RateLimit(requests=300, per_seconds=300, burst=10),
        # Bluesky AppView: 3000 requests / 5 min per IP; stay well under it.
        "bluesky": RateLimit(requests=2500, per_seconds=300, burst=10),
        "media": RateLimit(requests=5, per_seconds=1, burst=5),
    }


class HttpSettings(_Section):
    """The one network layer (`pantau.http`): timeouts, size limit, retries, rate limits."""

    connect_timeout: float = Field(default=10.0, gt=0,
                                   description="Seconds to wait for a connection.")
    read_timeout: float = Field(default=30.0, gt=0,
                                description="Seconds to wait for response data.")
    max_response_bytes: int = Field(
        default=20 * 1024 * 1024, gt=0,
        description="Largest response body accepted; a larger one fails (ResponseTooLarge).")
    max_retries: int = Field(
        default=5, ge=0,
        description="Retries after a timeout, network error, 429 or 5xx before giving up.")
    backoff_base: float = Field(
        default=1.0, ge=0,
        description="Retry wait: random up to base * 2^attempt seconds (full jitter).")
    backoff_max: float = Field(
        default=120.0, ge=0,
        description="Longest wait before a retry, also caps a server's Retry-After.")
    rate_limits: dict[str, RateLimit] = Field(
        default_factory=_default_rate_limits,
        description="Token bucket per platform (telegram, bluesky, mastodon, media), per "
                    "host. Setting this table replaces the defaults: a platform without an "
                    "entry is not throttled.")


class CollectSettings(_Section):
    """How a collection run fetches and commits. One DuckDB commit costs tens of
    milliseconds, so pages are committed in groups: every `commit_every_pages` pages or once
    the oldest buffered page is `commit_every_seconds` old, whichever comes first (checked as
    pages arrive). A killed run loses at most that group, and the next run fetches exactly it
    again. `workers` accounts are collected at once (threads in one process): while one
    waits for a server, another parses or commits. The per-platform rate limits
    (`http.rate_limits`) are shared by all of them, so more workers never means more
    requests per second to a platform than its limit."""

    commit_every_pages: int = Field(default=500, ge=1,
                                    description="Commit after this many fetched pages.")
    commit_every_seconds: float = Field(
        default=5.0, gt=0, description="Commit once the oldest uncommitted page is this old.")
    workers: int = Field(default=4, ge=1, le=32,
                         description="Accounts collected at once (threads sharing the "
                                     "rate limits); 1 collects them one after another.")


class PlatformSettings(_Section):
    """Where each platform is reached; only these hosts are ever fetched."""

    telegram_base_url: str = Field(default="https://t.me",
                                   description="Telegram web preview (t.me/s/<channel>).")
    bluesky_appview_url: str = Field(default="https://public.api.bsky.app",
                                     description="Bluesky AppView for public XRPC reads.")
    # PDS hosts for listRecords (a user's own likes); resolved per DID, checked against this list.
    bluesky_pds_hosts: list[str] = Field(
        default_factory=lambda: ["bsky.social", "*.bsky.network"],
        description="PDS hosts (glob patterns) a DID may resolve to for listRecords.")
    # Mastodon servers we may read; an account on another server is skipped with a note.
    mastodon_servers: list[str] = Field(
        default_factory=list, description="Mastodon servers that may be read (host names).")
    # Server name -> base URL override, for tests and the demo (e.g. "mastodon.demo" ->
    # "http://127.0.0.1:8765"): handles stay user@server, requests go to the given URL.
    mastodon_base_urls: dict[str, str] = Field(
        default_factory=dict, description="Server name -> base URL override (tests, demo).")
    # Hosts images may be downloaded from (photo evidence).
    media_hosts: list[str] = Field(
        # Telegram's web preview serves photos from both CDN families (cdn4.telegram-cdn.org in
        # the captured fixtures, cdnN.telesco.pe elsewhere).
        default_factory=lambda: ["cdn*.telesco.pe", "cdn*.telegram-cdn.org", "cdn.bsky.app",
                                 "*.files.mastodon.social"],
        description="Hosts (glob patterns) photos may be downloaded from.",
    )
    mastodon_token: SecretStr | None = Field(
        default=None,
        description="Bearer token sent only to configured Mastodon servers; set it in the "
                    "environment, never echoed.")


class ClassifierSettings(_Section):
    """Which model classifies the store, and from what confidence a flag is raised."""

    # Flags at or above this confidence enter the review queue (tuned on the validation split).
    threshold: float | None = Field(
        default=None, ge=0, le=1,
        description="Flag at or above this confidence; unset: the model's tuned threshold.")
    model_dir: Path | None = Field(
        default=None,
        description="Model directory; unset: the newest version under models/.")
    batch_size: int = Field(default=5000, gt=0,
                            description="Activities classified and written per batch.")


class ReviewSettings(_Section):
    """How review decisions count."""

    four_eyes: bool = Field(
        default=False,
        description="A confirmation counts only once two different reviewers confirmed.")


class StoreSettings(_Section):
    """Where the database lives: the embedded DuckDB file (default, one writer at a time) or a
    DuckLake with its catalog in PostgreSQL and Parquet data files in a directory shared by
    many writers (docs/scaling.md, "Store for many writers")."""

    backend: Literal["duckdb", "ducklake"] = Field(
        default="duckdb",
        description="duckdb: one file <home>/pantau.duckdb; ducklake: catalog + Parquet.")
    # DuckLake catalog: "postgres:<libpq conninfo>" (many machines), or "duckdb:<file>" for a
    # local catalog file (one machine, one writer process at a time). Never put the password
    # here: it comes from PANTAU_STORE__PASSWORD (or libpq's PGPASSWORD / ~/.pgpass).
    catalog: str | None = Field(
        default=None,
        description="DuckLake catalog: 'postgres:<libpq conninfo>' or 'duckdb:<file>' "
                    "(relative to home); no password in it.")
    # Parquet data files of the lake: a directory (relative to `home` unless absolute) that
    # every writer sees at the same path. None: <home>/lake.
    data_path: str | None = Field(
        default=None,
        description="DuckLake Parquet directory (relative to home) or URL; unset: <home>/lake.")
    password: SecretStr | None = Field(
        default=None,
        description="Catalog password; environment only (refused in pantau.toml).")

    @field_validator("catalog")
    @classmethod
    def _catalog_kind(cls, value: str | None) -> str | None:
        if value is None:
            return None
        kind, sep, rest = value.partition(":")
        if not sep or kind not in ("postgres", "duckdb") or not rest.strip():
            raise ValueError(
                "expected 'postgres:dbname=... host=... user=...' or 'duckdb:/path/catalog.ducklake'"
            )
        if re.search(r"(^|\s)password\s*=", rest, re.IGNORECASE):
            raise ValueError("no password in the catalog string; set PANTAU_STORE__PASSWORD instead")
        return value

    @model_validator(mode="after")
    def _lake_needs_catalog(self) -> StoreSettings:
        if self.backend == "ducklake" and not self.catalog:
            raise ValueError("backend 'ducklake' needs store.catalog (e.g. 'postgres:dbname=pantau')")
        return self


class ExportSettings(_Section):
    """Who receives the weekly export, and where extra recipient layouts live."""

    recipients: list[str] = Field(
        default_factory=lambda: ["bkn"],
        description="Recipient layouts the weekly export flow writes (bkn, kasn, bawaslu, ...).")
    recipients_dir: Path | None = Field(
        default=None,
        description="Directory of extra <name>.toml layouts; wins over a shipped one.")


class Settings(BaseSettings):
    """All of pantau's configuration."""

    model_config = SettingsConfigDict(
        env_prefix="PANTAU_",
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
    )

    home: Path = Field(default=Path("data"),
                       description="PANTAU_HOME: database, raw evidence and exports.")
    contact: str = Field(default="", description="e-mail or URL named in the User-Agent")
    display_timezone: str = Field(default="Asia/Jakarta",
                                  description="Time zone times are shown in (IANA name).")
    retention_days: int = Field(
        default=90, ge=1,
        description="Never-flagged activities and unreferenced raw evidence older than this "
                    "are purged.")
    http: HttpSettings = Field(default_factory=HttpSettings)
    platforms: PlatformSettings = Field(default_factory=PlatformSettings)
    collect: CollectSettings = Field(default_factory=CollectSettings)
    classifier: ClassifierSettings = Field(default_factory=ClassifierSettings)
    review: ReviewSettings = Field(default_factory=ReviewSettings)
    export: ExportSettings = Field(default_factory=ExportSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)

    @field_validator("display_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @property
    def db_path(self) -> Path:
        return self.home / "pantau.duckdb"

    @property
    def raw_dir(self) -> Path:
        return self.home / "raw"

    @property
    def exports_dir(self) -> Path:
        return self.home / "exports"

    @property
    def user_agent(self) -> str:
        from . import __version__

        contact = f"; {self.contact}" if self.contact else ""
        return f"pantau/{__version__} (ASN neutrality monitor{contact})"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment beats the file (passed in as init kwargs), which beats defaults.
        return (env_settings, init_settings)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from exc


def _explain(exc: ValidationError, source: str) -> str:
    lines = [f"invalid configuration ({source}):"]
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        env = "PANTAU_" + "__".join(str(p) for p in err["loc"]).upper()
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown setting (check the spelling)"
        lines.append(f"  {loc} (env {env}): {msg}")
    return "\n".join(lines)


def load_settings(config_file: str | Path | None = None, **overrides: Any) -> Settings:
    """Read and validate the configuration.

    `config_file` defaults to ``$PANTAU_CONFIG`` or ``./pantau.toml`` when it exists.
    Keyword overrides win over the file (but not over the environment).
    """
    explicit = config_file or os.environ.get("PANTAU_CONFIG")
    path = Path(explicit) if explicit else Path(DEFAULT_CONFIG_FILE)
    data: dict[str, Any] = {}
    if path.is_file():
        data = _read_toml(path)
    elif explicit:
        raise ConfigError(f"{path}: configuration file not found")
    if isinstance(data.get("store"), dict) and "password" in data["store"]:
        # A password in a file ends up in backups and screenshots: environment only.
        raise ConfigError(
            f"{path}: store.password may not be written in the file; "
            "set PANTAU_STORE__PASSWORD in the environment instead"
        )
    data.update(overrides)
    env_only = {k for k in os.environ if k.startswith("PANTAU_")} - {"PANTAU_CONFIG"}
    try:
        return Settings(**data)
    except ValidationError as exc:
        where = str(path) if path.is_file() else "defaults"
        if env_only:
            where += " + PANTAU_* environment"
        raise ConfigError(_explain(exc, where)) from None
    except SettingsError as exc:
        # A list or table given in the environment is read as JSON before validation; bad
        # JSON fails there, naming only the top-level field: point at its variables.
        field = re.search(r'field "(\w+)"', str(exc))
        prefix = f"PANTAU_{field.group(1).upper()}" if field else "PANTAU_"
        names = ", ".join(sorted(k for k in env_only if k.startswith(prefix))) or prefix
        raise ConfigError(
            f"invalid configuration (PANTAU_* environment): {names}: not valid JSON; lists and "
            "tables are given as JSON, e.g. PANTAU_EXPORT__RECIPIENTS='[\"bkn\", \"kasn\"]'"
        ) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, loaded on first use."""
    return load_settings()
