"""Storage rules of the rating conversation (`storage.review_ratings`), on a real database.

Ownership, idempotent answers, the step guard, hasil kerja only from the
direct supervisor, comments cleaned and masked, changes until the deadline
(in the deployment's time zone) and nothing after close. The roster and
cycle are `seed_review`'s (tests/support/rating_world.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from storage import review_ratings as ratings
from storage import survey
from storage.db import SessionFactory, create_engine, session_factory
from storage.models import Unit
from storage.review_models import (
    IN_PROGRESS,
    PEER,
    PENDING,
    SELF,
    SUBMITTED,
    SUBORDINATE,
    SUPERVISOR,
    ReviewAnswer,
    ReviewAssignment,
    ReviewCycle,
)
from storage.review_ratings import RatingRefused, Refusal
from storage.survey_models import SurveyResponse
from tests.support.rating_world import ITEMS, JAKARTA, Seeded, seed_review, today_local


@pytest.fixture
async def db(migrated: str) -> AsyncIterator[SessionFactory]:
    engine = create_engine(migrated)
    yield session_factory(engine)
    await engine.dispose()


@pytest.fixture
async def seeded(db: SessionFactory) -> Seeded:
    return await seed_review(db)


def noon() -> datetime:
    return datetime.now(UTC)


async def _mine(db: SessionFactory, seeded: Seeded, key: str) -> ReviewAssignment:
    rater = {"ani": seeded.ani_id, "head": seeded.head_id, "budi": seeded.budi_id}[
        key.split(">")[0]
    ]
    async with db() as session:
        found = await ratings.assignment_for_rater(session, seeded.tokens[key], rater)
    assert found is not None
    return found


async def _answers(db: SessionFactory, token: str) -> dict[str, int | None]:
    async with db() as session:
        assignment_id = await session.scalar(
            select(ReviewAssignment.id).where(ReviewAssignment.token == token)
        )
        return await ratings.answers_of(session, assignment_id)


async def _state(db: SessionFactory, token: str) -> ReviewAssignment:
    async with db() as session:
        found = await session.scalar(
            select(ReviewAssignment).where(ReviewAssignment.token == token)
        )
        assert found is not None
        return found


async def _run(db: SessionFactory, seeded: Seeded, key: str, call, *args, now=None) -> None:
    """Load the rater's assignment fresh and run one storage call in its own transaction."""
    assignment = await _mine(db, seeded, key)
    async with db.begin() as session:
        assignment = await ratings.reload(session, assignment.id)
        await call(session, assignment, *args, now=now or noon(), tz=JAKARTA)


async def _walk_items(db: SessionFactory, seeded: Seeded, key: str, values) -> None:
    await _run(db, seeded, key, ratings.begin)
    for code, value in zip(ITEMS, values, strict=True):
        await _run(db, seeded, key, ratings.record_answer, code, value)


# -- what a rater can reach ---------------------------------------------------------


async def test_rater_sees_only_own_reviews_in_open_cycles(db: SessionFactory, seeded: Seeded):
    await seed_review(db, cycle_name="Closed", prefix="c", deadline=today_local())
    await seed_review(db, cycle_name="Past", prefix="p", deadline=today_local() - timedelta(1))
    async with db.begin() as session:
        await session.execute(
            update(ReviewCycle).where(ReviewCycle.name == "Closed").values(status="closed")
        )
    async with db() as session:
        mine = await ratings.rater_reviews(session, seeded.ani_id, now=noon(), tz=JAKARTA)
    assert {a.token for a in mine} == {
        seeded.tokens[k] for k in ("ani>budi", "ani>citra", "ani>ani", "ani>head")
    }
    assert mine[0].relation == SELF  # the self-assessment first, then by name
    assert all(a.rater_id == seeded.ani_id for a in mine)


async def test_assignment_by_token_only_for_its_rater(db: SessionFactory, seeded: Seeded):
    async with db() as session:
        own = await ratings.assignment_for_rater(session, seeded.tokens["ani>budi"], seeded.ani_id)
        other = await ratings.assignment_for_rater(
            session, seeded.tokens["ani>budi"], seeded.budi_id
        )
        unknown = await ratings.assignment_for_rater(session, "NoSuchToken00000", seeded.ani_id)
    assert own is not None and own.ratee.name == "Budi Santoso"
    assert other is None and unknown is None


# -- answers -------------------------------------------------------------------------


async def test_answers_are_written_once_at_the_current_step(db: SessionFactory, seeded: Seeded):
    token = seeded.tokens["ani>budi"]
    await _run(db, seeded, "ani>budi", ratings.begin)
    state = await _state(db, token)
    assert (state.status, state.step) == (IN_PROGRESS, "B1")
    await _run(db, seeded, "ani>budi", ratings.record_answer, "B1", 2)
    # The same press again (double tap, redelivery): refused as stale, one row.
    with pytest.raises(RatingRefused) as refused:
        await _run(db, seeded, "ani>budi", ratings.record_answer, "B1", 3)
    assert refused.value.reason is Refusal.STALE
    # An item ahead of the current one is just as stale.
    with pytest.raises(RatingRefused):
        await _run(db, seeded, "ani>budi", ratings.record_answer, "B5", 3)
    assert await _answers(db, token) == {"B1": 2}
    assert (await _state(db, token)).step == "B2"


async def test_cannot_assess_is_null_and_values_must_be_on_the_scale(
    db: SessionFactory, seeded: Seeded
):
    token = seeded.tokens["ani>budi"]
    await _run(db, seeded, "ani>budi", ratings.begin)
    for bad_item, bad_value in (("B1", 4), ("B1", 0), ("B9", 2), ("hasil", 2)):
        with pytest.raises(RatingRefused) as refused:
            await _run(db, seeded, "ani>budi", ratings.record_answer, bad_item, bad_value)
        assert refused.value.reason is Refusal.INVALID
    await _run(db, seeded, "ani>budi", ratings.record_answer, "B1", None)
    assert await _answers(db, token) == {"B1": None}


async def test_going_back_replaces_the_answer_in_place(db: SessionFactory, seeded: Seeded):
    token = seeded.tokens["ani>budi"]
    await _run(db, seeded, "ani>budi", ratings.begin)
    await _run(db, seeded, "ani>budi", ratings.record_answer, "B1", 1)
    await _run(db, seeded, "ani>budi", ratings.go_back, "B2")
    with pytest.raises(RatingRefused):  # the back button of B2, pressed twice
        await _run(db, seeded, "ani>budi", ratings.go_back, "B2")
    with pytest.raises(RatingRefused) as refused:  # nothing before the first item
        await _run(db, seeded, "ani>budi", ratings.go_back, "B1")
    assert refused.value.reason is Refusal.INVALID
    await _run(db, seeded, "ani>budi", ratings.record_answer, "B1", 3)
    assert await _answers(db, token) == {"B1": 3}
    async with db() as session:
        rows = await session.scalar(select(func.count()).select_from(ReviewAnswer))
    assert rows == 1


async def test_steps_follow_the_instrument_and_relation():
    from scheduler.scoring.shipped_instruments import BERAKHLAK_5

    assert ratings.steps_for(BERAKHLAK_5, PEER) == (*ITEMS, "keep", "improve", "confirm")
    assert ratings.steps_for(BERAKHLAK_5, SUPERVISOR)[7] == "hasil"
    assert ratings.steps_for(BERAKHLAK_5, SUBORDINATE)[7] == "keep"


async def test_five_level_instrument_takes_five_levels(db: SessionFactory):
    seeded = await seed_review(db, instrument="berakhlak5")
    await _walk_items(db, seeded, "ani>budi", (5, 1, 4, None, 2, 3, 5))
    assert await _answers(db, seeded.tokens["ani>budi"]) == dict(
        zip(ITEMS, (5, 1, 4, None, 2, 3, 5), strict=True)
    )


# -- hasil kerja and comments ------------------------------------------------------------


async def test_hasil_kerja_only_from_the_direct_supervisor(db: SessionFactory, seeded: Seeded):
    await _walk_items(db, seeded, "ani>budi", (2,) * 7)
    with pytest.raises(RatingRefused) as refused:
        await _run(db, seeded, "ani>budi", ratings.record_hasil_kerja, 3)
    assert refused.value.reason is Refusal.NOT_ALLOWED
    assert (await _state(db, seeded.tokens["ani>budi"])).step == "keep"

    token = seeded.tokens["head>ani"]
    await _walk_items(db, seeded, "head>ani", (3,) * 7)
    assert (await _state(db, token)).step == "hasil"
    with pytest.raises(RatingRefused) as refused:
        await _run(db, seeded, "head>ani", ratings.record_hasil_kerja, 4)
    assert refused.value.reason is Refusal.INVALID
    await _run(db, seeded, "head>ani", ratings.record_hasil_kerja, 3)
    state = await _state(db, token)
    assert (state.hasil_kerja, state.step) == (3, "keep")


async def test_comments_are_cleaned_masked_and_limited(db: SessionFactory, seeded: Seeded):
    token = seeded.tokens["ani>budi"]
    await _walk_items(db, seeded, "ani>budi", (2,) * 7)
    with pytest.raises(RatingRefused) as refused:
        await _run(db, seeded, "ani>budi", ratings.record_comment, "keep", " \x00\u202e ")
    assert refused.value.reason is Refusal.EMPTY
    long = "a" * (ratings.COMMENT_MAX_CHARS + 1)
    with pytest.raises(RatingRefused) as refused:
        await _run(db, seeded, "ani>budi", ratings.record_comment, "keep", long)
    assert refused.value.reason is Refusal.TOO_LONG
    assert refused.value.length == ratings.COMMENT_MAX_CHARS + 1
    assert (await _state(db, token)).comment_keep is None
    typed = (
        "Sigap\x07 melayani. Hubungi 0812-3456-7890, NIK 3201234567890001, "
        "budi.santoso@example.go.id"
    )
    await _run(db, seeded, "ani>budi", ratings.record_comment, "keep", typed)
    state = await _state(db, token)
    assert state.comment_keep == "Sigap melayani. Hubungi [TELEPON], NIK [NIK], [EMAIL]"
    assert state.step == "improve"
    with pytest.raises(RatingRefused):  # the improve step comes next, not keep again
        await _run(db, seeded, "ani>budi", ratings.record_comment, "keep", "lagi")
    await _run(db, seeded, "ani>budi", ratings.skip_comment, "improve")
    await _run(db, seeded, "ani>budi", ratings.go_back, "confirm")
    await _run(db, seeded, "ani>budi", ratings.go_back, "improve")
    await _run(db, seeded, "ani>budi", ratings.clear_comment, "keep")
    state = await _state(db, token)
    assert (state.comment_keep, state.comment_improve, state.step) == (None, None, "improve")


# -- submit, change, close ----------------------------------------------------------------


async def _complete(db: SessionFactory, seeded: Seeded, key: str) -> None:
    await _walk_items(db, seeded, key, (2, 3, None, 1, 2, 3, 2))
    await _run(db, seeded, key, ratings.skip_comment, "keep")
    await _run(db, seeded, key, ratings.skip_comment, "improve")
    await _run(db, seeded, key, ratings.submit)


async def test_submit_then_change_until_the_deadline(db: SessionFactory, seeded: Seeded):
    token = seeded.tokens["ani>budi"]
    with pytest.raises(RatingRefused):  # not at the confirmation yet
        await _run(db, seeded, "ani>budi", ratings.submit)
    await _complete(db, seeded, "ani>budi")
    state = await _state(db, token)
    assert state.status == SUBMITTED and state.submitted_at is not None
    with pytest.raises(RatingRefused) as refused:
        await _run(db, seeded, "ani>budi", ratings.record_answer, "B1", 3)
    assert refused.value.reason is Refusal.SUBMITTED
    with pytest.raises(RatingRefused):  # a second Submit changes nothing
        await _run(db, seeded, "ani>budi", ratings.submit)

    await _run(db, seeded, "ani>budi", ratings.reopen)
    state = await _state(db, token)
    assert (state.status, state.step, state.submitted_at) == (IN_PROGRESS, "B1", None)
    await _run(db, seeded, "ani>budi", ratings.record_answer, "B1", 3)
    assert (await _answers(db, token))["B1"] == 3


async def test_incomplete_review_cannot_be_submitted(db: SessionFactory, seeded: Seeded):
    token = seeded.tokens["head>ani"]
    await _walk_items(db, seeded, "head>ani", (2,) * 7)
    async with db.begin() as session:  # at the confirmation without hasil kerja
        await session.execute(
            update(ReviewAssignment).where(ReviewAssignment.token == token).values(step="confirm")
        )
    with pytest.raises(RatingRefused) as refused:
        await _run(db, seeded, "head>ani", ratings.submit)
    assert refused.value.reason is Refusal.INCOMPLETE
    assert (await _state(db, token)).status == IN_PROGRESS


async def test_nothing_changes_after_close(db: SessionFactory, seeded: Seeded):
    await _complete(db, seeded, "ani>budi")
    await _walk_items(db, seeded, "ani>citra", (2, 2, 2, 2, 2, 2, 2))
    async with db.begin() as session:
        await session.execute(update(ReviewCycle).values(status="closed"))
    for key, call, args in (
        ("ani>budi", ratings.reopen, ()),
        ("ani>citra", ratings.skip_comment, ("keep",)),
        ("ani>citra", ratings.go_back, ("keep",)),
        ("ani>ani", ratings.begin, ()),
        ("ani>citra", ratings.pause, ()),
    ):
        with pytest.raises(RatingRefused) as refused:
            await _run(db, seeded, key, call, *args)
        assert refused.value.reason is Refusal.CLOSED
    assert (await _state(db, seeded.tokens["ani>ani"])).status == PENDING
    async with db() as session:
        assert await ratings.rater_reviews(session, seeded.ani_id, now=noon(), tz=JAKARTA) == []


async def test_deadline_is_the_end_of_the_day_in_the_local_time_zone(db: SessionFactory):
    deadline = date(2031, 3, 31)
    seeded = await seed_review(db, deadline=deadline)
    # 23:30 in Jakarta on the deadline is still in time ...
    late = datetime(2031, 3, 31, 16, 30, tzinfo=UTC)
    await _run(db, seeded, "ani>budi", ratings.begin, now=late)
    await _run(db, seeded, "ani>budi", ratings.record_answer, "B1", 2, now=late)
    # ... 00:10 the next day in Jakarta (still the 31st in UTC) is not.
    too_late = datetime(2031, 3, 31, 17, 10, tzinfo=UTC)
    with pytest.raises(RatingRefused) as refused:
        await _run(db, seeded, "ani>budi", ratings.record_answer, "B2", 2, now=too_late)
    assert refused.value.reason is Refusal.DEADLINE_PASSED
    assert await _answers(db, seeded.tokens["ani>budi"]) == {"B1": 2}
    async with db() as session:
        assert await ratings.rater_reviews(session, seeded.ani_id, now=too_late, tz=JAKARTA) == []


# -- what is on screen ---------------------------------------------------------------------


async def test_active_review_follows_the_message_shown(db: SessionFactory, seeded: Seeded):
    await _run(db, seeded, "ani>budi", ratings.begin)
    await _run(db, seeded, "ani>citra", ratings.begin)
    budi = await _mine(db, seeded, "ani>budi")
    citra = await _mine(db, seeded, "ani>citra")
    async with db.begin() as session:
        assert await ratings.activate(session, budi, 10, now=noon()) == []
    async with db.begin() as session:
        assert await ratings.activate(session, citra, 11, now=noon()) == [10]
    async with db() as session:
        active = await ratings.active_review(session, seeded.ani_id, now=noon(), tz=JAKARTA)
    assert active is not None and active.id == citra.id
    await _run(db, seeded, "ani>citra", ratings.pause)
    async with db() as session:
        assert await ratings.active_review(session, seeded.ani_id, now=noon(), tz=JAKARTA) is None
    assert (await _state(db, seeded.tokens["ani>citra"])).status == IN_PROGRESS


async def test_a_newer_citizen_survey_draft_takes_typed_text(db: SessionFactory, seeded: Seeded):
    from storage.models import Service

    now = noon()
    async with db.begin() as session:
        unit = await session.scalar(select(Unit))
        service = Service(code="KTP", unit_id=unit.id, name="KTP-el")
        session.add(service)
        await session.flush()
        session.add(
            SurveyResponse(
                token="citizen000000001",
                user_key="key-ani",
                service_id=service.id,
                status="draft",
                step="comment",
                language="id",
                local_date=now.date(),
                started_at=now,
                updated_at=now,
                contact_ok=False,
            )
        )
    async with db() as session:
        earlier = now - timedelta(minutes=5)
        assert await survey.citizen_draft_touched_after(
            session, "key-ani", earlier, now=now, ttl_hours=24
        )
        assert not await survey.citizen_draft_touched_after(
            session, "key-ani", now, now=now, ttl_hours=24
        )
        assert not await survey.citizen_draft_touched_after(
            session, "key-ani", earlier, now=now + timedelta(hours=25), ttl_hours=24
        )
