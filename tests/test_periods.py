"""SKM periods from the command line: open, close, approve, erase, correct, read every version.

The figures a version freezes must be ``ulasan report ikm`` over exactly the
responses it covered, and after the last correction the latest version must be
the live report, digit for digit. Time moves with a `ManualClock`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.core.clock import ManualClock
from storage import survey
from storage.db import SessionFactory
from storage.models import AuditLog
from storage.period_models import SkmPeriodVersion
from tests.support.alert_world import GOOD, submit
from tests.support.period_world import (
    WORKED_EXAMPLE,
    Cli,
    PeriodWorld,
    at,
    in_db,
    seed_period_world,
)

TW1 = ("TW I 2026", "2026-01-01", "2026-03-31")
GROUP_KEYS = (
    "respondents",
    "sums",
    "nrr",
    "nrr_weighted",
    "ikm",
    "konversi",
    "mutu",
    "weakest",
    "profile",
    "comments",
)


def group(data: dict[str, Any]) -> dict[str, Any]:
    return {key: data[key] for key in GROUP_KEYS}


@pytest.fixture
def world(migrated: str) -> PeriodWorld:
    return in_db(migrated, seed_period_world)


class Db:
    """Writes as the bot would make them, from a sync test."""

    def __init__(self, url: str) -> None:
        self.url = url

    def submit(self, service_id: int, scores: tuple[int, ...] = GOOD, **kwargs: Any) -> int:
        return in_db(self.url, lambda sessions: submit(sessions, service_id, scores, **kwargs))

    def erase(self, user_key: str) -> int:
        async def work(sessions: SessionFactory) -> int:
            async with sessions.begin() as session:
                return await survey.delete_user_data(session, user_key)

        return in_db(self.url, work)

    def rows(self, model: type) -> list[Any]:
        async def work(sessions: SessionFactory) -> list[Any]:
            async with sessions() as session:
                return list((await session.scalars(select(model))).all())

        return in_db(self.url, work)


@pytest.fixture
def db(migrated: str) -> Db:
    return Db(migrated)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(at(2026, 1, 5))


@pytest.fixture
def ulasan(migrated: str, tmp_path: Path, clock: ManualClock) -> Cli:
    return Cli(migrated, tmp_path, clock)


def figures(ulasan: Cli, name: str, unit: str, version: int | None = None) -> dict[str, Any]:
    args = ["period", "show", name, "--unit", unit]
    if version is not None:
        args += ["--version", str(version)]
    (only,) = ulasan.json(*args)["units"]
    return only


def tw1_responses(db: Db, world: PeriodWorld) -> None:
    """The worked example at KTP (one erasable), a levy at KTP, two at AKTA (sub-unit)."""
    for number, scores in enumerate(WORKED_EXAMPLE):
        db.submit(world.ktp_id, scores, at=at(2026, 2, 2 + number), user_key=f"k{number}")
    db.submit(world.ktp_id, (3, 3, 3, 2, 3, 3, 3, 3, 3), at=at(2026, 3, 9), user_key="levy")
    db.submit(world.akta_id, (2, 3, 3, 3, 3, 3, 3, 3, 3), at=at(2026, 3, 31, 23, 50))
    db.submit(world.akta_id, (4, 4, 4, 4, 4, 4, 4, 4, 4), at=at(2026, 4, 1, 0, 5))
    db.submit(world.buku_id, at=at(2026, 1, 15))


def test_approve_freezes_the_report_and_a_correction_follows_an_erasure(
    ulasan: Cli, clock: ManualClock, db: Db, world: PeriodWorld
):
    tw1_responses(db, world)
    name, first, last = TW1
    opened = ulasan.ok(
        "period", "open", name, "--from", first, "--to", last, "--unit", "DUKCAPIL",
        "--population", "1000",
    )  # fmt: skip
    assert "Opened 'TW I 2026' (quarter): 2026-01-01 to 2026-03-31" in opened
    assert "DUKCAPIL and 1 sub-unit(s)" in opened
    assert "Unit heads get the figures on 2026-04-01" in opened

    # Before the end: approving needs --early.
    clock.set(at(2026, 3, 20))
    refused = ulasan("period", "approve", name, "--unit", "DUKCAPIL")
    assert refused.exit_code == 1
    assert "ends on 2026-03-31; add --early to approve it before" in refused.stderr

    clock.set(at(2026, 4, 2, 9))
    report_before = ulasan.report("DUKCAPIL", first, last)
    approved = ulasan.ok("period", "approve", name, "--unit", "DUKCAPIL")
    assert "Approved 'TW I 2026' for DUKCAPIL: version 1, frozen." in approved
    assert "Respondents (n): 5" in approved
    assert "minimum 278 for a population of 1000 (Krejcie–Morgan): NOT reached" in approved
    assert "Possible levies (pungli): 3" in approved  # U4 of 3 at a free service, three times
    v1 = figures(ulasan, name, "DUKCAPIL")
    assert v1["state"] == "approved" and v1["version"] == 1 and not v1["early"]
    assert group(v1["figures"]["overall"]) == group(report_before["overall"])
    assert [s["code"] for s in v1["figures"]["services"]] == ["KK", "KTP", "AKTA"]
    for frozen, live in zip(v1["figures"]["services"], report_before["services"], strict=True):
        assert group(frozen) == group(live)
    assert v1["figures"]["sample"] == {
        "population": 1000, "minimum": 278, "respondents": 5, "sufficient": False,
    }  # fmt: skip
    assert [w["code"] for w in v1["figures"]["weakest_three"]] == [
        "U4",
        "U7",
        "U1",
    ]  # U1 and U3 tie: code order
    assert v1["figures"]["levy_signals"] == 3
    # The sub-unit was cut at the same moment and waits for its own head.
    sub = figures(ulasan, name, "DUKCAPIL-PL")
    assert sub["state"] == "awaiting" and sub["figures"]["as_of"] == v1["figures"]["as_of"]
    assert group(sub["figures"]["overall"]) == group(
        ulasan.report("DUKCAPIL-PL", first, last)["overall"]
    )
    again = ulasan("period", "approve", name, "--unit", "DUKCAPIL")
    assert again.exit_code == 1 and "already approved (version 1)" in again.stderr

    # A citizen erases their answers (/hapusdata): version 1 stays, a correction is pending.
    clock.set(at(2026, 4, 6, 11))
    assert db.erase("k2") == 1
    pending = figures(ulasan, name, "DUKCAPIL")
    assert pending["version"] == 1
    assert group(pending["figures"]["overall"]) == group(report_before["overall"])
    correction = pending["pending_correction"]
    assert (correction["entered"], correction["left"]) == (0, 1)
    assert correction["respondents"] == [5, 4]
    shown = ulasan.ok("period", "show", name, "--unit", "DUKCAPIL")
    assert "Pending correction: 0 entered, 1 left; n 5→4" in shown
    assert 'ulasan period correct "TW I 2026" --unit DUKCAPIL' in shown
    assert ulasan.ok("period", "list").count("awaiting approval") == 1

    corrected = ulasan.ok("period", "correct", name, "--unit", "DUKCAPIL")
    assert "Published version 2 of 'TW I 2026' for DUKCAPIL (corrects version 1)" in corrected
    assert "KTP Perekaman KTP-el: 0 entered, 1 left; n 4→3" in corrected
    live = ulasan.report("DUKCAPIL", first, last)
    v2 = figures(ulasan, name, "DUKCAPIL")
    assert v2["version"] == 2 and v2["pending_correction"] is None
    assert group(v2["figures"]["overall"]) == group(live["overall"])
    assert v2["versions"][1]["changes"][0]["left"] == 1
    # Every version stays readable, unchanged.
    old = figures(ulasan, name, "DUKCAPIL", version=1)
    assert group(old["figures"]["overall"]) == group(report_before["overall"])
    assert "version 1 of 2" in ulasan.ok(
        "period", "show", name, "--unit", "DUKCAPIL", "--version", "1"
    )
    nothing = ulasan("period", "correct", name, "--unit", "DUKCAPIL")
    assert nothing.exit_code == 1 and "nothing to correct" in nothing.stderr


def test_early_approval_says_so_and_late_responses_become_a_correction(
    ulasan: Cli, clock: ManualClock, db: Db, world: PeriodWorld
):
    name = "Pilot Mei 2026"
    ulasan.ok(
        "period", "open", name, "--from", "2026-05-01", "--to", "2026-05-20", "--unit", "DUKCAPIL"
    )
    db.submit(world.ktp_id, at=at(2026, 5, 4))
    db.submit(world.kk_id, (2, 2, 2, 2, 2, 2, 2, 2, 2), at=at(2026, 5, 6))
    clock.set(at(2026, 5, 8, 15))
    covered = ulasan.report("DUKCAPIL", "2026-05-01", "2026-05-20")
    approved = ulasan.ok("period", "approve", name, "--unit", "DUKCAPIL", "--early")
    assert "EARLY: approved before the period ended on 2026-05-20" in approved
    v1 = figures(ulasan, name, "DUKCAPIL")
    assert v1["early"] and v1["figures"]["early"]
    assert group(v1["figures"]["overall"]) == group(covered["overall"])

    # Responses keep coming until the period ends; then the correction lists them.
    db.submit(world.ktp_id, (3, 3, 3, 3, 3, 3, 3, 3, 3), at=at(2026, 5, 12))
    db.submit(world.akta_id, at=at(2026, 5, 20, 23, 59))
    db.submit(world.akta_id, at=at(2026, 5, 21, 0, 1))  # after the period
    clock.set(at(2026, 5, 22, 9))
    listed = ulasan.ok("period", "list")
    assert "Pilot Mei 2026" in listed and "(early approval)" in listed
    shown = ulasan.ok("period", "show", name)
    assert "approved EARLY" in shown and "2 entered, 0 left; n 2→4" in shown
    corrected = ulasan.ok("period", "correct", name, "--unit", "DUKCAPIL")
    assert "2 entered, 0 left" in corrected
    live = ulasan.report("DUKCAPIL", "2026-05-01", "2026-05-20")
    latest = figures(ulasan, name, "DUKCAPIL")
    assert latest["version"] == 2 and not latest["versions"][1]["early"]
    assert group(latest["figures"]["overall"]) == group(live["overall"])
    assert group(figures(ulasan, name, "DUKCAPIL", 1)["figures"]["overall"]) == group(
        covered["overall"]
    )
    # Version 1 keeps saying it was early.
    assert "EARLY" in ulasan.ok("period", "show", name, "--unit", "DUKCAPIL", "--version", "1")


def test_a_period_for_every_unit_and_several_periods_end_equal_to_the_live_report(
    ulasan: Cli, clock: ManualClock, db: Db, world: PeriodWorld
):
    tw1_responses(db, world)
    ulasan.ok("period", "open", "Semester I 2026", "--from", "2026-01-01", "--to", "2026-06-30")
    ulasan.ok("period", "open", "TW I 2026", "--from", "2026-01-01", "--to", "2026-03-31")
    clock.set(at(2026, 4, 1, 8))
    for unit in ("DUKCAPIL", "DUKCAPIL-PL", "PERPUS"):
        ulasan.ok("period", "approve", "TW I 2026", "--unit", unit)
    refused = ulasan("period", "approve", "TW I 2026", "--unit", "DINKES")
    assert "no services in the period" in refused.stderr
    assert db.erase("levy") == 1
    clock.set(at(2026, 7, 1, 8))
    for unit in ("DUKCAPIL", "DUKCAPIL-PL", "PERPUS"):
        ulasan.ok("period", "approve", "Semester I 2026", "--unit", unit)
    ulasan.ok("period", "correct", "TW I 2026", "--unit", "DUKCAPIL")
    for name, first, last in (TW1, ("Semester I 2026", "2026-01-01", "2026-06-30")):
        for unit in ("DUKCAPIL", "DUKCAPIL-PL", "PERPUS"):
            latest = figures(ulasan, name, unit)
            assert latest["pending_correction"] is None, (name, unit)
            assert group(latest["figures"]["overall"]) == group(
                ulasan.report(unit, first, last)["overall"]
            ), (name, unit)
    semester = figures(ulasan, "Semester I 2026", "DUKCAPIL")["figures"]
    assert semester["previous"]["source"] == "live"  # no period defined for S2 2025
    listed = ulasan.json("period", "list")
    assert [(p["period"]["name"], p["approved"], p["units"]) for p in listed] == [
        ("Semester I 2026", 3, 3),
        ("TW I 2026", 3, 3),
    ]


def test_versions_are_only_ever_added_and_hold_no_identities(
    ulasan: Cli, clock: ManualClock, db: Db, world: PeriodWorld
):
    db.submit(world.ktp_id, comment="Petugas ramah", at=at(2026, 2, 2), user_key="x" * 64)
    ulasan.ok("period", "open", "TW I 2026", "--from", "2026-01-01", "--to", "2026-03-31")
    clock.set(at(2026, 4, 1, 8))
    ulasan.ok("period", "approve", "TW I 2026", "--unit", "DUKCAPIL")
    (stored,) = db.rows(SkmPeriodVersion)
    audit = [row.action for row in db.rows(AuditLog)]
    assert "Petugas ramah" not in stored.figures and "x" * 64 not in stored.figures
    assert '"comments":1' in stored.figures  # a count only
    assert {"period.open", "period.approve"} <= set(audit)


def test_refusals_are_one_line(ulasan: Cli, clock: ManualClock, world: PeriodWorld):
    ulasan.ok("period", "open", "TW I 2026", "--from", "2026-01-01", "--to", "2026-03-31")
    jan = ("--from", "2026-01-01", "--to", "2026-01-31")
    cases = [
        (("open", "TW I 2026", "--from", "2026-04-01", "--to", "2026-06-30"), "exists already"),
        (("open", "Q1", "--from", "2026-01-01", "--to", "2026-03-31"), "already covers"),
        (("open", "X", "--from", "2026-03-01", "--to", "2026-02-01"), "cannot end"),
        (("open", "X", "--from", "2026-02-30", "--to", "2026-03-01"), "not a valid date"),
        (("open", "X", *jan, "--population", "9"), "give --unit too"),
        (("open", "X", *jan, "--unit", "NOPE"), "unknown unit code 'NOPE'"),
        (("show", "Nope"), "unknown period 'Nope'"),
        (("approve", "TW I 2026", "--unit", "NOPE"), "unknown unit code"),
        (("population", "TW I 2026", "12"), "either --unit CODE or --service CODE"),
        (("population", "TW I 2026", "many", "--unit", "DUKCAPIL"), "not a whole number"),
        (("show", "TW I 2026", "--version", "1"), "--version needs --unit"),
    ]
    for args, message in cases:
        done = ulasan("period", *args)
        assert done.exit_code == 1, args
        assert message in done.stderr, (args, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    ulasan.ok("period", "population", "TW I 2026", "5000", "--service", "KTP")
    clock.set(at(2026, 4, 1, 8))
    ulasan.ok("period", "approve", "TW I 2026", "--unit", "PERPUS")
    late = ulasan("period", "population", "TW I 2026", "12", "--unit", "DUKCAPIL")
    assert "was closed" in late.stderr
    ktp = next(
        s
        for s in figures(ulasan, "TW I 2026", "DUKCAPIL")["figures"]["services"]
        if s["code"] == "KTP"
    )
    assert ktp["sample"] == {
        "population": 5000,
        "minimum": 357,
        "respondents": 0,
        "sufficient": False,
    }
