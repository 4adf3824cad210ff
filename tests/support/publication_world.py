"""A world of published SKM periods: three quarters approved, one corrected into a version 2.

`publish_world` drives the real CLI (`period_world.Cli`) with a `ManualClock`:
Disdukcapil (with its sub-unit) and Dinas Perpustakaan get responses in TW IV
2025, TW I 2026 and TW II 2026; each quarter is approved on the first working
day after it; a citizen erases their TW I answers with /hapusdata, and the
correction is published as TW I's version 2 (in July, after TW II was
approved). `snapshot` reads a version's figures back with ``ulasan period
show --format json``: the numbers every published output must repeat.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scheduler.documents import period_snapshot as snap
from storage import survey
from storage.db import SessionFactory
from tests.support.alert_world import GOOD, submit
from tests.support.period_world import WORKED_EXAMPLE, Cli, PeriodWorld, at, in_db

QUARTERS = (
    ("TW IV 2025", "2025-10-01", "2025-12-31"),
    ("TW I 2026", "2026-01-01", "2026-03-31"),
    ("TW II 2026", "2026-04-01", "2026-06-30"),
)
UNITS = ("DUKCAPIL", "DUKCAPIL-PL", "PERPUS")
COMMENT = "Antrean lama, petugas Budi tidak ramah"  # never published


@dataclass
class Published:
    """Which (period, unit, version) exist after `publish_world`."""

    versions: list[tuple[str, str, int]]


def _submit(url: str, service_id: int, scores: tuple[int, ...], **kwargs: Any) -> None:
    in_db(url, lambda sessions: submit(sessions, service_id, scores, **kwargs))


def _erase(url: str, user_key: str) -> int:
    async def work(sessions: SessionFactory) -> int:
        async with sessions.begin() as session:
            return await survey.delete_user_data(session, user_key)

    return in_db(url, work)


def _responses(url: str, world: PeriodWorld) -> None:
    _submit(url, world.ktp_id, (3, 3, 3, 3, 3, 3, 3, 2, 3), at=at(2025, 11, 3), user_key="q4a")
    _submit(url, world.akta_id, GOOD, at=at(2025, 11, 4), user_key="q4b")
    _submit(url, world.buku_id, (3, 2, 3, 3, 3, 3, 3, 3, 3), at=at(2025, 12, 1), user_key="q4c")
    for number, scores in enumerate(WORKED_EXAMPLE):
        _submit(url, world.ktp_id, scores, at=at(2026, 2, 2 + number), user_key=f"k{number}",
                comment=COMMENT if number == 2 else None)  # fmt: skip
    _submit(url, world.akta_id, (2, 3, 3, 3, 3, 3, 3, 3, 3), at=at(2026, 3, 10), user_key="a1")
    _submit(url, world.buku_id, GOOD, at=at(2026, 1, 15), user_key="b1")
    _submit(url, world.ktp_id, (4, 3, 4, 3, 4, 3, 4, 3, 4), at=at(2026, 5, 5), user_key="m1")
    _submit(url, world.kk_id, (3, 3, 2, 4, 3, 3, 3, 3, 2), at=at(2026, 5, 6), user_key="m2")
    _submit(url, world.buku_id, (2, 2, 3, 3, 3, 3, 3, 2, 2), at=at(2026, 6, 2), user_key="m3")


def publish_world(ulasan: Cli, url: str, world: PeriodWorld) -> Published:
    _responses(url, world)
    for name, first, last in QUARTERS:
        ulasan.ok("period", "open", name, "--from", first, "--to", last)
    ulasan.ok("period", "population", "TW I 2026", "1000", "--unit", "DUKCAPIL")
    ulasan.ok("period", "population", "TW I 2026", "3", "--service", "KTP")
    done = []
    for (name, _first, _last), moment in zip(
        QUARTERS, (at(2026, 1, 2, 8), at(2026, 4, 1, 8), at(2026, 7, 1, 8)), strict=True
    ):
        ulasan.clock.set(moment)
        for unit in UNITS:
            if ulasan("period", "approve", name, "--unit", unit).exit_code == 0:
                done.append((name, unit, 1))
    assert _erase(url, "k1") == 1  # a TW I citizen erases their answers
    ulasan.clock.set(at(2026, 7, 2, 9))
    ulasan.ok("period", "correct", "TW I 2026", "--unit", "DUKCAPIL")
    done.append(("TW I 2026", "DUKCAPIL", 2))
    return Published(sorted(done))


def snapshot(ulasan: Cli, name: str, unit: str, version: int) -> dict[str, Any]:
    """The version's figures as ``ulasan period show --unit --version --format json``."""
    data = ulasan.json("period", "show", name, "--unit", unit, "--version", str(version))
    (only,) = data["units"]
    figures: dict[str, Any] = only["figures"]
    return figures


def konversi_text(group: dict[str, Any]) -> str:
    """IKM konversi of a snapshot group as the documents print it (decimal comma)."""
    result = snap.group_result(group)
    assert result is not None
    return f"{result.konversi_rounded:.2f}".replace(".", ",")


def ikm_text(group: dict[str, Any]) -> str:
    result = snap.group_result(group)
    assert result is not None
    from scheduler.scoring import skm

    return f"{skm.round_half_up(result.ikm, 4):.4f}".replace(".", ",")


def plan(url: str, period_name: str, unit_id: int, owner_id: int, lines: list[tuple[str, str]],
         forum: str | None = None) -> None:  # fmt: skip
    """A follow-up plan (RTL) as /rtl leaves it: one line per (unsur, activity), owned by
    ``owner_id``, due in TW III 2026, and the forum's date."""
    from datetime import date

    from storage import periods, rtl

    async def work(sessions: SessionFactory) -> None:
        async with sessions.begin() as session:
            period = await periods.period_named(session, period_name)
            now = at(2026, 7, 3)
            made, _new = await rtl.create_plan(
                session, period=period, unit_id=unit_id, unsur=[], actor="test", now=now
            )
            for unsur, activity in lines:
                line = await rtl.add_line(session, made, unsur, actor="test", now=now)
                await rtl.change_line(
                    session, line.id, actor="test", now=now, activity=activity,
                    owner_employee_id=owner_id, due_date=date(2026, 9, 30),
                    due_label="TW III 2026", target="NRR ≥ 3,50",
                )  # fmt: skip
            if forum is not None:
                await rtl.set_forum_date(
                    session, made, date.fromisoformat(forum), actor="test", now=now
                )

    in_db(url, work)
