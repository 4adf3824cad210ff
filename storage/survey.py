"""Queries of the citizen survey (SKM): entries, drafts answer by answer, deletion.

The database says where a citizen is. A response is a row that moves through
`STEPS` while it is a ``draft``; every answer is one conditional ``UPDATE …
WHERE id = … AND status = 'draft' AND step = <the step answered>``, so a
double tap, a redelivered update or a stale button can never write twice or
write into the wrong step: the second statement matches no row. Nothing here
commits; the caller owns the transaction. The clock is a parameter (``now``,
timezone-aware UTC) so tests can move time.

Statements are plain SQLAlchemy Core/ORM and run unchanged on SQLite and
PostgreSQL.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any, Protocol

from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from scheduler.scoring.skm_instrument import PROFILE, SCORES, UNSUR
from storage.crypto import new_token
from storage.masking import clean_text, mask_personal_data
from storage.models import Employee, Service, Unit
from storage.rollup import marks as rollup_marks
from storage.survey_models import (
    ABANDONED,
    CANCELLED,
    DRAFT,
    SUBMITTED,
    SurveyEntry,
    SurveyResponse,
)

# -- the steps, in the order a citizen meets them -------------------------------
INTRO = "intro"
COMMENT = "comment"
CONTACT = "contact"
DONE = "done"
# The survey asks U1…U9 in the order of the regulation's list of unsur
# (U8 = complaint handling, U9 = facilities), as scheduler.scoring.skm_instrument lists them.
UNSUR_STEPS: tuple[str, ...] = tuple(u.code for u in UNSUR)
PROFILE_STEPS: tuple[str, ...] = ("age_group", "gender", "education", "occupation")
STEPS: tuple[str, ...] = (INTRO, *UNSUR_STEPS, COMMENT, *PROFILE_STEPS, CONTACT, DONE)
# Steps a citizen may leave without an answer.
OPTIONAL_STEPS: frozenset[str] = frozenset({COMMENT, *PROFILE_STEPS, CONTACT})

ENTRY_PREFIX = "s_"
# A deep-link payload is at most 64 characters of A-Za-z0-9_- (Telegram's rule).
PAYLOAD_RE = re.compile(r"^s_[A-Za-z0-9_-]{1,62}$")


def next_step(step: str) -> str:
    return STEPS[STEPS.index(step) + 1]


def previous_step(step: str) -> str | None:
    """The step "back" returns to; none before the first question."""
    index = STEPS.index(step)
    return STEPS[index - 1] if index > 1 and step != DONE else None


def profile_values(field: str) -> tuple[str, ...]:
    return tuple(value for value, _label in PROFILE[field])


def _loaded(statement: Select[Any]) -> Select[Any]:
    # Many-to-one, so joined in the same SELECT: one statement per read of a
    # response instead of three or four (every press reads it twice).
    return statement.options(
        joinedload(SurveyResponse.service).joinedload(Service.unit),
        joinedload(SurveyResponse.employee),
    )


# -- entries (QR codes) and the unit/service chooser ------------------------------


async def units_with_active_services(session: AsyncSession) -> list[Unit]:
    has_service = select(Service.id).where(Service.unit_id == Unit.id, Service.active).exists()
    rows = await session.scalars(select(Unit).where(has_service).order_by(Unit.name, Unit.id))
    return list(rows)


async def get_unit(session: AsyncSession, unit_id: int) -> Unit | None:
    return await session.get(Unit, unit_id)


async def active_services(session: AsyncSession, unit_id: int) -> list[Service]:
    rows = await session.scalars(
        select(Service)
        .where(Service.unit_id == unit_id, Service.active)
        .order_by(Service.name, Service.id)
    )
    return list(rows)


async def open_service(session: AsyncSession, service_id: int) -> Service | None:
    """An active service with its unit loaded, else None."""
    return await session.scalar(
        select(Service)
        .where(Service.id == service_id, Service.active)
        .options(joinedload(Service.unit))
    )


async def ensure_entry(
    session: AsyncSession, service_id: int, employee_id: int | None
) -> tuple[SurveyEntry, bool]:
    """The active entry for (service, officer), created if missing; (entry, created).

    Reusing the entry keeps its payload, so posters printed earlier stay valid.
    """
    query = select(SurveyEntry).where(SurveyEntry.service_id == service_id, SurveyEntry.active)
    if employee_id is None:
        query = query.where(SurveyEntry.employee_id.is_(None))
    else:
        query = query.where(SurveyEntry.employee_id == employee_id)
    entry = await session.scalar(query.order_by(SurveyEntry.id).limit(1))
    if entry is not None:
        return entry, False
    entry = SurveyEntry(
        payload=ENTRY_PREFIX + new_token(9), service_id=service_id, employee_id=employee_id
    )
    session.add(entry)
    await session.flush()
    return entry, True


# -- drafts ---------------------------------------------------------------------


def _stale_before(now: datetime, ttl_hours: int) -> datetime:
    return now - timedelta(hours=ttl_hours)


class Timestamped(Protocol):
    """A response as stored (`SurveyResponse` or `storage.survey_press.SurveyView`)."""

    status: str
    updated_at: datetime


def is_stale(response: Timestamped, now: datetime, ttl_hours: int) -> bool:
    return response.status == DRAFT and response.updated_at < _stale_before(now, ttl_hours)


async def abandon_stale_drafts(
    session: AsyncSession, now: datetime, ttl_hours: int, *, user_key: str | None = None
) -> int:
    """Mark drafts untouched for ``ttl_hours`` abandoned; return how many.

    ``step`` and ``updated_at`` stay as they were: together they say where and
    when the citizen stopped (drop-off statistics). Safe to run twice.
    """
    statement = (
        update(SurveyResponse)
        .where(
            SurveyResponse.status == DRAFT,
            SurveyResponse.updated_at < _stale_before(now, ttl_hours),
        )
        .values(status=ABANDONED)
        .execution_options(synchronize_session=False)
    )
    if user_key is not None:
        statement = statement.where(SurveyResponse.user_key == user_key)
    result = await session.execute(statement)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def current_draft(
    session: AsyncSession, user_key: str, now: datetime, ttl_hours: int
) -> SurveyResponse | None:
    """The citizen's open draft; a stale one is marked abandoned first (they start fresh)."""
    await abandon_stale_drafts(session, now, ttl_hours, user_key=user_key)
    return await session.scalar(
        _loaded(
            select(SurveyResponse)
            .where(SurveyResponse.user_key == user_key, SurveyResponse.status == DRAFT)
            .order_by(SurveyResponse.id.desc())
            .limit(1)
        )
    )


async def start_draft(
    session: AsyncSession,
    *,
    user_key: str,
    service_id: int,
    employee_id: int | None,
    entry_id: int | None,
    language: str,
    now: datetime,
    local_date: date,
) -> SurveyResponse:
    """A new draft at the intro step; any other open draft of the citizen is abandoned."""
    await session.execute(
        update(SurveyResponse)
        .where(SurveyResponse.user_key == user_key, SurveyResponse.status == DRAFT)
        .values(status=ABANDONED)
        .execution_options(synchronize_session=False)
    )
    response = SurveyResponse(
        token=new_token(9),
        user_key=user_key,
        service_id=service_id,
        employee_id=employee_id,
        entry_id=entry_id,
        status=DRAFT,
        step=INTRO,
        language=language,
        local_date=local_date,
        started_at=now,
        updated_at=now,
        contact_ok=False,
    )
    session.add(response)
    await session.flush()
    return await reload(session, response.id)


async def reload(session: AsyncSession, response_id: int) -> SurveyResponse:
    """The response as stored now, with service, unit and officer loaded."""
    response = await session.scalar(
        _loaded(select(SurveyResponse).where(SurveyResponse.id == response_id)).execution_options(
            populate_existing=True
        )
    )
    if response is None:
        raise LookupError(f"survey response {response_id} does not exist")
    return response


@dataclass(frozen=True)
class Move:
    """One press as data: the step the draft must be at (None: any step of a draft, as
    for cancelling) and the columns to write. `storage.survey_press` runs it as one
    conditional ``UPDATE … RETURNING``; `_move` runs it on a loaded response."""

    at_step: str | None
    values: dict[str, Any]
    # Columns written with the press's own time, besides ``updated_at``.
    stamped: tuple[str, ...] = ()
    # Columns computed from the press's time (the rollup's local day of a submission).
    from_time: dict[str, Callable[[datetime], Any]] = field(default_factory=dict)
    # Columns the UPDATE evaluates itself (the rollup's submission number): SQL
    # expressions, the same on every press, so the statement's shape stays fixed.
    evaluated: dict[str, Any] = field(default_factory=dict)

    def written(self, now: datetime) -> dict[str, Any]:
        """Every column this move writes as a value when pressed at ``now``."""
        derived = {name: compute(now) for name, compute in self.from_time.items()}
        return {"updated_at": now, **dict.fromkeys(self.stamped, now), **self.values, **derived}


def begin_move() -> Move:
    """Intro → first question."""
    return Move(INTRO, {"step": next_step(INTRO)})


def answer_move(step: str, score: int) -> Move:
    """Store the 1–4 score of the current unsur and move to the next step."""
    if step not in UNSUR_STEPS or score not in SCORES:
        raise ValueError(f"invalid answer {step}={score}")
    return Move(step, {"step": next_step(step), step.lower(): score})


def profile_move(field: str, value: str) -> Move:
    if field not in PROFILE_STEPS or value not in profile_values(field):
        raise ValueError(f"invalid profile answer {field}={value}")
    return Move(field, {"step": next_step(field), field: value})


def comment_move(text: str) -> Move:
    """Store the comment cleaned and masked (never the raw text) and move on."""
    stored = mask_personal_data(clean_text(text))
    return Move(COMMENT, {"step": next_step(COMMENT), "comment": stored or None})


def skip_move(step: str) -> Move:
    """Leave an optional step; an answer given earlier (before going back) is kept."""
    if step not in OPTIONAL_STEPS or step == CONTACT:
        raise ValueError(f"step {step} cannot be skipped this way")
    return Move(step, {"step": next_step(step)})


def back_move(step: str) -> Move:
    """From ``step`` to the one before it, to change that answer."""
    previous = previous_step(step)
    if previous is None:
        raise ValueError(f"no step before {step}")
    return Move(step, {"step": previous})


def submit_move(*, contact_chat_id: int | None, tz: tzinfo) -> Move:
    """Answer the contact question and submit; the chat id is kept only with consent.

    The same UPDATE writes the rollup's marks (`storage.rollup.marks`: the local
    day in ``tz`` and a submission number), so the rollup counts the response
    without writing to it.
    """
    from_time, evaluated = rollup_marks.at_submit(tz)
    return Move(
        CONTACT,
        {
            "step": DONE,
            "status": SUBMITTED,
            "contact_ok": contact_chat_id is not None,
            "contact_chat_id": contact_chat_id,
        },
        stamped=("submitted_at",),
        from_time=from_time,
        evaluated=evaluated,
    )


def cancel_move() -> Move:
    """The citizen stopped: status ``cancelled``, the step where they stopped kept."""
    return Move(None, {"status": CANCELLED})


async def _move(session: AsyncSession, response_id: int, move: Move, now: datetime) -> bool:
    """Write ``move`` only if the draft is still where it says; True if it was.

    A response this session loaded before (with its service, unit and officer)
    gets the written values too, so the caller need not read it again (see
    `_write_returning`). The bot's presses take the shorter way of
    `storage.survey_press`; this one serves typed comments and the tests.
    """
    conditions = [SurveyResponse.id == response_id, SurveyResponse.status == DRAFT]
    if move.at_step is not None:
        conditions.append(SurveyResponse.step == move.at_step)
    return await _write_returning(
        session,
        update(SurveyResponse).where(*conditions).values(**move.written(now), **move.evaluated),
    )


async def _write_returning(session: AsyncSession, statement: Any) -> bool:
    """Run a conditional UPDATE of one response; True if it matched.

    ``RETURNING`` names the row the database matched, and ``synchronize_session=
    "fetch"`` copies the written values into that response if this session holds
    it, leaving its loaded relationships alone (a row that did not match is not
    touched, in the database or in the session).
    """
    result = await session.execute(
        statement.returning(SurveyResponse.id).execution_options(synchronize_session="fetch")
    )
    return len(result.all()) == 1


async def begin(session: AsyncSession, response_id: int, now: datetime) -> bool:
    """Intro → first question."""
    return await _move(session, response_id, begin_move(), now)


async def answer_unsur(
    session: AsyncSession, response_id: int, step: str, score: int, now: datetime
) -> bool:
    """Store the 1–4 score of the current unsur and move to the next step."""
    return await _move(session, response_id, answer_move(step, score), now)


async def answer_profile(
    session: AsyncSession, response_id: int, field: str, value: str, now: datetime
) -> bool:
    return await _move(session, response_id, profile_move(field, value), now)


async def save_comment(session: AsyncSession, response_id: int, text: str, now: datetime) -> bool:
    """Store the comment cleaned and masked (never the raw text) and move on."""
    return await _move(session, response_id, comment_move(text), now)


async def skip(session: AsyncSession, response_id: int, step: str, now: datetime) -> bool:
    """Leave an optional step; an answer given earlier (before going back) is kept."""
    return await _move(session, response_id, skip_move(step), now)


async def go_back(session: AsyncSession, response_id: int, step: str, now: datetime) -> bool:
    """From ``step`` to the one before it, to change that answer."""
    return await _move(session, response_id, back_move(step), now)


async def submit(
    session: AsyncSession,
    response_id: int,
    now: datetime,
    *,
    contact_chat_id: int | None,
    tz: tzinfo,
) -> bool:
    """Answer the contact question and submit (with the rollup's marks, see `submit_move`)."""
    move = submit_move(contact_chat_id=contact_chat_id, tz=tz)
    return await _move(session, response_id, move, now)


async def cancel(session: AsyncSession, response_id: int, now: datetime) -> bool:
    """The citizen stopped: status ``cancelled``, the step where they stopped kept."""
    return await _move(session, response_id, cancel_move(), now)


# -- the citizen's own data -------------------------------------------------------


async def count_user_responses(session: AsyncSession, user_key: str) -> int:
    count = await session.scalar(
        select(func.count()).select_from(SurveyResponse).where(SurveyResponse.user_key == user_key)
    )
    return int(count or 0)


async def user_response_ids(session: AsyncSession, user_key: str) -> list[int]:
    """Ids of every response (any status) kept under a pseudonym, oldest first."""
    rows = await session.scalars(
        select(SurveyResponse.id)
        .where(SurveyResponse.user_key == user_key)
        .order_by(SurveyResponse.id)
    )
    return [int(r) for r in rows]


def _owned(user_key: str, response_ids: Sequence[int] | None) -> list[Any]:
    conditions: list[Any] = [SurveyResponse.user_key == user_key]
    if response_ids is not None:
        conditions.append(SurveyResponse.id.in_(list(response_ids)))
    return conditions


async def open_survey_messages(
    session: AsyncSession, user_key: str, response_ids: Sequence[int] | None = None
) -> list[int]:
    """Message ids of the citizen's open drafts (their buttons die with the data);
    with ``response_ids``, only among those."""
    rows = await session.scalars(
        select(SurveyResponse.message_id).where(
            *_owned(user_key, response_ids),
            SurveyResponse.status == DRAFT,
            SurveyResponse.message_id.is_not(None),
        )
    )
    return [int(m) for m in rows if m is not None]


async def delete_user_data(
    session: AsyncSession, user_key: str, response_ids: Sequence[int] | None = None
) -> int:
    """Delete the responses (submitted, draft, any status) of a pseudonym, or only those
    of ``response_ids`` that are still its own; how many.

    Contact chat ids live on those rows, so they go with them.
    """
    if response_ids is not None and not response_ids:
        return 0
    result = await session.execute(
        delete(SurveyResponse)
        .where(*_owned(user_key, response_ids))
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# -- which services get a QR code (``ulasan qr``) --------------------------------------


class QrScopeError(LookupError):
    """An unknown or inactive unit, service or officer named on the command line."""


async def _unit_tree(session: AsyncSession, root_id: int) -> list[int]:
    """The unit and all its sub-units, walked level by level (no recursive SQL needed)."""
    found = [root_id]
    level = [root_id]
    while level:
        rows = await session.scalars(select(Unit.id).where(Unit.parent_id.in_(level)))
        level = [unit_id for unit_id in rows if unit_id not in found]
        found.extend(level)
    return found


async def qr_services(
    session: AsyncSession,
    *,
    unit_code: str | None = None,
    service_codes: tuple[str, ...] = (),
    employee: Employee | None = None,
) -> list[Service]:
    """Active services to print QR codes for, with their units loaded, by unit and code.

    No filter: every active service. ``unit_code``: that unit and its sub-units.
    ``service_codes``: exactly those (each must exist and be active, and lie in
    the unit if one is named). Only an officer: the services of their unit.
    """
    query = select(Service).where(Service.active).options(selectinload(Service.unit))
    if unit_code is not None:
        unit = await session.scalar(select(Unit).where(Unit.code == unit_code))
        if unit is None:
            raise QrScopeError(f"unknown unit '{unit_code}'")
        query = query.where(Service.unit_id.in_(await _unit_tree(session, unit.id)))
    elif employee is not None and not service_codes:
        query = query.where(Service.unit_id == employee.unit_id)
    if service_codes:
        named = list(dict.fromkeys(service_codes))
        rows = await session.scalars(select(Service).where(Service.code.in_(named)))
        known = {service.code: service for service in rows}
        for code in named:
            if code not in known:
                raise QrScopeError(f"unknown service '{code}'")
            if not known[code].active:
                raise QrScopeError(f"service '{code}' is not active")
        query = query.where(Service.code.in_(named))
    services = list(await session.scalars(query))
    if service_codes and unit_code is not None and len(services) < len(set(service_codes)):
        outside = sorted(set(service_codes) - {s.code for s in services})
        raise QrScopeError(f"service '{outside[0]}' is not in unit '{unit_code}'")
    return sorted(services, key=lambda s: (s.unit.code, s.code))


async def citizen_draft_touched_after(
    session: AsyncSession, user_key: str, after: datetime, *, now: datetime, ttl_hours: int
) -> bool:
    """Whether this person touched a live citizen-survey draft after ``after``.

    An employee can also be a citizen; typed text belongs to whichever of the
    two conversations they used last, so a survey comment never lands in a
    peer review (or the other way round). Read-only.
    """
    found = await session.scalar(
        select(func.count())
        .select_from(SurveyResponse)
        .where(
            SurveyResponse.user_key == user_key,
            SurveyResponse.status == DRAFT,
            SurveyResponse.updated_at > after,
            SurveyResponse.updated_at >= now - timedelta(hours=ttl_hours),
        )
    )
    return bool(found)
