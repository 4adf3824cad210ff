"""Job ``low_score_alerts``: tell the unit head at once about an unhappy citizen.

A submitted survey raises an alert (`reasons_for`) when

- its mean over U1…U9 is at or below ``LOW_SCORE_THRESHOLD`` (2.0: exactly 2.0
  alerts), reason ``low_mean``;
- any unsur was answered 1, the worst option, reason ``unsur_1``;
- the service is free by law (``Service.free``) and U4 (cost) is not "Free of
  charge" (4): a possible illegal levy (pungli), reason ``levy``, worded as a
  request to check, never as an accusation;
- it carries a comment, reason ``comment``.

Each such response gets one `SurveyAlert` row (its reasons and a random token)
and, in the same transaction, one outbox message (kind ``low_score_alert``,
`PRIORITY_ALERT`, dedupe key ``alert:<response id>:<chat id>``) per recipient,
in the recipient's language: the service and unit, the officer named by the QR
code if any, the nine answers (unsur name and option label), the comment (masked
when stored, masked again here) and the reasons. Nothing that identifies the
citizen: no chat id, no pseudonym, no profile answers.

Recipients (the schema has no per-unit admin, so this is a decision):

- the linked head of the service's unit; when that unit has no linked, active
  head, the nearest ancestor unit's head, so an alert always reaches someone
  responsible for the service;
- every admin of ``ADMIN_IDS``, always (the issue says "and to admins"; in a
  deployment the admins are the unit's or BKPSDM's operators). A head who is
  also an admin gets one message.

Quiet hours: ``not_before`` is the next moment in the "alerts" window (07:00–21:00
every day), unless ``--force``.

Incremental and idempotent: the watermark (`JobRun.watermark` of this job, an
ISO UTC instant) is the latest ``submitted_at`` examined. A run looks at
responses submitted since the watermark minus `OVERLAP` (a survey stamped just
before another but committed just after it is not skipped) that have no alert
row yet, and selects in SQL only those that meet a rule. The alert row is
inserted with ``ON CONFLICT DO NOTHING`` as the first statement of its
transaction (on SQLite it takes the write lock at once), so the scheduled run
and the immediate run after a submission (`trigger`) never alert twice. The
first run ever looks back `FIRST_RUN_LOOKBACK` only, so installing the job
does not flood heads with last year's comments. Note for the runner: this job
owns ``JobRun.watermark`` of its row; the runner must update the ``last_*``
columns only.

"Balas" (Reply): when the citizen agreed to be contacted (``contact_ok`` and a
``contact_chat_id``), each alert has a button ``al:<alert token>:reply``;
``handlers/alerts.py`` relays the head's reply to the citizen with the
functions of the relay section below, and the citizen's one answer back.
Neither side ever sees the other's Telegram identity: everything goes by
alert token and response, and the citizen reads "the service unit".

The queries of alerts and relays live here, beside the job that creates them
(a storage module of their own would be the tidier home; see the report).
"""

from __future__ import annotations

import logging
import math
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from functools import reduce
from typing import Any

from babel.dates import format_datetime
from babel.numbers import format_decimal
from sqlalchemy import and_, exists, func, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.core.i18n import gettext_for
from bot.core.settings import Settings
from scheduler.jobs.specs import JobContext
from scheduler.quiet_hours import next_allowed
from scheduler.scoring import skm
from scheduler.scoring.skm_instrument import UNSUR
from scheduler.services import Services
from storage.crypto import new_token, pseudonym
from storage.masking import clean_text, mask_personal_data
from storage.models import Employee, Service, TelegramAccount, Unit, UserPreference
from storage.outbox import MAX_TEXT, enqueue, insert_ignore
from storage.outbox_models import PRIORITY_ALERT, PRIORITY_REPLY, JobRun, OutboxMessage
from storage.survey_models import SUBMITTED, SurveyAlert, SurveyRelay, SurveyResponse

log = logging.getLogger(__name__)

JOB_NAME = "low_score_alerts"
KIND = "low_score_alert"
RELAY_KIND = "relay"

REASON_LOW_MEAN = "low_mean"
REASON_UNSUR_1 = "unsur_1"
REASON_LEVY = "levy"
REASON_COMMENT = "comment"

TO_CITIZEN = "to_citizen"
FROM_CITIZEN = "from_citizen"

# Callback data: al:<alert token>:<action> (≤ 64 bytes; the token is 12 characters).
CALLBACK_PREFIX = "al"
REPLY = "reply"  # a head or admin answers the citizen
ANSWER = "answer"  # the citizen answers the head's reply, once
CANCEL = "cancel"  # leave the typing step

OVERLAP = timedelta(minutes=10)
FIRST_RUN_LOOKBACK = timedelta(days=1)
# Room kept for the other lines when a long comment is shortened to fit a message.
COMMENT_ROOM = 3000

SCORE_COLUMNS = tuple(getattr(SurveyResponse, code.lower()) for code in skm.UNSUR_CODES)
ALERTS = SurveyAlert.__table__
RELAYS = SurveyRelay.__table__
JOB_RUNS = JobRun.__table__
STATE_KEY = "low_score_alerts_now"


def callback(token: str, action: str) -> str:
    return f"{CALLBACK_PREFIX}:{token}:{action}"


def alert_key(response_id: int, chat_id: int) -> str:
    return f"alert:{response_id}:{chat_id}"


# -- the rule (pure) -----------------------------------------------------------------------


def max_total(threshold: float) -> int:
    """The largest sum of nine scores whose mean is at or below ``threshold`` (exact)."""
    return math.floor(Decimal(repr(float(threshold))) * len(skm.UNSUR_CODES))


def mean_of(answers: Mapping[str, int | None]) -> Fraction | None:
    scores = [answers.get(code) for code in skm.UNSUR_CODES]
    if any(score is None for score in scores):
        return None
    return Fraction(sum(int(score) for score in scores if score is not None), len(scores))


def reasons_for(
    answers: Mapping[str, int | None], comment: str | None, *, free: bool, threshold: float
) -> tuple[str, ...]:
    """Why a response deserves an alert, in a fixed order; () when it does not."""
    reasons: list[str] = []
    scores = [answers.get(code) for code in skm.UNSUR_CODES]
    complete = [int(score) for score in scores if score is not None]
    if len(complete) == len(scores) and sum(complete) <= max_total(threshold):
        reasons.append(REASON_LOW_MEAN)
    if 1 in complete:
        reasons.append(REASON_UNSUR_1)
    u4 = answers.get("U4")
    if free and u4 is not None and u4 != 4:
        reasons.append(REASON_LEVY)
    if comment is not None and comment.strip():
        reasons.append(REASON_COMMENT)
    return tuple(reasons)


def _alert_worthy(threshold: float) -> Any:
    """The rule of `reasons_for` as a SQL condition (Service joined)."""
    # NULL for an incomplete row (never submitted): then only the other rules apply.
    total = reduce(operator.add, SCORE_COLUMNS)
    return or_(
        total <= max_total(threshold),
        *(column == 1 for column in SCORE_COLUMNS),
        and_(Service.free.is_(True), SurveyResponse.u4.is_not(None), SurveyResponse.u4 != 4),
        and_(SurveyResponse.comment.is_not(None), func.trim(SurveyResponse.comment) != ""),
    )


# -- formatting --------------------------------------------------------------------------


def _locale(language: str) -> str:
    return "en" if language == "en" else "id"


def decimal_text(value: Fraction | float, language: str) -> str:
    """Half-up to two decimals, with the locale's decimal sign (2,00 / 2.00)."""
    shown = skm.round_half_up(value if isinstance(value, Fraction) else Fraction(str(value)), 2)
    return format_decimal(shown, format="0.00", locale=_locale(language))


def local_time_text(moment: datetime, settings: Settings, language: str) -> str:
    local = moment.astimezone(settings.tz)
    return format_datetime(local, "d MMM y, HH.mm", locale=_locale(language))


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(limit - 1, 0)].rstrip() + "…"


def reason_lines(
    reasons: Sequence[str], response: SurveyResponse, settings: Settings, language: str
) -> list[str]:
    """One line per reason, in ``language``."""
    _ = gettext_for(language)
    lines = []
    answers = response.answers()
    for reason in reasons:
        if reason == REASON_LOW_MEAN:
            mean = mean_of(answers) or Fraction(0)
            lines.append(
                _("Average score {mean} (alert at {threshold} or below)").format(
                    mean=decimal_text(mean, language),
                    threshold=decimal_text(settings.low_score_threshold, language),
                )
            )
        elif reason == REASON_UNSUR_1:
            names = [_(u.name) for u in UNSUR if answers.get(u.code) == 1]
            lines.append(_("Worst answer (1) on: {unsur}").format(unsur=", ".join(names)))
        elif reason == REASON_LEVY:
            u4 = UNSUR[3]
            score = answers.get("U4") or 0
            label = _(u4.options[score - 1]) if score in (1, 2, 3) else "-"
            lines.append(
                _(
                    "Possible illegal levy, please check: this service is free of charge, "
                    'but the citizen answered the cost question with "{answer}".'
                ).format(answer=label)
            )
        elif reason == REASON_COMMENT:
            lines.append(_("The citizen left a suggestion or complaint."))
    return lines


def alert_text(
    response: SurveyResponse, reasons: Sequence[str], settings: Settings, language: str
) -> str:
    """The alert as one recipient reads it; never anything that identifies the citizen."""
    _ = gettext_for(language)
    service = response.service
    lines = [
        _("⚠️ Citizen feedback needs attention"),
        "",
        _("Service: {service}").format(service=service.name),
        _("Unit: {unit}").format(unit=service.unit.name),
    ]
    if response.employee is not None:
        lines.append(_("Officer named by the QR code: {name}").format(name=response.employee.name))
    if response.submitted_at is not None:
        lines.append(
            _("Submitted: {when}").format(
                when=local_time_text(response.submitted_at, settings, language)
            )
        )
    lines += ["", _("Why you get this alert:")]
    lines += [f"• {line}" for line in reason_lines(reasons, response, settings, language)]
    lines += ["", _("The answers:")]
    for unsur in UNSUR:
        score = getattr(response, unsur.code.lower())
        label = _(unsur.options[score - 1]) if score in (1, 2, 3, 4) else "-"
        mark = " ❗" if score == 1 else ""
        lines.append(f"• {_(unsur.name)}: {label} ({score if score else '-'}){mark}")
    if response.contact_ok and response.contact_chat_id is not None:
        footer = _(
            "The citizen agreed to be contacted. Press Reply to answer through the bot: "
            "the citizen sees the service unit, not your name, and you do not see their "
            "account."
        )
    else:
        footer = _("The citizen did not ask to be contacted.")
    comment = mask_personal_data(clean_text(response.comment or ""))
    if comment:
        head = "\n".join(lines)
        room = MAX_TEXT - len(head) - len(footer) - 200
        comment_line = _("Suggestion or complaint (contact details hidden): {comment}").format(
            comment=_shorten(comment, max(min(room, COMMENT_ROOM), 100))
        )
        lines += ["", comment_line]
    lines += ["", footer]
    return _shorten("\n".join(lines), MAX_TEXT)


def alert_buttons(token: str, language: str) -> list[list[dict[str, str]]]:
    _ = gettext_for(language)
    return [[{"text": _("Reply"), "callback_data": callback(token, REPLY)}]]


# -- who gets an alert ------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    chat_id: int
    employee_id: int | None
    language: str


async def language_of_chat(session: AsyncSession, settings: Settings, telegram_user_id: int) -> str:
    """A Telegram user's language: their account's, else their /language choice, else default."""
    account_language = await session.scalar(
        select(TelegramAccount.language).where(TelegramAccount.telegram_user_id == telegram_user_id)
    )
    if account_language in ("id", "en"):
        return str(account_language)
    chosen = await session.scalar(
        select(UserPreference.language).where(
            UserPreference.user_key == pseudonym(settings.secret_bytes(), telegram_user_id)
        )
    )
    return str(chosen) if chosen in ("id", "en") else settings.default_language


async def unit_head(session: AsyncSession, unit_id: int) -> tuple[int, int] | None:
    """(employee id, Telegram id) of the linked, active head of the unit, else of the
    nearest ancestor unit that has one; None if no unit up the tree has one."""
    seen: set[int] = set()
    current: int | None = unit_id
    while current is not None and current not in seen:
        seen.add(current)
        row = (
            await session.execute(
                select(Unit.parent_id, Employee.id, TelegramAccount.telegram_user_id)
                .select_from(Unit)
                .outerjoin(
                    Employee,
                    and_(Employee.id == Unit.head_employee_id, Employee.active.is_(True)),
                )
                .outerjoin(TelegramAccount, TelegramAccount.employee_id == Employee.id)
                .where(Unit.id == current)
            )
        ).first()
        if row is None:
            return None
        parent_id, employee_id, telegram_id = row
        if employee_id is not None and telegram_id is not None:
            return int(employee_id), int(telegram_id)
        current = parent_id
    return None


async def recipients_for(
    session: AsyncSession, settings: Settings, unit_id: int
) -> list[Recipient]:
    """The unit head (or nearest linked head above), then every admin; one per chat."""
    found: dict[int, Recipient] = {}
    head = await unit_head(session, unit_id)
    if head is not None:
        employee_id, chat_id = head
        found[chat_id] = Recipient(
            chat_id, employee_id, await language_of_chat(session, settings, chat_id)
        )
    for admin_id in settings.admin_ids:
        if admin_id in found:
            continue
        employee_id = await session.scalar(
            select(TelegramAccount.employee_id).where(TelegramAccount.telegram_user_id == admin_id)
        )
        found[admin_id] = Recipient(
            admin_id, employee_id, await language_of_chat(session, settings, admin_id)
        )
    return list(found.values())


# -- job queries -------------------------------------------------------------------------


async def read_watermark(session: AsyncSession) -> datetime | None:
    value = await session.scalar(select(JobRun.watermark).where(JobRun.name == JOB_NAME))
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        log.warning("low_score_alerts: ignoring an unreadable watermark %r", value)
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


async def write_watermark(session: AsyncSession, value: datetime) -> None:
    """Set only the watermark column (the runner owns the others); writes first."""
    await session.execute(insert_ignore(session, JOB_RUNS, ["name"]).values(name=JOB_NAME))
    await session.execute(
        update(JOB_RUNS)
        .where(JOB_RUNS.c.name == JOB_NAME)
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
) -> bool:
    """One alert row per response; False if it exists already or the response is gone.

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
    return (await session.execute(statement)).first() is not None


# -- the job -----------------------------------------------------------------------------


@dataclass
class _Plan:
    response_id: int
    reasons: tuple[str, ...]
    contact: bool
    messages: list[tuple[Recipient, str]]


async def run(ctx: JobContext) -> str:
    """Alert on the responses submitted since the last run; a one-line summary."""
    settings = ctx.settings
    threshold = settings.low_score_threshold
    # Read everything first in one snapshot; then one short write transaction per
    # alert that begins with its insert (SQLite: no read-to-write upgrade to fail).
    async with ctx.sessions() as session:
        mark = await read_watermark(session)
        since = mark - OVERLAP if mark is not None else ctx.now - FIRST_RUN_LOOKBACK
        latest = await latest_submission(session, since)
        plans: list[_Plan] = []
        for response in await pending_responses(session, since, threshold):
            reasons = reasons_for(
                response.answers(),
                response.comment,
                free=response.service.free,
                threshold=threshold,
            )
            if not reasons:  # the SQL rule and the Python rule agree; this is a guard
                continue
            recipients = await recipients_for(session, settings, response.service.unit_id)
            plans.append(
                _Plan(
                    response.id,
                    reasons,
                    bool(response.contact_ok and response.contact_chat_id is not None),
                    [(r, alert_text(response, reasons, settings, r.language)) for r in recipients],
                )
            )
    not_before = None if ctx.force else next_allowed(ctx.now, "alerts", settings)
    alerts = queued = unaddressed = failed = 0
    for plan in plans:
        try:
            async with ctx.sessions.begin() as session:
                token = new_token(9)
                if not await insert_alert(session, plan.response_id, plan.reasons, token, ctx.now):
                    continue  # another run alerted it a moment ago, or it was deleted
                for recipient, text in plan.messages:
                    buttons = alert_buttons(token, recipient.language) if plan.contact else None
                    added = await enqueue(
                        session,
                        chat_id=recipient.chat_id,
                        kind=KIND,
                        text=text,
                        buttons=buttons,
                        dedupe_key=alert_key(plan.response_id, recipient.chat_id),
                        priority=PRIORITY_ALERT,
                        not_before=not_before,
                        employee_id=recipient.employee_id,
                    )
                    queued += int(added)
            alerts += 1
            if not plan.messages:
                unaddressed += 1
                log.warning(
                    "low_score_alerts: response %s alerted, but nobody to tell "
                    "(no linked unit head, no admins)",
                    plan.response_id,
                )
        except Exception:  # one bad row must not hold back the others; retried next run
            failed += 1
            log.exception("low_score_alerts: could not alert response %s", plan.response_id)
    if not failed and latest is not None and (mark is None or latest > mark):
        async with ctx.sessions.begin() as session:
            await write_watermark(session, latest)
    summary = f"{alerts} alert(s), {queued} message(s) queued"
    if unaddressed:
        summary += f", {unaddressed} without a recipient"
    if failed:
        summary += f", {failed} failed (retried next run)"
    return summary


def trigger(services: Services) -> None:
    """Run the job now, in the background, after a survey was submitted (committed).

    Called by the citizen handler, so a unit head hears within seconds rather
    than at the next scheduled minute. One run at a time in this process: a
    submission that arrives while a run is going asks for one more run after
    it, so a burst of submissions costs two runs, not one per submission (each
    run finds everything new since the watermark). Errors are logged, never
    shown to the citizen.
    """
    state: dict[str, bool] = services.state.setdefault(
        STATE_KEY, {"running": False, "again": False}
    )
    if state["running"]:
        state["again"] = True
        return
    state["running"] = True
    services.spawn(_run_now(services, state), name="low_score_alerts:now")


async def _run_now(services: Services, state: dict[str, bool]) -> None:
    try:
        while True:
            state["again"] = False
            ctx = JobContext(
                settings=services.settings, sessions=services.sessions, now=services.clock.now()
            )
            summary = await run(ctx)
            log.info("low_score_alerts (after a submission): %s", summary)
            services.wake()
            if not state["again"]:
                return
    except Exception:
        log.exception("low_score_alerts: the run after a submission failed; the schedule retries")
    finally:
        state["running"] = False


# -- the relay (used by handlers/alerts.py) -------------------------------------------------


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
            OutboxMessage.kind == KIND,
        )
    )


async def alert_recipients(session: AsyncSession, case: AlertCase) -> list[tuple[int, int | None]]:
    """(chat id, employee id) of everyone the alert was queued for."""
    rows = await session.execute(
        select(OutboxMessage.chat_id, OutboxMessage.employee_id)
        .where(
            OutboxMessage.kind == KIND,
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


def relay_to_citizen_text(case: AlertCase, text: str, settings: Settings) -> str:
    _ = gettext_for(case.citizen_language)
    when = (
        local_time_text(case.submitted_at, settings, case.citizen_language)
        if case.submitted_at is not None
        else "-"
    )
    lead = _("A reply from {unit} about your feedback on {service} ({when}):").format(
        unit=case.unit_name, service=case.service_name, when=when
    )
    return _shorten(f"{lead}\n\n{text}", MAX_TEXT)


def citizen_answer_buttons(case: AlertCase) -> list[list[dict[str, str]]]:
    _ = gettext_for(case.citizen_language)
    return [[{"text": _("Reply"), "callback_data": callback(case.token, ANSWER)}]]


def relay_to_head_text(case: AlertCase, text: str, language: str) -> str:
    _ = gettext_for(language)
    lead = _("The citizen answered your reply about {service} ({unit}):").format(
        service=case.service_name, unit=case.unit_name
    )
    return _shorten(f"{lead}\n\n{text}", MAX_TEXT)


def relay_not_before(now: datetime, settings: Settings) -> datetime:
    """Relays keep the alert window too: nobody hears from an office at midnight."""
    return next_allowed(now, "alerts", settings)


async def queue_relay(
    session: AsyncSession,
    *,
    chat_id: int,
    text: str,
    buttons: list[list[dict[str, str]]] | None,
    dedupe_key: str,
    not_before: datetime,
    employee_id: int | None = None,
) -> bool:
    return await enqueue(
        session,
        chat_id=chat_id,
        kind=RELAY_KIND,
        text=text,
        buttons=buttons,
        dedupe_key=dedupe_key,
        priority=PRIORITY_REPLY,
        not_before=not_before,
        employee_id=employee_id,
    )


async def queued_already(session: AsyncSession, dedupe_key: str) -> bool:
    found = await session.scalar(
        select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)
    )
    return found is not None
