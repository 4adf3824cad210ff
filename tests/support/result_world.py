"""Closed 360° cycles with the reviews a test chooses, for results and reports.

`seed` writes the roster (once per database) and then one cycle (closed by
default) with the given `Review`s, directly with the models, so each test
states exactly who gave which answer. The roster::

    DINAS: S (the supervisor of everyone below; Telegram 201, English)
    └── SEKSI: R (Telegram 202, no language: the default, Indonesian),
               P1 (Telegram 203), P2, P3, U, and R's subordinates B1, B2, B3

`base_reviews` is the usual set around R: self, supervisor with hasil kerja,
n peers, m subordinates.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import select

from scheduler.scoring.shipped_instruments import BERAKHLAK_3
from storage.db import SessionFactory
from storage.models import Employee, TelegramAccount, Unit
from storage.review_models import (
    CLOSED,
    PEER,
    SELF,
    SUBMITTED,
    SUBORDINATE,
    SUPERVISOR,
    ReviewAnswer,
    ReviewAssignment,
    ReviewCycle,
)

NOW = datetime(2030, 2, 1, 3, 0, tzinfo=UTC)
CODES = BERAKHLAK_3.item_codes
TG = {"S": 201, "R": 202, "P1": 203}
LANGUAGE = {"S": "en"}
UNIT_OF = {"S": "DINAS"}
BOSS_OF = {"B1": "R", "B2": "R", "B3": "R", "S": None}
LABELS = ("S", "R", "P1", "P2", "P3", "B1", "B2", "B3", "U")

Values = int | None | list[int | None]


def nip(label: str) -> str:
    return f"1990{LABELS.index(label) + 1:02d}01201501100{LABELS.index(label) + 1}"[:18]


@dataclass
class Review:
    rater: str
    ratee: str
    relation: str
    values: Values = 2
    status: str = SUBMITTED
    keep: str | None = None
    improve: str | None = None
    hasil: int | None = None


@dataclass
class Seeded:
    cycle_id: int
    ids: dict[str, int] = field(default_factory=dict)


def _values(values: Values) -> list[int | None]:
    return list(values) if isinstance(values, list) else [values] * len(CODES)


async def seed(
    sessions: SessionFactory,
    reviews: Iterable[Review],
    *,
    status: str = CLOSED,
    name: str = "Semester I 2030",
    link: bool = True,
) -> Seeded:
    """The roster (once per database), one cycle and the given reviews."""
    async with sessions.begin() as session:
        units = {u.code: u for u in await session.scalars(select(Unit))}
        people = {e.nip: e for e in await session.scalars(select(Employee))}
        if not units:
            dinas = Unit(code="DINAS", name="Dinas Kependudukan")
            session.add(dinas)
            await session.flush()
            seksi = Unit(code="SEKSI", name="Seksi Pelayanan", parent_id=dinas.id)
            session.add(seksi)
            await session.flush()
            units = {"DINAS": dinas, "SEKSI": seksi}
            ids: dict[str, Employee] = {}
            for label in LABELS:  # in order: every supervisor exists before their team
                boss_label = BOSS_OF.get(label, "S")
                employee = Employee(
                    nip=nip(label),
                    name=f"Pegawai {label}",
                    unit_id=units[UNIT_OF.get(label, "SEKSI")].id,
                    supervisor_id=ids[boss_label].id if boss_label else None,
                )
                session.add(employee)
                await session.flush()
                ids[label] = employee
            if link:
                session.add_all(
                    TelegramAccount(
                        telegram_user_id=chat,
                        employee_id=ids[label].id,
                        language=LANGUAGE.get(label),
                    )
                    for label, chat in TG.items()
                )
            people = {e.nip: e for e in ids.values()}
        by_label = {label: people[nip(label)].id for label in LABELS}
        cycle = ReviewCycle(
            name=name,
            deadline=date(2030, 1, 31),
            status=status,
            closed_at=NOW if status == CLOSED else None,
        )
        session.add(cycle)
        await session.flush()
        for number, review in enumerate(reviews):
            assignment = ReviewAssignment(
                cycle_id=cycle.id,
                rater_id=by_label[review.rater],
                ratee_id=by_label[review.ratee],
                relation=review.relation,
                status=review.status,
                token=f"{name[:6]}{cycle.id}t{number}",
                comment_keep=review.keep,
                comment_improve=review.improve,
                hasil_kerja=review.hasil,
                submitted_at=NOW if review.status == SUBMITTED else None,
            )
            session.add(assignment)
            await session.flush()
            session.add_all(
                ReviewAnswer(assignment_id=assignment.id, item_code=code, value=value)
                for code, value in zip(CODES, _values(review.values), strict=True)
            )
        return Seeded(cycle.id, by_label)


def base_reviews(*, peers: int, subordinates: int = 0, hasil: int | None = 3) -> list[Review]:
    """R rated by self (3), S (3, hasil kerja), peers 1, 2, 3…, subordinates 2."""
    reviews = [
        Review("R", "R", SELF, 3, keep="Saya teliti", improve="Saya perlu lebih cepat"),
        Review("S", "R", SUPERVISOR, 3, keep="Pertahankan ketelitian", hasil=hasil),
    ]
    for index in range(peers):
        label = f"P{index + 1}"
        reviews.append(Review(label, "R", PEER, index + 1, keep=f"Rekan {label}: ramah sekali"))
    for index in range(subordinates):
        reviews.append(Review(f"B{index + 1}", "R", SUBORDINATE, 2, improve="Bawahan: jelaskan"))
    return reviews
