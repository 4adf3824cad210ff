"""The one settings object of the service, read from the environment and the home's `.env`.

No other module reads ``os.environ`` (but `bot.core.i18n` reads ``XDG_CACHE_HOME``
for its compiled-catalog cache, needed before any settings). `load_settings()`
validates everything and turns any problem into a `SettingsError` whose message is
one line naming the setting, so the CLI can print it and exit with code 2.

**One home.** Everything the service keeps on disk resolves against one folder,
``ULASAN_HOME``, never the working folder: its ``.env`` (the settings file),
``DATA_DIR`` (default ``<home>/data``: the SQLite file ``ulasan.db``, the
generated ``secret_key``, QR codes, exported reports, the bot's lock file). A
relative ``DATA_DIR`` or SQLite path in ``DATABASE_URL`` is relative to the home.
Without ``ULASAN_HOME`` the home is ``$XDG_DATA_HOME/ulasan`` (usually
``~/.local/share/ulasan``): the same for every command of one user wherever it
runs, apart from the code (a new clone or an upgrade never touches the data),
writable without root. The systemd unit sets it to its ``StateDirectory``
(``/var/lib/ulasan``), the container image to its volume.

The secret key is only *read* here (``SECRET_KEY``, else ``DATA_DIR/secret_key``);
it is created together with a new database by ``ulasan db upgrade``
(`create_secret_key`), so no command quietly makes a second one.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import secrets
from datetime import time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

log = logging.getLogger(__name__)

SECRET_KEY_FILE = "secret_key"
DATABASE_FILE = "ulasan.db"
ENV_FILE = ".env"
# A Bot API token as @BotFather issues it: the bot's numeric id, a colon, 35 characters
# of A-Z a-z 0-9 _ - (30 or more accepted).
TOKEN_SHAPE = re.compile(r"[0-9]{1,20}:[A-Za-z0-9_-]{30,}")
WEBHOOK_SECRET_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,256}")


class SettingsError(Exception):
    """A setting is missing or wrong; the message is one line for the user."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=None,  # load_settings() names the home's .env
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
    )

    # The home folder; load_settings() always sets it (ULASAN_HOME or the default).
    ulasan_home: Path = Path(".")
    bot_token: SecretStr | None = None
    bot_username: str | None = None
    telegram_base_url: str = "https://api.telegram.org/bot"
    # Empty: the SQLite file DATA_DIR/ulasan.db (filled in by _resolve_paths).
    database_url: str = ""
    data_dir: Path = Path("data")
    admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    timezone: str = "Asia/Jakarta"
    secret_key: SecretStr | None = None
    default_language: Literal["id", "en"] = "id"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    link_code_ttl_days: int = Field(default=14, ge=1, le=365)
    link_max_failures: int = Field(default=5, ge=1)
    link_lockout_minutes: int = Field(default=60, ge=1)
    dpo_contact: str = "dpo@example.go.id"
    # Printed on the QR posters above the unit: the local government ("Pemerintah Kota …").
    pemda_name: str = Field(default="", max_length=120)
    # An optional logo (PNG or JPEG) for the posters; relative to the home.
    poster_logo: Path | None = None
    # Where the public site of ``ulasan publish`` is served (https://…); its pages are the
    # QR code on a published period's poster and the link of its channel post. Empty: none.
    public_base_url: str = ""
    survey_draft_ttl_hours: int = Field(default=24, ge=1)
    survey_max_per_day: int = Field(default=1, ge=1)
    survey_comment_max_chars: int = Field(default=1000, ge=10, le=3500)
    min_anonymous_raters: int = Field(default=3, ge=2, le=10)
    # Core values (of BerAKHLAK's 7) a recommended perilaku rating and predikat must rest on.
    recommendation_min_values: int = Field(default=4, ge=1, le=20)
    # Days a consultation on example behaviours stays open (ulasan cycle consult, /siklus).
    consultation_days: int = Field(default=7, ge=1, le=30)
    # Rater calibration before the first review of a cycle: offered (may be skipped),
    # required (a gate), or off.
    calibration: Literal["off", "offer", "required"] = "offer"
    # Development plans: the latest target date when no cycle is open for the person
    # (months from today), and the days a supervisor has to approve a plan.
    development_target_months: int = Field(default=6, ge=1, le=24)
    development_approval_days: int = Field(default=7, ge=1, le=60)
    # Citizen praise notes in a 360° cycle's dates that put an officer on the unit
    # head's recognition list (0: praise puts nobody on it).
    recognition_min_praise: int = Field(default=3, ge=0, le=1000)
    retention_days: int = Field(default=365, ge=30)
    # How long the operator keeps database backups (the README's cron line deletes older
    # ones); /privacy tells citizens, because erased data stays in older backups.
    backup_keep_days: int = Field(default=30, ge=1, le=3650)
    sqlite_busy_timeout_ms: int = Field(default=5000, ge=0)
    outbox_rate_per_second: int = Field(default=30, ge=1, le=1000)
    outbox_per_chat_interval_seconds: float = Field(default=1.0, ge=0, le=3600)
    outbox_max_attempts: int = Field(default=8, ge=1, le=100)
    outbox_batch_size: int = Field(default=50, ge=1, le=1000)
    # Replies to a person (scheduler/reply_request.py): how long one update's replies are
    # retried after Telegram fails, and how long one attempt waits for Telegram's answer.
    reply_retry_seconds: float = Field(default=6.0, ge=0, le=60)
    reply_timeout_seconds: float = Field(default=5.0, ge=0.2, le=60)
    # The HTTP client to the Bot API (scheduler/aiohttp_request.py): aiohttp, or
    # python-telegram-bot's default httpx as a fallback.
    telegram_http_client: Literal["aiohttp", "httpx"] = "aiohttp"
    # Binding confirmations (storage/confirmations.py): how long a "Yes" button stays valid.
    confirmation_ttl_minutes: int = Field(default=10, ge=1, le=1440)
    # Scheduled jobs: cron expressions (minute hour day month weekday) in TIMEZONE.
    schedule_review_reminders: str = "30 8 * * *"
    schedule_supervisor_nudges: str = "0 9 * * *"
    schedule_development_checkins: str = "30 9 * * *"
    schedule_low_score_alerts: str = "* * * * *"
    schedule_rollup: str = "*/15 * * * *"
    schedule_weekly_digest: str = "0 8 * * 1"
    schedule_housekeeping: str = "0 2 * * *"
    schedule_case_followup: str = "*/15 * * * *"
    schedule_praise_notes: str = "0 10 * * *"
    schedule_rtl_followup: str = "0 9 * * *"
    schedule_feedback_cards: str = "0 9 * * *"
    schedule_expectation_reminders: str = "15 9 * * *"
    schedule_skm_periods: str = "0 8 * * *"
    # The supervisor's feedback cards (PermenPANRB 6/2022): months per performance period
    # (a divisor of 12), and the fewest officer-tagged citizen answers shown on a card.
    feedback_cadence_months: Literal[1, 2, 3, 4, 6, 12] = 1
    feedback_min_citizens: int = Field(default=10, ge=1, le=1000)
    # Whether a supervisor's own superior sees the cards of the supervisor's team (/umpanbalik).
    feedback_superior_sees_cards: bool = False
    # Klarifikasi ekspektasi: days after a supervisor's first prompt before their one
    # reminder, and after an expectation is stated before an unanswered one comes again.
    expectation_reminder_days: int = Field(default=7, ge=1, le=90)
    reminder_every_days: int = Field(default=3, ge=1, le=30)
    low_score_threshold: float = Field(default=2.0, ge=1.0, le=4.0)
    # Working days a case may wait for its first response (twice that: the head above hears).
    case_first_response_days: int = Field(default=2, ge=1, le=30)
    # Follow-up plans (RTL): the owner's reminders before a line's target date, and the
    # days past it after which the line goes to the head above (or the top unit's admins).
    rtl_first_reminder_days: int = Field(default=14, ge=1, le=365)
    rtl_last_reminder_days: int = Field(default=3, ge=0, le=365)
    rtl_escalation_days: int = Field(default=14, ge=1, le=365)
    # SKM periods: working days after a period's end after which a head who has not approved
    # is reminded, and the head above hears (the product's defaults, not the regulation's).
    period_reminder_working_days: int = Field(default=10, ge=1, le=250)
    period_escalation_working_days: int = Field(default=15, ge=1, le=250)
    # Webhook mode (``ulasan run --webhook``, bot/webhook_server.py): the public HTTPS URL
    # Telegram posts updates to (its path is the path served), the secret Telegram sends
    # with every post (empty: derived from SECRET_KEY, the same on every worker), and the
    # address and port this worker listens on behind the reverse proxy.
    webhook_url: str = ""
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8080, ge=1, le=65535)
    # Quiet hours: reminders, nudges and digests only on working days in working hours;
    # alerts in their own, wider window.
    work_days: str = "1-5"
    work_hours: str = "08:00-16:00"
    alert_hours: str = "07:00-21:00"

    @field_validator(
        "schedule_review_reminders",
        "schedule_supervisor_nudges",
        "schedule_development_checkins",
        "schedule_low_score_alerts",
        "schedule_rollup",
        "schedule_weekly_digest",
        "schedule_housekeeping",
        "schedule_case_followup",
        "schedule_praise_notes",
        "schedule_rtl_followup",
        "schedule_feedback_cards",
        "schedule_expectation_reminders",
        "schedule_skm_periods",
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

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        if not TOKEN_SHAPE.fullmatch(value.get_secret_value().strip()):
            # Never echo the value: it may be a real token with a typo.
            raise ValueError(
                "not a bot token; @BotFather gives one like 123456789:AAH…"
                " (digits, a colon, 35 letters, digits, _ or -)"
            )
        return SecretStr(value.get_secret_value().strip())

    @field_validator("database_url")
    @classmethod
    def _async_url(cls, value: str) -> str:
        allowed = ("sqlite+aiosqlite://", "postgresql+asyncpg://")
        if value and not value.startswith(allowed):
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

    @field_validator("public_base_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        value = value.strip()
        if value and not value.startswith(("http://", "https://")):
            raise ValueError(f"'{value}' must start with https:// (or http://), or be empty")
        return value.rstrip("/")

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str) -> str:
        value = value.strip()
        if value and not value.startswith(("http://", "https://")):
            raise ValueError(f"'{value}' must start with https:// (Telegram posts only there)")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        if not WEBHOOK_SECRET_SHAPE.fullmatch(value.get_secret_value().strip()):
            raise ValueError("Telegram accepts 1-256 characters of A-Z a-z 0-9 _ - as a secret")
        return SecretStr(value.get_secret_value().strip())

    @field_validator("default_language", "telegram_http_client", mode="before")
    @classmethod
    def _lower_language(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("feedback_cadence_months", mode="before")
    @classmethod
    def _cadence_number(cls, value: Any) -> Any:
        # The environment and .env give text, and a Literal of ints refuses the text "3"
        # even in lax mode; the Literal still refuses a number that is not a divisor of 12.
        if isinstance(value, str) and value.strip().isdigit():
            return int(value.strip())
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _resolve_paths(self) -> Settings:
        """DATA_DIR and a SQLite file resolve against the home, never the working folder."""
        home = self.ulasan_home.expanduser().resolve()
        data_dir = home / self.data_dir.expanduser()
        url = self.database_url or f"sqlite+aiosqlite:///{data_dir / DATABASE_FILE}"
        prefix = "sqlite+aiosqlite:///"
        if url.startswith(prefix):
            path, _, query = url[len(prefix) :].partition("?")
            if path and path != ":memory:":
                path = str(home / Path(path).expanduser())
            url = prefix + path + (f"?{query}" if query else "")
        self.ulasan_home, self.data_dir, self.database_url = home, data_dir, url
        if self.poster_logo is not None and str(self.poster_logo).strip() in ("", "."):
            self.poster_logo = None
        if self.poster_logo is not None:
            self.poster_logo = home / self.poster_logo.expanduser()
        return self

    # -- derived values -------------------------------------------------
    @property
    def home(self) -> Path:
        return self.ulasan_home

    @property
    def env_file(self) -> Path:
        return self.ulasan_home / ENV_FILE

    @property
    def secret_key_file(self) -> Path:
        return self.data_dir / SECRET_KEY_FILE

    @property
    def templates_dir(self) -> Path:
        """Texts an office changes in its published reports (`report_texts`): the home's
        ``templates/``, each file overriding the packaged default of the same name."""
        return self.ulasan_home / "templates"

    @property
    def calibration_dir(self) -> Path:
        """The office's own calibration situations (`calibration_vignettes`): the home's
        ``calibration/``, each file overriding the packaged set of the same name."""
        return self.ulasan_home / "calibration"

    @property
    def exports_dir(self) -> Path:
        """Where reports go when no ``--out`` is given."""
        return self.data_dir / "exports"

    @property
    def uploads_dir(self) -> Path:
        """Roster files admins send to the bot, kept until their import is confirmed."""
        return self.data_dir / "uploads"

    @property
    def sqlite_path(self) -> Path | None:
        """The SQLite database file, or None on PostgreSQL."""
        prefix = "sqlite+aiosqlite:///"
        if not self.database_url.startswith(prefix):
            return None
        path = self.database_url[len(prefix) :].partition("?")[0]
        return None if path in ("", ":memory:") else Path(path)

    @property
    def confirmation_ttl(self) -> timedelta:
        return timedelta(minutes=self.confirmation_ttl_minutes)

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
            raise SettingsError(
                f"SECRET_KEY: none in the environment and no {self.secret_key_file}; "
                "a new database gets one from `ulasan db upgrade`, an old one from its backup"
            )
        return self.secret_key.get_secret_value().encode()

    def webhook_secret_token(self) -> str:
        """WEBHOOK_SECRET, else one derived from SECRET_KEY (every worker derives the same)."""
        if self.webhook_secret is not None:
            return self.webhook_secret.get_secret_value()
        return hmac.new(self.secret_bytes(), b"ulasan-webhook", hashlib.sha256).hexdigest()

    def token(self) -> str:
        if self.bot_token is None or not self.bot_token.get_secret_value().strip():
            raise SettingsError(f"BOT_TOKEN: missing; set it in {self.env_file} or the environment")
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


def _read_secret(settings: Settings) -> Settings:
    """SECRET_KEY from the environment, else from DATA_DIR/secret_key, else none yet."""
    if settings.secret_key is not None and settings.secret_key.get_secret_value():
        if len(settings.secret_key.get_secret_value()) < 16:
            raise SettingsError("SECRET_KEY: too short; use at least 16 characters")
        return settings
    path = settings.secret_key_file
    try:
        key = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return settings.model_copy(update={"secret_key": None})
    except OSError as exc:
        raise SettingsError(f"SECRET_KEY: cannot read {path}: {exc.strerror}") from None
    if len(key) < 16:
        raise SettingsError(f"SECRET_KEY: the key in {path} is too short")
    return settings.model_copy(update={"secret_key": SecretStr(key)})


def create_secret_key(settings: Settings) -> Settings:
    """Write a new random key to DATA_DIR/secret_key (mode 0600); only for a new database."""
    path = settings.secret_key_file
    key = secrets.token_urlsafe(32)
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(key + "\n")
    except OSError as exc:
        raise SettingsError(f"SECRET_KEY: cannot create {path}: {exc.strerror}") from None
    log.warning("Generated a new SECRET_KEY and kept it in %s; back this file up", path)
    return settings.model_copy(update={"secret_key": SecretStr(key)})


def default_home() -> Path:
    """``$XDG_DATA_HOME/ulasan``, i.e. ``~/.local/share/ulasan`` on most systems."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "ulasan"


def resolve_home(override: Any = None) -> Path:
    """The home: an explicit override, else ULASAN_HOME, else `default_home()`."""
    chosen = override or os.environ.get("ULASAN_HOME") or default_home()
    return Path(chosen).expanduser().resolve()


def load_settings(**overrides: Any) -> Settings:
    """Read and validate the settings; raise `SettingsError` with one line on any problem.

    The environment wins over the home's ``.env``; ``_env_file`` (tests: None) names
    another settings file.
    """
    home = resolve_home(overrides.pop("ulasan_home", None))
    overrides.setdefault("_env_file", home / ENV_FILE)
    try:
        settings = Settings(ulasan_home=home, **overrides)
    except ValidationError as exc:
        raise SettingsError(_describe(exc)) from None
    return _read_secret(settings)
