"""Follow-up plans (RTL) below Telegram: who hears "Anda bilang, kami lakukan" (checked against
the database), erasure, the outcome at the next period, and ``ulasan rtl``."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import select

from bot.core.clock import ManualClock
from bot.core.settings import Settings
from scheduler import rtl as plans
from scheduler.jobs.rtl_followup import above
from scheduler.messages import rtl as texts
from scheduler.periods import cut_period
from storage import erasure, periods, rtl
from storage.db import SessionFactory
from storage.outbox_models import OutboxMessage
from storage.rtl_models import DONE, RtlCitizenNotice
from storage.survey_models import SurveyResponse
from tests.support.alert_world import WIB, World, add_unit_admin, seed_world, submit
from tests.support.app import ADMIN_ID, make_settings
from tests.support.case_world import SEKDA_TG, seed_case_world
from tests.support.period_world import Cli, in_db

LOW_U3_U7 = (4, 4, 1, 4, 4, 4, 2, 4, 4)


def wib(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=WIB).astimezone(UTC)


NOW = wib(2027, 3, 30)


async def seed(sessions: SessionFactory, settings: Settings) -> tuple[World, list[int]]:
    """Six citizens of TW IV 2026 and a plan with U3 and U7 lines owned by the officer."""
    world = await seed_world(sessions)
    people = [
        ("a", 91001, LOW_U3_U7, wib(2026, 11, 20)),  # both low, consent
        ("a", 91001, LOW_U3_U7, wib(2026, 11, 21)),  # the same citizen again
        ("b", None, LOW_U3_U7, wib(2026, 11, 22)),  # no consent
        ("c", 91003, (4,) * 9, wib(2026, 11, 23)),  # consent, nothing low
        ("d", 91004, LOW_U3_U7, wib(2026, 10, 1)),  # consent, past retention (150 days)
        ("e", 91005, (4, 4, 4, 4, 4, 4, 1, 4, 4), wib(2026, 11, 24)),  # U7 low only
        ("f", 91006, LOW_U3_U7, wib(2026, 11, 25)),  # will erase their data
    ]
    for key, chat, scores, at in people:
        await submit(sessions, world.ktp_id, scores, contact=chat, at=at, user_key=key * 64)
    async with sessions.begin() as session:
        period = await periods.create_period(
            session, name="TW IV 2026", first=date(2026, 10, 1), last=date(2026, 12, 31),
            unit_code="DUKCAPIL", population=None, actor="test", now=wib(2027, 1, 4),
        )  # fmt: skip
    async with sessions.begin() as session:
        period = await periods.period_named(session, "TW IV 2026")
        await cut_period(session, period, settings, wib(2027, 1, 4))
        proposal = await plans.propose(session, period, world.unit_id, settings)
        assert proposal is not None and [p.code for p in proposal.lines][:2] == ["U3", "U7"]
        await plans.start_plan(session, proposal, actor="test", now=wib(2027, 1, 4))
        lines = await rtl.plan_lines(session, world.unit_id, period.id)
        for line, activity in zip(lines[:2], ("Standar waktu", "Pelatihan"), strict=True):
            await rtl.change_line(
                session, line.id, actor="test", now=wib(2027, 1, 4), activity=activity,
                owner_employee_id=world.officer_id, due_date=date(2027, 3, 31), target="x",
            )  # fmt: skip
            await rtl.set_status(session, line.id, DONE, reason=None, actor="o", now=NOW)
    return world, [line.id for line in lines[:2]]


async def verify(sessions: SessionFactory, settings: Settings, line_id: int) -> int:
    async with sessions.begin() as session:
        done = await plans.verify_line(session, line_id, settings, actor="head", now=NOW)
    assert done.done
    return done.citizens


async def said(sessions: SessionFactory) -> list[OutboxMessage]:
    async with sessions() as session:
        return list(
            await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "rtl_said"))
        )


async def test_only_consenting_recent_low_raters_hear_it_once_per_period(
    sessions: SessionFactory, settings: Settings
):
    settings = settings.model_copy(update={"retention_days": 150})
    _world, (u3, u7) = await seed(sessions, settings)
    assert await verify(sessions, settings, u3) == 2  # a and f
    assert await verify(sessions, settings, u7) == 1  # e only: a and f heard already
    async with sessions.begin() as session:  # verifying twice does nothing
        assert not (await plans.verify_line(session, u3, settings, actor="h", now=NOW)).done
    rows = await said(sessions)
    assert sorted(row.chat_id for row in rows) == [91001, 91005, 91006]
    # Against the database: every message goes to a chat that a response of the period
    # agreed to be contacted at, and that rated the line's unsur 1 or 2.
    async with sessions() as session:
        consenting = {
            (r.contact_chat_id, r.u3 <= 2 or r.u7 <= 2)
            for r in await session.scalars(select(SurveyResponse))
            if r.contact_ok and r.contact_chat_id is not None
        }
        notices = list(await session.scalars(select(RtlCitizenNotice)))
    assert all((row.chat_id, True) in consenting for row in rows)
    assert len(notices) == 3 and len({n.user_key for n in notices}) == 3
    text = json.loads(rows[0].content)["text"]
    assert text.startswith("📣 Anda bilang, kami lakukan") and "TW IV 2026" in text


async def test_erasure_takes_a_citizen_out_of_the_audience_and_the_outbox(
    sessions: SessionFactory, settings: Settings
):
    settings = settings.model_copy(update={"retention_days": 150})
    _world, (u3, u7) = await seed(sessions, settings)
    # e erases before anything is verified; f after their message was queued.
    for key in ("e", "f"):
        if key == "f":
            assert await verify(sessions, settings, u3) == 2
        async with sessions.begin() as session:
            held = await erasure.holdings(session, key * 64)
            await erasure.erase(
                session, user_key=key * 64, chat_id=None,
                response_ids=held.response_ids, preference=False,
            )  # fmt: skip
    assert await verify(sessions, settings, u7) == 0
    assert sorted(row.chat_id for row in await said(sessions)) == [91001]
    async with sessions() as session:
        keys = set(await session.scalars(select(RtlCitizenNotice.user_key)))
    assert keys == {"a" * 64}


def view(unsur: str = "U3", status: str = DONE) -> rtl.LineView:
    return rtl.LineView(
        id=1, plan_id=1, period_id=1, period_name="TW IV 2026", unit_id=1, unit_code="D",
        unit_name="Disdukcapil", unsur=unsur, activity="Standar waktu pelayanan",
        owner_employee_id=1, owner_name="Rina", due_date=date(2027, 3, 31),
        due_label="TW I 2027", target="U3 ≥ 3,10", status=status, status_reason=None,
        verified_at=NOW, returned_note=None, evidence=2, forum_date=None,
    )  # fmt: skip


def test_the_outcome_names_the_change_of_nrr_with_both_n():
    rise = rtl.Outcome(view(), Fraction(270, 100), 402, Fraction(291, 100), 388)
    assert texts.change_text(rise, "id") == "U3 naik 0,21; n 402 → 388"
    assert texts.change_text(rise, "en") == "U3 up 0.21; n 402 → 388"
    fall = rtl.Outcome(view(), Fraction(3), 10, Fraction(2995, 1000), 12)  # 3,00 → 3,00 printed
    assert texts.change_text(fall, "id") == "U3 tetap; n 10 → 12"
    down = rtl.Outcome(view(), Fraction(3), 10, Fraction(2, 1), 12)
    assert texts.change_text(down, "id") == "U3 turun 1,00; n 10 → 12"
    none = rtl.Outcome(view(), None, 0, Fraction(3), 12)
    assert "tidak ada angka" in texts.change_text(none, "id")
    period = type("P", (), {"name": "TW IV 2026"})()
    text = texts.outcome_text(rtl.PlanOutcome(period, [rise]), "id")  # type: ignore[arg-type]
    assert text == (
        "Tindak lanjut RTL TW IV 2026:\n"
        "1. Standar waktu pelayanan — selesai ✓. U3 naik 0,21; n 402 → 388"
    )
    assert texts.nrr_text(Decimal("2.905"), "id") == "2,91"  # half-up, as printed


def test_ulasan_rtl_lists_and_exports(migrated: str, tmp_path: Path):
    settings = make_settings(tmp_path, migrated)
    in_db(migrated, lambda sessions: seed(sessions, settings))
    cli = Cli(settings.database_url, tmp_path, ManualClock(NOW))
    table = cli.ok("rtl", "list", "--unit", "DUKCAPIL", "--period", "TW IV 2026")
    header, _dashes, first, *rest = table.splitlines()
    assert header.split()[:4] == ["No", "Periode", "Unit", "Unsur"]
    assert "U3" in first and "Standar waktu" in first and "selesai" in first and len(rest) == 2
    rows = cli.json("rtl", "list")
    assert [r["unsur"] for r in rows] == ["U3", "U7", "U1"]  # U1…U9 tie at 4: code order
    assert rows[0]["due"] == "2027-03-31" and rows[0]["owner"] == "Budi Santoso"
    out = tmp_path / "rtl.xlsx"
    assert cli.ok("rtl", "export", "--out", str(out)).strip() == str(out)
    sheet = load_workbook(out).active
    assert [c.value for c in sheet[1]][:5] == ["No", "Periode", "Unit", "Unsur", "Program/kegiatan"]
    assert [c.value for c in sheet[2]][3:5] == ["U3", "Standar waktu"]
    refused = cli("rtl", "list", "--unit", "NOPE")
    assert refused.exit_code == 1 and "unknown unit code 'NOPE'" in refused.output


async def test_an_overdue_line_goes_up_to_the_head_above_else_the_unit_admins_else_the_city(
    sessions: SessionFactory, settings: Settings
):
    """A Disdukcapil line goes to Hendra (head of the Sekretariat above); a line of the top
    unit has no head above: it goes to that unit's admins, and without any to the city-wide
    admins of ADMIN_IDS."""
    cw = await seed_case_world(sessions)
    async with sessions() as session:
        assert await above(session, settings, cw.world.unit_id) == [SEKDA_TG]
        assert await above(session, settings, cw.top_unit_id) == [ADMIN_ID]
    await add_unit_admin(sessions, 700901, cw.top_unit_id)
    async with sessions() as session:
        assert await above(session, settings, cw.top_unit_id) == [700901]
