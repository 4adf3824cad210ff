"""Review cycles in storage: open (assignments and opening messages), adjust, status, close.

The roster (tests/support/review_roster.py) is seeded with the models directly::

    DINAS (head H)                       OTHER (O, no supervisor)
    ├── BIDANG-A: A (supervisor H)
    │   └── SEKSI-A1: A1, A2, A3 (supervisor A), X inactive (supervisor A)
    └── BIDANG-B: B (supervisor H)

H, A1 and O have linked Telegram accounts (H in English, A1 and O with no
language chosen: the default, Indonesian).
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select, update

from bot.core.settings import Settings
from scheduler import cycles
from storage import review_cycles
from storage.db import SessionFactory
from storage.models import AuditLog, Employee, TelegramAccount, Unit
from storage.outbox_models import PRIORITY_NOTICE, OutboxMessage
from storage.review_cycle_types import (
    AssignmentExists,
    AssignmentSubmitted,
    CycleClosed,
    CycleExists,
    DeadlineInPast,
    InactiveEmployee,
    InvalidName,
    InvalidRelation,
    NoEmployees,
    NoSuchAssignment,
    OpenedCycle,
    SelfAssignment,
    UnknownCycle,
    UnknownEmployee,
    UnknownUnit,
)
from storage.review_models import (
    CLOSED,
    IN_PROGRESS,
    OPEN,
    SUBMITTED,
    ReviewAnswer,
    ReviewAssignment,
    ReviewCycle,
)
from tests.support.review_roster import NIPS, TG, Roster, seed_roster

NOW = datetime(2030, 1, 10, 3, 0, tzinfo=UTC)  # 10:00 in Jakarta
DEADLINE = date(2030, 1, 31)


async def open_default(
    sessions: SessionFactory, settings: Settings, name: str = "Siklus 1", **options: object
) -> OpenedCycle:
    async with sessions.begin() as session:
        return await cycles.open_cycle(
            session,
            name=name,
            deadline=DEADLINE,
            actor="test",
            now=NOW,
            settings=settings,
            **options,  # type: ignore[arg-type]
        )


async def pairs(
    sessions: SessionFactory, roster: Roster, cycle_id: int
) -> set[tuple[str, str, str]]:
    async with sessions() as session:
        rows = await session.scalars(
            select(ReviewAssignment).where(ReviewAssignment.cycle_id == cycle_id)
        )
        return {(roster.label(r.rater_id), roster.label(r.ratee_id), r.relation) for r in rows}


async def outbox(sessions: SessionFactory, kind: str | None = None) -> list[OutboxMessage]:
    async with sessions() as session:
        statement = select(OutboxMessage).order_by(OutboxMessage.id)
        if kind:
            statement = statement.where(OutboxMessage.kind == kind)
        return list((await session.scalars(statement)).all())


# -- open ---------------------------------------------------------------------------------------


async def test_open_generates_self_supervisor_subordinate_and_peer_assignments(
    sessions: SessionFactory, settings: Settings
):
    roster = await seed_roster(sessions)
    opened = await open_default(sessions, settings)
    assert (opened.employees, opened.assignments) == (7, 25)
    found = await pairs(sessions, roster, opened.cycle_id)
    by_relation = Counter(relation for _, _, relation in found)
    assert by_relation == {"self": 7, "supervisor": 5, "subordinate": 5, "peer": 8}
    assert {(r, e) for r, e, rel in found if rel == "self"} == {
        (p, p) for p in ("H", "A", "B", "A1", "A2", "A3", "O")
    }
    assert {(r, e) for r, e, rel in found if rel == "supervisor"} == {
        ("H", "A"),
        ("H", "B"),
        ("A", "A1"),
        ("A", "A2"),
        ("A", "A3"),
    }
    assert {(r, e) for r, e, rel in found if rel == "subordinate"} == {
        ("A", "H"),
        ("B", "H"),
        ("A1", "A"),
        ("A2", "A"),
        ("A3", "A"),
    }
    peers = {(r, e) for r, e, rel in found if rel == "peer"}
    assert peers == {
        ("A", "B"),
        ("B", "A"),
        *((r, e) for r in ("A1", "A2", "A3") for e in ("A1", "A2", "A3") if r != e),
    }
    assert not any("X" in (r, e) for r, e, _ in found)  # inactive: neither rater nor ratee
    async with sessions() as session:
        cycle = await session.get(ReviewCycle, opened.cycle_id)
        tokens = (
            await session.scalars(
                select(ReviewAssignment.token).where(ReviewAssignment.cycle_id == cycle.id)
            )
        ).all()
        audit = (
            await session.scalars(select(AuditLog).where(AuditLog.action == "cycle.open"))
        ).one()
    assert (cycle.status, cycle.deadline, cycle.unit_id, cycle.include_self) == (
        OPEN,
        DEADLINE,
        None,
        True,
    )
    assert len(set(tokens)) == 25 and all(len(t) == 16 for t in tokens)
    assert "assignments=25" in audit.detail and audit.actor == "test"
    # The head has no supervisor at all: noted for the operator, nothing else to fix.
    assert {(n.code, n.nip) for n in opened.notes} == {
        ("no_supervisor", NIPS["H"]),
        ("no_supervisor", NIPS["O"]),
    }


async def test_max_peers_limits_each_ratee(sessions: SessionFactory, settings: Settings):
    roster = await seed_roster(sessions)
    opened = await open_default(sessions, settings, max_peers=1)
    peers = [
        (r, e) for r, e, rel in await pairs(sessions, roster, opened.cycle_id) if rel == "peer"
    ]
    assert Counter(e for _, e in peers) == {"A": 1, "B": 1, "A1": 1, "A2": 1, "A3": 1}
    assert Counter(r for r, _ in peers) == {"A": 1, "B": 1, "A1": 1, "A2": 1, "A3": 1}


async def test_no_self(sessions: SessionFactory, settings: Settings):
    roster = await seed_roster(sessions)
    opened = await open_default(sessions, settings, no_self=True)
    found = await pairs(sessions, roster, opened.cycle_id)
    assert opened.assignments == 18 and len(found) == 18
    assert not [p for p in found if p[2] == "self"]
    async with sessions() as session:
        assert (await session.get(ReviewCycle, opened.cycle_id)).include_self is False


async def test_unit_scope_takes_sub_units_and_notes_an_outside_supervisor(
    sessions: SessionFactory, settings: Settings
):
    roster = await seed_roster(sessions)
    opened = await open_default(sessions, settings, unit_code="BIDANG-A")
    found = await pairs(sessions, roster, opened.cycle_id)
    people = {p for r, e, _ in found for p in (r, e)}
    assert people == {"A", "A1", "A2", "A3"}  # SEKSI-A1 is below BIDANG-A; X is inactive
    assert Counter(rel for _, _, rel in found) == {
        "self": 4,
        "supervisor": 3,
        "subordinate": 3,
        "peer": 6,
    }
    assert opened.unit_code == "BIDANG-A"
    (note,) = opened.notes
    assert (note.code, note.nip, note.other_nip, note.other_name) == (
        "supervisor_out_of_scope",
        NIPS["A"],
        NIPS["H"],
        "Pegawai H",
    )
    assert "outside the cycle's units" in note.describe()
    # Only A1 of the linked raters is in scope.
    assert [m.chat_id for m in await outbox(sessions, "cycle_open")] == [TG["A1"]]


async def test_opening_messages_once_per_linked_rater(sessions: SessionFactory, settings: Settings):
    await seed_roster(sessions)
    opened = await open_default(sessions, settings, name="Semester II")
    assert (opened.raters, opened.notified, opened.unlinked_raters) == (7, 3, 4)
    messages = {m.chat_id: m for m in await outbox(sessions)}
    assert set(messages) == set(TG.values())  # nobody unlinked, one each
    for message in messages.values():
        assert message.kind == "cycle_open"
        assert message.priority == PRIORITY_NOTICE
        assert message.dedupe_key == f"cycle_open:{opened.cycle_id}:{message.employee_id}"
    head = json.loads(messages[TG["H"]].content)
    assert "You are asked to rate 2 colleagues" in head["text"]
    assert "assess yourself" in head["text"]
    assert "31 January 2030" in head["text"] and "“Semester II”" in head["text"]
    assert head["buttons"] == [[{"text": "Start rating", "callback_data": "rv:list"}]]
    staff = json.loads(messages[TG["A1"]].content)
    assert "3 rekan kerja" in staff["text"] and "31 Januari 2030" in staff["text"]
    assert staff["buttons"] == [[{"text": "Mulai menilai", "callback_data": "rv:list"}]]
    alone = json.loads(messages[TG["O"]].content)
    assert "penilaian diri" in alone["text"] and "rekan kerja" not in alone["text"].split("\n")[2]


async def test_open_twice_with_the_same_name_fails_and_changes_nothing(
    sessions: SessionFactory, settings: Settings
):
    await seed_roster(sessions)
    await open_default(sessions, settings, name="Siklus 1")
    with pytest.raises(CycleExists, match="already exists"):
        await open_default(sessions, settings, name="  Siklus   1 ")
    async with sessions() as session:
        assert await session.scalar(select(func.count(ReviewCycle.id))) == 1
        assert await session.scalar(select(func.count(ReviewAssignment.id))) == 25
    assert len(await outbox(sessions)) == 3


async def test_open_refuses_bad_requests(sessions: SessionFactory, settings: Settings):
    roster = await seed_roster(sessions)
    with pytest.raises(UnknownUnit, match="NOPE"):
        await open_default(sessions, settings, unit_code="NOPE")
    with pytest.raises(DeadlineInPast, match="2030-01-09"):
        async with sessions.begin() as session:
            await cycles.open_cycle(
                session,
                name="Lalu",
                deadline=date(2030, 1, 9),
                actor="test",
                now=NOW,
                settings=settings,
            )
    with pytest.raises(InvalidName):
        await open_default(sessions, settings, name="   ")
    with pytest.raises(InvalidName):
        await open_default(sessions, settings, name="x" * 101)
    # A unit whose only employee is inactive: nobody to rate.
    async with sessions.begin() as session:
        empty = Unit(code="EMPTY", name="Kosong")
        session.add(empty)
        await session.flush()
        session.add(Employee(nip="200001012020011099", name="Z", unit_id=empty.id, active=False))
    with pytest.raises(NoEmployees):
        await open_default(sessions, settings, unit_code="empty")  # codes in any case
    async with sessions() as session:
        assert await session.scalar(select(func.count(ReviewCycle.id))) == 0
        assert await session.scalar(select(func.count(AuditLog.id))) == 0
    assert roster.ids  # the roster itself is untouched
    # Today (local) is still allowed as the deadline.
    async with sessions.begin() as session:
        opened = await cycles.open_cycle(
            session,
            name="Hari ini",
            deadline=date(2030, 1, 10),
            actor="t",
            now=NOW,
            settings=settings,
        )
    assert opened.assignments == 25


async def test_preview_counts_without_writing(sessions: SessionFactory, settings: Settings):
    await seed_roster(sessions)
    async with sessions() as session:
        preview = await review_cycles.preview_cycle(session, unit_code="SEKSI-A1")
    assert (preview.employees, preview.assignments, preview.raters, preview.linked_raters) == (
        3,
        9,  # 3 self + 6 peers; A (their supervisor) is outside SEKSI-A1
        3,
        1,
    )
    async with sessions() as session:
        assert await session.scalar(select(func.count(ReviewAssignment.id))) == 0


# -- assign / unassign -----------------------------------------------------------------------


async def test_assign_and_unassign_while_open(sessions: SessionFactory, settings: Settings):
    roster = await seed_roster(sessions)
    await open_default(sessions, settings)
    async with sessions.begin() as session:
        change = await cycles.assign(
            session, "Siklus 1", NIPS["H"], NIPS["O"], "peer", "test", settings=settings, now=NOW
        )
    assert change.notified and change.relation == "peer"
    (told,) = await outbox(sessions, "cycle_assign")
    assert told.chat_id == TG["H"] and "one more colleague" in json.loads(told.content)["text"]
    # Spaces between the NIP groups are fine; an unlinked rater gets no message.
    spaced = f"{NIPS['B'][:8]} {NIPS['B'][8:14]} {NIPS['B'][14]} {NIPS['B'][15:]}"
    async with sessions.begin() as session:
        change = await cycles.assign(
            session, "Siklus 1", spaced, NIPS["O"], "PEER", "test", settings=settings
        )
    assert not change.notified
    assert ("B", "O", "peer") in await pairs(sessions, roster, 1)

    errors = [
        ((NIPS["H"], NIPS["O"], "peer"), AssignmentExists),
        ((NIPS["H"], NIPS["H"], "peer"), SelfAssignment),
        ((NIPS["H"], NIPS["O"], "self"), SelfAssignment),
        ((NIPS["H"], NIPS["O"], "boss"), InvalidRelation),
        (("000000000000000000", NIPS["O"], "peer"), UnknownEmployee),
        ((NIPS["X"], NIPS["O"], "peer"), InactiveEmployee),
    ]
    for (rater, ratee, relation), error in errors:
        with pytest.raises(error):
            async with sessions.begin() as session:
                await cycles.assign(session, "Siklus 1", rater, ratee, relation, "test")
    with pytest.raises(UnknownCycle):
        async with sessions.begin() as session:
            await cycles.assign(session, "Nope", NIPS["A"], NIPS["O"], "peer", "test")

    async with sessions.begin() as session:
        change = await cycles.unassign(session, "Siklus 1", NIPS["H"], NIPS["O"], "test")
    assert change.relation == "peer" and change.discarded_answers == 0
    assert ("H", "O", "peer") not in await pairs(sessions, roster, 1)
    with pytest.raises(NoSuchAssignment):
        async with sessions.begin() as session:
            await cycles.unassign(session, "Siklus 1", NIPS["H"], NIPS["O"], "test")
    async with sessions() as session:
        actions = (await session.scalars(select(AuditLog.action).order_by(AuditLog.id))).all()
    assert actions == ["cycle.open", "cycle.assign", "cycle.assign", "cycle.unassign"]


async def _set_status(
    sessions: SessionFactory, roster: Roster, rater: str, ratee: str, status: str, answers: int = 0
) -> None:
    async with sessions.begin() as session:
        assignment = await session.scalar(
            select(ReviewAssignment).where(
                ReviewAssignment.rater_id == roster.ids[rater],
                ReviewAssignment.ratee_id == roster.ids[ratee],
            )
        )
        assignment.status = status
        session.add_all(
            ReviewAnswer(assignment_id=assignment.id, item_code=f"B{i + 1}", value=2)
            for i in range(answers)
        )


async def test_unassign_keeps_submitted_reviews_and_drops_drafts(
    sessions: SessionFactory, settings: Settings
):
    roster = await seed_roster(sessions)
    await open_default(sessions, settings)
    await _set_status(sessions, roster, "A1", "A2", SUBMITTED, answers=7)
    await _set_status(sessions, roster, "A2", "A3", IN_PROGRESS, answers=3)
    with pytest.raises(AssignmentSubmitted, match="cannot be removed"):
        async with sessions.begin() as session:
            await cycles.unassign(session, "Siklus 1", NIPS["A1"], NIPS["A2"], "test")
    async with sessions.begin() as session:
        change = await cycles.unassign(session, "Siklus 1", NIPS["A2"], NIPS["A3"], "test")
    assert change.discarded_answers == 3
    async with sessions() as session:
        assert await session.scalar(select(func.count(ReviewAnswer.id))) == 7


# -- status ------------------------------------------------------------------------------------


async def test_status_counts_per_relation_unit_and_rater(
    sessions: SessionFactory, settings: Settings
):
    roster = await seed_roster(sessions)
    await open_default(sessions, settings)
    await _set_status(sessions, roster, "A1", "A1", SUBMITTED)
    await _set_status(sessions, roster, "A1", "A", SUBMITTED)
    await _set_status(sessions, roster, "A1", "A2", IN_PROGRESS)
    await _set_status(sessions, roster, "H", "A", SUBMITTED)
    await _set_status(sessions, roster, "O", "O", SUBMITTED)
    async with sessions() as session:
        status = await review_cycles.cycle_status(session, "Siklus 1")
    assert status.totals.as_dict() == {
        "total": 25,
        "submitted": 4,
        "in_progress": 1,
        "pending": 20,
    }
    assert {r: c.as_dict()["submitted"] for r, c in status.by_relation.items()} == {
        "self": 2,
        "supervisor": 1,
        "peer": 0,
        "subordinate": 1,
    }
    assert status.by_relation["peer"].in_progress == 1
    units = {u.code: (u.counts.total, u.counts.submitted) for u in status.by_unit}
    # H: 3, A: 6, B: 3 (self, sub H, peer A), A1..A3: 4 each, O: 1.
    assert units == {
        "DINAS": (3, 1),
        "BIDANG-A": (6, 0),
        "BIDANG-B": (3, 0),
        "SEKSI-A1": (12, 2),
        "OTHER": (1, 1),
    }
    raters = {r.nip: r for r in status.by_rater}
    a1 = raters[NIPS["A1"]]
    assert (a1.counts.total, a1.counts.submitted, a1.counts.in_progress, a1.account) == (
        4,
        2,
        1,
        "linked",
    )
    assert raters[NIPS["O"]].counts.percent_done == 100
    assert status.raters_done == 1  # only O finished everything
    assert sorted(r.nip for r in status.unlinked_raters) == sorted(
        NIPS[p] for p in ("A", "B", "A2", "A3")
    )
    # A blocked chat is told apart from a missing link.
    async with sessions.begin() as session:
        await session.execute(
            update(TelegramAccount)
            .where(TelegramAccount.telegram_user_id == TG["A1"])
            .values(reachable=False)
        )
    async with sessions() as session:
        status = await review_cycles.cycle_status(session, "Siklus 1")
    assert {r.nip: r.account for r in status.by_rater}[NIPS["A1"]] == "unreachable"
    with pytest.raises(UnknownCycle):
        async with sessions() as session:
            await review_cycles.cycle_status(session, "Tidak ada")


async def test_list_cycles_newest_first_with_completion(
    sessions: SessionFactory, settings: Settings
):
    roster = await seed_roster(sessions)
    await open_default(sessions, settings, name="Lama")
    async with sessions.begin() as session:
        await cycles.open_cycle(
            session,
            name="Baru",
            deadline=DEADLINE,
            unit_code="SEKSI-A1",
            actor="test",
            now=NOW.replace(hour=4),
            settings=settings,
        )
    await _set_status(sessions, roster, "O", "O", SUBMITTED)
    async with sessions() as session:
        listed = await review_cycles.list_cycles(session)
    assert [(c.name, c.unit_code, c.assignments, c.submitted) for c in listed] == [
        ("Baru", "SEKSI-A1", 9, 0),
        ("Lama", None, 25, 1),
    ]
    assert listed[1].percent_done == 4


# -- close -------------------------------------------------------------------------------------


async def test_close_then_nothing_changes(sessions: SessionFactory, settings: Settings):
    roster = await seed_roster(sessions)
    await open_default(sessions, settings)
    await _set_status(sessions, roster, "A1", "A1", SUBMITTED)
    later = NOW.replace(day=31)
    before = len(await outbox(sessions))
    async with sessions.begin() as session:
        closed = await cycles.close_cycle(session, "Siklus 1", "test", later, settings)
    assert (closed.counts.submitted, closed.counts.total) == (1, 25)
    # queue_close_reports ran in the same transaction: its rows are what close reports.
    reports = (await outbox(sessions))[before:]
    assert closed.reports_queued == len(reports) > 0
    assert {m.chat_id for m in reports} <= set(TG.values())
    async with sessions() as session:
        cycle = await session.get(ReviewCycle, closed.cycle_id)
        audit = await session.scalar(select(AuditLog).where(AuditLog.action == "cycle.close"))
    assert (cycle.status, cycle.closed_at) == (CLOSED, later)
    assert f"reports={closed.reports_queued}" in audit.detail

    refused = [
        lambda s: cycles.close_cycle(s, "Siklus 1", "test", later, settings),
        lambda s: cycles.assign(s, "Siklus 1", NIPS["H"], NIPS["O"], "peer", "test"),
        lambda s: cycles.unassign(s, "Siklus 1", NIPS["A1"], NIPS["A2"], "test"),
    ]
    for attempt in refused:
        with pytest.raises(CycleClosed, match="is closed"):
            async with sessions.begin() as session:
                await attempt(session)
    async with sessions() as session:
        assert await session.scalar(select(func.count(ReviewAssignment.id))) == 25
        assert (await session.get(ReviewCycle, closed.cycle_id)).closed_at == later
    with pytest.raises(UnknownCycle):
        async with sessions.begin() as session:
            await cycles.close_cycle(session, "Nope", "test", later, settings)
