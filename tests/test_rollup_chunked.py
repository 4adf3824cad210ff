"""The job's rebuild in steps: exact while citizens submit, erase and change between its steps.

The job (`storage.rollup.refresh.refresh_scores_in_steps`) commits after every
step. Here the steps are small (a few responses each) and, after every
committed step, the test does what citizens and staff could do meanwhile: a
survey submitted through the press's own `storage.survey.submit` (the marks
come with it) in a range already read and in one not read yet, `/hapusdata`
on both sides, a counted column changed, a response added under a new id. The
times are fixed instants (the injected clock's role), and nothing waits: the
interleaving is the order of the awaits. Afterwards every table must equal the
raw responses, and a second rebuild must change nothing. Runs on SQLite and,
with ULASAN_TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta

from sqlalchemy import select, update

from bot.core.progress import Progress
from storage import survey, survey_press
from storage.db import create_engine, session_factory
from storage.rollup import refresh as rollup
from storage.rollup.progress import read_watermark
from storage.rollup.rebuild import MONTH_PARTS
from storage.survey_models import DRAFT, SurveyResponse
from storage.survey_names import NamesCache
from tests.test_rollup import (  # noqa: F401 (world is a fixture)
    JAKARTA,
    UNSUR,
    World,
    add,
    expected,
    local,
    response,
    tables,
    world,
)


def _draft_at_contact(
    service_id: int, scores: tuple[int, ...], started: datetime
) -> SurveyResponse:
    """A survey answered up to the last question (contact), as a citizen leaves it."""
    return SurveyResponse(
        token=secrets.token_hex(8),
        user_key=secrets.token_hex(16),
        service_id=service_id,
        status=DRAFT,
        step=survey.CONTACT,
        local_date=started.date(),
        started_at=started,
        updated_at=started,
        gender="f",
        **dict(zip(UNSUR, scores, strict=True)),
    )


class Citizens:
    """What happens between the rebuild's steps, one action per step, in turn."""

    def __init__(self, place: World, drafts: list[int], counted: list[int]) -> None:
        self.world = place
        self.drafts = drafts  # draft ids, oldest first, waiting to be submitted
        self.counted = counted  # submitted ids, oldest first
        self.steps: list[str] = []
        self.turn = 0
        self.moment = local(JAKARTA, 2026, 6, 30, 23, 30)  # the clock, moved by hand

    async def __call__(self, step: str) -> None:
        self.steps.append(step)
        action = (self.submit_oldest, self.submit_newest, self.erase_oldest, self.erase_newest,
                  self.change, self.insert)[self.turn % 6]  # fmt: skip
        self.turn += 1
        self.moment += timedelta(minutes=17)
        engine = create_engine(self.world.url)
        try:
            async with session_factory(engine).begin() as session:
                await action(session)
        finally:
            await engine.dispose()

    async def submit_oldest(self, session) -> None:  # in a range read already (low id)
        if self.drafts:
            draft = self.drafts.pop(0)
            assert await survey.submit(
                session, draft, self.moment, contact_chat_id=None, tz=JAKARTA
            )

    async def submit_newest(self, session) -> None:  # in a range not read yet
        # Through the bot's own press path (one UPDATE … RETURNING with the marks).
        if self.drafts:
            draft = self.drafts.pop()
            token, key = (
                await session.execute(
                    select(SurveyResponse.token, SurveyResponse.user_key).where(
                        SurveyResponse.id == draft
                    )
                )
            ).one()
            move = survey.submit_move(contact_chat_id=None, tz=JAKARTA)
            written = await survey_press.press(
                session,
                NamesCache(),
                token=token,
                user_key=key,
                move=move,
                now=self.moment,
                ttl_hours=24 * 365,
            )
            assert written is not None and written.status == "submitted"

    async def erase_oldest(self, session) -> None:
        key = await session.scalar(
            select(SurveyResponse.user_key).where(SurveyResponse.id == self.counted.pop(0))
        )
        await survey.delete_user_data(session, key)

    async def erase_newest(self, session) -> None:
        key = await session.scalar(
            select(SurveyResponse.user_key).where(SurveyResponse.id == self.counted.pop())
        )
        await survey.delete_user_data(session, key)

    async def change(self, session) -> None:
        changed = self.counted[len(self.counted) // 2]
        await session.execute(
            update(SurveyResponse).where(SurveyResponse.id == changed).values(u3=1, comment="baru")
        )

    async def insert(self, session) -> None:
        session.add(response(self.world.services["C"], (2,) * 9, self.moment))


async def _seed(place: World) -> tuple[list[int], list[int]]:
    """60 responses over three months: counted ones (some submitted through the press)
    and drafts at the last question, interleaved by id."""
    a, b = place.services["A"], place.services["B"]
    rows = []
    for index in range(60):
        at = local(JAKARTA, 2026, 4 + index // 20, 1 + index % 20, 8 + index % 9)
        scores = tuple(1 + (index * 7 + u) % 4 for u in range(9))
        if index % 4 == 3:
            rows.append(_draft_at_contact(b, scores, at))
        else:
            officer = place.employees[index % 3] if index % 2 else None
            rows.append(response(a, scores, at, employee_id=officer, comment="ok"[: index % 3]))
    await add(place.url, *rows)
    # Some of the counted ones went through the real submission (marks written).
    engine = create_engine(place.url)
    try:
        async with session_factory(engine).begin() as session:
            for row in rows[:12]:
                if row.status == DRAFT:
                    at = row.started_at + timedelta(minutes=3)
                    await survey.submit(session, row.id, at, contact_chat_id=None, tz=JAKARTA)
    finally:
        await engine.dispose()
    drafts = [r.id for r in rows[12:] if r.status == DRAFT]
    counted = [r.id for r in rows if r.status != DRAFT]
    return drafts, counted


async def _rebuild(place: World, citizens: Citizens | None, *, full: bool) -> rollup.RollupStats:
    engine = create_engine(place.url)
    try:
        return await rollup.refresh_scores_in_steps(
            session_factory(engine), tz=JAKARTA, full=full, chunk=7, pause=0, between=citizens
        )
    finally:
        await engine.dispose()


async def test_a_rebuild_in_steps_stays_exact_while_citizens_write(world: World):  # noqa: F811 (the fixture)
    drafts, counted = await _seed(world)
    first = await _rebuild(world, None, full=False)
    assert first.full and first.reason == "first run"
    assert await tables(world.url) == await expected(world.url, JAKARTA)

    # A counted response changed since: it lost its day (the trigger), so the
    # rebuild stamps by id range first, and citizens write between those steps too.
    engine = create_engine(world.url)
    try:
        async with session_factory(engine).begin() as session:
            await session.execute(
                update(SurveyResponse).where(SurveyResponse.id == counted[3]).values(u1=4)
            )
    finally:
        await engine.dispose()
    citizens = Citizens(world, drafts, counted)
    stats = await _rebuild(world, citizens, full=True)
    # "requested" only: the closing incremental pass found nothing to repair.
    assert stats.full and stats.reason == "requested", stats.reason
    # Every kind of write happened between steps, on both sides of the ranges read.
    assert len(citizens.steps) >= 12 and citizens.steps[0] == "start"
    assert any(s.startswith("ids") for s in citizens.steps)
    assert any(s.startswith("days") for s in citizens.steps)
    assert citizens.steps[-1] == "finish"
    # What came in during the rebuild is counted by the run's closing incremental
    # pass, except what arrived after the finish: one more run takes that.
    engine = create_engine(world.url)
    try:
        async with session_factory(engine).begin() as session:
            await rollup.refresh_scores(session, tz=JAKARTA)
        async with session_factory(engine)() as session:
            mark = await read_watermark(session)
            assert mark is not None and not mark.rebuilding
            assert not await rollup.scores_need_refresh(session, JAKARTA)
    finally:
        await engine.dispose()
    got = await tables(world.url)
    assert got == await expected(world.url, JAKARTA)
    assert {row[1] for row in got["skm_service_monthly"]} >= {date(2026, 4, 1), date(2026, 6, 1)}
    # And a rebuild with nobody writing agrees with it row for row.
    await _rebuild(world, None, full=True)
    assert await tables(world.url) == got


async def test_what_changes_between_counting_days_and_writing_them_is_counted_again(world: World):  # noqa: F811 (the fixture)
    """A run of days counts its responses without the lock, then writes under it:
    a response of those days erased, and another changed, in between must not
    stay counted (the run sees their retractions and counts again)."""
    await _seed(world)
    await _rebuild(world, None, full=False)
    engine = create_engine(world.url)
    try:
        async with session_factory(engine)() as session:
            in_run = (
                await session.scalars(
                    select(SurveyResponse.id)
                    .where(
                        SurveyResponse.rollup_day >= date(2026, 5, 1),
                        SurveyResponse.rollup_day < date(2026, 5, 16),
                    )
                    .order_by(SurveyResponse.id)
                )
            ).all()
    finally:
        await engine.dispose()
    assert len(in_run) >= 2
    steps: list[str] = []

    async def between(step: str) -> None:
        steps.append(step)
        if step != "counted days from 2026-05-01":
            return
        engine = create_engine(world.url)
        try:
            async with session_factory(engine).begin() as session:
                key = await session.scalar(
                    select(SurveyResponse.user_key).where(SurveyResponse.id == in_run[0])
                )
                await survey.delete_user_data(session, key)
                await session.execute(
                    update(SurveyResponse).where(SurveyResponse.id == in_run[1]).values(u2=1)
                )
        finally:
            await engine.dispose()

    await _rebuild(world, between, full=True)  # type: ignore[arg-type]
    assert "counted days from 2026-05-01" in steps
    assert await tables(world.url) == await expected(world.url, JAKARTA)


async def test_other_runs_leave_the_tables_alone_during_a_rebuild(world: World):  # noqa: F811 (the fixture)
    _drafts, counted = await _seed(world)
    await _rebuild(world, None, full=False)
    before = await tables(world.url)
    seen: list[bool] = []

    async def report_in_between(step: str) -> None:
        # A report's refresh between two steps: it must not touch the tables the
        # rebuild is writing (nor consume the retractions it will need).
        engine = create_engine(world.url)
        try:
            async with session_factory(engine).begin() as session:
                await session.execute(
                    update(SurveyResponse)
                    .where(SurveyResponse.id == counted[0])
                    .values(u1=2 + len(seen) % 3)  # never its first value, 1
                )
            async with session_factory(engine).begin() as session:
                stats = await rollup.refresh_scores(session, tz=JAKARTA)
                seen.append(stats.changed)
        finally:
            await engine.dispose()

    await _rebuild(world, report_in_between, full=True)  # type: ignore[arg-type]
    assert seen and not any(seen[:-1])  # only after the finish does a run count again
    assert await tables(world.url) == await expected(world.url, JAKARTA)
    assert before != await tables(world.url)  # the changes did arrive


class _Recorded(Progress):
    """Each stage's label, its announced size and the steps reported for it."""

    def __init__(self) -> None:
        self.stages: list[list] = []

    def stage(self, label: str, total: int | None = None) -> None:
        self.stages.append([label, total, 0])

    def advance(self, steps: int = 1) -> None:
        self.stages[-1][2] += steps


async def test_a_rebuild_reports_each_of_its_steps_to_the_progress_bar(world: World):  # noqa: F811 (the fixture)
    await _seed(world)
    progress = _Recorded()
    engine = create_engine(world.url)
    try:
        await rollup.refresh_scores_in_steps(
            session_factory(engine), tz=JAKARTA, full=True, chunk=7, pause=0, progress=progress
        )
    finally:
        await engine.dispose()
    stamping, writing = progress.stages[:2]
    # The seeded responses have no local day yet: the rebuild stamps them first.
    assert stamping[0] == "rollup: giving the responses their local days"
    assert stamping[1] == stamping[2] >= 60 // 7  # every chunk of ids, each reported
    assert writing[0] == "rollup: rebuilding the score tables"
    # Three months, each in its runs of days (the last writes the month's rows), then the finish.
    assert writing[1] == writing[2] == 3 * len(MONTH_PARTS) + 1
