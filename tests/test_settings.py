"""Settings: defaults under the home, one clear line per bad setting (exit 2), the token's
shape, the secret key (read here, created only with a new database)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.core.settings import SettingsError, create_secret_key, load_settings


def load(tmp_path: Path, **values):
    return load_settings(_env_file=None, data_dir=tmp_path / "data", **values)


def test_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    # `make test-pg` runs the suite with DATABASE_URL set, as a deployer would.
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("DATA_DIR", raising=False)
    monkeypatch.setenv("ULASAN_HOME", str(tmp_path / "home"))
    settings = load_settings(_env_file=None)
    home = (tmp_path / "home").resolve()
    assert settings.home == home
    assert settings.data_dir == home / "data"
    assert settings.database_url == f"sqlite+aiosqlite:///{home}/data/ulasan.db"
    assert settings.secret_key_file == home / "data" / "secret_key"
    assert settings.exports_dir == home / "data" / "exports"
    assert settings.telegram_base_url == "https://api.telegram.org/bot"
    assert settings.timezone == "Asia/Jakarta"
    assert settings.default_language == "id"
    assert settings.log_level == "INFO"
    assert settings.admin_ids == []


def test_admin_ids_are_comma_separated(tmp_path: Path):
    assert load(tmp_path, admin_ids="12, 34,56").admin_ids == [12, 34, 56]
    assert load(tmp_path, admin_ids="").admin_ids == []


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("admin_ids", "12,abc", "ADMIN_IDS: 'abc' is not a Telegram user id"),
        ("timezone", "Mars/Olympus", "TIMEZONE: 'Mars/Olympus' is not a known time zone"),
        ("database_url", "mysql://x/y", "DATABASE_URL: 'mysql://x/y' is not supported"),
        ("default_language", "fr", "DEFAULT_LANGUAGE: 'fr' is not valid"),
        ("log_level", "LOUD", "LOG_LEVEL: 'LOUD' is not valid"),
        ("telegram_base_url", "api.telegram.org", "TELEGRAM_BASE_URL:"),
        ("link_code_ttl_days", "abc", "LINK_CODE_TTL_DAYS: 'abc' is not valid"),
        ("secret_key", "short", "SECRET_KEY: too short"),
    ],
)
def test_bad_setting_names_itself_in_one_line(tmp_path: Path, name: str, value: str, words: str):
    with pytest.raises(SettingsError) as error:
        load(tmp_path, **{name: value})
    message = str(error.value)
    assert words in message
    assert "\n" not in message


def test_missing_token_is_clear(tmp_path: Path):
    with pytest.raises(SettingsError, match=r"^BOT_TOKEN: missing"):
        load(tmp_path).token()


def test_loading_never_creates_a_secret_key(tmp_path: Path):
    settings = load(tmp_path)
    assert settings.secret_key is None
    assert not (tmp_path / "data").exists()
    with pytest.raises(SettingsError, match=r"^SECRET_KEY: none in the environment"):
        settings.secret_bytes()


def test_secret_key_created_once_and_kept(tmp_path: Path, caplog: pytest.LogCaptureFixture):
    with caplog.at_level(logging.WARNING):
        first = create_secret_key(load(tmp_path)).secret_bytes()
    assert "Generated a new SECRET_KEY" in caplog.text
    key_file = tmp_path / "data" / "secret_key"
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert load(tmp_path).secret_bytes() == first
    # Never over an existing key.
    with pytest.raises(SettingsError, match="cannot create"):
        create_secret_key(load(tmp_path))
    assert load(tmp_path).secret_bytes() == first


@pytest.mark.parametrize("token", ["bad", "123456:short", "abc:" + "x" * 35, "1:" + "é" * 35])
def test_a_token_that_is_not_even_well_formed_is_refused(tmp_path: Path, token: str):
    with pytest.raises(SettingsError) as error:
        load(tmp_path, bot_token=token)
    assert str(error.value).startswith("BOT_TOKEN: not a bot token")
    assert token not in str(error.value)


def test_a_well_formed_token_is_accepted(tmp_path: Path):
    token = "110201543:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
    assert load(tmp_path, bot_token=f" {token} ").token() == token


def test_explicit_secret_key_wins(tmp_path: Path):
    settings = load(tmp_path, secret_key="a-very-long-secret-key-123")
    assert settings.secret_bytes() == b"a-very-long-secret-key-123"
    assert not (tmp_path / "data" / "secret_key").exists()


def _cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k.isupper() and "ULASAN" not in k}
    for key in ("DATABASE_URL", "BOT_TOKEN", "TIMEZONE", "ADMIN_IDS", "SECRET_KEY", "DATA_DIR"):
        environment.pop(key, None)
    environment.update({"ULASAN_HOME": str(tmp_path / "home"), **env})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(exist_ok=True)
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=elsewhere,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_cli_bad_setting_exits_2_without_traceback(tmp_path: Path):
    result = _cli(tmp_path, "check", TIMEZONE="Nowhere/Land")
    assert result.returncode == 2
    assert "TIMEZONE" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert len(result.stderr.strip().splitlines()) == 1


def test_cli_run_without_token_exits_2(tmp_path: Path):
    result = _cli(tmp_path, "run", DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/x.db")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("Setting error: BOT_TOKEN")
    assert "Traceback" not in result.stderr


def test_the_homes_dotenv_file_is_read_from_any_working_folder(tmp_path: Path):
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / ".env").write_text("TIMEZONE=Asia/Makassar\nADMIN_IDS=5,6\n")
    # A .env in the working folder is not the home's and is not read.
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / ".env").write_text("TIMEZONE=Asia/Jayapura\n")
    result = _cli(tmp_path, "check")
    assert result.returncode == 0, result.stderr
    assert "Asia/Makassar" in result.stdout
    assert "2 admin(s)" in result.stdout
    assert f"home {(tmp_path / 'home').resolve()}" in result.stdout
    assert not (tmp_path / "home" / "data").exists()  # check creates nothing


def test_check_require_token_refuses_a_malformed_token(tmp_path: Path):
    result = _cli(tmp_path, "check", "--require-token", BOT_TOKEN="bad")
    assert result.returncode == 2
    assert "Settings OK" not in result.stdout
    assert result.stderr.strip() == (
        "Setting error: BOT_TOKEN: not a bot token; @BotFather gives one like 123456789:AAH…"
        " (digits, a colon, 35 letters, digits, _ or -)"
    )


def test_the_feedback_cadence_is_read_from_the_env_file_and_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    # Both give text, and a Literal of ints refuses the text "3" even in lax mode.
    env_file = tmp_path / "settings.env"
    env_file.write_text("FEEDBACK_CADENCE_MONTHS=3\n")
    monkeypatch.delenv("FEEDBACK_CADENCE_MONTHS", raising=False)
    from_file = load_settings(_env_file=env_file, data_dir=tmp_path / "data")
    assert from_file.feedback_cadence_months == 3
    monkeypatch.setenv("FEEDBACK_CADENCE_MONTHS", " 6 ")
    assert load(tmp_path).feedback_cadence_months == 6
    # A number that does not divide the year into periods is still refused, in one line.
    monkeypatch.setenv("FEEDBACK_CADENCE_MONTHS", "5")
    with pytest.raises(SettingsError) as error:
        load(tmp_path)
    assert str(error.value).startswith("FEEDBACK_CADENCE_MONTHS: '5'")
    assert "1, 2, 3, 4, 6 or 12" in str(error.value)


def test_the_http_client_is_named_in_any_case(tmp_path: Path):
    assert load(tmp_path).telegram_http_client == "aiohttp"
    assert load(tmp_path, telegram_http_client=" HTTPX ").telegram_http_client == "httpx"
    with pytest.raises(SettingsError) as error:
        load(tmp_path, telegram_http_client="requests")
    assert str(error.value).startswith("TELEGRAM_HTTP_CLIENT: 'requests'")
