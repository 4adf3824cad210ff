"""A new user meets the bot: greeting, help, language, and replies of last resort."""

from __future__ import annotations

from bot.app import BotApplication
from tests.support.fakebot import FakeBotApi


async def test_start_greets_in_indonesian_by_default(bot: BotApplication, fake_api: FakeBotApi):
    user = fake_api.user(1, language_code=None)
    reply = await user.send("/start")
    assert "Selamat datang" in reply.text


async def test_start_in_english_for_english_telegram(bot: BotApplication, fake_api: FakeBotApi):
    user = fake_api.user(2, language_code="en")
    reply = await user.send("/start")
    assert "Welcome to Ulasan" in reply.text


async def test_language_choice_is_kept(bot: BotApplication, fake_api: FakeBotApi):
    user = fake_api.user(3, language_code="id")
    await user.send("/language")
    reply = await user.press("English")
    assert "Language set to English" in user.last.text
    assert reply.calls
    reply = await user.send("/help")
    assert "What I can do" in reply.text


async def test_junk_outside_conversation_gets_help(bot: BotApplication, fake_api: FakeBotApi):
    user = fake_api.user(4)
    for action in (user.send("halo"), user.send_sticker(), user.send_photo(), user.send_voice()):
        reply = await action
        assert "/help" in reply.text
    reply = await user.send("/tidakada")
    assert "/help" in reply.text


async def test_forged_button_gets_a_notice(bot: BotApplication, fake_api: FakeBotApi):
    user = fake_api.user(5)
    reply = await user.press_data("forged:xyz")
    assert reply.alerts and "tidak aktif" in reply.alerts[0]
