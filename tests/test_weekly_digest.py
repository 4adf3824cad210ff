"""Job ``weekly_digest``: last week's numbers per unit head, by hand, with a chart.

The run is Monday 23 November 2026, 08:30 in Jakarta, so "last week" is
Monday 16 – Sunday 22 November and the week before is 9 – 15 November (local
dates). The responses, worked out by hand:

Last week, Disdukcapil with its sub-unit (n = 4):

    r1 (16 Nov, KTP)          4 4 4 4 4 4 4 4 4
    r2 (18 Nov, KTP)          3 3 3 3 3 3 3 3 3
    r3 (22 Nov 23:30, KTP)    4 4 3 3 4 4 2 3 4   comment, alert
    r4 (20 Nov, AKTA, sub)    1 2 2 2 2 2 1 2 2   comment, alert
    sums U1…U9: 12 13 12 12 13 13 10 12 13 = 110
    IKM = 110 / 36 = 3.0556 → konversi 76.39 → C (Kurang baik); weakest U7, NRR 2.50

The week before (n = 3): all 3s, all 4s, and all 2s on Sunday 15 Nov at 23:50
(still that week in Jakarta): every NRR 3.00, IKM 75.00 → change +1.39.
A response on Monday 23 Nov at 00:10 in Jakarta (still the 22nd in UTC)
belongs to this week and is not counted.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from sqlalchemy import select

from scheduler.jobs import weekly_digest as digest
from scheduler.jobs.specs import JobContext
from scheduler.messages import weekly_digest as digest_texts
from storage import survey_digest
from storage.db import SessionFactory
from storage.ikm_report import build_ikm_report
from storage.models import Employee, Service, TelegramAccount, Unit
from storage.outbox_models import PRIORITY_DIGEST, OutboxMessage
from storage.survey_models import SurveyAlert
from tests.support.alert_world import HEAD_TG, World, seed_world, submit

WIB = ZoneInfo("Asia/Jakarta")
RUN = datetime(2026, 11, 23, 8, 30, tzinfo=WIB).astimezone(UTC)
KEC_HEAD_TG = 700200
DINKES_HEAD_TG = 700300
PNG = b"\x89PNG\r\n\x1a\n"


def wib(day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=WIB).astimezone(UTC)


@dataclass
class Seeded:
    world: World
    kec_unit_id: int


async def alert(sessions: SessionFactory, response_id: int) -> None:
    async with sessions.begin() as session:
        session.add(
            SurveyAlert(response_id=response_id, reasons="comment", token=f"t{response_id:011d}")
        )


@pytest.fixture
async def seeded(sessions: SessionFactory) -> Seeded:
    world = await seed_world(sessions)
    async with sessions.begin() as session:
        kec = Unit(code="KEC-A", name="Kecamatan Alpha")
        session.add(kec)
        await session.flush()
        session.add(Service(code="PINDAH", unit_id=kec.id, name="Surat Pindah"))
        kec_head = Employee(nip="198101012006041001", name="Andi", unit_id=kec.id)
        dinkes = await session.scalar(select(Unit).where(Unit.code == "DINKES"))
        dinkes_head = Employee(nip="198201012007051001", name="Dewi", unit_id=dinkes.id)
        session.add_all([kec_head, dinkes_head])
        await session.flush()
        kec.head_employee_id = kec_head.id
        dinkes.head_employee_id = dinkes_head.id
        session.add_all(
            [
                TelegramAccount(telegram_user_id=KEC_HEAD_TG, employee_id=kec_head.id),
                TelegramAccount(telegram_user_id=DINKES_HEAD_TG, employee_id=dinkes_head.id),
            ]
        )
    n = iter(range(100))

    def key() -> str:
        return f"{next(n):064d}"

    # Last week.
    await submit(sessions, world.ktp_id, (4,) * 9, at=wib(16, 9), user_key=key())
    await submit(sessions, world.ktp_id, (3,) * 9, at=wib(18), user_key=key())
    r3 = await submit(
        sessions,
        world.ktp_id,
        (4, 4, 3, 3, 4, 4, 2, 3, 4),
        at=wib(22, 23, 30),
        comment="Ruang tunggu panas",
        user_key=key(),
    )
    r4 = await submit(
        sessions,
        world.akta_id,
        (1, 2, 2, 2, 2, 2, 1, 2, 2),
        at=wib(20),
        comment="Lama",
        user_key=key(),
    )
    # The week before, and this week (never counted).
    await submit(sessions, world.ktp_id, (3,) * 9, at=wib(10), user_key=key())
    await submit(sessions, world.ktp_id, (4,) * 9, at=wib(12), user_key=key())
    before = await submit(sessions, world.ktp_id, (2,) * 9, at=wib(15, 23, 50), user_key=key())
    now = await submit(sessions, world.ktp_id, (1,) * 9, at=wib(23, 0, 10), user_key=key())
    for response_id in (r3, r4, before, now):
        await alert(sessions, response_id)
    return Seeded(world, kec.id)


def context(settings, sessions, now: datetime = RUN, **kw) -> JobContext:
    return JobContext(settings=settings, sessions=sessions, now=now, **kw)


async def rows(sessions: SessionFactory) -> list[OutboxMessage]:
    async with sessions() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def text_of(row: OutboxMessage) -> str:
    return json.loads(row.content)["text"]


# -- the weeks -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "start", "end"),
    [
        (RUN, date(2026, 11, 16), date(2026, 11, 22)),
        (wib(25, 14), date(2026, 11, 16), date(2026, 11, 22)),  # a late run, same week
        (wib(22, 23, 59), date(2026, 11, 9), date(2026, 11, 15)),  # Sunday night
        (wib(23, 0, 1), date(2026, 11, 16), date(2026, 11, 22)),  # Monday, still the 22nd in UTC
    ],
)
def test_last_week_is_the_local_monday_to_sunday_before(settings, now, start, end):
    last, before = digest.last_weeks(now, settings)
    assert (last.start, last.end) == (start, end)
    assert (before.start, before.end) == (start - timedelta(days=7), start - timedelta(days=1))


# -- the numbers -----------------------------------------------------------------------------


async def test_the_digest_numbers_by_hand(settings, sessions, seeded):
    summary = await digest.run(context(settings, sessions))
    assert summary.startswith("2 digest(s) for 2026-11-16..2026-11-22, 2 message(s) queued")
    assert "1 unit(s) without services skipped" in summary  # Dinas Kesehatan
    head_row = next(r for r in await rows(sessions) if r.chat_id == HEAD_TG)
    assert head_row.kind == digest.KIND and head_row.priority == PRIORITY_DIGEST
    assert head_row.employee_id == seeded.world.head_id
    assert text_of(head_row) == (
        "📊 Ringkasan mingguan survei: Dinas Kependudukan dan Pencatatan Sipil\n"
        "16 Nov – 22 Nov 2026\n"
        "\n"
        "Responden: 4\n"
        "IKM: 76,39 (mutu C, Kurang baik)\n"
        "Perubahan dari minggu sebelumnya: +1,39 (sebelumnya 75,00)\n"
        "Unsur terlemah: U7 Perilaku pelaksana (NRR 2,50)\n"
        "Saran dan pengaduan: 2\n"
        "Peringatan nilai rendah: 2\n"
        "Kasus: 0 dibuka minggu lalu; 0 masih terbuka, 0 melewati target tanggapan pertama "
        "(lihat /kasus)\n"
        "\n"
        "Termasuk sub-unit."
    )


async def test_the_ikm_is_the_reports_ikm(settings, sessions, seeded):
    async with sessions() as session:
        report = await build_ikm_report(
            session,
            unit_code="DUKCAPIL",
            date_from=date(2026, 11, 16),
            date_to=date(2026, 11, 22),
            tz=settings.tz,
        )
        last, _before = digest.last_weeks(RUN, settings)
        data = await survey_digest.week_data(session, last, settings)
        services = await survey_digest.services_by_unit(session)
        tree = survey_digest.subtree(
            seeded.world.unit_id, await survey_digest.unit_children(session)
        )
    figures = data.figures([s for unit in tree for s, _active in services.get(unit, [])])
    assert figures.result is not None and report.overall.result is not None
    assert figures.result.konversi_rounded == report.overall.result.konversi_rounded
    assert figures.result.konversi_rounded == Decimal("76.39")
    assert figures.totals.n == report.overall.n == 4
    assert figures.alerts == 2


async def test_a_head_without_respondents_hears_so_without_chart(settings, sessions, seeded):
    await digest.run(context(settings, sessions))
    row = next(r for r in await rows(sessions) if r.chat_id == KEC_HEAD_TG)
    assert row.image is None
    assert text_of(row) == (
        "📊 Ringkasan mingguan survei: Kecamatan Alpha\n"
        "16 Nov – 22 Nov 2026\n"
        "\n"
        "Tidak ada responden minggu lalu. Apakah kode QR survei sudah terpasang di loket layanan?"
    )
    assert not any(r.chat_id == DINKES_HEAD_TG for r in await rows(sessions))


async def test_no_respondents_the_week_before_means_no_comparison(settings, sessions, seeded):
    later = RUN + timedelta(days=7)  # last week = 23–29 Nov: only the Monday 00:10 response
    await digest.run(context(settings, sessions, later))
    text = text_of(next(r for r in await rows(sessions) if r.chat_id == HEAD_TG))
    assert "Responden: 1\nIKM: 25,00 (mutu D, Tidak baik)\n" in text
    assert "Perubahan dari minggu sebelumnya: −51,39 (sebelumnya 76,39)" in text
    assert "Peringatan nilai rendah: 1" in text
    earlier = RUN - timedelta(days=7)  # last week = 9–15 Nov; before it, nothing
    await digest.run(context(settings, sessions, earlier))
    first = text_of(
        next(r for r in await rows(sessions) if r.chat_id == HEAD_TG and "\n9 Nov" in text_of(r))
    )
    assert "Minggu sebelumnya tidak ada responden: belum ada pembanding." in first
    assert "Unsur terlemah: U1 Persyaratan, U2 Sistem" in first  # a nine-way tie at 3.00


async def test_english_head(settings, sessions, seeded):
    async with sessions.begin() as session:
        account = await session.scalar(
            select(TelegramAccount).where(TelegramAccount.telegram_user_id == HEAD_TG)
        )
        account.language = "en"
    await digest.run(context(settings, sessions))
    text = text_of(next(r for r in await rows(sessions) if r.chat_id == HEAD_TG))
    assert "IKM: 76.39 (mutu C, Poor)" in text
    assert "Change from the week before: +1.39 (then 75.00)" in text
    assert "Weakest unsur: U7 Behaviour of the officers (NRR 2.50)" in text
    assert "Low-score alerts: 2" in text


async def test_the_chart_is_a_png_with_the_caption(settings, sessions, seeded):
    await digest.run(context(settings, sessions))
    row = next(r for r in await rows(sessions) if r.chat_id == HEAD_TG)
    assert row.image is not None and row.image.startswith(PNG)
    with Image.open(io.BytesIO(row.image)) as picture:
        picture.verify()
        assert picture.size[0] >= 600 and picture.size[1] >= 400
    assert len(text_of(row)) <= 1024


def test_a_long_digest_goes_as_photo_and_text():
    long_text = "x" * 1500
    parts = digest_texts.digest_parts("Title", long_text, PNG + b"rest")
    assert [(p.suffix, p.text, p.image is not None) for p in parts] == [
        ("", "Title", True),
        (":text", long_text, False),
    ]
    (single,) = digest_texts.digest_parts("Title", "short", PNG)
    assert single.text == "short" and single.image == PNG


async def test_running_twice_queues_nothing_new(settings, sessions, seeded):
    await digest.run(context(settings, sessions))
    before = [(r.id, r.dedupe_key) for r in await rows(sessions)]
    summary = await digest.run(context(settings, sessions, RUN + timedelta(hours=1)))
    assert summary.startswith("0 digest(s)")
    assert [(r.id, r.dedupe_key) for r in await rows(sessions)] == before
    assert {key for _id, key in before} == {
        f"digest:2026-11-16:{seeded.world.unit_id}:{seeded.world.head_id}",
        f"digest:2026-11-16:{seeded.kec_unit_id}:"
        + str(next(r.employee_id for r in await rows(sessions) if r.chat_id == KEC_HEAD_TG)),
    }


async def test_quiet_hours_hold_the_digest_for_working_hours(settings, sessions, seeded):
    early = datetime(2026, 11, 23, 6, 0, tzinfo=WIB).astimezone(UTC)
    await digest.run(context(settings, sessions, early))
    eight = datetime(2026, 11, 23, 8, 0, tzinfo=WIB).astimezone(UTC)
    assert {r.not_before for r in await rows(sessions)} == {eight}


async def test_a_weekend_run_waits_for_monday(settings, sessions, seeded):
    saturday = datetime(2026, 11, 28, 10, 0, tzinfo=WIB).astimezone(UTC)
    await digest.run(context(settings, sessions, saturday))
    monday = datetime(2026, 11, 30, 8, 0, tzinfo=WIB).astimezone(UTC)
    assert {r.not_before for r in await rows(sessions)} == {monday}


async def test_force_sends_at_once(settings, sessions, seeded):
    saturday = datetime(2026, 11, 28, 10, 0, tzinfo=WIB).astimezone(UTC)
    started = datetime.now(UTC)
    await digest.run(context(settings, sessions, saturday, force=True))
    assert all(started <= r.not_before <= datetime.now(UTC) for r in await rows(sessions))


async def test_inside_working_hours_it_goes_now(settings, sessions, seeded):
    await digest.run(context(settings, sessions))
    assert {r.not_before for r in await rows(sessions)} == {RUN}


async def test_no_linked_heads(settings, sessions):
    assert await digest.run(context(settings, sessions)) == "no linked unit heads: nothing to send"
