"""The consultation on example behaviours, end to end: HR opens it, ASN propose and vote in
Telegram, HR reads the results and adopts examples into a new instrument version, the next
cycle records that version and /kriteria shows the adopted examples.

The real bot runs over HTTP against the fake Bot API with a ManualClock (the window is
closed by moving it); the CLI runs on the same database with the same clock. The world is
tests/support/rating_world.py: a unit head with three staff, all linked, and an open cycle
(its name is taken, so a consultation may not use it).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from bot.app import BotApplication
from bot.cli.main import cli, register_commands
from bot.core.clock import ManualClock
from bot.core.settings import Settings
from scheduler.consultations import open_consultation
from scheduler.services import services_of
from storage.consultation_models import (
    Consultation,
    ConsultationProposal,
    ConsultationVote,
    InstrumentVersion,
)
from storage.db import SessionFactory
from storage.models import AuditLog
from storage.review_models import ReviewAssignment, ReviewCycle
from tests.support.app import ADMIN_ID, make_settings, start_bot, stop_bot
from tests.support.fakebot import FakeBotApi
from tests.support.fakeuser import FakeUser
from tests.support.rating_world import ANI_TG, BUDI_TG, CITRA_TG, HEAD_TG, Seeded, seed_review
from tests.support.records import Sent

NAME = "Triwulan II 2026"
NEVER = "0 0 1 1 *"


@pytest.fixture
def settings(tmp_path: Path, migrated: str, fake_api: FakeBotApi) -> Settings:
    jobs = ("review_reminders", "supervisor_nudges", "expectation_reminders", "housekeeping")
    never = {f"schedule_{job}": NEVER for job in jobs}
    return make_settings(tmp_path, migrated, telegram_base_url=fake_api.base_url, **never)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
async def bot(
    settings: Settings, fake_api: FakeBotApi, clock: ManualClock
) -> AsyncIterator[BotApplication]:
    application = await start_bot(settings, fake_api, clock)
    yield application
    await stop_bot(application)


@pytest.fixture
async def seeded(sessions: SessionFactory) -> Seeded:
    return await seed_review(sessions)


def ulasan(settings: Settings, clock: ManualClock) -> Callable[..., Result]:
    register_commands()
    env = {
        "DATABASE_URL": settings.database_url,
        "DATA_DIR": str(settings.data_dir),
        "SECRET_KEY": "test-secret-key-0123456789",
    }

    def run(*args: str) -> Result:
        return CliRunner().invoke(cli, list(args), env=env, obj=clock, catch_exceptions=False)

    return run


async def invitation(bot: BotApplication, api: FakeBotApi, clock: ManualClock, chat: int) -> Sent:
    """The invitation to ``chat``, delivered by the bot's own outbox sender."""

    def arrived(calls: list) -> bool:
        return any(c.chat_id == chat and "Konsultasi: contoh perilaku" in c.text for c in calls)

    for _ in range(40):
        if arrived(api.calls):
            break
        clock.advance(seconds=1)
        services_of(bot).wake()
        try:
            await api.wait_for_calls(arrived, timeout=0.25)
        except TimeoutError:
            continue
    return [m for m in api.chat_messages(chat) if "Konsultasi: contoh perilaku" in m.text][-1]


async def open_window(sessions: SessionFactory, settings: Settings, clock: ManualClock) -> None:
    async with sessions.begin() as session:
        opened = await open_consultation(
            session,
            name=NAME,
            unit_code="DUKCAPIL",
            days=settings.consultation_days,
            actor="cli:test",
            now=clock.now(),
            settings=settings,
        )
    assert (opened.participants, opened.notified) == (4, 4)


async def all_invited(bot: BotApplication, api: FakeBotApi, clock: ManualClock) -> None:
    """Every invitation delivered, so none lands between a person's presses."""
    for chat in (ANI_TG, BUDI_TG, HEAD_TG, CITRA_TG):
        await invitation(bot, api, clock, chat)


async def to_indicator(user: FakeUser, value: str, indicator: int) -> Sent:
    await user.send("/konsultasi")
    await user.press(value)
    await user.press(f"{indicator}.")
    return user.last


async def propose(user: FakeUser, value: str, indicator: int, text: str) -> None:
    await to_indicator(user, value, indicator)
    await user.press("Usulkan contoh")
    assert "Ketik satu contoh" in user.last.text
    await user.send(text)


async def test_asn_propose_and_vote_hr_adopts_and_the_next_cycle_uses_it(
    bot: BotApplication,
    fake_api: FakeBotApi,
    sessions: SessionFactory,
    settings: Settings,
    clock: ManualClock,
    seeded: Seeded,
):
    await open_window(sessions, settings, clock)
    ani, budi, citra, head = (fake_api.user(t) for t in (ANI_TG, BUDI_TG, CITRA_TG, HEAD_TG))
    await all_invited(bot, fake_api, clock)
    invite = await invitation(bot, fake_api, clock, ANI_TG)
    assert "tidak berubah" in invite.text and "siapa mengusulkan apa" in invite.text
    await ani.press("Ikut serta", invite)
    home = ani.last
    assert home.message_id != invite.message_id  # the invitation stays readable
    assert "Konsultasi “Triwulan II 2026”" in home.text
    assert home.button_texts()[0] == "B1 Berorientasi Pelayanan"

    # Ani proposes for B1's second indicator; the wording of the indicator is the regulation's.
    await propose(
        ani, "B1", 2, "Menjawab pertanyaan warga di WhatsApp layanan pada hari yang sama."
    )
    assert "tercatat, tanpa nama" in ani.messages[-2].text
    screen = ani.last
    assert "Ramah, cekatan, solutif, dan dapat diandalkan" in screen.text
    assert "1. Menjawab pertanyaan warga di WhatsApp" in screen.text
    # Budi proposes another (with a phone number, which is masked) and the same one again.
    await propose(budi, "B1", 2, "Memberi nomor antrean lewat telepon 0812 3456 7890 bila lansia.")
    await propose(
        budi, "B1", 2, "menjawab pertanyaan warga di whatsapp layanan pada hari yang sama."
    )
    assert "sudah mengusulkan contoh yang sama" in budi.messages[-2].text
    screen = budi.last
    assert "[TELEPON]" in screen.text and "0812" not in screen.text
    assert "Ani" not in screen.text and "Budi" not in screen.text  # never who proposed

    # Votes: one per person per indicator, a new one replaces the old.
    await budi.press("Pilih 1", screen)
    await budi.press("Pilih 2", budi.last)
    assert "2. Memberi nomor antrean" in budi.last.text and "✓" in budi.last.text
    await to_indicator(citra, "B1", 2)
    await citra.press("Pilih 1")
    await to_indicator(head, "B1", 2)
    await head.press("Pilih 1")
    async with sessions() as session:
        votes = list(await session.scalars(select(ConsultationVote)))
        proposals = list(await session.scalars(select(ConsultationProposal)))
        audit = list(
            await session.scalars(select(AuditLog).where(AuditLog.action == "consult.propose"))
        )
    assert len(proposals) == 2 and len(votes) == 3
    assert {p.text for p in proposals} >= {
        "Menjawab pertanyaan warga di WhatsApp layanan pada hari yang sama."
    }
    # Who proposed what: in the audit log only.
    assert sorted(a.actor for a in audit) == [
        "employee:198502022010012002",
        "employee:198703032011011003",
        "employee:198703032011011003",
    ]

    run = ulasan(settings, clock)
    result = await asyncio.to_thread(run, "cycle", "consult-results", NAME, "--format", "json")
    found = json.loads(result.output)
    assert found["open"] is True and found["participants"] == 4
    assert (found["proposers"], found["voters"]) == (2, 3)
    assert [(p["item"], p["indicator"], p["votes"]) for p in found["proposals"]] == [
        ("B1", 2, 2),
        ("B1", 2, 1),
    ]
    assert "198502022010012002" not in result.output
    # Not while the window is open.
    first = found["proposals"][0]["id"]
    result = await asyncio.to_thread(run, "cycle", "adopt", NAME, "--proposal", str(first))
    assert result.exit_code == 1 and "adopt examples after it closes" in result.output

    # The window closes: nothing more is taken.
    clock.advance(days=settings.consultation_days, seconds=1)
    reply = await citra.press("Pilih 2", citra.last)
    assert reply.alerts and "tidak dibuka" in reply.alerts[0]
    result = await asyncio.to_thread(run, "cycle", "adopt", NAME, "--proposal", str(first))
    assert result.exit_code == 0, result.output
    assert "berakhlak3 version 2: 1 example(s) adopted" in result.output
    result = await asyncio.to_thread(run, "cycle", "adopt", NAME, "--proposal", str(first))
    assert result.exit_code == 1 and "version 2" in result.output

    async with sessions() as session:
        version = await session.scalar(select(InstrumentVersion))
    assert version is not None and version.version == 2
    assert json.loads(version.examples) == {
        "B1": {"2": ["Menjawab pertanyaan warga di WhatsApp layanan pada hari yang sama."]}
    }

    # The next cycle records version 2; the items the rating asks are unchanged.
    result = await asyncio.to_thread(
        run,
        "cycle",
        "open",
        NAME,
        "--deadline",
        (clock.now() + timedelta(days=14)).date().isoformat(),
        "--unit",
        "DUKCAPIL",
    )
    assert result.exit_code == 0, result.output
    async with sessions() as session:
        cycles = {c.name: c for c in await session.scalars(select(ReviewCycle))}
    assert cycles[NAME].instrument_version == 2
    assert cycles["Triwulan I 2026"].instrument_version == 1

    # /kriteria shows the adopted example under its indicator, for the new cycle's version.
    await ani.send("/kriteria")
    assert "Instrumen: berakhlak3, versi 2" in ani.last.text
    await ani.press("B1 Berorientasi Pelayanan")
    page = ani.last.text
    assert (
        "Ramah, cekatan, solutif, dan dapat diandalkan\n   Contoh hasil konsultasi kita: " in page
    )
    assert "Memberi nomor antrean" not in page
    # Raters of the new cycle see the example under its indicator while rating.
    async with sessions() as session:
        token = await session.scalar(
            select(ReviewAssignment.token).where(
                ReviewAssignment.cycle_id == cycles[NAME].id,
                ReviewAssignment.rater_id == seeded.ani_id,
                ReviewAssignment.ratee_id == seeded.budi_id,
            )
        )
    # (What the press answered, not Ani's last message: the new cycle's invitation comes
    # through the outbox and may arrive in between.)
    screen = (await ani.press_data(f"rv:{token}:open")).text
    assert "Nilai dasar 1/7" in screen
    assert (
        "• Ramah, cekatan, solutif, dan dapat diandalkan\n   Contoh hasil konsultasi kita: "
        "Menjawab pertanyaan warga" in screen
    )


async def test_who_may_not_take_part_and_forged_presses(
    bot: BotApplication,
    fake_api: FakeBotApi,
    sessions: SessionFactory,
    settings: Settings,
    clock: ManualClock,
    seeded: Seeded,
):
    stranger = fake_api.user(7777)
    reply = await stranger.send("/konsultasi")
    assert "tertaut" in reply.text
    ani = fake_api.user(ANI_TG)
    reply = await ani.send("/konsultasi")
    assert "tidak ada konsultasi" in reply.text
    await open_window(sessions, settings, clock)
    await all_invited(bot, fake_api, clock)
    async with sessions() as session:
        cid = await session.scalar(select(Consultation.id))
    await to_indicator(ani, "B2", 1)
    shown = ani.last
    for data in (
        "ku:999:B1",  # no such consultation
        f"ku:{cid}:ZZ",  # no such value
        f"ku:{cid}:B1:7",  # no such indicator
        f"ku:{cid}:B1:0:v:999",  # no such proposal
        "ku:junk",
    ):
        reply = await ani.press_data(data, shown)
        assert reply.alerts and "tidak dibuka untuk Anda" in reply.alerts[0], data
    reply = await stranger.press_data(f"ku:{cid}")
    assert reply.alerts
    # A name already used by a cycle is refused; so is a second consultation of the name.
    run = ulasan(settings, clock)
    result = await asyncio.to_thread(run, "cycle", "consult", "Triwulan I 2026")
    assert result.exit_code == 1 and "konsultasi" not in result.output
    assert "comes before its cycle" in result.output
    result = await asyncio.to_thread(run, "cycle", "consult", NAME, "--days", "3")
    assert result.exit_code == 1 and "already exists" in result.output
    result = await asyncio.to_thread(run, "cycle", "consult", "Lain", "--days", "0")
    assert result.exit_code == 1 and "1 to 30 days" in result.output
    # An empty or too long example is answered, nothing stored.
    await ani.press("Usulkan contoh", shown)
    await ani.send("x" * 400)
    assert "400 karakter" in ani.last.text
    async with sessions() as session:
        assert list(await session.scalars(select(ConsultationProposal))) == []


async def test_siklus_opens_a_consultation_instead_of_the_cycle(
    bot: BotApplication,
    fake_api: FakeBotApi,
    sessions: SessionFactory,
    settings: Settings,
    clock: ManualClock,
    seeded: Seeded,
):
    admin = fake_api.user(ADMIN_ID)
    await admin.send("/siklus")
    await admin.press("Buka siklus baru")
    await admin.send(NAME)
    await admin.press("+14 hari")
    await admin.send("DUKCAPIL")
    confirm = admin.last
    assert "Konsultasi contoh perilaku dulu" in confirm.button_texts()
    data = [b["callback_data"] for b in confirm.buttons() if b["text"].startswith("Konsultasi")]
    await admin.press("Konsultasi contoh perilaku dulu", confirm)
    assert f"Konsultasi “{NAME}” dibuka sampai" in admin.last.text
    assert "undangan diantrekan: 4" in admin.last.text
    # The old confirmation pressed again opens nothing more (the flow is over).
    reply = await admin.press_data(data[0], confirm)
    assert reply.alerts
    async with sessions() as session:
        consultations = list(await session.scalars(select(Consultation)))
        cycles = list(await session.scalars(select(ReviewCycle.name)))
    assert [c.name for c in consultations] == [NAME] and NAME not in cycles
    await invitation(bot, fake_api, clock, BUDI_TG)
    reply = await fake_api.user(BUDI_TG).send("/konsultasi")
    assert f"Konsultasi “{NAME}”" in reply.text


async def test_hr_reads_the_results_and_adopts_in_siklus(
    bot: BotApplication,
    fake_api: FakeBotApi,
    sessions: SessionFactory,
    settings: Settings,
    clock: ManualClock,
    seeded: Seeded,
):
    await open_window(sessions, settings, clock)
    ani, budi = fake_api.user(ANI_TG), fake_api.user(BUDI_TG)
    await all_invited(bot, fake_api, clock)
    await propose(ani, "B7", 1, "Mengajak seksi lain menyusun jadwal layanan keliling.")
    await propose(budi, "B7", 1, "Membagi data antrean kepada bidang lain setiap pekan.")
    await budi.press("Pilih 1", budi.last)
    await to_indicator(ani, "B7", 1)
    await ani.press("Pilih 1")
    admin = fake_api.user(ADMIN_ID)
    await admin.send("/siklus")
    await admin.press("Konsultasi contoh perilaku")
    await admin.press(NAME)
    results = admin.last
    assert "(terbuka)" in results.text and "(2 suara): Mengajak seksi lain" in results.text
    assert "(0 suara): Membagi data antrean" in results.text
    assert "Tetapkan contoh terbanyak tiap indikator" not in results.button_texts()  # still open
    assert "Ani" not in results.text and "Budi" not in results.text
    clock.advance(days=settings.consultation_days, seconds=1)
    await admin.press("Kembali", results)
    await admin.press(NAME)
    await admin.press("Tetapkan contoh terbanyak tiap indikator")
    question = admin.last
    assert "Tetapkan 1 contoh ini" in question.text and "B7.1: Mengajak" in question.text
    yes = next(b["callback_data"] for b in question.buttons() if b["text"] == "Ya, tetapkan")
    await admin.press("Ya, tetapkan", question)
    assert "Ditetapkan: berakhlak3 versi 2, 1 contoh baru." in admin.last.text
    reply = await admin.press_data(yes, question)  # pressed again: nothing more
    assert reply.alerts
    async with sessions() as session:
        versions = list(await session.scalars(select(InstrumentVersion)))
    assert [v.version for v in versions] == [2]
    # Someone who is not an admin gets nothing from these buttons.
    reply = await ani.press_data("cy:ks:1")
    assert reply.alerts
