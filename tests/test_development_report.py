"""BKPSDM's development report: plans counted per OPD x core value x activity, small cells folded.

The world: two OPDs. DINAS (with the sub-unit SEKSI) has five sent plans: three
chose B1 x coaching (shown), one B2 x klasikal and one B3 x mentoring (each
folded into "lainnya"), and one of the coaching plans also names B7 x
elearning (folded). KANTOR has one plan (folded) and one draft (not counted).
MIN_ANONYMOUS_RATERS is 3. Every plan's action is a secret sentence: the test
reads every output form and finds none of them, nor any name, and cannot
recover which value or activity the lone plans chose.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from openpyxl import load_workbook

from bot.cli.main import cli, register_commands
from bot.core.clock import ManualClock
from bot.core.settings import Settings
from scheduler.scoring.development_counts import Cell, FocusFact, OpdCounts, count_plans
from storage.db import SessionFactory
from storage.development_models import APPROVED, DRAFT, SUBMITTED, DevelopmentFocus, DevelopmentPlan
from storage.models import Employee, Unit
from storage.review_models import CLOSED, ReviewCycle

NOW = datetime(2030, 2, 10, 3, 0, tzinfo=UTC)

# (label, OPD's unit, status, [(value, activity), ...])
PLANS = (
    ("a1", "DINAS", APPROVED, [("B1", "coaching"), ("B7", "elearning")]),
    ("a2", "SEKSI", SUBMITTED, [("B1", "coaching")]),
    ("a3", "SEKSI", APPROVED, [("B1", "coaching")]),
    ("a4", "SEKSI", APPROVED, [("B2", "klasikal")]),
    ("a5", "DINAS", SUBMITTED, [("B3", "mentoring")]),
    ("k1", "KANTOR", APPROVED, [("B4", "magang")]),
    ("k2", "KANTOR", DRAFT, [("B4", "magang")]),
)


def secret(label: str, value: str) -> str:
    return f"rahasia-{label}-{value}"


def test_cells_below_the_minimum_are_folded_per_opd() -> None:
    facts = [
        FocusFact("A", 1, "B1", "coaching"),
        FocusFact("A", 2, "B1", "coaching"),
        FocusFact("A", 3, "B1", "coaching"),
        FocusFact("A", 3, "B2", "klasikal"),
        FocusFact("B", 4, "B1", "coaching"),
    ]
    assert count_plans(facts, 3, value_order=["B1", "B2"]) == [
        OpdCounts("A", 3, (Cell("B1", "coaching", 3),), 1),
        OpdCounts("B", 1, (), 1),
    ]
    assert count_plans([], 3) == []


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


async def seed(sessions: SessionFactory) -> None:
    async with sessions.begin() as session:
        dinas, kantor = Unit(code="DINAS", name="Dinas"), Unit(code="KANTOR", name="Kantor")
        session.add_all([dinas, kantor])
        await session.flush()
        seksi = Unit(code="SEKSI", name="Seksi", parent_id=dinas.id)
        session.add(seksi)
        await session.flush()
        units = {"DINAS": dinas, "SEKSI": seksi, "KANTOR": kantor}
        cycle = ReviewCycle(
            name="Semester I 2030", deadline=date(2030, 1, 31), status=CLOSED, closed_at=NOW
        )
        session.add(cycle)
        await session.flush()
        for number, (label, unit, status, focus) in enumerate(PLANS):
            person = Employee(
                nip=f"19900101201501{number:04d}", name=f"Pegawai-{label}", unit_id=units[unit].id
            )
            session.add(person)
            await session.flush()
            plan = DevelopmentPlan(
                cycle_id=cycle.id,
                employee_id=person.id,
                token=f"tok{label}",
                status=status,
                step="confirm",
                suggested="",
                revision=1,
                supervisor_comment=secret(label, "komentar"),
                created_at=NOW,
                updated_at=NOW,
            )
            session.add(plan)
            await session.flush()
            session.add_all(
                DevelopmentFocus(
                    plan_id=plan.id,
                    value_code=value,
                    position=index + 1,
                    activity=activity,
                    action=secret(label, value),
                )
                for index, (value, activity) in enumerate(focus)
            )


def runner(settings: Settings, clock: ManualClock) -> Callable[..., Result]:
    register_commands()
    env = {
        "DATABASE_URL": settings.database_url,
        "DATA_DIR": str(settings.data_dir),
        "SECRET_KEY": "test-secret-key-0123456789",
        "MIN_ANONYMOUS_RATERS": "3",
    }

    def run(*args: str) -> Result:
        return CliRunner().invoke(cli, list(args), env=env, obj=clock, catch_exceptions=False)

    return run


async def test_bkpsdm_counts_plans_and_cannot_recover_anyone(
    sessions: SessionFactory, settings: Settings, clock: ManualClock, tmp_path: Path
) -> None:
    await seed(sessions)
    run = runner(settings, clock)

    result = await asyncio.to_thread(run, "report", "development", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["cycle"] == "Semester I 2030" and data["min_count"] == 3
    dinas, kantor = data["opd"]
    assert (dinas["opd"], dinas["plans"], dinas["lainnya"]) == ("DINAS", 5, 3)
    assert [(c["value"], c["activity"], c["plans"]) for c in dinas["cells"]] == [
        ("B1", "coaching", 3)
    ]
    assert dinas["cells"][0]["activity_name"] == "Coaching"
    assert (kantor["opd"], kantor["plans"], kantor["cells"], kantor["lainnya"]) == (
        "KANTOR",
        1,
        [],
        1,
    )

    table = await asyncio.to_thread(run, "report", "development", "--cycle", "Semester I 2030")
    assert table.exit_code == 0, table.output
    assert "DINAS          B1     coaching          3" in table.output
    assert "DINAS          lainnya lainnya           3" in table.output

    out = tmp_path / "bkpsdm.xlsx"
    xlsx = await asyncio.to_thread(
        run, "report", "development", "--format", "xlsx", "--out", str(out)
    )
    assert xlsx.exit_code == 0, xlsx.output
    book = load_workbook(out)
    cells = [str(c.value) for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
    assert "coaching" in cells and "B1" in cells

    # The attack: every form, every scope, searched for anything about one plan.
    outputs = [result.output, table.output, " ".join(cells)]
    for args in (("--unit", "DINAS"), ("--unit", "KANTOR")):
        for form in ("table", "json"):
            one = await asyncio.to_thread(run, "report", "development", *args, "--format", form)
            assert one.exit_code == 0, one.output
            outputs.append(one.output)
    joined = "\n".join(outputs)
    assert "rahasia" not in joined and "Pegawai-" not in joined
    # The lone plans' choices appear nowhere: not B2/B3/B4/B7, not their activities.
    for hidden in ("B2", "B3", "B4", "B7", "klasikal", "mentoring", "magang", "elearning"):
        assert hidden not in joined, hidden
    # Nested scopes cannot be subtracted: a sub-unit is refused.
    seksi = await asyncio.to_thread(run, "report", "development", "--unit", "SEKSI")
    assert seksi.exit_code == 1
    assert "SEKSI is part of the OPD DINAS" in seksi.output


async def test_bad_input_is_one_line(
    sessions: SessionFactory, settings: Settings, clock: ManualClock
) -> None:
    run = runner(settings, clock)
    none = await asyncio.to_thread(run, "report", "development")
    assert none.exit_code == 1 and "no 360° cycle has closed yet" in none.output
    await seed(sessions)
    unknown = await asyncio.to_thread(run, "report", "development", "--cycle", "Nope")
    assert unknown.exit_code == 1 and "no closed cycle named 'Nope'" in unknown.output
    unit = await asyncio.to_thread(run, "report", "development", "--unit", "X")
    assert unit.exit_code == 1 and "no unit with code 'X'" in unit.output
    form = await asyncio.to_thread(run, "report", "development", "--format", "pdf")
    assert form.exit_code == 1 and "--format" in form.output
