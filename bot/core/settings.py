"""The one settings object of the service, read from the environment and the home's `.env`.

No other module reads ``os.environ``. `load_settings()` validates everything and
turns any problem into a `SettingsError` whose message is one line naming the
setting, so the CLI can print it and exit with code 2. Each field names the parser
of its text (bot/core/setting_values.py says why these are not pydantic's); a
name in the environment or ``.env`` matches its field in any case, the
environment wins over ``.env``, and what a caller passes wins over both.

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
from dataclasses import dataclass, field, fields, replace
from datetime import time, timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core import setting_values as v
from bot.core.setting_values import Invalid, Secret

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


def _setting(default: Any, parse: v.Parse) -> Any:
    """A field read through ``parse`` (bot/core/setting_values.py) when it is given."""
    return field(default=default, metadata={"parse": parse})


def _cron(value: str) -> str:
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(value.strip())
    except ValueError as exc:
        raise ValueError(f"'{value}' is not a cron expression ({exc})") from None
    return value.strip()


def _hours(value: str) -> str:
    try:
        parse_hours(value)
    except ValueError:
        raise ValueError(f"'{value}' is not a time window like 08:00-16:00") from None
    return value.strip()


def _days(value: str) -> str:
    try:
        parse_weekdays(value)
    except ValueError:
        raise ValueError(f"'{value}' is not a list of ISO weekdays like 1-5 (1 = Monday)") from None
    return value.strip()


def _split_ids(value: str) -> list[int]:
    out = []
    for part in (p.strip() for p in value.replace(";", ",").split(",")):
        if not part:
            continue
        if not part.lstrip("-").isdigit():
            raise ValueError(f"'{part}' is not a Telegram user id (a whole number)")
        out.append(int(part))
    return out


def _known_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"'{value}' is not a known time zone (e.g. Asia/Jakarta)") from None
    return value


def _token_shape(value: str) -> str | None:
    if not value.strip():
        return None
    if not TOKEN_SHAPE.fullmatch(value.strip()):
        # Never echo the value: it may be a real token with a typo.
        raise ValueError(
            "not a bot token; @BotFather gives one like 123456789:AAH…"
            " (digits, a colon, 35 letters, digits, _ or -)"
        )
    return value.strip()


def _async_url(value: str) -> str:
    allowed = ("sqlite+aiosqlite://", "postgresql+asyncpg://")
    if value and not value.startswith(allowed):
        raise ValueError(
            f"'{value}' is not supported; use sqlite+aiosqlite:///path.db "
            "or postgresql+asyncpg://user:pass@host/db"
        )
    return value


def _http_url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise ValueError(f"'{value}' must start with http:// or https://")
    return value


def _public_url(value: str) -> str:
    value = value.strip()
    if value and not value.startswith(("http://", "https://")):
        raise ValueError(f"'{value}' must start with https:// (or http://), or be empty")
    return value.rstrip("/")


def _webhook_url(value: str) -> str:
    value = value.strip()
    if value and not value.startswith(("http://", "https://")):
        raise ValueError(f"'{value}' must start with https:// (Telegram posts only there)")
    return value


def _webhook_secret(value: str) -> str | None:
    if not value.strip():
        return None
    if not WEBHOOK_SECRET_SHAPE.fullmatch(value.strip()):
        raise ValueError("Telegram accepts 1-256 characters of A-Z a-z 0-9 _ - as a secret")
    return value.strip()


def _as_given(value: str) -> str:
    return value


_CRON = v.text(check=_cron)
_TEXT = v.text()


@dataclass(kw_only=True)
class Settings:
    """Every setting, validated: made by `load_settings` (one line per bad value).

    Each field is ``_setting(default, parser)`` with a parser from
    ``bot/core/setting_values.py`` (a choice is ``v.choice("a", "b")``, a bounded
    number ``v.whole(ge=1, le=60)``); a test fails for a field without one.
    """

    # The home folder; load_settings() always sets it (ULASAN_HOME or the default).
    ulasan_home: Path = field(default=Path("."), metadata={"parse": v.path})
    bot_token: Secret | None = field(default=None, metadata={"parse": v.secret(_token_shape)})
    bot_username: str | None = _setting(None, v.optional(_TEXT))
    telegram_base_url: str = _setting("https://api.telegram.org/bot", v.text(check=_http_url))
    # Empty: the SQLite file DATA_DIR/ulasan.db (filled in by _resolve_paths).
    database_url: str = _setting("", v.text(check=_async_url))
    data_dir: Path = field(default=Path("data"), metadata={"parse": v.path})
    admin_ids: list[int] = field(
        default_factory=list, metadata={"parse": v.whole_numbers(_split_ids)}
    )
    timezone: str = _setting("Asia/Jakarta", v.text(check=_known_zone))
    secret_key: Secret | None = field(default=None, metadata={"parse": v.secret(_as_given)})
    default_language: Literal["id", "en"] = _setting(
        "id", v.choice("id", "en", before=lambda text: text.strip().lower())
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = _setting(
        "INFO",
        v.choice(
            "DEBUG",
            "INFO",
            "WARNING",
            "ERROR",
            "CRITICAL",
            before=lambda text: text.strip().upper(),
        ),
    )
    link_code_ttl_days: int = _setting(14, v.whole(ge=1, le=365))
    link_max_failures: int = _setting(5, v.whole(ge=1))
    link_lockout_minutes: int = _setting(60, v.whole(ge=1))
    dpo_contact: str = _setting("dpo@example.go.id", _TEXT)
    # Printed on the QR posters above the unit: the local government ("Pemerintah Kota …").
    pemda_name: str = _setting("", v.text(max_length=120))
    # An optional logo (PNG or JPEG) for the posters; relative to the home.
    poster_logo: Path | None = field(default=None, metadata={"parse": v.optional(v.path)})
    # Where the public site of ``ulasan publish`` is served (https://…); its pages are the
    # QR code on a published period's poster and the link of its channel post. Empty: none.
    public_base_url: str = _setting("", v.text(check=_public_url))
    survey_draft_ttl_hours: int = _setting(24, v.whole(ge=1))
    survey_max_per_day: int = _setting(1, v.whole(ge=1))
    survey_comment_max_chars: int = _setting(1000, v.whole(ge=10, le=3500))
    min_anonymous_raters: int = _setting(3, v.whole(ge=2, le=10))
    # Core values (of BerAKHLAK's 7) a recommended perilaku rating and predikat must rest on.
    recommendation_min_values: int = _setting(4, v.whole(ge=1, le=20))
    # Days a consultation on example behaviours stays open (ulasan cycle consult, /siklus).
    consultation_days: int = _setting(7, v.whole(ge=1, le=30))
    # Rater calibration before the first review of a cycle: offered (may be skipped),
    # required (a gate), or off.
    calibration: Literal["off", "offer", "required"] = _setting(
        "offer", v.choice("off", "offer", "required")
    )
    # Development plans: the latest target date when no cycle is open for the person
    # (months from today), and the days a supervisor has to approve a plan.
    development_target_months: int = _setting(6, v.whole(ge=1, le=24))
    development_approval_days: int = _setting(7, v.whole(ge=1, le=60))
    # Citizen praise notes in a 360° cycle's dates that put an officer on the unit
    # head's recognition list (0: praise puts nobody on it).
    recognition_min_praise: int = _setting(3, v.whole(ge=0, le=1000))
    retention_days: int = _setting(365, v.whole(ge=30))
    # How long the operator keeps database backups (the README's cron line deletes older
    # ones); /privacy tells citizens, because erased data stays in older backups.
    backup_keep_days: int = _setting(30, v.whole(ge=1, le=3650))
    sqlite_busy_timeout_ms: int = _setting(5000, v.whole(ge=0))
    outbox_rate_per_second: int = _setting(30, v.whole(ge=1, le=1000))
    outbox_per_chat_interval_seconds: float = _setting(1.0, v.number(ge=0, le=3600))
    outbox_max_attempts: int = _setting(8, v.whole(ge=1, le=100))
    outbox_batch_size: int = _setting(50, v.whole(ge=1, le=1000))
    # Replies to a person (scheduler/reply_request.py): how long one update's replies are
    # retried after Telegram fails, and how long one attempt waits for Telegram's answer.
    reply_retry_seconds: float = _setting(6.0, v.number(ge=0, le=60))
    reply_timeout_seconds: float = _setting(5.0, v.number(ge=0.2, le=60))
    # The HTTP client to the Bot API (scheduler/aiohttp_request.py): aiohttp, or
    # python-telegram-bot's default httpx as a fallback.
    telegram_http_client: Literal["aiohttp", "httpx"] = _setting(
        "aiohttp", v.choice("aiohttp", "httpx", before=lambda text: text.strip().lower())
    )
    # Binding confirmations (storage/confirmations.py): how long a "Yes" button stays valid.
    confirmation_ttl_minutes: int = _setting(10, v.whole(ge=1, le=1440))
    # Scheduled jobs: cron expressions (minute hour day month weekday) in TIMEZONE.
    schedule_review_reminders: str = _setting("30 8 * * *", _CRON)
    schedule_supervisor_nudges: str = _setting("0 9 * * *", _CRON)
    schedule_development_checkins: str = _setting("30 9 * * *", _CRON)
    schedule_low_score_alerts: str = _setting("* * * * *", _CRON)
    schedule_rollup: str = _setting("*/15 * * * *", _CRON)
    schedule_weekly_digest: str = _setting("0 8 * * 1", _CRON)
    schedule_housekeeping: str = _setting("0 2 * * *", _CRON)
    schedule_case_followup: str = _setting("*/15 * * * *", _CRON)
    schedule_praise_notes: str = _setting("0 10 * * *", _CRON)
    schedule_rtl_followup: str = _setting("0 9 * * *", _CRON)
    schedule_feedback_cards: str = _setting("0 9 * * *", _CRON)
    schedule_expectation_reminders: str = _setting("15 9 * * *", _CRON)
    schedule_skm_periods: str = _setting("0 8 * * *", _CRON)
    # The supervisor's feedback cards (PermenPANRB 6/2022): months per performance period
    # (a divisor of 12), and the fewest officer-tagged citizen answers shown on a card.
    feedback_cadence_months: Literal[1, 2, 3, 4, 6, 12] = _setting(1, v.choice(1, 2, 3, 4, 6, 12))
    feedback_min_citizens: int = _setting(10, v.whole(ge=1, le=1000))
    # Whether a supervisor's own superior sees the cards of the supervisor's team (/umpanbalik).
    feedback_superior_sees_cards: bool = _setting(False, v.flag)
    # Klarifikasi ekspektasi: days after a supervisor's first prompt before their one
    # reminder, and after an expectation is stated before an unanswered one comes again.
    expectation_reminder_days: int = _setting(7, v.whole(ge=1, le=90))
    reminder_every_days: int = _setting(3, v.whole(ge=1, le=30))
    low_score_threshold: float = _setting(2.0, v.number(ge=1.0, le=4.0))
    # Working days a case may wait for its first response (twice that: the head above hears).
    case_first_response_days: int = _setting(2, v.whole(ge=1, le=30))
    # Follow-up plans (RTL): the owner's reminders before a line's target date, and the
    # days past it after which the line goes to the head above (or the top unit's admins).
    rtl_first_reminder_days: int = _setting(14, v.whole(ge=1, le=365))
    rtl_last_reminder_days: int = _setting(3, v.whole(ge=0, le=365))
    rtl_escalation_days: int = _setting(14, v.whole(ge=1, le=365))
    # SKM periods: working days after a period's end after which a head who has not approved
    # is reminded, and the head above hears (the product's defaults, not the regulation's).
    period_reminder_working_days: int = _setting(10, v.whole(ge=1, le=250))
    period_escalation_working_days: int = _setting(15, v.whole(ge=1, le=250))
    # Webhook mode (``ulasan run --webhook``, bot/webhook_server.py): the public HTTPS URL
    # Telegram posts updates to (its path is the path served), the secret Telegram sends
    # with every post (empty: derived from SECRET_KEY, the same on every worker), and the
    # address and port this worker listens on behind the reverse proxy.
    webhook_url: str = _setting("", v.text(check=_webhook_url))
    webhook_secret: Secret | None = field(
        default=None, metadata={"parse": v.secret(_webhook_secret)}
    )
    webhook_listen: str = _setting("127.0.0.1", _TEXT)
    webhook_port: int = _setting(8080, v.whole(ge=1, le=65535))
    # Quiet hours: reminders, nudges and digests only on working days in working hours;
    # alerts in their own, wider window.
    work_days: str = _setting("1-5", v.text(check=_days))
    work_hours: str = _setting("08:00-16:00", v.text(check=_hours))
    alert_hours: str = _setting("07:00-21:00", v.text(check=_hours))

    @classmethod
    def validated(cls, values: dict[str, Any]) -> Settings:
        """The settings from ``values`` (field name → text or value; other names are
        ignored); every bad one is named in one `SettingsError` line, in field order."""
        chosen: dict[str, Any] = {}
        problems: list[str] = []
        for item in fields(cls):
            if item.name in values:
                try:
                    chosen[item.name] = item.metadata["parse"](values[item.name])
                except Invalid as exc:
                    problems.append(f"{item.name.upper()}: {exc}")
        if problems:
            raise SettingsError("; ".join(problems))
        return cls(**chosen)._resolve_paths()

    def model_copy(self, *, update: dict[str, Any]) -> Settings:
        """A copy with ``update``'s fields replaced (as given: not validated again)."""
        return replace(self, **update)

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
    return settings.model_copy(update={"secret_key": Secret(key)})


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
    return settings.model_copy(update={"secret_key": Secret(key)})


def default_home() -> Path:
    """``$XDG_DATA_HOME/ulasan``, i.e. ``~/.local/share/ulasan`` on most systems."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "ulasan"


def resolve_home(override: Any = None) -> Path:
    """The home: an explicit override, else ULASAN_HOME, else `default_home()`."""
    chosen = override or os.environ.get("ULASAN_HOME") or default_home()
    return Path(chosen).expanduser().resolve()


def environment_values(env_file: Path | None) -> dict[str, str]:
    """The settings' texts by field name: the ``env_file`` (if there is one), then the
    environment over it; names in any case, names that are no setting left out."""
    found: dict[str, str] = {}
    if env_file is not None and Path(env_file).is_file():
        from dotenv import dotenv_values

        for key, value in dotenv_values(env_file, encoding="utf-8").items():
            if value is not None:
                found[key.lower()] = value
    found.update((key.lower(), value) for key, value in os.environ.items())
    names = {item.name for item in fields(Settings)}
    return {name: value for name, value in found.items() if name in names}


def load_settings(**overrides: Any) -> Settings:
    """Read and validate the settings; raise `SettingsError` with one line on any problem.

    The environment wins over the home's ``.env``; ``_env_file`` (tests: None) names
    another settings file; ``overrides`` win over both.
    """
    home = resolve_home(overrides.pop("ulasan_home", None))
    env_file = overrides.pop("_env_file", home / ENV_FILE)
    values = {**environment_values(env_file), **overrides, "ulasan_home": home}
    return _read_secret(Settings.validated(values))
