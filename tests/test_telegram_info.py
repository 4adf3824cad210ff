"""The bot's username comes from BOT_USERNAME or from getMe over HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.links import deep_link
from bot.core.settings import SettingsError
from scheduler.bot_identity import resolve_bot_username
from tests.support.app import make_settings
from tests.support.fakebot import BOT_USERNAME, FakeBotApi


async def test_username_from_setting(tmp_path: Path, migrated: str):
    settings = make_settings(tmp_path, migrated, bot_username="@KotaBot")
    assert await resolve_bot_username(settings) == "KotaBot"


async def test_username_from_get_me(tmp_path: Path, migrated: str, fake_api: FakeBotApi):
    settings = make_settings(
        tmp_path, migrated, bot_username=None, telegram_base_url=fake_api.base_url
    )
    assert await resolve_bot_username(settings) == BOT_USERNAME
    assert [c.method for c in fake_api.calls] == ["getMe"]


async def test_username_unavailable_is_one_clear_line(
    tmp_path: Path, migrated: str, fake_api: FakeBotApi
):
    settings = make_settings(
        tmp_path,
        migrated,
        bot_username=None,
        bot_token="999:WRONG-TOKEN-0123456789abcdefghijklmnop",
        telegram_base_url=fake_api.base_url,
    )
    with pytest.raises(SettingsError, match=r"^BOT_USERNAME: not set, and Telegram did not"):
        await resolve_bot_username(settings)


def test_deep_link_payload_rules():
    assert deep_link("KotaBot", "s_Ab-9") == "https://t.me/KotaBot?start=s_Ab-9"
    for bad in ("", "a b", "x" * 65, "ä"):
        with pytest.raises(ValueError):
            deep_link("KotaBot", bad)
