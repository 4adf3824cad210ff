"""Generating who rates whom in a cycle from the roster."""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.scoring.assignments import (
    Assignment,
    AssignmentPlan,
    NoteCode,
    PlanNote,
    RosterEntry,
    generate_assignments,
)
from scheduler.scoring.review_instrument import Relation

SELF, SUP, PEER, SUB = Relation.SELF, Relation.SUPERVISOR, Relation.PEER, Relation.SUBORDINATE

# Head 1 leads 2..8; 2 leads 9 and 10; 11 is inactive; 12 reports to someone out of scope.
ROSTER = [
    RosterEntry(1, None, True, 1),
    *(RosterEntry(e, 1, True, 1) for e in range(2, 9)),
    RosterEntry(9, 2, True, 2),
    RosterEntry(10, 2, True, 2),
    RosterEntry(11, 1, False, 1),
    RosterEntry(12, 99, True, 3),
]


def of(plan: AssignmentPlan, relation: Relation) -> set[tuple[int, int]]:
    return {(a.rater_id, a.ratee_id) for a in plan.assignments if a.relation is relation}


def check_invariants(plan: AssignmentPlan, max_peers: int) -> None:
    pairs = [(a.rater_id, a.ratee_id) for a in plan.assignments]
    assert len(pairs) == len(set(pairs)), "a pair has two relations"
    for a in plan.assignments:
        assert (a.rater_id == a.ratee_id) == (a.relation is SELF)
    peers_per_ratee = Counter(a.ratee_id for a in plan.assignments if a.relation is PEER)
    assert all(n <= max_peers for n in peers_per_ratee.values())


def test_relations_from_the_roster():
    plan = generate_assignments(ROSTER)
    check_invariants(plan, 4)
    active = {1, *range(2, 11), 12}
    assert of(plan, SELF) == {(e, e) for e in active}
    assert of(plan, SUP) == {(1, e) for e in range(2, 9)} | {(2, 9), (2, 10)}
    assert of(plan, SUB) == {(e, 1) for e in range(2, 9)} | {(9, 2), (10, 2)}
    peers = of(plan, PEER)
    assert {(9, 10), (10, 9)} <= peers  # a group of two rate each other
    group = set(range(2, 9))
    assert all((r in group) == (t in group) for r, t in peers)
    # Nobody rates or is rated in a relation they do not have.
    assert all(11 not in pair for pair in {(a.rater_id, a.ratee_id) for a in plan.assignments})
    assert all(12 not in pair for pair in peers | of(plan, SUP) | of(plan, SUB))


def test_peers_capped_and_balanced():
    plan = generate_assignments(ROSTER, max_peers=4)
    peers = [a for a in plan.assignments if a.relation is PEER and a.ratee_id in range(2, 9)]
    assert Counter(a.ratee_id for a in peers) == dict.fromkeys(range(2, 9), 4)
    assert Counter(a.rater_id for a in peers) == dict.fromkeys(range(2, 9), 4)
    assert plan.load(PEER)[9] == 1


def test_small_groups_get_everyone_and_max_peers_zero_gets_none():
    plan = generate_assignments(ROSTER, max_peers=10)
    group = set(range(2, 9))
    assert {p for p in of(plan, PEER) if p[0] in group} == {
        (r, t) for r in group for t in group if r != t
    }
    assert of(generate_assignments(ROSTER, max_peers=0), PEER) == set()


def test_no_self():
    plan = generate_assignments(ROSTER, no_self=True)
    assert of(plan, SELF) == set()
    assert of(plan, SUP)  # the rest is unchanged
    assert of(plan, PEER) == of(generate_assignments(ROSTER), PEER)


def test_deterministic_for_a_seed():
    first = generate_assignments(ROSTER, seed=42)
    assert generate_assignments(list(reversed(ROSTER)), seed=42) == first
    others = {generate_assignments(ROSTER, seed=s).assignments for s in range(1, 6)}
    assert any(o != first.assignments for o in others)


def test_unrelated_groups_do_not_reshuffle_each_other():
    alone = generate_assignments(ROSTER, seed=3)
    extra = generate_assignments(
        [*ROSTER, *(RosterEntry(e, 50, True, 9) for e in range(51, 56))], seed=3
    )
    assert of(alone, PEER) <= of(extra, PEER)


def test_supervisor_out_of_scope_or_inactive():
    roster = [
        RosterEntry(1, None, False, 1),  # inactive head
        RosterEntry(2, 1, True, 1),
        RosterEntry(3, 1, True, 1),
        RosterEntry(4, 99, True, 1),  # 99 not in the roster: out of scope
        RosterEntry(5, 99, True, 1),
    ]
    plan = generate_assignments(roster)
    assert of(plan, SUP) == set() and of(plan, SUB) == set()
    # Sharing a supervisor still makes them peers.
    assert of(plan, PEER) == {(2, 3), (3, 2), (4, 5), (5, 4)}
    assert set(plan.notes) == {
        PlanNote(2, NoteCode.SUPERVISOR_INACTIVE, 1),
        PlanNote(3, NoteCode.SUPERVISOR_INACTIVE, 1),
        PlanNote(4, NoteCode.SUPERVISOR_OUT_OF_SCOPE, 99),
        PlanNote(5, NoteCode.SUPERVISOR_OUT_OF_SCOPE, 99),
    }


def test_roster_errors_are_noted_not_fatal():
    plan = generate_assignments(
        [(1, 1, True, None), (2, 3, True, None), (3, 2, True, None), (4, None, True, None)]
    )
    check_invariants(plan, 4)
    codes = {(n.employee_id, n.code) for n in plan.notes}
    assert (1, NoteCode.SUPERVISOR_IS_SELF) in codes
    assert (4, NoteCode.NO_SUPERVISOR) in codes
    # 2 and 3 supervise each other: each pair keeps its first relation (supervisor).
    assert of(plan, SUP) == {(3, 2), (2, 3)}
    assert of(plan, SUB) == set()
    assert {(n.employee_id, n.code) for n in plan.notes if n.code is NoteCode.DUPLICATE_PAIR} == {
        (2, NoteCode.DUPLICATE_PAIR),
        (3, NoteCode.DUPLICATE_PAIR),
    }


def test_invalid_input():
    with pytest.raises(ValueError, match="twice"):
        generate_assignments([RosterEntry(1, None, True), RosterEntry(1, None, True)])
    with pytest.raises(ValueError, match="max_peers"):
        generate_assignments(ROSTER, max_peers=-1)


def test_assignments_are_sorted_by_ratee_then_relation():
    plan = generate_assignments(ROSTER)
    assert plan.assignments[:2] == (Assignment(1, 1, SELF), Assignment(2, 1, SUB))


# A random forest: each employee's supervisor is an earlier one (or none / out of scope).
@st.composite
def rosters(draw):
    size = draw(st.integers(1, 30))
    entries = []
    for e in range(1, size + 1):
        choices = [None, 999, *range(1, e)]
        boss = draw(st.sampled_from(choices))
        entries.append(RosterEntry(e, boss, draw(st.booleans() | st.just(True)), e % 3))
    return entries


@settings(max_examples=200, deadline=None)
@given(roster=rosters(), max_peers=st.integers(0, 6), seed=st.integers(0, 10**6))
def test_balance_bound_and_invariants(roster, max_peers, seed):
    plan = generate_assignments(roster, max_peers=max_peers, seed=seed)
    check_invariants(plan, max_peers)
    active = {e.employee_id for e in roster if e.active}
    groups: dict[int, set[int]] = defaultdict(set)
    for e in roster:
        if e.active and e.supervisor_id is not None:
            groups[e.supervisor_id].add(e.employee_id)
    gives = Counter(a.rater_id for a in plan.assignments if a.relation is PEER)
    gets = Counter(a.ratee_id for a in plan.assignments if a.relation is PEER)
    for members in groups.values():
        k = min(max_peers, len(members) - 1)
        loads = [gives[m] for m in members]
        assert max(loads) - min(loads) <= 1
        assert all(gets[m] == k for m in members)  # every ratee gets as many peers as possible
    for a in plan.assignments:
        assert a.rater_id in active and a.ratee_id in active
        if a.relation is PEER:
            assert any({a.rater_id, a.ratee_id} <= g for g in groups.values())
    assert plan == generate_assignments(roster, max_peers=max_peers, seed=seed)
