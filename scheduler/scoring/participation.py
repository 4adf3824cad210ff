"""Compliance with continuous feedback per OPD: the view HR builds by hand today.

Pure: rows in, figures out. A row is one feedback card (one employee's period)
with its OPD, supervisor, status, whether the dialogue was recorded and
whether the employee has an expectation for the year. Per OPD:

- supervisors: those holding at least one card that could be answered (a card
  still waiting for a linked account is counted apart, not against them);
- compliant: supervisors who gave feedback on at least `THRESHOLD` (80 %) of
  their answerable cards (a skipped card counts as not given);
- dialogues: cards whose employee recorded the performance dialogue, of the
  cards with feedback;
- expectations: employees with at least one expectation for the year, of all.

Shares are exact fractions; the caller rounds for display.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

THRESHOLD = Fraction(4, 5)
WAITING, GIVEN = "waiting", "given"


@dataclass(frozen=True)
class CardFact:
    opd: str
    supervisor_id: int
    employee_id: int
    status: str
    discussed: bool
    expectation: bool


@dataclass(frozen=True)
class OpdParticipation:
    opd: str
    supervisors: int
    compliant: int
    cards: int
    waiting: int
    given: int
    skipped_or_open: int
    dialogues: int
    employees: int
    with_expectations: int

    @property
    def compliant_share(self) -> Fraction | None:
        return Fraction(self.compliant, self.supervisors) if self.supervisors else None

    @property
    def dialogue_share(self) -> Fraction | None:
        return Fraction(self.dialogues, self.given) if self.given else None

    @property
    def expectation_share(self) -> Fraction | None:
        return Fraction(self.with_expectations, self.employees) if self.employees else None


def participation(facts: Iterable[CardFact]) -> list[OpdParticipation]:
    """One figure per OPD, by OPD name."""
    by_opd: dict[str, list[CardFact]] = defaultdict(list)
    for fact in facts:
        by_opd[fact.opd].append(fact)
    return [_one(opd, rows) for opd, rows in sorted(by_opd.items())]


def _one(opd: str, rows: list[CardFact]) -> OpdParticipation:
    answerable = [r for r in rows if r.status != WAITING]
    per_supervisor: dict[int, list[CardFact]] = defaultdict(list)
    for row in answerable:
        per_supervisor[row.supervisor_id].append(row)
    compliant = sum(
        1
        for cards in per_supervisor.values()
        if Fraction(sum(c.status == GIVEN for c in cards), len(cards)) >= THRESHOLD
    )
    given = [r for r in answerable if r.status == GIVEN]
    employees = {r.employee_id: r.expectation for r in rows}
    return OpdParticipation(
        opd=opd,
        supervisors=len(per_supervisor),
        compliant=compliant,
        cards=len(rows),
        waiting=len(rows) - len(answerable),
        given=len(given),
        skipped_or_open=len(answerable) - len(given),
        dialogues=sum(r.discussed for r in given),
        employees=len(employees),
        with_expectations=sum(employees.values()),
    )
