"""Settings: defaults, one clear line per bad setting (exit 2), the generated secret key."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.core.settings import SettingsError, load_settings


def load(tmp_path: Path, **values):
    return load_settings(_env_file=None, data_dir=tmp_path / "data", **values)


def test_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    # `make test-pg` runs the suite with DATABASE_URL set, as a deployer would.
    monkeypatch.delenv("DATABASE_URL", raising=False)
    settings = load(tmp_path)
    assert settings.database_url == "sqlite+aiosqlite:///./data/ulasan.db"
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


def test_secret_key_generated_once_and_kept(tmp_path: Path, caplog: pytest.LogCaptureFixture):
    with caplog.at_level(logging.WARNING):
        first = load(tmp_path).secret_bytes()
    assert "Generated a new SECRET_KEY" in caplog.text
    key_file = tmp_path / "data" / "secret_key"
    assert key_file.exists()
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        second = load(tmp_path).secret_bytes()
    assert first == second
    assert "Generated" not in caplog.text


def test_explicit_secret_key_wins(tmp_path: Path):
    settings = load(tmp_path, secret_key="a-very-long-secret-key-123")
    assert settings.secret_bytes() == b"a-very-long-secret-key-123"
    assert not (tmp_path / "data" / "secret_key").exists()


def _cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k.isupper() and "ULASAN" not in k}
    for key in ("DATABASE_URL", "BOT_TOKEN", "TIMEZONE", "ADMIN_IDS", "SECRET_KEY"):
        environment.pop(key, None)
    environment.update({"DATA_DIR": str(tmp_path / "data"), **env})
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=tmp_path,
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


def test_dotenv_file_is_read(tmp_path: Path):
    (tmp_path / ".env").write_text("TIMEZONE=Asia/Makassar\nADMIN_IDS=5,6\n")
    result = _cli(tmp_path, "check")
    assert result.returncode == 0, result.stderr
    assert "Asia/Makassar" in result.stdout
    assert "2 admin(s)" in result.stdout
