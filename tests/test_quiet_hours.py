"""Quiet hours in TIMEZONE: working days 08:00–16:00 for reminders, 07:00–21:00 for alerts."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.core.settings import load_settings
from scheduler.quiet_hours import is_allowed, next_allowed

WIB = ZoneInfo("Asia/Jakarta")


@pytest.fixture
def settings(tmp_path: Path):
    return load_settings(_env_file=None, data_dir=tmp_path, secret_key="x" * 20)


def wib(*args: int) -> datetime:
    return datetime(*args, tzinfo=WIB)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (wib(2026, 11, 23, 9, 0), wib(2026, 11, 23, 9, 0)),  # Monday, inside
        (wib(2026, 11, 23, 7, 59), wib(2026, 11, 23, 8, 0)),  # before opening
        (wib(2026, 11, 23, 16, 0), wib(2026, 11, 24, 8, 0)),  # closing time: next day
        (wib(2026, 11, 27, 17, 0), wib(2026, 11, 30, 8, 0)),  # Friday evening → Monday
        (wib(2026, 11, 28, 10, 0), wib(2026, 11, 30, 8, 0)),  # Saturday → Monday
    ],
)
def test_work_window(settings, now: datetime, expected: datetime):
    assert next_allowed(now, "work", settings) == expected.astimezone(UTC)


def test_alert_window_includes_weekends(settings):
    assert is_allowed(wib(2026, 11, 28, 20, 59), "alerts", settings)
    assert next_allowed(wib(2026, 11, 28, 21, 0), "alerts", settings) == wib(
        2026, 11, 29, 7, 0
    ).astimezone(UTC)


def test_no_window_means_now(settings):
    now = wib(2026, 11, 29, 3, 0)
    assert next_allowed(now, None, settings) == now


def test_windows_follow_settings(tmp_path: Path):
    custom = load_settings(
        _env_file=None,
        data_dir=tmp_path,
        secret_key="x" * 20,
        work_days="1-6",
        work_hours="07:30-12:00",
        timezone="Asia/Makassar",
    )
    wita = ZoneInfo("Asia/Makassar")
    saturday = datetime(2026, 11, 28, 7, 0, tzinfo=wita)
    assert next_allowed(saturday, "work", custom) == datetime(
        2026, 11, 28, 7, 30, tzinfo=wita
    ).astimezone(UTC)
