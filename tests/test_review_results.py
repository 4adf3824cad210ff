"""Results of closed 360° cycles: release at close, anonymity, predikat, reports, CLI, patterns.

A cycle is seeded with the models directly (roster, assignments, answers;
tests/support/result_world.py), so each test states exactly who gave which
answer. The roster::

    DINAS: S (the supervisor of everyone below; Telegram 201, English)
    └── SEKSI: R (Telegram 202, no language: the default, Indonesian),
               P1 (Telegram 203), P2, P3, and R's subordinates B1, B2, B3

The leak fixtures use numbers chosen so that a suppressed group's mean is a
value no shown figure has: if it appeared anywhere, the test would see it.
"""

from __future__ import annotations

import asyncio
import io
import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import fields, is_dataclass
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from PIL import Image
from sqlalchemy import select

from bot.core.i18n import gettext_for
from bot.core.settings import Settings
from scheduler import cycles, divergence, unit_results
from scheduler.development import INVITE_KIND
from scheduler.messages import limits, review_reports
from scheduler.scoring.rater_patterns import Direction, Extreme
from scheduler.scoring.review_instrument import Expectation, Instrument
from scheduler.scoring.review_math import Figure, Group, Reason
from scheduler.scoring.review_math import Suppressed as SuppressedCell
from scheduler.scoring.review_recommendation import PREDIKAT_MATRIX
from storage import review_results
from storage.db import SessionFactory
from storage.models import AuditLog
from storage.outbox_models import PRIORITY_REPORT, OutboxMessage
from storage.review_models import (
    IN_PROGRESS,
    OPEN,
    PEER,
    SELF,
    SUBMITTED,
    SUBORDINATE,
    SUPERVISOR,
    PerilakuDecision,
)
from storage.review_results import ResultsNotReleased
from tests.support.result_world import CODES, NOW, TG, Review, Values, base_reviews, nip, seed

# -- the leak detector -----------------------------------------------------------------------


def numbers(value: Any) -> Iterator[float]:
    """Every float reachable from a result object (config objects excepted)."""
    if isinstance(value, Instrument):
        return  # thresholds and bands are configuration, not results
    if isinstance(value, bool | int | str | bytes | Enum | date) or value is None:
        return
    if isinstance(value, float):
        yield value
    elif is_dataclass(value):
        for item in fields(value):
            yield from numbers(getattr(value, item.name))
    elif isinstance(value, dict) or hasattr(value, "items"):
        for key, item in value.items():
            yield from numbers(key)
            yield from numbers(item)
    elif isinstance(value, list | tuple | set):
        for item in value:
            yield from numbers(item)


def formatted(values: Iterable[float]) -> list[str]:
    out = []
    for value in values:
        out += [f"{value:.2f}", f"{value:.2f}".replace(".", ","), f"{value:.1f}"]
    return out


def assert_no_leak(objects: Iterable[Any], texts: Iterable[str], hidden: set[float]) -> None:
    for obj in objects:
        for found in numbers(obj):
            assert all(not math.isclose(found, h, abs_tol=0.005) for h in hidden), (found, obj)
    for text in texts:
        for token in formatted(hidden):
            assert token not in text, (token, text)


# -- release at close --------------------------------------------------------------------------


async def test_every_function_refuses_an_open_cycle(sessions: SessionFactory, settings: Settings):
    seeded = await seed(sessions, base_reviews(peers=3), status=OPEN)
    m = settings.min_anonymous_raters
    r, s = seeded.ids["R"], seeded.ids["S"]
    attempts = [
        lambda x: review_results.ratee_results(x, seeded.cycle_id, r, min_raters=m),
        lambda x: review_results.cycle_results(x, seeded.cycle_id, min_raters=m),
        lambda x: review_results.team_summary(x, seeded.cycle_id, s, min_raters=m),
        lambda x: review_results.cycle_report(x, seeded.cycle_id, min_raters=m),
        lambda x: review_results.rater_pattern_list(x, seeded.cycle_id),
        lambda x: review_results.record_perilaku_decision(
            x,
            cycle_id=seeded.cycle_id,
            ratee_id=r,
            supervisor_id=s,
            decided=2,
            now=NOW,
            min_raters=m,
        ),
        lambda x: cycles.queue_close_reports(x, settings, seeded.cycle_id, NOW),
    ]
    for attempt in attempts:
        with pytest.raises(ResultsNotReleased, match="released when the cycle closes"):
            async with sessions.begin() as session:
                await attempt(session)
    async with sessions() as session:
        assert await session.scalar(select(PerilakuDecision.id)) is None
        assert await session.scalar(select(OutboxMessage.id)) is None
        assert await session.scalar(select(AuditLog.id)) is None
        assert await review_results.latest_closed_cycle_for(session, r) is None
        pending = await review_results.open_cycle_for(session, r)
    assert pending is not None and pending.name == "Semester I 2030"
    error = ResultsNotReleased(name="X")
    assert "dirilis" in error.translated(gettext_for("id"))


async def test_drafts_never_count(sessions: SessionFactory, settings: Settings):
    reviews = [*base_reviews(peers=3), Review("B1", "R", SUBORDINATE, 1, status=IN_PROGRESS)]
    reviews[2].status = IN_PROGRESS  # P1's reopened review is a draft again
    seeded = await seed(sessions, reviews)
    async with sessions() as session:
        results = await review_results.ratee_results(
            session, seeded.cycle_id, seeded.ids["R"], min_raters=3
        )
    assert results.received == review_results.Completion(4, 6)
    # Only P2 and P3 count now: below the minimum, and their comments stay hidden.
    assert results.result.cell(Group.PEERS) == SuppressedCell(Reason.BELOW_MINIMUM)
    assert results.result.cell(Group.SUBORDINATES) == SuppressedCell(Reason.NO_SCORES)


# -- anonymity ---------------------------------------------------------------------------------

LEAK_CASES = {
    # P1 = 1, P2 = 2: peers 1.50; with the supervisor (3) 2.00. Shown: self 3, supervisor 3.
    "two peers": (base_reviews(peers=2), {1.5, 2.0}),
    # Peers 1, 2, 3 (2.00) and one subordinate (2): peers would reveal the subordinate
    # through "others"; others without peers = (3 + 2) / 2 = 2.50. Shown: others 2.20.
    "three peers and one subordinate": (base_reviews(peers=3, subordinates=1), {2.0, 2.5}),
}


@pytest.mark.parametrize("case", list(LEAK_CASES))
async def test_suppressed_groups_cannot_be_derived(
    case: str, sessions: SessionFactory, settings: Settings, tmp_path: Path
):
    reviews, hidden = LEAK_CASES[case]
    seeded = await seed(sessions, reviews)
    m = settings.min_anonymous_raters
    async with sessions() as session:
        results = await review_results.ratee_results(
            session, seeded.cycle_id, seeded.ids["R"], min_raters=m
        )
        everyone, teams = await review_results.cycle_report(session, seeded.cycle_id, min_raters=m)
        team = await review_results.team_summary(
            session, seeded.cycle_id, seeded.ids["S"], min_raters=m
        )
    result = results.result
    assert isinstance(result.cell(Group.PEERS), SuppressedCell)
    assert result.cell(Group.SELF) == Figure(3.0, 1)
    assert result.cell(Group.SUPERVISOR) == Figure(3.0, 1)
    if case == "two peers":
        assert result.cell(Group.OTHERS) == SuppressedCell(Reason.BELOW_MINIMUM)
        assert results.overall == (Group.SUPERVISOR, Figure(3.0, 1))
        assert results.recommendation is not None
        assert results.recommendation.basis is Group.SUPERVISOR
    else:
        assert result.cell(Group.PEERS) == SuppressedCell(Reason.DIFFERENCING)
        assert result.cell(Group.SUBORDINATES) == SuppressedCell(Reason.BELOW_MINIMUM)
        assert result.cell(Group.OTHERS) == Figure(pytest.approx(2.2), 5)

    units = review_results.unit_summaries(everyone, min_raters=m)
    texts = [
        review_reports.report_text(results, "id"),
        review_reports.report_text(results, "en"),
        review_reports.team_text(team, "en", m),
        review_reports.team_text(team, "id", m),
    ]
    assert_no_leak([results, everyone, teams, team, units], texts, hidden)
    # Peers' comments are released only when at least m peers and subordinates wrote one.
    released = "\n".join(texts)
    assert "ramah sekali" in released if case != "two peers" else "ramah sekali" not in released
    assert "Pertahankan ketelitian" in texts[0]  # the supervisor's, attributed

    # The CLI in all three formats, under the same rule.
    run = cli_runner(tmp_path, settings)
    table = await asyncio.to_thread(run, "--cycle", "Semester I 2030")
    data = await asyncio.to_thread(run, "--cycle", "Semester I 2030", "--format", "json")
    out = tmp_path / "review.xlsx"
    sheet = await asyncio.to_thread(
        run, "--cycle", "Semester I 2030", "--format", "xlsx", "--out", str(out)
    )
    for result_ in (table, data, sheet):
        assert result_.exit_code == 0, result_.stderr
    parsed = json.loads(data.stdout)
    cells = xlsx_cells(out)
    assert_no_leak(
        [parsed, [c for c in cells if isinstance(c, float)]],
        [table.stdout, data.stdout, *(c for c in cells if isinstance(c, str))],
        hidden,
    )
    if case == "two peers":
        assert "ramah sekali" not in table.stdout + data.stdout + " ".join(map(str, cells))


async def test_three_peers_are_shown_and_pooled(sessions: SessionFactory, settings: Settings):
    seeded = await seed(sessions, base_reviews(peers=3))
    async with sessions() as session:
        results = await review_results.ratee_results(
            session, seeded.cycle_id, seeded.ids["R"], min_raters=3
        )
    result = results.result
    assert result.cell(Group.PEERS) == Figure(2.0, 3)
    assert result.cell(Group.OTHERS) == Figure(2.25, 4)
    assert result.cell(Group.SUBORDINATES) == SuppressedCell(Reason.NO_SCORES)
    assert results.overall == (Group.OTHERS, Figure(2.25, 4))
    assert results.recommendation is not None
    assert results.recommendation.perilaku is Expectation.SESUAI
    assert results.hasil_kerja is Expectation.DI_ATAS
    assert results.predikat is not None and results.predikat.label_id == "Baik"
    text = review_reports.report_text(results, "id")
    assert "Keseluruhan: penilai lain 2,25 (n=4) · diri sendiri 3,00" in text
    assert "Per kelompok: Atasan 3,00; Rekan kerja 2,00 (n=3); Bawahan tidak ada penilaian" in text
    # Self 3 vs others 2.25: +0.75 is a blind spot on every value.
    assert text.count("(+0,75) — Titik buta") == len(CODES)
    assert sorted(t for t in text.splitlines() if "ramah sekali" in t) == [
        f"• Rekan P{i}: ramah sekali" for i in (1, 2, 3)
    ]
    english = review_reports.report_text(results, "en")
    assert "Overall: others 2.25 (n=4) · self 3.00" in english
    assert "Recommended perilaku kerja: Meets expectations (from others 2.25, n=4)" in english
    assert "Predikat kinerja (recommended; your supervisor decides): Good" in english


# -- the predikat matrix -----------------------------------------------------------------------


@pytest.mark.parametrize("hasil", list(Expectation))
@pytest.mark.parametrize("perilaku", list(Expectation))
async def test_predikat_for_every_cell_of_the_matrix(
    perilaku: Expectation, hasil: Expectation, sessions: SessionFactory, settings: Settings
):
    """Others (supervisor and three peers) all rate ``perilaku``; the supervisor's hasil kerja."""
    reviews = [
        Review("R", "R", SELF, 2),
        Review("S", "R", SUPERVISOR, int(perilaku), hasil=int(hasil)),
        *(Review(f"P{i}", "R", PEER, int(perilaku)) for i in (1, 2, 3)),
    ]
    seeded = await seed(sessions, reviews)
    async with sessions() as session:
        results = await review_results.ratee_results(
            session, seeded.cycle_id, seeded.ids["R"], min_raters=3
        )
        team = await review_results.team_summary(
            session, seeded.cycle_id, seeded.ids["S"], min_raters=3
        )
    expected = PREDIKAT_MATRIX[perilaku, hasil]
    assert results.result.cell(Group.OTHERS) == Figure(float(perilaku), 4)
    assert results.recommendation is not None
    assert results.recommendation.perilaku is perilaku
    assert results.predikat is expected
    (member,) = team.members
    assert (member.recommended, member.hasil_kerja, member.predikat) == (
        perilaku,
        hasil,
        expected,
    )
    assert f"Predikat kinerja (recommended; your supervisor decides): {expected.label}" in (
        review_reports.report_text(results, "en")
    )
    assert f"predikat: {expected.label_id}" in review_reports.team_text(team, "id", 3)


async def test_no_hasil_kerja_no_predikat(sessions: SessionFactory, settings: Settings):
    seeded = await seed(sessions, base_reviews(peers=3, hasil=None))
    async with sessions() as session:
        results = await review_results.ratee_results(
            session, seeded.cycle_id, seeded.ids["R"], min_raters=3
        )
    assert results.recommendation is not None and results.predikat is None
    assert "Predikat" not in review_reports.report_text(results, "id")


async def test_supervisor_confirms_or_overrides(sessions: SessionFactory, settings: Settings):
    seeded = await seed(sessions, base_reviews(peers=3))
    r, s = seeded.ids["R"], seeded.ids["S"]
    decide = review_results.record_perilaku_decision
    with pytest.raises(review_results.NotSupervisor):
        async with sessions.begin() as session:  # a peer is not the supervisor
            await decide(
                session,
                cycle_id=seeded.cycle_id,
                ratee_id=r,
                supervisor_id=seeded.ids["P1"],
                decided=3,
                now=NOW,
                min_raters=3,
            )
    with pytest.raises(review_results.InvalidDecision):
        async with sessions.begin() as session:
            await decide(
                session,
                cycle_id=seeded.cycle_id,
                ratee_id=r,
                supervisor_id=s,
                decided=4,
                now=NOW,
                min_raters=3,
            )
    for value in (2, 3):  # confirm, then change to an override: one row
        async with sessions.begin() as session:
            decision = await decide(
                session,
                cycle_id=seeded.cycle_id,
                ratee_id=r,
                supervisor_id=s,
                decided=value,
                now=NOW,
                min_raters=3,
            )
        assert decision.recommended is Expectation.SESUAI
        assert decision.is_override is (value == 3)
    async with sessions() as session:
        rows = (await session.scalars(select(PerilakuDecision))).all()
        audits = (
            await session.scalars(select(AuditLog).where(AuditLog.action == "perilaku.decide"))
        ).all()
        results = await review_results.ratee_results(session, seeded.cycle_id, r, min_raters=3)
    assert [(row.recommended, row.decided, row.decided_by) for row in rows] == [(2, 3, s)]
    assert len(audits) == 2 and "recommended=sesuai; decided=di_atas" in audits[-1].detail
    # The decided perilaku (di atas) and hasil kerja (di atas) now give Sangat Baik.
    assert results.perilaku is Expectation.DI_ATAS
    assert results.predikat is not None and results.predikat.label_id == "Sangat Baik"
    text = review_reports.report_text(results, "en")
    assert "Perilaku kerja decided by your supervisor: Above expectations" in text
    assert "Predikat kinerja: Excellent" in text


# -- teams and units ---------------------------------------------------------------------------


def team_reviews() -> list[Review]:
    """Everyone in SEKSI but the subordinates rates everyone else in it; S rates all."""
    reviews = []
    team = ("R", "P1", "P2", "P3")
    for ratee in team:
        reviews.append(Review(ratee, ratee, SELF, 2, keep=f"catatan {ratee}"))
        reviews.append(Review("S", ratee, SUPERVISOR, 3, hasil=2))
        for rater in team:
            if rater != ratee:
                pending = rater == "P3" and ratee == "R"
                reviews.append(
                    Review(rater, ratee, PEER, 2, status=IN_PROGRESS if pending else SUBMITTED)
                )
    return reviews


async def test_team_summary_and_units(sessions: SessionFactory, settings: Settings):
    seeded = await seed(sessions, team_reviews())
    async with sessions() as session:
        team = await review_results.team_summary(
            session, seeded.cycle_id, seeded.ids["S"], min_raters=3
        )
        everyone = await review_results.cycle_results(session, seeded.cycle_id, min_raters=3)
        with pytest.raises(review_results.NotSupervisor):
            await review_results.team_summary(
                session, seeded.cycle_id, seeded.ids["P1"], min_raters=3
            )
    assert [m.person.name for m in team.members] == [
        "Pegawai P1",
        "Pegawai P2",
        "Pegawai P3",
        "Pegawai R",
    ]
    by_name = {m.person.name: m for m in team.members}
    r = by_name["Pegawai R"]
    # R: self, S, P1, P2 submitted; P3's review still a draft: peers 2 < 3, others = S only…
    assert (r.received.submitted, r.received.total) == (4, 5)
    assert r.overall == (Group.SUPERVISOR, Figure(3.0, 1))
    p3 = by_name["Pegawai P3"]
    assert (p3.given.submitted, p3.given.total) == (3, 4)
    assert p3.overall is not None and p3.overall[0] is Group.OTHERS
    assert p3.overall[1] == Figure(pytest.approx(2.25), 4)
    assert team.received == review_results.Completion(19, 20)
    text = review_reports.team_text(team, "en", 3)
    assert "Team members: 4" in text and "submitted 19/20" in text
    assert "Supervisor 3.00 (n=1)" in text and "Others 2.25 (n=4)" in text

    (unit,) = review_results.unit_summaries(everyone, min_raters=3)
    assert (unit.unit_code, unit.ratees) == ("SEKSI", 4)
    # Three ratees have a shown "others" figure (2.25 each): enough for a unit figure.
    assert unit.overall == review_results.UnitFigure(pytest.approx(2.25), 3)
    (unit,) = review_results.unit_summaries(everyone, min_raters=4)
    assert unit.overall == SuppressedCell(Reason.BELOW_MINIMUM)


# -- queueing at close -------------------------------------------------------------------------


async def test_queue_close_reports(sessions: SessionFactory, settings: Settings):
    seeded = await seed(sessions, team_reviews())
    async with sessions.begin() as session:
        queued = await cycles.queue_close_reports(session, settings, seeded.cycle_id, NOW)
    async with sessions.begin() as session:
        again = await cycles.queue_close_reports(session, settings, seeded.cycle_id, NOW)
    assert again == 0
    async with sessions() as session:
        every = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    # The development plans' invitations follow the reports and are counted apart.
    invites = [row for row in every if row.kind == INVITE_KIND]
    assert {row.chat_id for row in invites} == {TG["R"], TG["P1"]}
    # The openness and divergence messages (tests/test_unit_openness.py, test_divergence.py)
    # are counted apart too.
    apart = (INVITE_KIND, unit_results.KIND, divergence.KIND)
    rows = [row for row in every if row.kind not in apart]
    assert queued == len(rows)
    reports = [row for row in rows if row.kind == cycles.REPORT_KIND]
    teams = [row for row in rows if row.kind == cycles.TEAM_KIND]
    # Linked ratees: R and P1 (S is not rated in this cycle); linked supervisor: S.
    assert {row.chat_id for row in reports} == {TG["R"], TG["P1"]}
    assert {row.employee_id for row in reports} == {seeded.ids["R"], seeded.ids["P1"]}
    assert {row.chat_id for row in teams} == {TG["S"]}
    assert all(row.priority == PRIORITY_REPORT for row in rows)
    for chat in (TG["R"], TG["P1"]):
        mine = [row for row in reports if row.chat_id == chat]
        images = [row for row in mine if row.image is not None]
        assert len(images) == 1 and mine[0].image is not None  # the chart comes first
        picture = Image.open(io.BytesIO(images[0].image))
        picture.verify()
        assert picture.format == "PNG"
        for row in mine:
            text = json.loads(row.content)["text"]
            assert len(text) <= (1024 if row.image is not None else 4096)
        body = "\n".join(json.loads(row.content)["text"] for row in mine)
        assert "Umpan balik 360°" in body  # no language chosen: the default, Indonesian
    team_text = "\n".join(json.loads(row.content)["text"] for row in teams)
    assert "Team summary: Semester I 2030" in team_text  # S chose English
    buttons = json.loads(teams[-1].content)["buttons"]
    assert buttons == [
        [{"text": "Decide perilaku kerja ratings", "callback_data": f"rs:t:{seeded.cycle_id}"}]
    ]


async def test_long_reports_are_split(sessions: SessionFactory, settings: Settings):
    long = "Sangat membantu warga. " * 43  # ≈ 990 characters each
    reviews = base_reviews(peers=3)
    for review in reviews[2:]:
        review.keep = f"{review.rater}: {long}"
        review.improve = f"{review.rater}: {long}"
    seeded = await seed(sessions, reviews)
    async with sessions.begin() as session:
        queued = await cycles.queue_close_reports(session, settings, seeded.cycle_id, NOW)
    async with sessions() as session:
        rows = (
            await session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.chat_id == TG["R"])
                .order_by(OutboxMessage.id)
            )
        ).all()
    assert queued >= len(rows) >= 3
    assert rows[0].image is not None and len(json.loads(rows[0].content)["text"]) <= 1024
    texts = [json.loads(row.content)["text"] for row in rows[1:]]
    assert all(row.image is None for row in rows[1:])
    assert all(len(text) <= 4096 for text in texts)
    assert sum(text.count(long.strip()) for text in texts) == 6  # every comment, whole


def test_split_text_limits():
    text = "\n".join(["a" * 50] * 10 + ["b" * 130])
    parts = limits.split_text(text, 100)
    assert all(len(part) <= 100 for part in parts)
    assert parts[0] == "a" * 50
    assert "".join(parts).count("a") == 500


# -- CLI -----------------------------------------------------------------------------------------


def cli_runner(tmp_path: Path, settings: Settings) -> Any:
    from bot.cli.main import cli, register_commands

    register_commands()
    register_commands()  # a second registration is harmless
    env = {
        "DATABASE_URL": settings.database_url,
        "DATA_DIR": str(tmp_path / "data"),
        "SECRET_KEY": "cli-test-secret-0123456789",
        "DEFAULT_LANGUAGE": "id",
        "MIN_ANONYMOUS_RATERS": str(settings.min_anonymous_raters),
    }

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(cli, ["report", "review", *args], env=env, catch_exceptions=False)

    return invoke


def xlsx_cells(path: Path) -> list[Any]:
    from openpyxl import load_workbook

    book = load_workbook(path)
    return [
        cell.value
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    ]


async def test_cli_report_review(sessions: SessionFactory, settings: Settings, tmp_path: Path):
    seeded = await seed(sessions, team_reviews())
    await seed(sessions, base_reviews(peers=3), status=OPEN, name="Masih Buka")
    run = cli_runner(tmp_path, settings)
    result = await asyncio.to_thread(run, "--cycle", "Semester I 2030")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "Pegawai R" in out and nip("R") in out
    assert "Penilai lain" in out
    assert "Rekomendasi perilaku kerja" in out

    data = json.loads(
        (await asyncio.to_thread(run, "--cycle", "Semester I 2030", "--format", "json")).stdout
    )
    assert data["report"] == "review" and data["cycle"]["name"] == "Semester I 2030"
    assert data["min_anonymous_raters"] == 3
    ratees = {r["employee"]["nip"]: r for r in data["ratees"]}
    assert set(ratees) == {nip(x) for x in ("R", "P1", "P2", "P3")}
    p3 = ratees[nip("P3")]
    assert p3["groups"]["others"]["overall"] == {"mean": 2.25, "n": 4}
    assert p3["groups"]["subordinates"]["overall"] == {"suppressed": "no_scores"}
    assert p3["predikat"]["code"] == "baik"
    r = ratees[nip("R")]
    assert r["groups"]["peers"]["overall"] == {"suppressed": "below_minimum"}
    assert data["units"][0]["overall"] == {"mean": 2.25, "ratees": 3}
    assert "patterns" not in data

    one = json.loads(
        (
            await asyncio.to_thread(
                run, "--cycle", "Semester I 2030", "--employee", nip("P3"), "--format", "json"
            )
        ).stdout
    )
    assert [x["employee"]["nip"] for x in one["ratees"]] == [nip("P3")]
    unit = json.loads(
        (
            await asyncio.to_thread(
                run, "--cycle", "Semester I 2030", "--unit", "dinas", "--format", "json"
            )
        ).stdout
    )
    assert len(unit["ratees"]) == 4

    path = tmp_path / "out" / "review.xlsx"
    written = await asyncio.to_thread(
        run, "--cycle", "Semester I 2030", "--format", "xlsx", "--out", str(path)
    )
    assert written.exit_code == 0, written.stderr
    from openpyxl import load_workbook

    book = load_workbook(path)
    assert book.sheetnames[0] == "Ringkasan"
    assert {nip(x) for x in ("R", "P1", "P2", "P3")} <= set(book.sheetnames)
    summary = book["Ringkasan"]
    assert summary.max_row == 5  # header and one row per ratee: no per-rater rows ever

    # Bad input: one line, exit code 1.
    for args, message in [
        (("--cycle", "Masih Buka"), "released when the cycle closes"),
        (("--cycle", "Nope"), "no cycle named"),
        (("--cycle", "Semester I 2030", "--employee", "123"), "no employee with NIP 123"),
        (("--cycle", "Semester I 2030", "--employee", nip("B1")), "is not rated"),
        (("--cycle", "Semester I 2030", "--unit", "NOPE"), "no unit with code NOPE"),
        (("--cycle", "Semester I 2030", "--format", "pdf"), "--format"),
    ]:
        failed = await asyncio.to_thread(run, *args)
        assert failed.exit_code == 1, (args, failed.stdout)
        assert message in failed.stderr and len(failed.stderr.strip().splitlines()) == 1
        assert "Traceback" not in failed.stderr
    assert seeded.cycle_id


# -- rater patterns ------------------------------------------------------------------------------

MIXED = ([3, 2, 3, 2, 3, 2, 3], [2, 3, 2, 3, 2, 3, 3])  # both 18/7: equal means, not identical


def pattern_reviews() -> list[Review]:
    """Six colleagues rate each other: P1 and P2 all-highest both ways; B3 rates all 1."""
    team = ("R", "P1", "P2", "P3", "B1", "B3")
    reviews = []
    for rater in team:
        for index, ratee in enumerate(r for r in team if r != rater):
            if rater == "B3":
                values: Values = 1
            elif {rater, ratee} == {"P1", "P2"}:
                values = 3
            else:
                values = list(MIXED[index % 2])
            reviews.append(Review(rater, ratee, PEER, values))
    return reviews


async def test_rater_patterns(sessions: SessionFactory, settings: Settings, tmp_path: Path):
    seeded = await seed(sessions, pattern_reviews())
    async with sessions() as session:
        patterns = await review_results.rater_pattern_list(session, seeded.cycle_id)
    assert [(f.first.name, f.second.name, f.extreme) for f in patterns.reciprocal] == [
        ("Pegawai P1", "Pegawai P2", Extreme.HIGHEST)
    ]
    assert [(f.rater.name, f.ratees) for f in patterns.straight_lining] == [("Pegawai B3", 5)]
    assert [(f.rater.name, f.direction) for f in patterns.outliers] == [
        ("Pegawai B3", Direction.SEVERE)
    ]
    run = cli_runner(tmp_path, settings)
    table = await asyncio.to_thread(run, "--cycle", "Semester I 2030", "--patterns")
    assert table.exit_code == 0, table.stderr
    assert "Pegawai P1" in table.stdout and "Pegawai P2" in table.stdout
    data = json.loads(
        (
            await asyncio.to_thread(
                run, "--cycle", "Semester I 2030", "--patterns", "--format", "json"
            )
        ).stdout
    )
    assert data["patterns"]["reciprocal"] == [
        {
            "first": {"nip": nip("P1"), "name": "Pegawai P1"},
            "second": {"nip": nip("P2"), "name": "Pegawai P2"},
            "extreme": "highest",
        }
    ]
    assert data["patterns"]["straight_lining"] == [
        {"rater": {"nip": nip("B3"), "name": "Pegawai B3"}, "ratees": 5}
    ]
    (outlier,) = data["patterns"]["outliers"]
    assert outlier["direction"] == "severe" and outlier["z"] <= -2


def test_the_leak_detector_sees_leaks():
    """The detector itself: a hidden mean anywhere, as a number or as text, fails."""
    with pytest.raises(AssertionError):
        assert_no_leak([{"cell": Figure(1.5, 2)}], [], {1.5})
    with pytest.raises(AssertionError):
        assert_no_leak([], ["Rekan kerja 1,50 (n=2)"], {1.5})
    with pytest.raises(AssertionError):
        assert_no_leak([], ['"mean": 2.0'], {2.0})
    assert_no_leak([Figure(2.2, 5)], ["2,20 (n=5)"], {1.5, 2.0})


async def test_a_whole_cycle_loads_in_a_fixed_number_of_statements(
    sessions: SessionFactory, settings: Settings
):
    """Not one query per ratee: four ratees cost what one costs."""
    from sqlalchemy import event

    seeded = await seed(sessions, team_reviews())
    engine = sessions.kw["bind"]
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        async with sessions() as session:
            one = await review_results.cycle_results(
                session, seeded.cycle_id, min_raters=3, ratee_ids=[seeded.ids["R"]]
            )
        single = len(statements)
        statements.clear()
        async with sessions() as session:
            everyone = await review_results.cycle_results(session, seeded.cycle_id, min_raters=3)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)
    assert (len(one), len(everyone)) == (1, 4)
    assert len(statements) <= single + 1  # the whole cycle reads supervisors separately


async def test_cli_report_review_says_when_too_few_core_values_survive(
    sessions: SessionFactory, settings: Settings, tmp_path: Path
):
    b7_only: list[int | None] = [None] * 6 + [2]
    await seed(
        sessions,
        [
            Review("R", "R", SELF, 3),
            Review("S", "R", SUPERVISOR, b7_only, hasil=3),
            Review("P1", "R", PEER, 1),
            Review("P2", "R", PEER, b7_only),
            Review("P3", "R", PEER, b7_only),
        ],
    )
    run = cli_runner(tmp_path, settings)
    table = (await asyncio.to_thread(run, "--cycle", "Semester I 2030")).stdout
    assert "belum cukup data: 1 dari 7 nilai inti ditampilkan, perlu 4" in table
    data = json.loads(
        (await asyncio.to_thread(run, "--cycle", "Semester I 2030", "--format", "json")).stdout
    )
    assert data["recommendation_min_values"] == 4
    (r,) = data["ratees"]
    assert r["recommendation"] is None and r["predikat"] is None
    assert r["coverage"] == {
        "basis": "others",
        "values": ["B7"],
        "total": 7,
        "required": 4,
        "enough": False,
    }


async def test_the_coverage_minimum_is_read_from_the_settings(
    sessions: SessionFactory, settings: Settings, tmp_path: Path
):
    await seed(sessions, base_reviews(peers=3))
    from bot.cli.main import cli, register_commands

    register_commands()
    env = {
        "DATABASE_URL": settings.database_url,
        "DATA_DIR": str(tmp_path / "data"),
        "SECRET_KEY": "cli-test-secret-0123456789",
        "RECOMMENDATION_MIN_VALUES": "8",  # more than BerAKHLAK has: all seven
    }
    args = ["report", "review", "--cycle", "Semester I 2030", "--format", "json"]
    result = await asyncio.to_thread(CliRunner().invoke, cli, args, env=env, catch_exceptions=False)
    (r,) = json.loads(result.stdout)["ratees"]
    assert r["coverage"]["required"] == 7 and r["recommendation"]["values"] == list(CODES)
