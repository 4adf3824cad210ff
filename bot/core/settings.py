"""The one settings object of the service, read from the environment and `.env`.

No other module reads ``os.environ``. `load_settings()` validates everything and
turns any problem into a `SettingsError` whose message is one line naming the
setting, so the CLI can print it and exit with code 2.
"""

from __future__ import annotations

import logging
import secrets
from datetime import time
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

log = logging.getLogger(__name__)

SECRET_KEY_FILE = "secret_key"


class SettingsError(Exception):
    """A setting is missing or wrong; the message is one line for the user."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
    )

    bot_token: SecretStr | None = None
    bot_username: str | None = None
    telegram_base_url: str = "https://api.telegram.org/bot"
    database_url: str = "sqlite+aiosqlite:///./data/ulasan.db"
    data_dir: Path = Path("./data")
    admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    timezone: str = "Asia/Jakarta"
    secret_key: SecretStr | None = None
    default_language: Literal["id", "en"] = "id"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    link_code_ttl_days: int = Field(default=14, ge=1, le=365)
    link_max_failures: int = Field(default=5, ge=1)
    link_lockout_minutes: int = Field(default=60, ge=1)
    dpo_contact: str = "dpo@example.go.id"
    survey_draft_ttl_hours: int = Field(default=24, ge=1)
    survey_max_per_day: int = Field(default=1, ge=1)
    survey_comment_max_chars: int = Field(default=1000, ge=10, le=3500)
    min_anonymous_raters: int = Field(default=3, ge=2, le=10)
    retention_days: int = Field(default=365, ge=30)
    sqlite_busy_timeout_ms: int = Field(default=5000, ge=0)
    outbox_rate_per_second: int = Field(default=30, ge=1, le=1000)
    outbox_per_chat_interval_seconds: float = Field(default=1.0, ge=0, le=3600)
    outbox_max_attempts: int = Field(default=8, ge=1, le=100)
    outbox_batch_size: int = Field(default=50, ge=1, le=1000)
    # Scheduled jobs: cron expressions (minute hour day month weekday) in TIMEZONE.
    schedule_review_reminders: str = "30 8 * * *"
    schedule_supervisor_nudges: str = "0 9 * * *"
    schedule_low_score_alerts: str = "* * * * *"
    schedule_rollup: str = "*/15 * * * *"
    schedule_weekly_digest: str = "0 8 * * 1"
    schedule_housekeeping: str = "0 2 * * *"
    reminder_every_days: int = Field(default=3, ge=1, le=30)
    low_score_threshold: float = Field(default=2.0, ge=1.0, le=4.0)
    # Quiet hours: reminders, nudges and digests only on working days in working hours;
    # alerts in their own, wider window.
    work_days: str = "1-5"
    work_hours: str = "08:00-16:00"
    alert_hours: str = "07:00-21:00"

    @field_validator(
        "schedule_review_reminders",
        "schedule_supervisor_nudges",
        "schedule_low_score_alerts",
        "schedule_rollup",
        "schedule_weekly_digest",
        "schedule_housekeeping",
    )
    @classmethod
    def _cron(cls, value: str) -> str:
        from apscheduler.triggers.cron import CronTrigger

        try:
            CronTrigger.from_crontab(value.strip())
        except ValueError as exc:
            raise ValueError(f"'{value}' is not a cron expression ({exc})") from None
        return value.strip()

    @field_validator("work_hours", "alert_hours")
    @classmethod
    def _hours(cls, value: str) -> str:
        try:
            parse_hours(value)
        except ValueError:
            raise ValueError(f"'{value}' is not a time window like 08:00-16:00") from None
        return value.strip()

    @field_validator("work_days")
    @classmethod
    def _days(cls, value: str) -> str:
        try:
            parse_weekdays(value)
        except ValueError:
            raise ValueError(
                f"'{value}' is not a list of ISO weekdays like 1-5 (1 = Monday)"
            ) from None
        return value.strip()

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: Any) -> Any:
        if isinstance(value, str):
            parts = [p.strip() for p in value.replace(";", ",").split(",")]
            out = []
            for part in parts:
                if not part:
                    continue
                if not part.lstrip("-").isdigit():
                    raise ValueError(f"'{part}' is not a Telegram user id (a whole number)")
                out.append(int(part))
            return out
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"'{value}' is not a known time zone (e.g. Asia/Jakarta)") from None
        return value

    @field_validator("database_url")
    @classmethod
    def _async_url(cls, value: str) -> str:
        allowed = ("sqlite+aiosqlite://", "postgresql+asyncpg://")
        if not value.startswith(allowed):
            raise ValueError(
                f"'{value}' is not supported; use sqlite+aiosqlite:///path.db "
                "or postgresql+asyncpg://user:pass@host/db"
            )
        return value

    @field_validator("telegram_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"'{value}' must start with http:// or https://")
        return value

    @field_validator("default_language", mode="before")
    @classmethod
    def _lower_language(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    # -- derived values -------------------------------------------------
    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def telegram_file_url(self) -> str:
        """PTB's base_file_url that belongs to TELEGRAM_BASE_URL (…/bot → …/file/bot)."""
        root = self.telegram_base_url.rstrip("/")
        if root.endswith("/bot"):
            return root[: -len("/bot")] + "/file/bot"
        return root + "/file/bot"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def secret_bytes(self) -> bytes:
        if self.secret_key is None:
            raise SettingsError("SECRET_KEY: not loaded (call load_settings())")
        return self.secret_key.get_secret_value().encode()

    def token(self) -> str:
        if self.bot_token is None or not self.bot_token.get_secret_value().strip():
            raise SettingsError("BOT_TOKEN: missing; set it in .env or the environment")
        return self.bot_token.get_secret_value().strip()

    def is_admin(self, telegram_user_id: int) -> bool:
        return telegram_user_id in self.admin_ids


def parse_hours(value: str) -> tuple[time, time]:
    """'08:00-16:00' → (08:00, 16:00); the end must come after the start."""
    start_text, _, end_text = value.strip().partition("-")
    start = time.fromisoformat(start_text.strip())
    end = time.fromisoformat(end_text.strip())
    if end <= start:
        raise ValueError(value)
    return start, end


def parse_weekdays(value: str) -> frozenset[int]:
    """'1-5' or '1,2,3,4,5' → ISO weekdays (1 = Monday … 7 = Sunday)."""
    days: set[int] = set()
    for part in value.replace(" ", "").split(","):
        low, _, high = part.partition("-")
        first, last = int(low), int(high or low)
        if not 1 <= first <= last <= 7:
            raise ValueError(value)
        days.update(range(first, last + 1))
    if not days:
        raise ValueError(value)
    return frozenset(days)


def _describe(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        name = str(item["loc"][0]).upper() if item["loc"] else "SETTINGS"
        message = item["msg"].removeprefix("Value error, ")
        value = item.get("input")
        if item["type"] in {
            "literal_error",
            "int_parsing",
            "greater_than_equal",
            "less_than_equal",
        }:
            message = f"'{value}' is not valid: {message}"
        lines.append(f"{name}: {message}")
    return "; ".join(lines)


def _ensure_secret(settings: Settings) -> Settings:
    if settings.secret_key is not None and settings.secret_key.get_secret_value():
        if len(settings.secret_key.get_secret_value()) < 16:
            raise SettingsError("SECRET_KEY: too short; use at least 16 characters")
        return settings
    path = settings.data_dir / SECRET_KEY_FILE
    try:
        if path.exists():
            key = path.read_text(encoding="utf-8").strip()
        else:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
            key = secrets.token_urlsafe(32)
            path.write_text(key + "\n", encoding="utf-8")
            path.chmod(0o600)
            log.warning("Generated a new SECRET_KEY and kept it in %s; back this file up", path)
    except OSError as exc:
        raise SettingsError(f"SECRET_KEY: cannot read or create {path}: {exc.strerror}") from None
    if len(key) < 16:
        raise SettingsError(f"SECRET_KEY: the key in {path} is too short")
    return settings.model_copy(update={"secret_key": SecretStr(key)})


def load_settings(**overrides: Any) -> Settings:
    """Read and validate the settings; raise `SettingsError` with one line on any problem."""
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        raise SettingsError(_describe(exc)) from None
    return _ensure_secret(settings)
