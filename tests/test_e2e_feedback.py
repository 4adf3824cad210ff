"""The supervisor's continuous feedback, end to end, with the clock moved through two months.

The real bot over HTTP against the fake Bot API; jobs run through the bot's own
runner at the moved clock and their messages go out through its outbox
sender. The world is tests/support/case_world.py: Siti (HEAD_TG) supervises
Budi, the officer named by a QR code (OFFICER_TG), and Rina (STAFF_TG); Hendra
(SEKDA_TG) heads the city secretariat above. HR has loaded Budi's SKP.

November 2026: Siti writes notes with /catat, citizens answer about Budi at
his QR code. 1 December: the cards for 2026-11 (Rina has unlinked: Siti is
told, Rina's card waits until she links again on the 2nd). Siti gives Budi
feedback on an SKP line; Budi records the dialogue and replies; Siti skips
Rina. During December Rina moves to Hendra; on 4 January 2027 Rina's card for
2026-12 goes to Hendra, and Siti may no longer write about her.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from openpyxl import load_workbook
from sqlalchemy import delete, select, update

from bot.app import BotApplication
from bot.cli.main import cli, register_commands
from bot.core.clock import ManualClock
from bot.core.settings import Settings
from scheduler.ekinerja_export import COLUMNS, period_rows
from scheduler.services import services_of
from storage import skp
from storage.db import SessionFactory
from storage.models import AuditLog, Employee, TelegramAccount
from storage.outbox_models import OutboxMessage
from storage.performance_models import (
    GIVEN,
    SKIPPED,
    Achievement,
    FeedbackCard,
    FeedbackEntry,
    PerformanceNote,
)
from tests.support.alert_world import HEAD_TG, UNIT_ADMIN_TG, WIB, submit
from tests.support.app import ADMIN_ID, make_settings, start_bot, stop_bot
from tests.support.case_world import OFFICER_TG, SEKDA_TG, STAFF_TG, CaseWorld, seed_case_world
from tests.support.citizen import OFFICER_NIP
from tests.support.fakebot import FakeBotApi
from tests.support.records import Sent

NEVER = "0 0 1 1 *"
JOBS = (
    "low_score_alerts",
    "case_followup",
    "praise_notes",
    "weekly_digest",
    "review_reminders",
    "supervisor_nudges",
    "rollup",
    "housekeeping",
    "rtl_followup",
    "feedback_cards",
    "expectation_reminders",
)
PLAN = "Terlayaninya perekaman KTP-el tepat waktu"


def wib(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=WIB).astimezone(UTC)


@pytest.fixture
def settings(tmp_path: Path, migrated: str, fake_api: FakeBotApi) -> Settings:
    never = {f"schedule_{job}": NEVER for job in JOBS}
    return make_settings(
        tmp_path,
        migrated,
        telegram_base_url=fake_api.base_url,
        feedback_superior_sees_cards=True,
        **never,
    )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(wib(2026, 11, 23, 12))


@pytest.fixture
async def bot(
    settings: Settings, fake_api: FakeBotApi, clock: ManualClock
) -> AsyncIterator[BotApplication]:
    application = await start_bot(settings, fake_api, clock)
    yield application
    await stop_bot(application)


@pytest.fixture
async def cw(sessions: SessionFactory, tmp_path: Path) -> CaseWorld:
    world = await seed_case_world(sessions)
    file = tmp_path / "skp.csv"
    file.write_text(
        "nip;tahun;rencana_hasil_kerja;indikator;target;perspektif\n"
        f"{OFFICER_NIP};2026;{PLAN};Persentase perekaman selesai hari itu;95%;Penerima Layanan\n",
        encoding="utf-8",
    )
    async with sessions.begin() as session:
        await skp.import_skp(session, file, actor="test", now=wib(2026, 1, 5, 9))
    return world


async def run_job(bot: BotApplication, name: str) -> str:
    runner = services_of(bot).runner
    assert runner.start(name)
    (outcome,) = await runner.wait()
    assert outcome.status == "ok", outcome.result
    return outcome.result


Inbox = Callable[[int, str], Awaitable[Sent]]


@pytest.fixture
def inbox(bot: BotApplication, fake_api: FakeBotApi, clock: ManualClock) -> Inbox:
    """The message to a chat containing a text, once the sender delivered it.

    The sender holds a chat's second message one second behind the first on the
    wall clock, which moves only when told: the clock steps two seconds at a time."""

    async def received(chat_id: int, containing: str) -> Sent:
        def seen(calls: list) -> bool:
            return any(c.chat_id == chat_id and containing in c.text for c in calls)

        for _attempt in range(20):
            try:
                await fake_api.wait_for_calls(seen, timeout=0.5)
                break
            except TimeoutError:
                clock.advance(seconds=2)
                services_of(bot).wake()
        return [m for m in fake_api.chat_messages(chat_id) if containing in m.text][-1]

    return received


async def cards(sessions: SessionFactory) -> list[FeedbackCard]:
    async with sessions() as session:
        return list(await session.scalars(select(FeedbackCard).order_by(FeedbackCard.id)))


async def write_notes(fake_api: FakeBotApi, sessions: SessionFactory, settings: Settings) -> None:
    """Siti's /catat: a note on B1 about Budi, a photo about Rina; bad input answered."""
    siti = fake_api.user(HEAD_TG, "Siti", "id")
    listed = await siti.send("/catat")
    assert "Catatan ini tentang siapa?" in listed.text
    assert sorted(siti.last.button_texts()) == ["Budi Santoso", "Rina Wulandari"]
    await siti.press("Budi Santoso")
    assert "Catatan tentang Budi Santoso" in siti.last.text
    assert "SKP: Terlayaninya perekaman KTP-el tepat wak…" in siti.last.button_texts()
    await siti.press("B1 Berorientasi Pelayanan")
    assert (await siti.send_sticker()).text.startswith("Silakan ketik catatan")
    too_long = await siti.send("x" * 1001)
    assert "1001 karakter; batasnya 1000" in too_long.text
    saved = await siti.send("Sabar melayani pemohon lansia di loket 2.")
    assert "Catatan tentang Budi Santoso tersimpan (periode 2026-11)" in saved.text
    await siti.send("/catat")
    await siti.press("Rina Wulandari")
    await siti.press("Tidak terkait")
    photo = await siti.send_photo(caption="Menata ulang arsip KK")
    assert "Catatan tentang Rina Wulandari tersimpan" in photo.text
    forged = await siti.press_data("ct:e:999999")
    assert forged.alerts and "bukan bawahan Anda" in forged.alerts[0]
    async with sessions() as session:
        stored = list(await session.scalars(select(PerformanceNote).order_by(PerformanceNote.id)))
    assert [(n.value_code, n.period, n.photo_file_id is not None) for n in stored] == [
        ("B1", "2026-11", False),
        (None, "2026-11", True),
    ]
    # The photo itself is kept in the home's data folder, so backups take it.
    (kept,) = [n.photo_path for n in stored if n.photo_path]
    assert kept.startswith("evidence/notes/") and kept.endswith(".jpg")
    assert (settings.data_dir / kept).stat().st_size > 0


async def citizens_answer(sessions: SessionFactory, cw: CaseWorld) -> None:
    """Ten citizens answer about Budi in November; one leaves a phone number."""
    for n in range(10):
        scores = (4, 4, 4, 4, 4, 3 if n < 4 else 4, 4, 4, 4)
        comment = "Ramah, WA saya 081234567890" if n == 9 else None
        await submit(
            sessions,
            cw.world.ktp_id,
            scores,
            comment=comment,
            officer_id=cw.world.officer_id,
            at=wib(2026, 11, 24, 9) + timedelta(minutes=n),
            user_key=f"{n:064d}",
        )


async def test_two_months_of_notes_cards_feedback_and_dialogue(
    bot,
    fake_api: FakeBotApi,
    sessions: SessionFactory,
    cw: CaseWorld,
    clock: ManualClock,
    inbox: Inbox,
    settings: Settings,
    tmp_path: Path,
):
    await write_notes(fake_api, sessions, settings)
    await clarify_expectations(fake_api, inbox)
    await log_achievements(fake_api, settings)
    await citizens_answer(sessions, cw)
    async with sessions.begin() as session:  # Rina unlinks before the cards are built
        await session.execute(
            delete(TelegramAccount).where(TelegramAccount.telegram_user_id == STAFF_TG)
        )

    # Tuesday 1 December 09:00: the cards for 2026-11.
    clock.set(wib(2026, 12, 1, 9))
    result = await run_job(bot, "feedback_cards")
    assert result == "period 2026-11: 2 card(s) built, 1 sent, 1 waiting"
    card = await inbox(HEAD_TG, "Kartu umpan balik: Budi Santoso, periode 2026-11")
    assert "Warga (kode QR petugas), n = 10:" in card.text
    assert "U6 Kompetensi pelaksana: 3,60" in card.text
    assert "“Ramah, WA saya [TELEPON]”" in card.text and "0812" not in card.text
    assert "[B1 Berorientasi Pelayanan] Sabar melayani" in card.text
    assert "Menata ulang" not in card.text  # the note about Rina is on Rina's card
    assert "SKP 2026: 1 baris." in card.text
    assert "Capaian yang dicatat pegawai (2):" in card.text
    assert "Antrean KTP-el selesai sebelum pukul 14.00 (foto)" in card.text
    assert card.button_texts() == ["Beri umpan balik", "Lewati periode ini"]
    own = await inbox(OFFICER_TG, "Kata warga tentang pelayanan Anda, periode 2026-11")
    assert "n = 10" in own.text and "[TELEPON]" in own.text and "0812" not in own.text
    waiting = await inbox(HEAD_TG, "Rina Wulandari belum menautkan akun")
    assert "2026-11" in waiting.text
    assert await run_job(bot, "feedback_cards") == (
        "period 2026-11: 0 card(s) built, 0 sent, 1 waiting"
    )
    await team_feedback_before(fake_api)

    # Rina links again; the next working day her card goes to Siti.
    async with sessions.begin() as session:
        session.add(TelegramAccount(telegram_user_id=STAFF_TG, employee_id=cw.staff_id))
    clock.set(wib(2026, 12, 2, 9))
    assert await run_job(bot, "feedback_cards") == (
        "period 2026-11: 0 card(s) built, 1 sent, 0 waiting"
    )
    rina_card = await inbox(HEAD_TG, "Kartu umpan balik: Rina Wulandari")
    assert "tidak ada jawaban pada periode ini" in rina_card.text
    assert "📷 Menata ulang arsip KK" in rina_card.text

    await give_and_discuss(fake_api, sessions, card, inbox)
    siti = fake_api.user(HEAD_TG, "Siti", "id")
    skipped = await siti.press("Lewati periode ini", rina_card)
    assert [c.params.get("text") for c in skipped.calls if c.method == "answerCallbackQuery"] == [
        "Dilewati; periode ini tercatat tanpa umpan balik."
    ]
    assert "editMessageReplyMarkup" in [c.method for c in skipped.calls]
    assert [c.status for c in await cards(sessions)] == [GIVEN, SKIPPED]
    given = await siti.send("/umpanbalik")
    assert "Belum ada kartu umpan balik tentang Anda." in given.text
    assert "• 2026-11 Budi Santoso: umpan balik diberikan" in given.text
    assert "• 2026-11 Rina Wulandari: dilewati" in given.text
    await team_feedback_after(fake_api)

    await second_month(bot, fake_api, sessions, cw, clock, inbox)
    await export_for_ekinerja(settings, tmp_path, clock, inbox)
    await ekinerja_from_telegram(bot, fake_api, sessions, clock, inbox)
    await ekinerja_from_laporan(fake_api, sessions)
    await new_year_expectations(bot, fake_api, inbox)
    await erase_evidence(fake_api, sessions, settings)


async def give_and_discuss(
    fake_api: FakeBotApi, sessions: SessionFactory, card: Sent, inbox: Inbox
) -> None:
    siti = fake_api.user(HEAD_TG, "Siti", "id")
    budi = fake_api.user(OFFICER_TG, "Budi", "id")
    rina = fake_api.user(STAFF_TG, "Rina", "id")
    token = card.buttons()[0]["callback_data"].split(":")[1]
    refused = await rina.press_data(f"fb:{token}:g")
    assert refused.alerts == ["Tombol ini tidak berlaku untuk Anda."]
    assert (await siti.press_data(f"fb:{token}:t:s999999")).alerts
    assert (await siti.press_data(f"fb:{token}:r:vB9:2")).alerts

    await siti.press("Beri umpan balik", card)
    assert "Umpan balik Anda tentang apa? Budi Santoso, periode 2026-11" in siti.last.text
    await siti.press("SKP: Terlayaninya")
    assert "bagaimana capaian Budi Santoso terhadap ekspektasi?" in siti.last.text
    assert siti.last.button_texts() == [
        "Di atas ekspektasi",
        "Sesuai ekspektasi",
        "Di bawah ekspektasi",
    ]
    await siti.press("Di atas ekspektasi")
    assert (await siti.send_photo()).text.startswith("Silakan ketik teksnya")
    saved = await siti.send("Perekaman selesai hari itu untuk 97% pemohon; pertahankan.")
    assert saved.text == "Tersimpan dan dikirim kepada Budi Santoso."

    feedback = await inbox(OFFICER_TG, "Umpan balik dari Siti Rahmawati")
    assert f"SKP: {PLAN}: Di atas ekspektasi" in feedback.text
    assert feedback.button_texts() == ["Sudah didiskusikan", "Tulis tanggapan"]
    assert (await rina.press_data(feedback.buttons()[0]["callback_data"])).alerts
    first = await budi.press("Sudah didiskusikan", feedback)
    assert [c.params.get("text") for c in first.calls if c.method == "answerCallbackQuery"] == [
        "Tercatat: umpan balik ini sudah didiskusikan."
    ]
    again = await budi.press("Sudah didiskusikan", feedback)
    assert again.alerts == ["Dialog kinerja sudah tercatat sebelumnya."]
    note = await inbox(HEAD_TG, "mencatat dialog kinerja")
    assert "Budi Santoso mencatat dialog kinerja tentang periode 2026-11 pada 2 Desember 2026" in (
        note.text
    )
    await budi.press("Tulis tanggapan", feedback)
    assert "Ketik tanggapan Anda untuk Siti Rahmawati" in budi.last.text
    sent = await budi.send("Terima kasih, Bu. Saya akan menjaga kecepatan layanan.")
    assert sent.text == "Tanggapan Anda sudah dikirim kepada Siti Rahmawati."
    answer = await inbox(HEAD_TG, "menanggapi umpan balik Anda")
    assert "Saya akan menjaga kecepatan layanan." in answer.text

    async with sessions() as session:
        (entry,) = list(await session.scalars(select(FeedbackEntry)))
        budi_card = await session.get(FeedbackCard, entry.card_id)
        views = list(
            await session.scalars(select(AuditLog).where(AuditLog.action == "feedback.view"))
        )
    assert (entry.rating, entry.value_code) == (3, None) and entry.skp_line_id is not None
    assert budi_card.discussed_at is not None
    assert budi_card.discussed_at.astimezone(WIB).date().isoformat() == "2026-12-02"
    assert budi_card.reply == "Terima kasih, Bu. Saya akan menjaga kecepatan layanan."
    assert len(views) == 3  # two cards sent, one opened to give feedback

    history = await budi.send("/umpanbalik")
    assert "Periode 2026-11, dari Siti Rahmawati:" in history.text
    assert "Di atas ekspektasi — Perekaman selesai hari itu" in history.text
    assert "Didiskusikan pada 2 Desember 2026." in history.text
    assert "Tanggapan Anda: Terima kasih, Bu." in history.text


async def second_month(
    bot,
    fake_api: FakeBotApi,
    sessions: SessionFactory,
    cw: CaseWorld,
    clock: ManualClock,
    inbox: Inbox,
) -> None:
    """Rina moves to Hendra in December: her 2026-12 card goes to him, recording who."""
    async with sessions.begin() as session:
        await session.execute(
            update(Employee).where(Employee.id == cw.staff_id).values(supervisor_id=cw.sekda_id)
        )
    siti = fake_api.user(HEAD_TG, "Siti", "id")
    old = [m for m in siti.messages if m.buttons() and m.button_texts()[0] == "Rina Wulandari"]
    refused = await siti.press_data(f"ct:e:{cw.staff_id}", old[0] if old else None)
    assert refused.alerts and "bukan bawahan Anda" in refused.alerts[0]

    clock.set(wib(2027, 1, 4, 9))
    assert await run_job(bot, "feedback_cards") == (
        "period 2026-12: 2 card(s) built, 2 sent, 0 waiting"
    )
    moved = await inbox(SEKDA_TG, "Kartu umpan balik: Rina Wulandari, periode 2026-12")
    assert "Catatan Anda: belum ada" in moved.text  # Siti's notes stay Siti's
    await inbox(HEAD_TG, "Kartu umpan balik: Budi Santoso, periode 2026-12")
    december = {(c.period, c.employee_id): c.supervisor_id for c in await cards(sessions)}
    assert december[("2026-12", cw.staff_id)] == cw.sekda_id
    assert december[("2026-12", cw.world.officer_id)] == cw.world.head_id
    assert december[("2026-11", cw.staff_id)] == cw.world.head_id

    # FEEDBACK_SUPERIOR_SEES_CARDS: Hendra, Siti's superior, sees her team's cards (audited).
    async with sessions.begin() as session:
        await session.execute(
            update(Employee)
            .where(Employee.id == cw.world.head_id)
            .values(supervisor_id=cw.sekda_id)
        )
    hendra = fake_api.user(SEKDA_TG, "Hendra", "id")
    seen = await hendra.send("/umpanbalik")
    assert "• 2026-12 Rina Wulandari: belum ada umpan balik" in seen.text  # his own card
    assert "Kartu di tim para atasan yang Anda pimpin:" in seen.text
    assert "• 2026-11 Budi Santoso (Siti Rahmawati): umpan balik diberikan" in seen.text
    assert "Di atas ekspektasi — Perekaman selesai hari itu" in seen.text


async def export_for_ekinerja(
    settings: Settings, tmp_path: Path, clock: ManualClock, inbox: Inbox
) -> None:
    """HR exports 2026-11 in the form's columns; supervisors get text blocks to paste."""
    register_commands()
    env = {
        "DATABASE_URL": settings.database_url,
        "DATA_DIR": str(settings.data_dir),
        "SECRET_KEY": "test-secret-key-0123456789",
    }

    def run(*args: str) -> Result:
        return CliRunner().invoke(cli, list(args), env=env, obj=clock, catch_exceptions=False)

    out = tmp_path / "ekinerja.csv"
    result = await asyncio.to_thread(
        run, "export", "ekinerja", "--period", "2026-11", "--out", str(out), "--send-blocks"
    )
    assert result.exit_code == 0, result.output
    assert "2 employee(s), 15 row(s), period 2026-11" in result.output  # 1 SKP line + 7 + 7
    assert "2 text block(s) queued to supervisors" in result.output
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert tuple(rows[0]) == COLUMNS
    table = [dict(zip(COLUMNS, row, strict=True)) for row in rows[1:]]
    budi = [r for r in table if r["NIP"] == OFFICER_NIP]
    skp_row, b1 = budi[0], budi[1]
    assert (skp_row["Aspek"], skp_row["Target"], skp_row["Dialog kinerja"]) == (
        "Hasil Kerja",
        "95%",
        "2026-12-02",
    )
    assert skp_row["Umpan balik berkelanjutan berdasarkan bukti dukung"] == (
        "Di atas ekspektasi: Perekaman selesai hari itu untuk 97% pemohon; pertahankan."
    )
    assert b1["Rencana Hasil Kerja / Perilaku Kerja"] == "B1 Berorientasi Pelayanan"
    assert "Sabar melayani pemohon lansia" in b1["Realisasi berdasarkan bukti dukung"]
    assert b1["Bukti dukung"].startswith("Warga (kode QR petugas): n=10, U6 3,60, U7 4,00")
    assert b1["Pejabat Penilai Kinerja"] == "Siti Rahmawati"
    assert skp_row["Realisasi berdasarkan bukti dukung"].startswith(
        "Capaian: Antrean KTP-el selesai sebelum pukul 14.00 (foto); Capaian: Laporan rekap"
    )
    assert skp_row["Ekspektasi khusus pimpinan"] == "Perekaman selesai di hari yang sama."
    assert skp_row["Bukti dukung"] == "2 capaian dengan bukti"
    assert '"198001012005011001"' in out.read_text(encoding="utf-8-sig")  # quoted: text

    xlsx = tmp_path / "ekinerja.xlsx"
    await asyncio.to_thread(
        run, "export", "ekinerja", "--period", "2026-11", "--format", "xlsx", "--out", str(xlsx)
    )
    sheet = load_workbook(xlsx).active
    assert sheet["A2"].value == OFFICER_NIP and sheet["A2"].number_format == "@"
    unknown = await asyncio.to_thread(
        run, "export", "ekinerja", "--period", "2026-11", "--unit", "X"
    )
    assert unknown.exit_code == 1 and "no unit with code 'X'" in unknown.output
    bad = await asyncio.to_thread(run, "export", "ekinerja", "--period", "2026-13")
    assert bad.exit_code == 1 and "YYYY-MM" in bad.output

    table = await asyncio.to_thread(run, "report", "participation", "--period", "2026-11")
    assert table.exit_code == 0, table.output
    assert (
        "SETDA                      1      0     0%      2        0      1    1  100%      1    50%"
    ) in table.output
    data = await asyncio.to_thread(
        run, "report", "participation", "--period", "2026-11", "--format", "json"
    )
    (setda,) = json.loads(data.output)["opd"]
    assert setda["opd"] == "SETDA" and setda["supervisors"] == 1
    assert setda["supervisors_at_threshold"] == 0  # Budi given, Rina skipped: 50 %
    assert (setda["given"], setda["dialogues"], setda["employees_with_expectations"]) == (1, 1, 1)
    assert setda["expectation_share"] == 0.5
    one_unit = await asyncio.to_thread(
        run,
        "report",
        "participation",
        "--period",
        "2026-11",
        "--unit",
        "DUKCAPIL",
        "--format",
        "json",
    )
    assert [o["opd"] for o in json.loads(one_unit.output)["opd"]] == ["DUKCAPIL"]
    message = await inbox(ADMIN_ID, "Umpan balik berkelanjutan, periode 2026-11, per OPD")
    assert (
        "SETDA: 0 dari 1 atasan (0%) memberi umpan balik kepada sedikitnya 80% bawahannya; "
        "dialog kinerja 1 dari 1; ekspektasi ditetapkan untuk 1 dari 2 pegawai."
    ) in message.text

    block = await inbox(HEAD_TG, "Umpan balik berkelanjutan — Budi Santoso")
    assert block.text.startswith("Teks untuk e-Kinerja, siap tempel")
    assert "(NIP 198001012005011001), periode 2026-11" in block.text
    assert "[Hasil Kerja]" in block.text and "[Perilaku Kerja]" in block.text


async def clarify_expectations(fake_api: FakeBotApi, inbox: Inbox) -> None:
    """Siti states an expectation on Budi's SKP line; Budi asks, then understands."""
    siti = fake_api.user(HEAD_TG, "Siti", "id")
    budi = fake_api.user(OFFICER_TG, "Budi", "id")
    await siti.send("/ekspektasi")
    assert "Ekspektasi ini untuk siapa?" in siti.last.text
    await siti.press("Budi Santoso")
    assert "Tidak terkait" not in " ".join(siti.last.button_texts())
    await siti.press("SKP: Terlayaninya")
    photo = await siti.send_photo(caption="Perekaman selesai di hari yang sama.")
    assert photo.text.startswith("Silakan ketik teksnya")  # media where text is expected
    assert (await siti.send_sticker()).text.startswith("Silakan ketik teksnya")
    sent = await siti.send("Perekaman selesai di hari yang sama.")
    assert sent.text.startswith("Ekspektasi dikirim kepada Budi Santoso")
    expectation = await inbox(OFFICER_TG, "Ekspektasi khusus Siti Rahmawati untuk 2026")
    assert expectation.button_texts() == ["Saya mengerti", "Ajukan pertanyaan"]
    rina = fake_api.user(STAFF_TG, "Rina", "id")
    assert (await rina.press_data(expectation.buttons()[0]["callback_data"])).alerts
    await budi.press("Ajukan pertanyaan", expectation)
    await budi.send("Termasuk pemohon yang datang sore?")
    question = await inbox(HEAD_TG, "Budi Santoso bertanya tentang ekspektasi Anda")
    assert "Termasuk pemohon yang datang sore?" in question.text
    understood = await budi.press("Saya mengerti", expectation)
    assert [
        c.params.get("text") for c in understood.calls if c.method == "answerCallbackQuery"
    ] == ["Tercatat: Anda mengerti ekspektasi ini."]
    await inbox(HEAD_TG, "Budi Santoso mengerti ekspektasi Anda")


async def log_achievements(fake_api: FakeBotApi, settings: Settings) -> None:
    """Budi logs a photo and a link against his SKP line; bad evidence is answered."""
    budi = fake_api.user(OFFICER_TG, "Budi", "id")
    assert "/capaian: catat capaian pada baris SKP" in (await budi.send("/help")).text
    listing = await budi.send("/capaian")
    assert "Periode 2026-11: 0" in listing.text
    await budi.press("SKP: Terlayaninya")
    assert (await budi.send_sticker()).text.startswith("Silakan kirim foto, dokumen, atau tautan")
    assert (await budi.send_photo()).text.startswith("Silakan kirim lagi dengan keterangan")
    assert (await budi.send("sudah selesai")).text.startswith("Sertakan tautan")
    saved = await budi.send_photo(caption="Antrean KTP-el selesai sebelum pukul 14.00")
    assert saved.text == "Capaian tercatat untuk periode 2026-11. /capaian menampilkan daftarnya."
    await budi.send("/capaian")
    await budi.press("SKP: Terlayaninya")
    await budi.send("Laporan rekap https://drive.example.go.id/rekap-nov")
    listing = await budi.send("/capaian")
    assert "Periode 2026-11: 2" in listing.text
    assert "(https://drive.example.go.id/rekap-nov)" in listing.text
    kept = [p for p in (settings.data_dir / "evidence").rglob("*.jpg") if "notes" not in p.parts]
    assert len(kept) == 1 and kept[0].stat().st_size > 0


async def erase_evidence(
    fake_api: FakeBotApi, sessions: SessionFactory, settings: Settings
) -> None:
    """Budi erases his data: his achievements go with their evidence files."""
    budi = fake_api.user(OFFICER_TG, "Budi", "id")
    privacy = (await budi.send("/privacy")).text
    assert "Catatan kinerja pegawai (PermenPANRB 6/2022)" in privacy
    assert "/hapusdata menghapus capaian Anda beserta berkas buktinya" in privacy
    caption = "Antrean KTP-el selesai sebelum pukul 14.00"

    async def quoting() -> list[str]:
        async with sessions() as session:
            found = await session.scalars(
                select(OutboxMessage.kind).where(OutboxMessage.content.contains(caption))
            )
            return sorted(set(found))

    assert await quoting() == ["ekinerja_block", "feedback_card"]  # Siti's card and blocks
    asked = await budi.send("/hapusdata")
    assert "capaian yang Anda catat dengan /capaian, beserta berkas buktinya: 2" in asked.text
    done = await budi.press("Ya, hapus", budi.last_with_buttons())
    assert "Capaian dan berkas buktinya dihapus: 2." in budi.last.text, done
    async with sessions() as session:
        assert list(await session.scalars(select(Achievement))) == []
    left = list((settings.data_dir / "evidence").rglob("*.jpg"))
    # Siti's /catat photo (about Rina) is the supervisor's documentation: it stays.
    assert [p.parts[-3] for p in left] == ["notes"]
    assert await quoting() == []  # the lines quoting it are cut, the messages stay
    async with sessions() as session:
        card = await session.scalar(
            select(OutboxMessage).where(
                OutboxMessage.content.contains("Kartu umpan balik: Budi Santoso, periode 2026-11")
            )
        )
    assert card is not None and "Sabar melayani" in card.content


async def team_feedback_before(fake_api: FakeBotApi) -> None:
    """Issue 18: /tim shows Siti, head of DUKCAPIL, where her team's feedback stands."""
    siti = fake_api.user(HEAD_TG, "Siti", "id")
    text = (await siti.send("/tim")).text
    assert "Umpan balik berkelanjutan, periode 2026-11:" in text
    assert "2 kartu: umpan balik diberikan 0, dilewati 0, belum 2 " in text
    assert "(di antaranya menunggu akun tertaut: 1)" in text
    assert "Dialog kinerja tercatat: 0 dari 2" in text
    assert "Atasan yang kartunya masih terbuka:\n• Siti Rahmawati: 2" in text
    assert "Ekspektasi khusus 2026: 1 dari " in text  # Budi's, stated with /ekspektasi
    assert "Sabar melayani" not in text and "Di atas" not in text  # counts, never content


async def team_feedback_after(fake_api: FakeBotApi) -> None:
    """Budi's card given and discussed, Rina's skipped: nothing open; Hendra above sees it too."""
    for chat, name in ((HEAD_TG, "Siti"), (SEKDA_TG, "Hendra")):
        text = (await fake_api.user(chat, name, "id").send("/tim")).text
        assert "2 kartu: umpan balik diberikan 1, dilewati 1, belum 0" in text, text
        assert "Dialog kinerja tercatat: 1 dari 2" in text
        assert "masih terbuka" not in text
        assert "Perekaman selesai" not in text and "Terima kasih, Bu" not in text


async def ekinerja_from_telegram(
    bot: BotApplication,
    fake_api: FakeBotApi,
    sessions: SessionFactory,
    clock: ManualClock,
    inbox: Inbox,
) -> None:
    """January 2027: Siti asks for her e-Kinerja text herself; every block is an audited view."""
    siti = fake_api.user(HEAD_TG, "Siti", "id")
    budi = fake_api.user(OFFICER_TG, "Budi", "id")
    assert "/ekinerja: umpan balik untuk bawahan Anda" in (await siti.send("/help")).text

    async def views() -> int:
        async with sessions() as session:
            found = await session.scalars(
                select(AuditLog).where(AuditLog.detail.contains("/ekinerja"))
            )
            return len(list(found))

    def blocks(period: str) -> list[Sent]:
        return [
            m
            for m in fake_api.chat_messages(HEAD_TG)
            if "Umpan balik berkelanjutan — Budi Santoso" in m.text and period in m.text
        ]

    before = len(blocks("periode 2026-11"))  # the CLI's --send-blocks sent one
    asked = await siti.send("/ekinerja 2026-11")
    assert asked.text.startswith("Teks e-Kinerja untuk 2 bawahan, periode 2026-11, sedang dikirim")
    assert "hanya rekomendasi" in asked.text
    for _attempt in range(20):  # the sender spaces one chat's messages a second apart
        if len(blocks("periode 2026-11")) > before:
            break
        clock.advance(seconds=2)
        services_of(bot).wake()
        await asyncio.sleep(0.2)
    assert len(blocks("periode 2026-11")) == before + 1  # asked again: sent again
    assert await views() == 2

    # The last carded period (2026-12): only Budi is hers (Rina's card went to Hendra).
    latest = await siti.send("/ekinerja")
    assert latest.text.startswith("Teks e-Kinerja untuk 1 bawahan, periode 2026-12")
    block = await inbox(HEAD_TG, "Budi Santoso (NIP 198001012005011001), periode 2026-12")
    assert block.text.startswith("Teks untuk e-Kinerja, siap tempel")
    assert await views() == 3

    bad = await siti.send("/ekinerja 2026-13")
    assert bad.text.startswith("Tulis periodenya sebagai YYYY-MM")
    none = await siti.send("/ekinerja 2025-01")
    assert none.text == (
        "Anda tidak memegang kartu umpan balik untuk 2025-01. "
        "Periode dengan kartu Anda: 2026-12, 2026-11."
    )
    mine = await budi.send("/ekinerja")
    assert mine.text.startswith("Anda belum memegang kartu umpan balik.")
    assert await views() == 3


async def new_year_expectations(bot: BotApplication, fake_api: FakeBotApi, inbox: Inbox) -> None:
    """Monday 4 January 2027, the year's first working day: supervisors are asked for the new
    year's expectations (Budi answered his 2026 one, so no employee is reminded)."""
    # The clock passed 1 January 00:00, this test's "never" slot: the runner's tick may be
    # catching that run up right now. Either run sends the same messages, once.
    await services_of(bot).runner.wait()
    result = await run_job(bot, "expectation_reminders")
    assert result.startswith("2027: ") and result.endswith(
        "; 0 expectation(s) sent late or reminded to employees"
    )
    siti = await inbox(HEAD_TG, "Klarifikasi ekspektasi 2027")
    assert "Belum ada ekspektasi khusus dari Anda untuk 2027 bagi (1): Budi Santoso" in siti.text
    assert "/ekspektasi" in siti.text
    assert siti.button_texts() == ["Budi Santoso"]  # one tap to /ekspektasi's next step
    user = fake_api.user(HEAD_TG, "Siti", "id")
    await user.press("Budi Santoso", siti)
    assert "Ekspektasi khusus untuk Budi Santoso" in user.last.text
    hendra = await inbox(SEKDA_TG, "Klarifikasi ekspektasi 2027")
    assert "Rina Wulandari" in hendra.text and "Siti Rahmawati" in hendra.text
    again = await run_job(bot, "expectation_reminders")
    assert again.startswith("2027: 0 supervisor prompt(s)")


async def test_an_expectation_for_an_unlinked_employee_waits_for_their_link(
    bot: BotApplication,
    fake_api: FakeBotApi,
    sessions: SessionFactory,
    cw: CaseWorld,
    clock: ManualClock,
    inbox: Inbox,
):
    """Rina has no linked account when Siti states an expectation: Siti is told, and Rina
    receives it on the first working day after she links, and can answer it."""
    async with sessions.begin() as session:
        await session.execute(
            delete(TelegramAccount).where(TelegramAccount.telegram_user_id == STAFF_TG)
        )
    siti = fake_api.user(HEAD_TG, "Siti", "id")
    await siti.send("/ekspektasi")
    await siti.press("Rina Wulandari")
    await siti.press("B4 Harmonis")
    saved = await siti.send("Membantu rekan baru di loket arsip.")
    assert saved.text.startswith("Ekspektasi tersimpan. Rina Wulandari belum menautkan akun")

    async with sessions.begin() as session:
        session.add(TelegramAccount(telegram_user_id=STAFF_TG, employee_id=cw.staff_id))
    clock.set(wib(2026, 11, 24, 9, 15))
    result = await run_job(bot, "expectation_reminders")
    assert result.endswith("; 1 expectation(s) sent late or reminded to employees")
    late = await inbox(STAFF_TG, "Ekspektasi khusus Siti Rahmawati untuk 2026 — B4 Harmonis")
    assert "Membantu rekan baru di loket arsip." in late.text
    rina = fake_api.user(STAFF_TG, "Rina", "id")
    await rina.press("Saya mengerti", late)
    await inbox(HEAD_TG, "Rina Wulandari mengerti ekspektasi Anda")
    again = await run_job(bot, "expectation_reminders")
    assert again.endswith("; 0 expectation(s) sent late or reminded to employees")


async def ekinerja_from_laporan(fake_api: FakeBotApi, sessions: SessionFactory) -> None:
    """BKPSDM (a city-wide admin) gets the e-Kinerja workbook in Telegram; a unit admin does
    not (it holds every unit's feedback); the export is in the audit log."""
    admin = fake_api.user(ADMIN_ID, "Admin BKPSDM", "id")
    await admin.send("/laporan")
    await admin.press("Ekspor e-Kinerja (BKPSDM)")
    assert admin.last.text.startswith("Periode kinerja yang mana?")
    assert admin.last.button_texts()[:2] == ["2026-12", "2026-11"]
    await admin.press("2026-11")
    document = [m for m in admin.messages if m.kind == "document"][-1]
    assert document.file is not None
    sheet = load_workbook(io.BytesIO(document.file)).active
    assert tuple(c.value for c in sheet[1]) == COLUMNS
    assert sheet["A2"].value == OFFICER_NIP and sheet.max_row == 16  # 1 + 15 rows
    assert "Berikut ekspor e-Kinerja periode 2026-11." in [m.text for m in admin.messages]
    async with sessions() as session:
        exports = list(
            await session.scalars(
                select(AuditLog).where(AuditLog.action == "ekinerja.export").order_by(AuditLog.id)
            )
        )
    # HR's two CLI exports (CSV, XLSX) and this one: each is in the audit log.
    assert [(a.actor[:3], a.detail) for a in exports] == [
        ("cli", "2026-11: 2 employee(s), every unit, csv"),
        ("cli", "2026-11: 2 employee(s), every unit, xlsx"),
        ("tg:", "2026-11: 2 employee(s), every unit, from /laporan"),
    ]

    unit_admin = fake_api.user(UNIT_ADMIN_TG, "Admin Dukcapil", "id")
    menu = await unit_admin.send("/laporan")
    assert "Ekspor e-Kinerja (BKPSDM)" not in " ".join(unit_admin.last.button_texts()), menu
    refused = await unit_admin.press_data("lp:ep:2026-11")
    assert refused.alerts and not [c for c in refused.calls if c.method == "sendDocument"]
    forged = await admin.press_data("lp:ep:2099-01")
    assert forged.alerts


async def test_a_unit_heads_card_shows_their_units_ikm(
    bot: BotApplication,
    sessions: SessionFactory,
    cw: CaseWorld,
    clock: ManualClock,
    inbox: Inbox,
    settings: Settings,
):
    """Siti heads DUKCAPIL and reports to Hendra: her card carries the unit's IKM of the
    period (the public's formal evidence for a head), and so does her e-Kinerja row."""
    async with sessions.begin() as session:
        await session.execute(
            update(Employee)
            .where(Employee.id == cw.world.head_id)
            .values(supervisor_id=cw.sekda_id)
        )
    await citizens_answer(sessions, cw)
    clock.set(wib(2026, 12, 1, 9))
    await run_job(bot, "rollup")
    await run_job(bot, "feedback_cards")
    card = await inbox(SEKDA_TG, "Kartu umpan balik: Siti Rahmawati, periode 2026-11")
    (line,) = [line for line in card.text.splitlines() if line.startswith("IKM ")]
    # Ten answers: U6 3 from four of them, every other unsur 4.
    assert line == "IKM Dinas Kependudukan dan Pencatatan Sipil (DUKCAPIL): 98,89 (mutu A), n = 10"
    budi = await inbox(HEAD_TG, "Kartu umpan balik: Budi Santoso, periode 2026-11")
    assert "IKM " not in budi.text  # Budi heads no unit
    async with sessions() as session:
        exported = await period_rows(session, settings, "2026-11")
    siti = {
        row.values["Rencana Hasil Kerja / Perilaku Kerja"]: row
        for c, rows in exported
        if c.employee_id == cw.world.head_id
        for row in rows
    }
    assert "IKM DUKCAPIL: " in siti["B1 Berorientasi Pelayanan"].values["Bukti dukung"]
