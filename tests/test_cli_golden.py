"""The operator's outputs, byte for byte: reports, QR table, job list, outbox status.

One deterministic database (fixed codes, tokens, payloads and times) is read by
the commands in every format they have, and each output is compared with its
file in ``tests/golden/``. Text and JSON must match exactly (JSON's
``generated_at`` comes from the clock the test hands in). An XLSX file differs
from run to run only in its timestamps (the zip entries' times and the
workbook's created/modified properties), so it is compared part by part with
those two properties blanked, plus a readable summary of every sheet (cell
values, number formats, bold, column widths, merged cells, frozen panes) that
makes a failure say what changed.

A change of a label or a number fails here. When an output is meant to change,
regenerate with ``ULASAN_GOLDEN_UPDATE=1 pytest tests/test_cli_golden.py`` and
review the diff of ``tests/golden/`` like code.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import zipfile
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from bot.core.clock import ManualClock
from scheduler.scoring.shipped_instruments import BERAKHLAK_3
from storage.db import create_engine, session_factory
from storage.models import Employee, Service, TelegramAccount, Unit
from storage.outbox_models import FAILED, QUEUED, SENT, JobRun, OutboxMessage, UnreachableChat
from storage.review_models import (
    CLOSED,
    IN_PROGRESS,
    PEER,
    SELF,
    SUBMITTED,
    SUBORDINATE,
    SUPERVISOR,
    PerilakuDecision,
    ReviewAnswer,
    ReviewAssignment,
    ReviewCycle,
)
from storage.survey_models import DRAFT, SurveyEntry, SurveyResponse

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("ULASAN_GOLDEN_UPDATE") == "1"
JAKARTA = ZoneInfo("Asia/Jakarta")
NOW = datetime(2030, 3, 4, 2, 30, tzinfo=UTC)  # Monday 4 March 2030, 09:30 WIB
UNSUR = ("u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8", "u9")
OFFICER = "198001012005011001"
IDLE = "198001012005011002"


def local(y: int, m: int, d: int, hh: int, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=JAKARTA).astimezone(UTC)


# -- the database ------------------------------------------------------------------------------


async def seed_roster(session: Any) -> dict[str, Any]:
    duk = Unit(code="DUK", name="Dinas Kependudukan dan Pencatatan Sipil")
    dlh = Unit(code="DLH", name="Dinas Lingkungan Hidup")
    session.add_all([duk, dlh])
    await session.flush()
    upt = Unit(code="UPT", name="UPT Kecamatan Utara", parent_id=duk.id)
    session.add(upt)
    await session.flush()
    services = {
        "KTP": Service(code="KTP", unit_id=duk.id, name="KTP-el", free=True),
        "KK": Service(code="KK", unit_id=upt.id, name="Kartu Keluarga", free=True),
        "SAMPAH": Service(code="SAMPAH", unit_id=dlh.id, name="Angkutan sampah"),
        "OLD": Service(code="OLD", unit_id=duk.id, name="Lama", active=False),
    }
    session.add_all(services.values())
    officer = Employee(nip=OFFICER, name="Sari Petugas", unit_id=duk.id, position="Operator")
    idle = Employee(nip=IDLE, name="Budi Petugas", unit_id=duk.id)
    session.add_all([officer, idle])
    await session.flush()
    return {"services": services, "officer": officer, "units": {"DUK": duk, "UPT": upt}}


def response(number: int, service: Service, scores: tuple[int, ...], at: datetime, **extra: Any):
    extra.setdefault("status", "submitted")
    extra.setdefault("local_date", at.astimezone(JAKARTA).date())
    return SurveyResponse(
        token=f"golden{number:04d}",
        user_key=f"citizen-{number:04d}",
        service_id=service.id,
        step="done",
        started_at=at,
        updated_at=at,
        submitted_at=at if extra["status"] == "submitted" else None,
        **dict(zip(UNSUR, scores, strict=True)),
        **extra,
    )


async def seed_surveys(session: Any, roster: dict[str, Any]) -> None:
    ktp, kk, sampah = (roster["services"][c] for c in ("KTP", "KK", "SAMPAH"))
    officer = roster["officer"]
    session.add_all(
        [
            response(
                1,
                ktp,
                (4,) * 9,
                local(2030, 2, 4, 10),
                employee_id=officer.id,
                comment="Pelayanan cepat, terima kasih",
                age_group="20-29",
                gender="f",
                education="s1",
                occupation="private",
            ),
            response(2, kk, (3,) * 9, local(2030, 2, 5, 9), gender="m", age_group="60+"),
            response(
                3,
                ktp,
                (4, 4, 3, 3, 4, 4, 2, 3, 4),
                local(2030, 2, 11, 0, 30),
                employee_id=officer.id,
                local_date=date(2030, 2, 10),
                comment='=HYPERLINK("http://x","klik")',
                education="unexpected",
            ),
            response(4, ktp, (1,) * 9, local(2030, 2, 12, 11), status=DRAFT, comment="draft"),
            response(5, ktp, (2, 1, 2, 1, 2, 1, 2, 1, 2), local(2030, 1, 20, 11)),
            response(6, sampah, (1,) * 9, local(2030, 2, 3, 11), occupation="student"),
        ]
    )
    session.add_all(
        SurveyEntry(payload=f"s_golden{number}", service_id=service.id, employee_id=None)
        for number, service in enumerate(roster["services"].values())
        if service.active
    )
    session.add(SurveyEntry(payload="s_goldenofficer", service_id=ktp.id, employee_id=officer.id))


REVIEW_LABELS = ("S", "R", "P1", "P2", "P3", "B1", "B2", "B3")


def review_nip(label: str) -> str:
    return f"19900101201501{REVIEW_LABELS.index(label) + 1:04d}"


async def seed_review_roster(session: Any, roster: dict[str, Any]) -> dict[str, int]:
    units = roster["units"]
    ids: dict[str, Employee] = {}
    for label in REVIEW_LABELS:
        boss = None if label == "S" else ("R" if label.startswith("B") else "S")
        person = Employee(
            nip=review_nip(label),
            name=f"Pegawai {label}",
            unit_id=units["DUK" if label == "S" else "UPT"].id,
            supervisor_id=ids[boss].id if boss else None,
        )
        session.add(person)
        await session.flush()
        ids[label] = person
    session.add_all(
        TelegramAccount(telegram_user_id=300 + n, employee_id=ids[label].id)
        for n, label in enumerate(("S", "R", "P1"))
    )
    return {label: person.id for label, person in ids.items()}


# (rater, ratee, relation, values per item, status, keep, improve, hasil kerja)
Review = tuple[str, str, str, tuple[int | None, ...], str, str | None, str | None, int | None]


def team_reviews() -> list[Review]:
    """R, P1, P2, P3 rate themselves and each other; S rates them; R's team rates R."""
    team = ("R", "P1", "P2", "P3")
    reviews: list[Review] = []
    for n, ratee in enumerate(team):
        own = (1, 1, 1, 1, 2, 1, 1) if ratee == "R" else (3, 3, 2, 3, 3, 3, 2)
        reviews.append((ratee, ratee, SELF, own, SUBMITTED, f"catatan {ratee}", None, None))
        reviews.append(
            (
                "S",
                ratee,
                SUPERVISOR,
                (3, 2, 3, 2, 3, 3, 2),
                SUBMITTED,
                "Pertahankan ketelitian" if ratee == "R" else None,
                "Lebih cepat" if ratee == "P1" else None,
                1 + n % 3,
            )
        )
        for m, rater in enumerate(team):
            if rater == ratee:
                continue
            status = IN_PROGRESS if (rater, ratee) == ("P3", "P2") else SUBMITTED
            values = (1 + (n + m) % 3, 2, None if m == 3 else 2, 2, 3, 1 + n % 3, 2)
            keep = f"Rekan {rater}: ramah" if ratee == "R" else None
            reviews.append((rater, ratee, PEER, values, status, keep, None, None))
    reviews += [
        ("B1", "R", SUBORDINATE, (3, 3, 3, 2, 2, 3, 3), SUBMITTED, None, "jelaskan tugas", None),
        (
            "B2",
            "R",
            SUBORDINATE,
            (2, 3, 3, 3, 2, 2, 3),
            SUBMITTED,
            None,
            "rapat lebih singkat",
            None,
        ),
    ]
    return reviews


def pattern_reviews(outlier: int) -> list[Review]:
    """P1 and P2 give each other the highest marks, R and P3 the lowest;
    B3 rates everyone ``outlier``."""
    team = ("R", "P1", "P2", "P3", "B1", "B3")
    reviews: list[Review] = []
    for rater in team:
        for index, ratee in enumerate(r for r in team if r != rater):
            if rater == "B3":
                values: tuple[int | None, ...] = (outlier,) * 7
            elif {rater, ratee} == {"P1", "P2"}:
                values = (3,) * 7
            elif {rater, ratee} == {"R", "P3"}:
                values = (1,) * 7
            else:
                values = ((3, 2, 3, 2, 3, 2, 3), (2, 3, 2, 3, 2, 3, 3))[index % 2]
                if outlier > 2:  # everyone else is strict
                    values = tuple(4 - v if v else v for v in values)
            reviews.append((rater, ratee, PEER, values, SUBMITTED, None, None, None))
    return reviews


async def seed_cycle(
    session: Any, ids: dict[str, int], name: str, reviews: list[Review]
) -> ReviewCycle:
    cycle = ReviewCycle(
        name=name,
        deadline=date(2030, 1, 31),
        status=CLOSED,
        opened_at=local(2030, 1, 2, 8),
        closed_at=local(2030, 2, 1, 17),
        opened_by="cli:golden",
    )
    session.add(cycle)
    await session.flush()
    for number, (rater, ratee, relation, values, status, keep, improve, hasil) in enumerate(
        reviews
    ):
        assignment = ReviewAssignment(
            cycle_id=cycle.id,
            rater_id=ids[rater],
            ratee_id=ids[ratee],
            relation=relation,
            status=status,
            token=f"g{cycle.id}t{number}",
            comment_keep=keep,
            comment_improve=improve,
            hasil_kerja=hasil,
            submitted_at=local(2030, 1, 20, 9) if status == SUBMITTED else None,
        )
        session.add(assignment)
        await session.flush()
        session.add_all(
            ReviewAnswer(assignment_id=assignment.id, item_code=code, value=value)
            for code, value in zip(BERAKHLAK_3.item_codes, values, strict=True)
        )
    return cycle


async def seed_reviews(session: Any, roster: dict[str, Any]) -> None:
    ids = await seed_review_roster(session, roster)
    team = await seed_cycle(session, ids, "Semester I 2030", team_reviews())
    await seed_cycle(session, ids, "Pola 2030", pattern_reviews(1))
    await seed_cycle(session, ids, "Pola Murah 2030", pattern_reviews(3))
    session.add(
        PerilakuDecision(
            cycle_id=team.id,
            ratee_id=ids["R"],
            recommended=2,
            decided=3,
            decided_by=ids["S"],
            decided_at=local(2030, 2, 2, 10),
        )
    )
    session.add(
        PerilakuDecision(
            cycle_id=team.id,
            ratee_id=ids["P1"],
            recommended=2,
            decided=2,
            decided_by=ids["S"],
            decided_at=local(2030, 2, 2, 11),
        )
    )


async def seed_operations(session: Any) -> None:
    """Job runs and outbox rows with fixed times, for ``job list`` and ``outbox status``."""
    session.add_all(
        [
            JobRun(
                name="housekeeping",
                last_started_at=local(2030, 3, 4, 3, 0),
                last_finished_at=local(2030, 3, 4, 3, 1),
                last_status="ok",
                last_result="12 stale drafts abandoned; 3 alerts expired; "
                "outbox: 40 sent messages older than 30 days deleted",
            ),
            JobRun(
                name="rollup",
                last_started_at=local(2030, 3, 3, 23, 45),
                last_finished_at=local(2030, 3, 3, 23, 46),
                last_status="error",
                last_result="OperationalError: database is locked",
            ),
        ]
    )
    rows = [
        (QUEUED, local(2030, 3, 4, 8, 10)),
        (QUEUED, local(2030, 3, 4, 9, 0)),
        (QUEUED, local(2030, 3, 4, 21, 0)),
        (SENT, local(2030, 3, 3, 9, 0)),
        (SENT, local(2030, 3, 3, 9, 5)),
        (FAILED, local(2030, 3, 2, 9, 0)),
    ]
    session.add_all(
        OutboxMessage(
            chat_id=1000 + n,
            kind="reminder",
            content=f"pesan {n}",
            dedupe_key=f"golden:{n}",
            status=status,
            not_before=when,
            created_at=when,
        )
        for n, (status, when) in enumerate(rows)
    )
    session.add(UnreachableChat(chat_id=4242, since=local(2030, 3, 1, 8)))


@pytest.fixture
async def golden_env(migrated: str, tmp_path: Path) -> dict[str, str]:
    engine = create_engine(migrated)
    try:
        async with session_factory(engine).begin() as session:
            roster = await seed_roster(session)
            await seed_surveys(session, roster)
            await seed_reviews(session, roster)
            await seed_operations(session)
    finally:
        await engine.dispose()
    return {
        "DATABASE_URL": migrated,
        "DATA_DIR": str(tmp_path / "data"),
        "SECRET_KEY": "golden-secret-key-0123456789",
        "TIMEZONE": "Asia/Jakarta",
        "DEFAULT_LANGUAGE": "id",
        "MIN_ANONYMOUS_RATERS": "3",
        "BOT_USERNAME": "UlasanKotaBot",
        "BOT_TOKEN": "",
        "LOG_LEVEL": "WARNING",
    }


# -- the commands ------------------------------------------------------------------------------

IKM_MONTH = ("--unit", "DUK", "--from", "2030-02-01", "--to", "2030-02-28", "--population", "100")
IKM_OFFICER = ("--employee", OFFICER, "--service", "KTP", "--population", "2")
IKM_EMPTY = ("--employee", IDLE)
REVIEW_TEAM = ("--cycle", "Semester I 2030", "--unit", "UPT")
REVIEW_PATTERNS = ("--cycle", "Pola 2030", "--patterns", "--employee", review_nip("B1"))

# (golden file stem, arguments); the suffix of the stem says how the output is compared.
CASES: dict[str, tuple[str, ...]] = {
    "report-ikm-month.txt": ("report", "ikm", *IKM_MONTH),
    "report-ikm-officer.txt": ("report", "ikm", *IKM_OFFICER),
    "report-ikm-empty.txt": ("report", "ikm", *IKM_EMPTY),
    "report-ikm-month.json": ("report", "ikm", *IKM_MONTH, "--format", "json"),
    "report-ikm-empty.json": ("report", "ikm", *IKM_EMPTY, "--format", "json"),
    "report-ikm-month.xlsx": ("report", "ikm", *IKM_MONTH, "--format", "xlsx"),
    "report-ikm-officer.xlsx": ("report", "ikm", *IKM_OFFICER, "--format", "xlsx"),
    "report-ikm-empty.xlsx": ("report", "ikm", *IKM_EMPTY, "--format", "xlsx"),
    "report-review-team.txt": ("report", "review", *REVIEW_TEAM),
    "report-review-patterns.txt": ("report", "review", *REVIEW_PATTERNS),
    "report-review-team.json": ("report", "review", *REVIEW_TEAM, "--format", "json"),
    "report-review-patterns.json": ("report", "review", *REVIEW_PATTERNS, "--format", "json"),
    "report-review-team.xlsx": ("report", "review", *REVIEW_TEAM, "--format", "xlsx"),
    "report-review-patterns.xlsx": ("report", "review", *REVIEW_PATTERNS, "--format", "xlsx"),
    "report-review-lenient.txt": (
        "report",
        "review",
        "--cycle",
        "Pola Murah 2030",
        "--patterns",
        "--employee",
        review_nip("B1"),
    ),
    "qr.txt": ("qr", "--format", "table", "--out", "qr"),
    "qr-officer.txt": ("qr", "--employee", OFFICER, "--format", "table", "--out", "qr"),
    "job-list.txt": ("job", "list"),
    "job-list.json": ("job", "list", "--format", "json"),
    "outbox-status.txt": ("outbox", "status"),
    "outbox-status.json": ("outbox", "status", "--format", "json"),
}


@pytest.fixture
def fixed_now() -> ManualClock:
    """Every "now" the commands read is NOW: the CLI takes its clock from click's ``obj``."""
    return ManualClock(NOW)


def run(env: dict[str, str], clock: ManualClock, args: tuple[str, ...]) -> str:
    from bot.cli.main import cli, register_commands

    register_commands()
    result = CliRunner().invoke(cli, list(args), env=env, obj=clock, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


# -- comparing ---------------------------------------------------------------------------------

PARTS = "-- the file's parts (sha256, created/modified times blanked):"
_CORE_TIMES = re.compile(rb"<dcterms:(created|modified)[^>]*>[^<]*</dcterms:\1>")


def xlsx_parts(path: Path) -> dict[str, str]:
    """sha256 of every part of the file, the created/modified times blanked."""
    parts = {}
    with zipfile.ZipFile(path) as archive:
        for name in sorted(archive.namelist()):
            data = archive.read(name)
            if name == "docProps/core.xml":
                data = _CORE_TIMES.sub(rb"<dcterms:\1/>", data)
            parts[name] = hashlib.sha256(data).hexdigest()
    return parts


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return value


def xlsx_summary(path: Path) -> list[str]:
    """What a reader of the workbook sees, one line per sheet and per cell."""
    from openpyxl import load_workbook

    book = load_workbook(path)
    lines = []
    for sheet in book.worksheets:
        widths = {
            key: dim.width
            for key, dim in sorted(sheet.column_dimensions.items())
            if dim.customWidth
        }
        merged = sorted(str(r) for r in sheet.merged_cells.ranges)
        head = {"sheet": sheet.title, "freeze": sheet.freeze_panes, "widths": widths}
        lines.append(json.dumps({**head, "merged": merged}, ensure_ascii=False))
        lines += [
            json.dumps(
                [cell.coordinate, _plain(cell.value), cell.number_format, bool(cell.font.b)],
                ensure_ascii=False,
            )
            for row in sheet.iter_rows()
            for cell in row
            if cell.value is not None
        ]
    return lines


def xlsx_golden(path: Path) -> str:
    parts = [f"{name} {digest}" for name, digest in xlsx_parts(path).items()]
    return "\n".join([*xlsx_summary(path), PARTS, *parts]) + "\n"


def produce(name: str, env: dict[str, str], clock: ManualClock, tmp_path: Path) -> str:
    args = CASES[name]
    if not name.endswith(".xlsx"):
        return run(env, clock, args)
    out = tmp_path / name
    assert run(env, clock, (*args, "--out", str(out))).strip() == str(out)
    return xlsx_golden(out)


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Relative paths (``--out qr``) land in the test's folder; no .env is read."""
    monkeypatch.chdir(tmp_path)
    yield tmp_path


@pytest.mark.parametrize("name", list(CASES))
def test_output_is_unchanged(
    name: str, golden_env: dict[str, str], fixed_now: ManualClock, in_tmp: Path
):
    produced = produce(name, golden_env, fixed_now, in_tmp)
    golden = GOLDEN / (name + ".golden" if name.endswith(".xlsx") else name)
    if UPDATE:
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(produced, encoding="utf-8")
    expected = golden.read_text(encoding="utf-8")
    if name.endswith(".xlsx"):  # what a reader sees first, then the bytes
        assert produced.split(PARTS)[0] == expected.split(PARTS)[0]
    assert produced == expected
