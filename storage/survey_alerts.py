"""Low-score alerts and their relays as stored: who gets an alert, what is pending, what was said.

The low-score alert job (``scheduler/jobs/low_score_alerts.py``) and the
"Balas" relay (``handlers/alerts.py``, ``scheduler/alert_relay.py``) read and
write through these functions; each takes a session and never commits.

Recipients:

- the linked head of the service's unit; when that unit has no linked, active
  head, the nearest ancestor unit's head, so an alert always reaches someone
  responsible for the service;
- that unit's admins (`storage.unit_admins.unit_admin_chats`: granted the unit
  or a unit above it), never the admins of another unit;
- the city-wide admins (``ADMIN_IDS``) only when neither exists, so that an
  alert of a unit nobody looks after still reaches someone (a decision: the
  issue wants alerts to stop flooding BKPSDM, not to vanish).

A person who is both (a head who is also a unit admin) gets one message.

Incremental and idempotent: the watermark (`JobRun.watermark` of the job's row,
an ISO UTC instant) is the latest ``submitted_at`` examined; this module owns
that column of that row, the runner updates the ``last_*`` columns only.
`pending_responses` selects in SQL only responses that meet a rule of
`scheduler.scoring.alert_rules` and have no alert row yet. The alert row is
inserted with ``ON CONFLICT DO NOTHING`` as the first statement of its
transaction (on SQLite it takes the write lock at once), so the scheduled run
and the immediate run after a submission never alert twice.

Relays: one `SurveyRelay` row per message, ``to_citizen`` (a head's reply) or
``from_citizen`` (the citizen's one answer). Everything goes by alert token
and response: no citizen identity leaves this module except
``AlertCase.contact_chat_id``, which only the relay's enqueue uses.
"""

from __future__ import annotations

import logging
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import reduce
from typing import Any

from sqlalchemy import and_, exists, func, literal, not_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.core.settings import Settings
from scheduler.scoring import skm
from scheduler.scoring.alert_rules import max_total
from storage.directory import nearest_linked_head
from storage.models import Service, TelegramAccount, Unit
from storage.outbox import insert_ignore
from storage.outbox_models import JobRun, OutboxMessage
from storage.praise import praise_condition
from storage.preferences import language_of_chat
from storage.survey_models import SUBMITTED, SurveyAlert, SurveyRelay, SurveyResponse
from storage.unit_admins import unit_admin_chats

log = logging.getLogger(__name__)

JOB_NAME = "low_score_alerts"  # the JobRun row whose watermark this module keeps
ALERT_KIND = "low_score_alert"  # outbox kinds
RELAY_KIND = "relay"
TO_CITIZEN = "to_citizen"  # SurveyRelay.direction
FROM_CITIZEN = "from_citizen"

SCORE_COLUMNS = tuple(getattr(SurveyResponse, code.lower()) for code in skm.UNSUR_CODES)
ALERTS = SurveyAlert.__table__
RELAYS = SurveyRelay.__table__
JOB_RUNS = JobRun.__table__


def alert_key(response_id: int, chat_id: int) -> str:
    """The dedupe key of an alert's outbox row for one recipient."""
    return f"alert:{response_id}:{chat_id}"


def _alert_worthy(threshold: float) -> Any:
    """The rule of `alert_rules.reasons_for` as a SQL condition (Service joined)."""
    # NULL for an incomplete row (never submitted): then only the other rules apply.
    total = reduce(operator.add, SCORE_COLUMNS)
    return or_(
        total <= max_total(threshold),
        *(column == 1 for column in SCORE_COLUMNS),
        and_(Service.free.is_(True), SurveyResponse.u4.is_not(None), SurveyResponse.u4 != 4),
        and_(
            SurveyResponse.comment.is_not(None),
            func.trim(SurveyResponse.comment) != "",
            not_(praise_condition()),  # praise goes to the officer (storage.praise)
        ),
    )


# -- who gets an alert ------------------------------------------------------------------


HEAD = "head"  # Recipient.role: the unit's head (or the nearest head above)
UNIT_ADMIN = "unit_admin"
CITY_ADMIN = "city_admin"  # only when the unit has neither


@dataclass(frozen=True)
class Recipient:
    chat_id: int
    employee_id: int | None
    language: str
    role: str = HEAD


async def unit_head(session: AsyncSession, unit_id: int) -> tuple[int, int] | None:
    """(employee id, Telegram id) of the linked, active head of the unit, else of the
    nearest ancestor unit that has one; None if no unit up the tree has one."""
    head = await nearest_linked_head(session, unit_id)
    return (head.employee_id, head.chat_id) if head is not None else None


async def recipients_for(
    session: AsyncSession, settings: Settings, unit_id: int
) -> list[Recipient]:
    """The unit head (or nearest linked head above) and the unit's admins, one per chat;
    the city-wide admins when the unit has neither."""
    found: dict[int, Recipient] = {}
    head = await unit_head(session, unit_id)
    if head is not None:
        employee_id, chat_id = head
        found[chat_id] = Recipient(
            chat_id, employee_id, await language_of_chat(session, settings, chat_id), HEAD
        )
    admins = [(chat, UNIT_ADMIN) for chat in await unit_admin_chats(session, unit_id)]
    if not found and not admins:
        admins = [(chat, CITY_ADMIN) for chat in settings.admin_ids]
    for chat_id, role in admins:
        if chat_id in found:
            continue
        employee_id = await session.scalar(
            select(TelegramAccount.employee_id).where(TelegramAccount.telegram_user_id == chat_id)
        )
        found[chat_id] = Recipient(
            chat_id, employee_id, await language_of_chat(session, settings, chat_id), role
        )
    return list(found.values())


# -- job queries -------------------------------------------------------------------------


async def read_watermark(session: AsyncSession, job: str = JOB_NAME) -> datetime | None:
    """The latest submission a job examined (the praise notes keep one too)."""
    value = await session.scalar(select(JobRun.watermark).where(JobRun.name == job))
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        log.warning("%s: ignoring an unreadable watermark %r", job, value)
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


async def write_watermark(session: AsyncSession, value: datetime, job: str = JOB_NAME) -> None:
    """Set only the watermark column (the runner owns the others); writes first."""
    await session.execute(insert_ignore(session, JOB_RUNS, ["name"]).values(name=job))
    await session.execute(
        update(JOB_RUNS)
        .where(JOB_RUNS.c.name == job)
        .values(watermark=value.astimezone(UTC).isoformat())
    )


async def latest_submission(session: AsyncSession, since: datetime) -> datetime | None:
    return await session.scalar(
        select(func.max(SurveyResponse.submitted_at)).where(
            SurveyResponse.status == SUBMITTED, SurveyResponse.submitted_at >= since
        )
    )


async def pending_responses(
    session: AsyncSession, since: datetime, threshold: float
) -> list[SurveyResponse]:
    """Submitted since ``since``, not alerted yet, and meeting a rule (in SQL), oldest first."""
    not_alerted = ~exists().where(SurveyAlert.response_id == SurveyResponse.id)
    statement = (
        select(SurveyResponse)
        .join(Service, Service.id == SurveyResponse.service_id)
        .where(
            SurveyResponse.status == SUBMITTED,
            SurveyResponse.submitted_at >= since,
            not_alerted,
            _alert_worthy(threshold),
        )
        .order_by(SurveyResponse.submitted_at, SurveyResponse.id)
        .options(
            selectinload(SurveyResponse.service).selectinload(Service.unit),
            selectinload(SurveyResponse.employee),
        )
    )
    return list(await session.scalars(statement))


async def insert_alert(
    session: AsyncSession, response_id: int, reasons: Sequence[str], token: str, now: datetime
) -> int | None:
    """One alert row per response, its id; None if it exists already or the response is gone.

    One statement (INSERT … SELECT … WHERE the response is still submitted ON
    CONFLICT DO NOTHING): it writes first, and a response deleted by /hapusdata
    a moment ago is simply not alerted.
    """
    values = {
        "response_id": response_id,
        "reasons": ",".join(reasons),
        "token": token,
        "created_at": now,
    }
    source = select(*(literal(value, ALERTS.c[name].type) for name, value in values.items()))
    source = source.where(
        exists().where(SurveyResponse.id == response_id, SurveyResponse.status == SUBMITTED)
    )
    statement = (
        insert_ignore(session, ALERTS, ["response_id"])
        .from_select(list(values), source)
        .returning(ALERTS.c.id)
    )
    row = (await session.execute(statement)).first()
    return int(row[0]) if row is not None else None


# -- relays ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AlertCase:
    """An alert and what the relay needs of its response (no citizen identity leaves it
    except ``contact_chat_id``, which only the relay's enqueue uses)."""

    token: str
    response_id: int
    service_name: str
    unit_name: str
    unit_id: int
    citizen_language: str
    contact_chat_id: int | None
    submitted_at: datetime | None

    @property
    def contactable(self) -> bool:
        return self.contact_chat_id is not None


async def alert_case(session: AsyncSession, token: str) -> AlertCase | None:
    row = (
        await session.execute(
            select(SurveyAlert.token, SurveyResponse, Service.name, Unit.name, Unit.id)
            .join(SurveyResponse, SurveyResponse.id == SurveyAlert.response_id)
            .join(Service, Service.id == SurveyResponse.service_id)
            .join(Unit, Unit.id == Service.unit_id)
            .where(SurveyAlert.token == token)
        )
    ).first()
    if row is None:
        return None
    alert_token, response, service_name, unit_name, unit_id = row
    contact = response.contact_chat_id if response.contact_ok else None
    return AlertCase(
        alert_token,
        response.id,
        service_name,
        unit_name,
        unit_id,
        response.language if response.language in ("id", "en") else "id",
        contact,
        response.submitted_at,
    )


async def alert_recipient(
    session: AsyncSession, case: AlertCase, chat_id: int
) -> OutboxMessage | None:
    """The outbox row that brought this alert to ``chat_id``, if it ever did."""
    return await session.scalar(
        select(OutboxMessage).where(
            OutboxMessage.dedupe_key == alert_key(case.response_id, chat_id),
            OutboxMessage.kind == ALERT_KIND,
        )
    )


async def alert_recipients(session: AsyncSession, case: AlertCase) -> list[tuple[int, int | None]]:
    """(chat id, employee id) of everyone the alert was queued for."""
    rows = await session.execute(
        select(OutboxMessage.chat_id, OutboxMessage.employee_id)
        .where(
            OutboxMessage.kind == ALERT_KIND,
            OutboxMessage.dedupe_key.like(f"alert:{case.response_id}:%"),
        )
        .order_by(OutboxMessage.id)
    )
    return [(int(chat), employee) for chat, employee in rows.all()]


async def citizen_has_answered(session: AsyncSession, response_id: int) -> bool:
    found = await session.scalar(
        select(SurveyRelay.id)
        .where(SurveyRelay.response_id == response_id, SurveyRelay.direction == FROM_CITIZEN)
        .limit(1)
    )
    return found is not None


async def head_has_replied(session: AsyncSession, response_id: int) -> bool:
    found = await session.scalar(
        select(SurveyRelay.id)
        .where(SurveyRelay.response_id == response_id, SurveyRelay.direction == TO_CITIZEN)
        .limit(1)
    )
    return found is not None


async def insert_relay(
    session: AsyncSession,
    case: AlertCase,
    direction: str,
    text: str,
    employee_id: int | None,
    now: datetime,
) -> int | None:
    """Store one relayed message; None (nothing written) when it may not be stored now.

    Writes first (INSERT … SELECT): the response must still exist with consent
    to be contacted, and a citizen answers at most once.
    """
    values: dict[str, Any] = {
        "response_id": case.response_id,
        "direction": direction,
        "employee_id": employee_id,
        "text": text,
        "created_at": now,
    }
    source = select(*(literal(value, RELAYS.c[name].type) for name, value in values.items()))
    conditions = [
        exists().where(
            SurveyResponse.id == case.response_id,
            SurveyResponse.contact_ok.is_(True),
            SurveyResponse.contact_chat_id.is_not(None),
        )
    ]
    if direction == FROM_CITIZEN:
        conditions.append(
            ~exists().where(
                SurveyRelay.response_id == case.response_id,
                SurveyRelay.direction == FROM_CITIZEN,
            )
        )
    statement = (
        RELAYS.insert().from_select(list(values), source.where(*conditions)).returning(RELAYS.c.id)
    )
    row = (await session.execute(statement)).first()
    return int(row[0]) if row is not None else None
