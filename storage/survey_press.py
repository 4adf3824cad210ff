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

from sqlalchemy import Boolean, Integer, String, bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import one_hop, survey_names
from storage.crypto import new_token
from storage.models import Employee, Service
from storage.survey import INTRO, Move
from storage.survey_models import ABANDONED, DRAFT, SUBMITTED, SurveyEntry, SurveyResponse
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


# What a statement returning a response gives back: its columns, then the roster version.
_RESULT_TYPES = [*(column.type for column in _columns()), Integer()]


def _view(values: dict[str, Any], names: Names) -> SurveyView:
    fields = {name: values[name] for name in _COLUMNS}
    fields["contact_ok"] = bool(fields["contact_ok"])
    return SurveyView(
        **fields, service_name=names.service, unit_name=names.unit, officer_name=names.officer
    )


async def _one_view(
    session: AsyncSession, cache: NamesCache, rows: list[tuple[Any, ...]]
) -> SurveyView | None:
    """The response a statement returned (with the roster version last), with its names."""
    if not rows:
        return None
    values = dict(zip(_COLUMNS, rows[0], strict=False))
    cache.observe(rows[0][-1])
    names = await survey_names.load(session, cache, values["service_id"], values["employee_id"])
    return _view(values, names)


def _press_statement(
    written: tuple[str, ...], any_step: bool, evaluated: tuple[tuple[str, Any], ...] = ()
) -> Any:
    conditions = [
        _TABLE.c.token == bindparam("p_token"),
        _TABLE.c.user_key == bindparam("p_user_key"),
        _TABLE.c.status == DRAFT,
        _TABLE.c.updated_at >= bindparam("p_fresh_since"),
    ]
    if not any_step:
        conditions.append(_TABLE.c.step == bindparam("p_at_step"))
    return (
        update(_TABLE)
        .where(*conditions)
        .values({name: bindparam(f"v_{name}", type_=_TABLE.c[name].type) for name in written})
        .values(dict(evaluated))  # SQL the UPDATE evaluates (the rollup's submission number)
        .returning(*_columns(), survey_names.version_column())
    )


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
    values = move.written(now)
    written = tuple(sorted(values))
    evaluated = tuple(sorted(move.evaluated.items()))
    any_step = move.at_step is None
    params = {f"v_{name}": value for name, value in values.items()}
    params.update(
        p_token=token, p_user_key=user_key, p_fresh_since=now - timedelta(hours=ttl_hours)
    )
    if not any_step:
        params["p_at_step"] = move.at_step
    rows = await one_hop.fetch(
        session,
        ("survey.press", written, tuple(name for name, _e in evaluated), any_step),
        lambda: _press_statement(written, any_step, evaluated),
        params,
        _RESULT_TYPES,
    )
    return await _one_view(session, cache, rows)


async def stored(session: AsyncSession, cache: NamesCache, token: str) -> SurveyView | None:
    """The response ``token`` as stored (any status, any citizen), else None."""
    rows = await one_hop.fetch(
        session,
        "survey.stored",
        lambda: select(*_columns(), survey_names.version_column()).where(
            _TABLE.c.token == bindparam("p_token")
        ),
        {"p_token": token},
        _RESULT_TYPES,
    )
    return await _one_view(session, cache, rows)


async def set_message_id(session: AsyncSession, response_id: int, message_id: int) -> None:
    """Remember which message shows the survey (it is edited step after step)."""
    await one_hop.fetch(
        session,
        "survey.set_message_id",
        lambda: (
            update(_TABLE)
            .where(_TABLE.c.id == bindparam("p_response_id"))
            .values(message_id=bindparam("p_message_id"))
        ),
        {"p_response_id": response_id, "p_message_id": message_id},
    )


# -- /start: the QR code's entry, the citizen's draft, a new draft ----------------------


@dataclass(frozen=True)
class Target:
    """What a citizen asked to rate: a service, maybe an officer, maybe via a QR entry."""

    service_id: int
    service_name: str
    employee_id: int | None = None
    entry_id: int | None = None


def _entry_statement() -> Any:
    return (
        select(
            SurveyEntry.id,
            SurveyEntry.service_id,
            Service.name,
            SurveyEntry.employee_id,
            Employee.active,
        )
        .join(Service, Service.id == SurveyEntry.service_id)
        .outerjoin(Employee, Employee.id == SurveyEntry.employee_id)
        .where(SurveyEntry.payload == bindparam("p_payload"), SurveyEntry.active, Service.active)
    )


async def entry_target(session: AsyncSession, payload: str) -> Target | None:
    """The active entry of an active service for a QR payload, in one SELECT; None if
    there is none. An officer who left keeps the poster usable, unattributed."""
    rows = await one_hop.fetch(
        session,
        "survey.entry",
        _entry_statement,
        {"p_payload": payload},
        [Integer(), Integer(), String(), Integer(), Boolean()],
    )
    if not rows:
        return None
    entry_id, service_id, name, employee_id, employee_active = rows[0]
    officer = employee_id if employee_id is not None and employee_active else None
    return Target(service_id, name, officer, entry_id)


async def latest_draft(
    session: AsyncSession, cache: NamesCache, user_key: str
) -> SurveyView | None:
    """The citizen's open draft (there is at most one: a new one abandons the others)."""
    rows = await one_hop.fetch(
        session,
        "survey.latest_draft",
        lambda: (
            select(*_columns(), survey_names.version_column())
            .where(_TABLE.c.user_key == bindparam("p_user_key"), _TABLE.c.status == DRAFT)
            .order_by(_TABLE.c.id.desc())
            .limit(1)
        ),
        {"p_user_key": user_key},
        _RESULT_TYPES,
    )
    return await _one_view(session, cache, rows)


async def submitted_on(
    session: AsyncSession, user_key: str, service_id: int, local_date: date
) -> int:
    """How many surveys this citizen submitted for this service on that local day."""
    rows = await one_hop.fetch(
        session,
        "survey.submitted_on",
        lambda: (
            select(func.count())
            .select_from(_TABLE)
            .where(
                _TABLE.c.user_key == bindparam("p_user_key"),
                _TABLE.c.service_id == bindparam("p_service_id"),
                _TABLE.c.local_date == bindparam("p_local_date"),
                _TABLE.c.status == SUBMITTED,
            )
        ),
        {"p_user_key": user_key, "p_service_id": service_id, "p_local_date": local_date},
        [Integer()],
    )
    return int(rows[0][0] or 0)


def _insert_statement() -> Any:
    names = (
        "token",
        "user_key",
        "service_id",
        "employee_id",
        "entry_id",
        "language",
        "local_date",
        "started_at",
        "updated_at",
    )
    return (
        insert(_TABLE)
        .values(
            {
                **{name: bindparam(f"p_{name}", type_=_TABLE.c[name].type) for name in names},
                "status": DRAFT,
                "step": INTRO,
                "contact_ok": False,
            }
        )
        .returning(*_columns(), survey_names.version_column())
    )


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
        await one_hop.fetch(
            session,
            "survey.abandon_open",
            lambda: (
                update(_TABLE)
                .where(_TABLE.c.user_key == bindparam("p_user_key"), _TABLE.c.status == DRAFT)
                .values(status=ABANDONED)
            ),
            {"p_user_key": user_key},
        )
    values = {
        "token": new_token(9),
        "user_key": user_key,
        "service_id": target.service_id,
        "employee_id": target.employee_id,
        "entry_id": target.entry_id,
        "language": language,
        "local_date": local_date,
        "started_at": now,
        "updated_at": now,
    }
    params = {f"p_{name}": value for name, value in values.items()}
    rows = await one_hop.fetch(session, "survey.start", _insert_statement, params, _RESULT_TYPES)
    view = await _one_view(session, cache, rows)
    assert view is not None
    return view


def view_of(response: SurveyResponse) -> SurveyView:
    """A response loaded with its service, unit and officer, as the screens read it."""
    officer = response.employee.name if response.employee is not None else None
    names = Names(response.service.name, response.service.unit.name, officer)
    return _view({name: getattr(response, name) for name in _COLUMNS}, names)
