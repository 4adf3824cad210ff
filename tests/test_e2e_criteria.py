"""Any linked ASN reads the 360° criteria with /kriteria, page by page, end to end.

The real Application runs against the fake Bot API over HTTP. The pages are
read as the user sees them (the texts of the messages, the buttons pressed)
and checked against the data and pure functions the scoring uses: the
instrument's scale, items and bands, the predikat matrix, and the settings
for anonymity and coverage (set here to 4 and 5, not the defaults, so a
text that restated the defaults by hand would fail).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.app import BotApplication
from bot.core.i18n import gettext_for
from bot.core.settings import Settings
from scheduler.scoring.review_instrument import Expectation
from scheduler.scoring.review_recommendation import PREDIKAT_MATRIX
from scheduler.scoring.shipped_instruments import BERAKHLAK_3, BERAKHLAK_5
from storage.db import SessionFactory
from tests.support.app import ADMIN_ID, make_settings
from tests.support.fakebot import FakeBotApi
from tests.support.fakeuser import FakeUser
from tests.support.rating_world import ANI_TG, HEAD_TG, seed_review

ID = gettext_for("id")
EN = gettext_for("en")


@pytest.fixture
def settings(tmp_path: Path, migrated: str, fake_api: FakeBotApi) -> Settings:
    return make_settings(
        tmp_path,
        migrated,
        telegram_base_url=fake_api.base_url,
        min_anonymous_raters=4,
        recommendation_min_values=5,
    )


async def read_all(user: FakeUser, command: str = "/kriteria") -> list[str]:
    """Open the criteria and walk every page with "▶"; the texts in order."""
    await user.send(command)
    contents = user.last
    texts = [contents.text]
    await user.press(contents.button_texts()[0], contents)
    while True:
        texts.append(user.last.text)
        if "▶" not in user.last.button_texts():
            return texts
        await user.press("▶", user.last)


async def test_ani_reads_every_criterion_as_the_scoring_uses_it(
    bot: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory
):
    await seed_review(sessions)
    ani = fake_api.user(ANI_TG)
    await ani.send("/kriteria")
    contents = ani.last
    assert "Kriteria penilaian 360°" in contents.text
    assert contents.button_texts() == [
        "Skala penilaian",
        *(f"{item.code} {ID(item.name)}" for item in BERAKHLAK_3.items),
        "Cara penghitungan",
        "Matriks predikat",
        "Anonimitas",
        "Siapa melihat apa",
    ]
    pages = await read_all(ani)
    assert len(pages) == 1 + 1 + 7 + 4
    assert pages[-1].endswith("Halaman 12 dari 12")
    scale = pages[1]
    for level in BERAKHLAK_3.scale.levels:
        assert f"{level.value}. {ID(level.label)}" in scale
        assert ID(level.meaning) in scale and f"Contoh: {ID(level.example)}" in scale
    assert "Tidak dapat menilai" in scale and "bukan reputasi" in scale
    for n, item in enumerate(BERAKHLAK_3.items, start=2):
        assert f"Nilai dasar {n - 1}/7: {ID(item.name)}" in pages[n]
        for indicator in item.indicators:
            assert f"• {ID(indicator)}" in pages[n]
    computed = pages[9]
    assert "di bawah 1,67: Di bawah ekspektasi" in computed
    assert "1,67 sampai di bawah 2,34: Sesuai ekspektasi" in computed
    assert "2,34 atau lebih: Di atas ekspektasi" in computed
    assert "sekurang-kurangnya 5 dari 7 nilai dasar" in computed  # RECOMMENDATION_MIN_VALUES
    assert "0,50 atau lebih" in computed  # the instrument's blind-spot gap
    assert "Pejabat Penilai Kinerja" in computed
    matrix = pages[10]
    for (perilaku, hasil), predikat in PREDIKAT_MATRIX.items():
        block = matrix.split(f"Perilaku {ID(perilaku.label)}:")[1].split("Perilaku ")[0]
        assert f"• hasil kerja {ID(hasil.label)} → {ID(predikat.label)}" in block
    assert matrix.count("→") == 9
    anonymity = pages[11]
    assert "sekurang-kurangnya 4 orang" in anonymity  # MIN_ANONYMOUS_RATERS
    assert "sekurang-kurangnya 4 orang berbeda" in anonymity
    assert "Siapa melihat apa" in pages[12] and "/hasil" in pages[12]
    # Back and to the contents again.
    await ani.press("◀", ani.last)
    assert ani.last.text == pages[11]
    await ani.press("Daftar isi", ani.last)
    assert ani.last.text == contents.text


async def test_five_level_cycle_explains_its_own_scale_and_bands(
    bot: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory
):
    await seed_review(sessions, instrument="berakhlak5", cycle_name="Rekan 1-5")
    pages = await read_all(fake_api.user(ANI_TG))
    for level in BERAKHLAK_5.scale.levels:
        assert f"{level.value}. {ID(level.label)}" in pages[1]
    assert "di bawah 2,60" in pages[9] and "3,80 atau lebih" in pages[9]
    assert "1,00 atau lebih" in pages[9]


async def test_english_reader_and_help(
    bot: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory
):
    await seed_review(sessions)
    head = fake_api.user(HEAD_TG, language_code="en")
    pages = await read_all(head, "/criteria")
    assert "360° assessment criteria" in pages[0]
    assert "3. Above expectations" in pages[1]
    assert f"• hasil kerja {EN(Expectation.DI_ATAS.label)} → Excellent" in pages[10]
    reply = await head.send("/help")
    assert "/kriteria" in reply.text


async def test_unlinked_cannot_read_and_forged_pages_change_nothing(
    bot: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory, caplog
):
    await seed_review(sessions)
    stranger = fake_api.user(7777)
    reply = await stranger.send("/kriteria")
    assert "tertaut" in reply.text and "BKPSDM" in reply.text
    reply = await stranger.press_data("kr:1")
    assert reply.alerts and "tertaut" in reply.alerts[0]
    # An admin who is no employee reads the default instrument.
    admin = fake_api.user(ADMIN_ID)
    await admin.send("/kriteria")
    assert "Instrumen: berakhlak3, versi 1" in admin.last.text
    ani = fake_api.user(ANI_TG)
    await ani.send("/kriteria")
    shown = ani.last
    with caplog.at_level(logging.WARNING, logger="handlers.criteria"):
        for data in ("kr:99", "kr:x", "kr:-1", "kr:1:2"):
            reply = await ani.press_data(data, shown)
            assert reply.alerts and "tidak berlaku" in reply.alerts[0]
    assert shown.text == ani.last.text  # nothing was edited
    assert sum("refused page data" in r.getMessage() for r in caplog.records) == 4
    # A double press shows the same page, once.
    await ani.press_data("kr:3", shown)
    await ani.press_data("kr:3", shown)
    assert "Nilai dasar 2/7" in shown.text
