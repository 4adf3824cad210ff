"""Who rates whom in a 360° cycle, generated from the roster.

Input: one `RosterEntry` (employee id, supervisor id, active, unit id) per
employee in the cycle's scope (the unit with its sub-units, or everyone). The
scope is the ACTIVE entries; inactive entries only tell a missing supervisor
apart from an inactive one. For every employee E in scope, with direct
supervisor S:

- self: E rates E (relation ``self``), unless ``no_self``;
- supervisor: S rates E (relation ``supervisor``), if S is in scope;
- subordinate: E rates S (relation ``subordinate``), if S is in scope;
- peers: the employees in scope with the same direct supervisor S (whether or
  not S is in scope or active: they still share a supervisor), at most
  ``max_peers`` per ratee. An employee without a supervisor has no peers.
  Peers are defined by the supervisor alone: direct reports of one supervisor
  in different sub-units are peers.

When S is not in the roster (out of scope: e.g. the unit head reports to
someone outside the unit) or is inactive, E gets no supervisor assignment and
S none as subordinate rater; a `PlanNote` says so, and an admin can add one
with ``cycle assign``. A supervisor id equal to the employee's own id is
treated as no supervisor (noted). Inactive employees are neither raters nor
ratees.

Peer choice, balanced: each peer group (sorted by id) is shuffled with an RNG
seeded by (seed, supervisor id), so groups do not reshuffle each other, and
laid out on a ring; the ratee at position i is rated by the next
k = min(max_peers, g − 1) members i+1 … i+k (mod g). Every member then rates
exactly k peers and is rated by exactly k, so within a peer group the max peer
load minus the min peer load is 0 (the promised bound is ≤ 1), nobody rates
themselves, and no (rater, ratee) pair repeats (k ≤ g − 1 distinct offsets).

One pair, one relation: assignments are added in the order self, supervisor,
subordinate, peer, and a pair that already has a relation is skipped with a
``duplicate_pair`` note. A peer pair can never collide with the other
relations (that would need an employee to be their own supervisor, which is
removed above); only a roster cycle A → B → A makes the supervisor and
subordinate pairs collide, and that is a roster error worth the note.

Deterministic: the same roster, options and seed give the same plan.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

from scheduler.scoring.review_instrument import Relation

DEFAULT_MAX_PEERS = 4
MAX_PEERS_LIMIT = 50
# Relations an operator may add by hand; self-assessments come from the plan only.
ASSIGNABLE = ("peer", "subordinate", "supervisor")

_RELATION_ORDER = {
    Relation.SELF: 0,
    Relation.SUPERVISOR: 1,
    Relation.SUBORDINATE: 2,
    Relation.PEER: 3,
}


class RosterEntry(NamedTuple):
    employee_id: int
    supervisor_id: int | None
    active: bool
    unit_id: int | None = None


@dataclass(frozen=True)
class Assignment:
    rater_id: int
    ratee_id: int
    relation: Relation


class NoteCode(StrEnum):
    NO_SUPERVISOR = "no_supervisor"
    SUPERVISOR_IS_SELF = "supervisor_is_self"
    SUPERVISOR_OUT_OF_SCOPE = "supervisor_out_of_scope"
    SUPERVISOR_INACTIVE = "supervisor_inactive"
    DUPLICATE_PAIR = "duplicate_pair"


@dataclass(frozen=True)
class PlanNote:
    employee_id: int  # the ratee concerned
    code: NoteCode
    other_id: int | None = None  # the supervisor, or the rater of a skipped pair


@dataclass(frozen=True)
class AssignmentPlan:
    assignments: tuple[Assignment, ...]  # sorted by ratee, relation, rater
    notes: tuple[PlanNote, ...]

    def load(self, relation: Relation | None = None) -> dict[int, int]:
        """How many colleagues each rater is asked to rate (optionally one relation)."""
        out: dict[int, int] = defaultdict(int)
        for a in self.assignments:
            if relation is None or a.relation is relation:
                out[a.rater_id] += 1
        return dict(out)


def generate_assignments(
    roster: Iterable[RosterEntry | tuple[int, int | None, bool, int | None]],
    *,
    max_peers: int = DEFAULT_MAX_PEERS,
    no_self: bool = False,
    seed: int | str = 0,
) -> AssignmentPlan:
    """The assignments of a new cycle for the employees in ``roster`` (see module doc)."""
    if max_peers < 0:
        raise ValueError("max_peers must not be negative")
    entries = _entries(roster)
    in_scope = sorted(e for e, entry in entries.items() if entry.active)
    plan = _Plan()
    supervisor_of = _supervisors(entries, in_scope, plan)
    if not no_self:
        for employee in in_scope:
            plan.add(employee, employee, Relation.SELF)
    reachable = _reachable(entries, in_scope, supervisor_of, plan)
    for employee, boss in reachable:
        plan.add(boss, employee, Relation.SUPERVISOR)
    for employee, boss in reachable:
        plan.add(employee, boss, Relation.SUBORDINATE)
    groups = _peer_groups(in_scope, supervisor_of)
    for boss in sorted(groups):
        for rater, ratee in _ring_peers(groups[boss], max_peers, f"{seed}:{boss}"):
            plan.add(rater, ratee, Relation.PEER)
    return plan.result()


@dataclass
class _Plan:
    """The pairs so far (one relation each) and the notes, in the order they arose."""

    pairs: dict[tuple[int, int], Relation] = field(default_factory=dict)
    notes: list[PlanNote] = field(default_factory=list)

    def add(self, rater: int, ratee: int, relation: Relation) -> None:
        if (rater, ratee) in self.pairs:
            self.notes.append(PlanNote(ratee, NoteCode.DUPLICATE_PAIR, rater))
            return
        self.pairs[rater, ratee] = relation

    def result(self) -> AssignmentPlan:
        assignments = sorted(
            (Assignment(rater, ratee, relation) for (rater, ratee), relation in self.pairs.items()),
            key=lambda a: (a.ratee_id, _RELATION_ORDER[a.relation], a.rater_id),
        )
        return AssignmentPlan(tuple(assignments), tuple(self.notes))


def _entries(
    roster: Iterable[RosterEntry | tuple[int, int | None, bool, int | None]],
) -> dict[int, RosterEntry]:
    entries: dict[int, RosterEntry] = {}
    for row in roster:
        entry = RosterEntry(*row)
        if entry.employee_id in entries:
            raise ValueError(f"employee {entry.employee_id} is in the roster twice")
        entries[entry.employee_id] = entry
    return entries


def _supervisors(
    entries: dict[int, RosterEntry], in_scope: list[int], plan: _Plan
) -> dict[int, int | None]:
    """Each employee's direct supervisor; one who is their own supervisor has none (noted)."""
    supervisor_of: dict[int, int | None] = {}
    for employee in in_scope:
        boss = entries[employee].supervisor_id
        if boss == employee:
            plan.notes.append(PlanNote(employee, NoteCode.SUPERVISOR_IS_SELF, boss))
            boss = None
        supervisor_of[employee] = boss
    return supervisor_of


def _reachable(
    entries: dict[int, RosterEntry],
    in_scope: list[int],
    supervisor_of: dict[int, int | None],
    plan: _Plan,
) -> list[tuple[int, int]]:
    """(employee, supervisor) pairs both in scope; why the others are not is noted."""
    reachable: list[tuple[int, int]] = []
    for employee in in_scope:
        boss = supervisor_of[employee]
        if boss is None:
            if entries[employee].supervisor_id is None:
                plan.notes.append(PlanNote(employee, NoteCode.NO_SUPERVISOR))
        elif boss not in entries:
            plan.notes.append(PlanNote(employee, NoteCode.SUPERVISOR_OUT_OF_SCOPE, boss))
        elif not entries[boss].active:
            plan.notes.append(PlanNote(employee, NoteCode.SUPERVISOR_INACTIVE, boss))
        else:
            reachable.append((employee, boss))
    return reachable


def _peer_groups(in_scope: list[int], supervisor_of: dict[int, int | None]) -> dict[int, list[int]]:
    """Supervisor → the employees in scope who report to them (in id order)."""
    groups: dict[int, list[int]] = defaultdict(list)
    for employee in in_scope:
        boss = supervisor_of[employee]
        if boss is not None:
            groups[boss].append(employee)
    return groups


def _ring_peers(members: list[int], max_peers: int, seed: str) -> list[tuple[int, int]]:
    """(rater, ratee) peer pairs: each member rated by the next k on a seeded ring."""
    order = sorted(members)
    # A str seed is hashed with SHA-512 by random.seed, so it is stable across runs.
    random.Random(seed).shuffle(order)
    size = len(order)
    k = min(max_peers, size - 1)
    return [
        (order[(i + step) % size], ratee)
        for i, ratee in enumerate(order)
        for step in range(1, k + 1)
    ]
