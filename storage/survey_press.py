"""A citizen's survey press as one short transaction, and what the screens show.

The happy path of a press is one statement and a commit: a conditional
``UPDATE survey_responses SET … WHERE token = :t AND user_key = :k AND status =
'draft' AND step = :expected AND updated_at >= <the draft's time limit>
RETURNING <what the next screen needs>, <the roster version>`` (SQLAlchemy Core
on the session's connection: no identity map, no ``synchronize_session``;
SQLite ≥ 3.35 and PostgreSQL both have ``RETURNING``). The names on the screen
come from `storage.survey_names` (a cache checked against the roster version
the same statement returned). SQLite's driver opens the transaction implicitly
with the UPDATE, so there is no separate ``BEGIN`` round trip.

Only when the UPDATE matched no row does `stored` read the response again, so
the caller can say why (unknown, expired, closed, stale button); that path may
cost more. The screens read a `SurveyView`, never an ORM object, whichever way
the response was read (`view_of` turns a loaded `SurveyResponse` into one).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import survey_names
from storage.crypto import new_token
from storage.models import Employee, Service
from storage.survey import INTRO, Move
from storage.survey_models import ABANDONED, DRAFT, SurveyEntry, SurveyResponse
from storage.survey_names import Names, NamesCache

_TABLE = SurveyResponse.__table__
# The columns a screen (and the refusal of a press) needs, in `SurveyView`'s order.
_COLUMNS: tuple[str, ...] = (
    "id",
    "token",
    "user_key",
    "service_id",
    "employee_id",
    "status",
    "step",
    "language",
    "message_id",
    "updated_at",
    "u1",
    "u2",
    "u3",
    "u4",
    "u5",
    "u6",
    "u7",
    "u8",
    "u9",
    "comment",
    "age_group",
    "gender",
    "education",
    "occupation",
    "contact_ok",
)


@dataclass(frozen=True)
class SurveyView:
    """A response as one survey screen shows it, with the names of its service, unit and
    officer."""

    id: int
    token: str
    user_key: str | None
    service_id: int
    employee_id: int | None
    status: str
    step: str
    language: str
    message_id: int | None
    updated_at: datetime
    u1: int | None
    u2: int | None
    u3: int | None
    u4: int | None
    u5: int | None
    u6: int | None
    u7: int | None
    u8: int | None
    u9: int | None
    comment: str | None
    age_group: str | None
    gender: str | None
    education: str | None
    occupation: str | None
    contact_ok: bool
    service_name: str
    unit_name: str
    officer_name: str | None


def _columns() -> list[Any]:
    return [_TABLE.c[name] for name in _COLUMNS]


def _view(values: dict[str, Any] | Row[Any], names: Names) -> SurveyView:
    mapping = values if isinstance(values, dict) else values._mapping
    fields = {name: mapping[name] for name in _COLUMNS}
    fields["contact_ok"] = bool(fields["contact_ok"])
    return SurveyView(
        **fields, service_name=names.service, unit_name=names.unit, officer_name=names.officer
    )


async def _with_names(session: AsyncSession, cache: NamesCache, row: Row[Any]) -> SurveyView:
    cache.observe(row.roster_version)
    names = await survey_names.load(session, cache, row.service_id, row.employee_id)
    return _view(row, names)


async def press(
    session: AsyncSession,
    cache: NamesCache,
    *,
    token: str,
    user_key: str,
    move: Move,
    now: datetime,
    ttl_hours: int,
) -> SurveyView | None:
    """Write ``move`` if the citizen's live draft ``token`` is where it says; the response
    as written, or None when nothing matched (then `stored` says why)."""
    conditions = [
        _TABLE.c.token == token,
        _TABLE.c.user_key == user_key,
        _TABLE.c.status == DRAFT,
        _TABLE.c.updated_at >= now - timedelta(hours=ttl_hours),
    ]
    if move.at_step is not None:
        conditions.append(_TABLE.c.step == move.at_step)
    statement = (
        update(_TABLE)
        .where(*conditions)
        .values(**move.written(now))
        .returning(*_columns(), survey_names.version_column())
    )
    row = (await session.execute(statement)).first()
    if row is None:
        return None
    return await _with_names(session, cache, row)


async def stored(session: AsyncSession, cache: NamesCache, token: str) -> SurveyView | None:
    """The response ``token`` as stored (any status, any citizen), else None."""
    row = (
        await session.execute(
            select(*_columns(), survey_names.version_column()).where(_TABLE.c.token == token)
        )
    ).first()
    if row is None:
        return None
    return await _with_names(session, cache, row)


# -- /start: the QR code's entry, the citizen's draft, a new draft ----------------------


@dataclass(frozen=True)
class Target:
    """What a citizen asked to rate: a service, maybe an officer, maybe via a QR entry."""

    service_id: int
    service_name: str
    employee_id: int | None = None
    entry_id: int | None = None


async def entry_target(session: AsyncSession, payload: str) -> Target | None:
    """The active entry of an active service for a QR payload, in one SELECT; None if
    there is none. An officer who left keeps the poster usable, unattributed."""
    row = (
        await session.execute(
            select(
                SurveyEntry.id,
                SurveyEntry.service_id,
                Service.name,
                SurveyEntry.employee_id,
                Employee.active,
            )
            .join(Service, Service.id == SurveyEntry.service_id)
            .outerjoin(Employee, Employee.id == SurveyEntry.employee_id)
            .where(SurveyEntry.payload == payload, SurveyEntry.active, Service.active)
        )
    ).first()
    if row is None:
        return None
    entry_id, service_id, name, employee_id, employee_active = row
    officer = employee_id if employee_id is not None and employee_active else None
    return Target(service_id, name, officer, entry_id)


async def latest_draft(
    session: AsyncSession, cache: NamesCache, user_key: str
) -> SurveyView | None:
    """The citizen's open draft (there is at most one: a new one abandons the others)."""
    row = (
        await session.execute(
            select(*_columns(), survey_names.version_column())
            .where(_TABLE.c.user_key == user_key, _TABLE.c.status == DRAFT)
            .order_by(_TABLE.c.id.desc())
            .limit(1)
        )
    ).first()
    return None if row is None else await _with_names(session, cache, row)


async def start(
    session: AsyncSession,
    cache: NamesCache,
    target: Target,
    *,
    user_key: str,
    language: str,
    now: datetime,
    local_date: date,
    abandon_open: bool,
) -> SurveyView:
    """A new draft at the intro step as one ``INSERT … RETURNING``; with ``abandon_open``
    (the caller saw an open draft) the citizen's other drafts are abandoned first."""
    if abandon_open:
        await session.execute(
            update(_TABLE)
            .where(_TABLE.c.user_key == user_key, _TABLE.c.status == DRAFT)
            .values(status=ABANDONED)
        )
    statement = (
        insert(_TABLE)
        .values(
            token=new_token(9),
            user_key=user_key,
            service_id=target.service_id,
            employee_id=target.employee_id,
            entry_id=target.entry_id,
            status=DRAFT,
            step=INTRO,
            language=language,
            local_date=local_date,
            started_at=now,
            updated_at=now,
            contact_ok=False,
        )
        .returning(*_columns(), survey_names.version_column())
    )
    row = (await session.execute(statement)).one()
    return await _with_names(session, cache, row)


def view_of(response: SurveyResponse) -> SurveyView:
    """A response loaded with its service, unit and officer, as the screens read it."""
    officer = response.employee.name if response.employee is not None else None
    names = Names(response.service.name, response.service.unit.name, officer)
    return _view({name: getattr(response, name) for name in _COLUMNS}, names)
