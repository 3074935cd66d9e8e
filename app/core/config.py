"""Settings, read once from the environment (and an optional `.env`)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SQLITE_URL = f"sqlite:///{REPO_ROOT / 'var' / 'khabar.db'}"
DEV_SECRET = "dev-insecure-secret-change-me-0123456789"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    # Exactly these: `Production` or `prod` once ran silently with the development secret.
    env: Literal["development", "production"] = Field("development", alias="KHABAR_ENV")
    database_url: str = Field(DEFAULT_SQLITE_URL, alias="DATABASE_URL")
    database_read_url: str | None = Field(None, alias="DATABASE_READ_URL")
    database_pool_size: int = Field(10, alias="KHABAR_DB_POOL_SIZE")
    database_pool_timeout: float = Field(5.0, alias="KHABAR_DB_POOL_TIMEOUT")
    redis_url: str | None = Field(None, alias="REDIS_URL")
    secret_key: str = Field(DEV_SECRET, alias="KHABAR_SECRET_KEY")
    access_token_minutes: int = Field(30, alias="KHABAR_ACCESS_TOKEN_MINUTES")
    header_timeout: float = Field(10.0, gt=0, le=300, alias="KHABAR_HEADER_TIMEOUT")
    timezone: str = Field("Asia/Kathmandu", alias="KHABAR_TIMEZONE")
    publisher_name: str = Field("Khabar", alias="KHABAR_PUBLISHER_NAME")
    public_base_url: str = Field("http://127.0.0.1:8000", alias="KHABAR_PUBLIC_BASE_URL")
    site_url: str = Field("https://example.com", alias="KHABAR_SITE_URL")
    languages: Annotated[list[str], NoDecode] = Field(["en", "ne"], alias="KHABAR_LANGUAGES")
    editorial_cors_origins: Annotated[list[str], NoDecode] = Field(
        [], alias="KHABAR_EDITORIAL_CORS_ORIGINS")
    cors_origins: Annotated[list[str], NoDecode] = Field(["*"], alias="KHABAR_CORS_ORIGINS")
    rate_limit_public: str = Field("6000/minute", alias="KHABAR_RATE_LIMIT_PUBLIC")
    rate_limit_partner: str = Field("600/minute", alias="KHABAR_RATE_LIMIT_PARTNER")
    rate_limit_preview: str = Field("60/minute", alias="KHABAR_RATE_LIMIT_PREVIEW")
    # Namespaces the counters in a shared Redis (several deployments, or tests, on one server).
    rate_limit_key_prefix: str = Field("khabar-rl", alias="KHABAR_RATE_LIMIT_KEY_PREFIX")
    trusted_proxies: Annotated[list[str], NoDecode] = Field([], alias="KHABAR_TRUSTED_PROXIES")
    max_body_bytes: int = Field(1024 * 1024, alias="KHABAR_MAX_BODY_BYTES")
    max_url_bytes: int = Field(8 * 1024, alias="KHABAR_MAX_URL_BYTES")
    max_header_bytes: int = Field(16 * 1024, alias="KHABAR_MAX_HEADER_BYTES")
    max_header_field_bytes: int = Field(8 * 1024, alias="KHABAR_MAX_HEADER_FIELD_BYTES")
    cache_max_age: int = Field(60, alias="KHABAR_CACHE_MAX_AGE")
    cache_stale_while_revalidate: int = Field(600, alias="KHABAR_CACHE_SWR")
    response_cache: bool = Field(True, alias="KHABAR_RESPONSE_CACHE")
    # Per process, in MB of stored bodies and headers: every page of the 10,000-article demo
    # catalogue fits (bench/newsroom_day.py: a worker's RSS goes from ~140 MB to ~360 MB).
    response_cache_mb: int = Field(256, ge=1, alias="KHABAR_RESPONSE_CACHE_MB")
    log_level: str = Field("info", alias="KHABAR_LOG_LEVEL")
    # When set, /metrics answers only `Authorization: Bearer <token>` (Prometheus's
    # `authorization` scrape setting); unset, it is open and must be kept off the internet.
    metrics_token: str | None = Field(None, alias="KHABAR_METRICS_TOKEN")
    # The CDN purge hook (app/core/purge.py): where stale Surrogate-Keys are POSTed after each
    # write, and the headers that call needs (JSON, e.g. {"Fastly-Key": "..."}).
    purge_url: str | None = Field(None, alias="KHABAR_PURGE_URL")
    purge_headers: dict[str, str] = Field({}, alias="KHABAR_PURGE_HEADERS")
    # Argon2id cost: `standard` is RFC 9106's low-memory profile (argon2-cffi's default); `cheap`
    # exists only so the test suite does not spend a third of its time hashing, and is refused in
    # production.
    password_hash_cost: Literal["standard", "cheap"] = Field(
        "standard", alias="KHABAR_PASSWORD_HASH_COST")
    # The scheduled-publication sweep (app/changelog/schedule.py): seconds between rounds in
    # `khabar serve`; 0 turns it off (reads still apply the visibility rule, feeds sweep too).
    sweep_seconds: float = Field(5.0, ge=0, le=5, alias="KHABAR_SWEEP_SECONDS")
    # How long tombstones stay in the change log; a sync cursor older than that answers 410.
    changelog_retention_days: int = Field(90, ge=1, alias="KHABAR_CHANGELOG_RETENTION_DAYS")
    # Webhook delivery (app/webhooks): the sender runs inside every `khabar serve` process unless
    # switched off; the retry schedule (seconds after each failed attempt) is a setting so
    # tests and staging can run it in seconds.
    webhook_worker: bool = Field(True, alias="KHABAR_WEBHOOK_WORKER")
    webhook_poll_seconds: float = Field(0.5, gt=0, le=60, alias="KHABAR_WEBHOOK_POLL_SECONDS")
    webhook_retry_schedule: Annotated[list[float], NoDecode] = Field(
        [5, 300, 1800, 7200, 18000, 36000, 36000], alias="KHABAR_WEBHOOK_RETRY_SCHEDULE")
    # Media (app/media): uploads, where images and renditions are stored, how many are made
    # at once per process (each holds a decoded image in memory).
    max_upload_bytes: int = Field(20 * 1024 * 1024, alias="KHABAR_MAX_UPLOAD_BYTES")
    media_store: str = Field(str(REPO_ROOT / "var" / "media"), alias="KHABAR_MEDIA_STORE")
    media_s3_endpoint_url: str | None = Field(None, alias="KHABAR_MEDIA_S3_ENDPOINT_URL")
    media_s3_region: str | None = Field(None, alias="KHABAR_MEDIA_S3_REGION")
    media_s3_access_key_id: str | None = Field(None, alias="KHABAR_MEDIA_S3_ACCESS_KEY_ID")
    media_s3_secret_access_key: str | None = Field(
        None, alias="KHABAR_MEDIA_S3_SECRET_ACCESS_KEY")
    media_render_concurrency: int = Field(2, ge=1, le=64, alias="KHABAR_MEDIA_RENDER_CONCURRENCY")

    @field_validator("languages", "cors_origins", "editorial_cors_origins", "trusted_proxies",
                     mode="before")
    @classmethod
    def _split_csv(cls, value: object) -> object:
        # Comma-separated strings are friendlier in env files than JSON lists.
        if isinstance(value, str) and not value.strip().startswith("["):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("webhook_retry_schedule", mode="before")
    @classmethod
    def _split_schedule(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip().startswith("["):
            return [float(item) for item in value.split(",") if item.strip()]
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        ZoneInfo(value)  # raises for an unknown IANA name
        return value

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Settings:
        weak = self.secret_key == DEV_SECRET or len(self.secret_key) < 32
        if self.env == "production" and weak:
            raise ValueError("KHABAR_SECRET_KEY must be set to a random value of 32+ characters")
        if self.env == "production" and self.password_hash_cost != "standard":
            raise ValueError("KHABAR_PASSWORD_HASH_COST=cheap is for tests only")
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
