"""A unit's public channel: ``ulasan unit set-channel`` asks Telegram first, and each
published version (approval, correction) is announced there once, through the outbox, with
the poster as a picture and a link to its public page."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
from PIL import Image

from bot.core.clock import ManualClock
from scheduler.sender import send_pending_once
from storage.db import SessionFactory
from tests.support.app import make_settings
from tests.support.fakebot import TOKEN, FakeBotApi
from tests.support.period_world import Cli, PeriodWorld, at, in_db, seed_period_world
from tests.support.publication_world import konversi_text, publish_world, snapshot

CHANNEL_ID = -1001234567890
BASE = "https://skm.harapankota.go.id"


@pytest.fixture
def ulasan(migrated: str, tmp_path: Path, fake_api: FakeBotApi) -> Cli:
    cli = Cli(migrated, tmp_path, ManualClock(at(2025, 10, 1)))
    cli.env.update(
        {"BOT_TOKEN": TOKEN, "TELEGRAM_BASE_URL": fake_api.base_url, "PUBLIC_BASE_URL": BASE}
    )
    fake_api.channels["@skm_dukcapil"] = (CHANNEL_ID, "SKM Disdukcapil", True)
    fake_api.channels["@warga_kota"] = (-1009876543210, "Warga Kota", False)
    return cli


async def run(ulasan: Cli, *args: str) -> tuple[int, str, str]:
    """The CLI in a thread, so the fake Bot API keeps answering on this loop."""
    done = await asyncio.to_thread(ulasan, *args)
    return done.exit_code, done.stdout, done.stderr


async def test_set_channel_asks_telegram_and_refuses_in_one_line(ulasan: Cli, migrated: str):
    await asyncio.to_thread(in_db, migrated, seed_period_world)
    for channel, message in (
        ("skm_dukcapil", "is not a channel: give @name"),
        ("@tidak_ada", "Chat not found"),
        ("@warga_kota", "add it to the channel as an administrator"),
    ):
        code, _out, err = await run(ulasan, "unit", "set-channel", "DUKCAPIL", channel)
        assert code == 1 and message in err, (channel, err)
        assert len(err.strip().splitlines()) == 1
    code, out, _err = await run(ulasan, "unit", "set-channel", "DUKCAPIL", "@skm_dukcapil")
    assert code == 0
    assert "DUKCAPIL announces its approved SKM periods in @skm_dukcapil (SKM Disdukcapil)" in out
    code, out, _err = await run(ulasan, "unit", "set-channel", "DUKCAPIL", "none")
    assert code == 0 and "DUKCAPIL has no public channel now." in out


async def test_each_published_version_is_announced_once_with_its_poster_and_page(
    ulasan: Cli, migrated: str, tmp_path: Path, fake_api: FakeBotApi, sessions: SessionFactory
):
    world: PeriodWorld = await asyncio.to_thread(in_db, migrated, seed_period_world)
    assert (await run(ulasan, "unit", "set-channel", "DUKCAPIL", "@skm_dukcapil"))[0] == 0
    published = await asyncio.to_thread(publish_world, ulasan, migrated, world)
    ours = [(name, v) for name, unit, v in published.versions if unit == "DUKCAPIL"]
    settings = make_settings(
        tmp_path, migrated, telegram_base_url=fake_api.base_url,
        outbox_per_chat_interval_seconds=0, public_base_url=BASE,
    )  # fmt: skip
    report = await send_pending_once(settings, sessions)
    # Three quarters and TW I's correction: each its post, and the head's report (DOCX, PDF).
    assert len(ours) == 4 and report.sent == 3 * len(ours)
    photos = fake_api.calls_to(CHANNEL_ID, "sendPhoto")
    assert len(photos) == 4
    captions = [call.params["caption"] for call in photos]
    for name, version in ours:
        figures = await asyncio.to_thread(snapshot, ulasan, name, "DUKCAPIL", version)
        konversi = konversi_text(figures["overall"])
        found = [c for c in captions if f"Periode {name}: IKM {konversi} (mutu" in c]
        assert found, (name, version, captions)
        if version == 2:
            assert "Versi 2: koreksi atas versi yang diumumkan sebelumnya." in found[-1]
    assert all(
        c.startswith("Hasil Survei Kepuasan Masyarakat: Dinas Kependudukan") for c in captions
    )
    assert all(f"Hasil lengkap dan data terbuka: {BASE}/dukcapil/" in c for c in captions)
    markup = photos[-1].params["reply_markup"]
    assert markup["inline_keyboard"][0][0]["url"] == f"{BASE}/dukcapil/tw-i-2026/v2.html"
    picture = fake_api.chat_messages(CHANNEL_ID)[-1].file
    assert picture is not None and Image.open(io.BytesIO(picture)).format == "PNG"
    # Other units have no channel: nothing went anywhere else.
    assert {call.chat_id for call in fake_api.calls if call.method == "sendPhoto"} == {CHANNEL_ID}
    # A repost of an announced version queues nothing.
    code, out, _err = await run(ulasan, "period", "post", "TW I 2026", "--unit", "DUKCAPIL")
    assert code == 0 and "was announced in @skm_dukcapil before; not again" in out
    assert (await send_pending_once(settings, sessions)).sent == 0
    code, _out, err = await run(ulasan, "period", "post", "TW I 2026", "--unit", "PERPUS")
    assert code == 1 and "PERPUS has no public channel" in err
