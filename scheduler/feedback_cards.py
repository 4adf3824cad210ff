"""The supervisor's monthly feedback card: what goes on it, and handing it out.

One use case for the job (``scheduler/jobs/feedback_cards.py``) and the bot's
presses (``handlers/feedback.py``), so a card reads the same wherever it is
shown. A card's content is gathered when it is shown, from:

- citizens: officer-tagged answers submitted in the period (U6 competence, U7
  behaviour of the officers: NRR with n), shown only when n reaches
  ``FEEDBACK_MIN_CITIZENS``, with up to three comments, masked;
- praise (every answer 4 and a comment) counted in the period;
- the card's supervisor's own ``/catat`` notes of the period;
- the last closed 360° cycle's per-value figures (others), exactly as
  `storage.review_results` releases them under the anonymity rules;
- the employee's current SKP lines of the period's year, to address.

Handing out (`hand_out`): a card goes to whoever the roster names as the
supervisor when it is built (``FeedbackCard.supervisor_id`` records who). If
the employee has no linked account, the supervisor is told and the card
waits; if the supervisor has none, it waits too. A waiting card goes out on a
later run once both are linked. Every card sent is a view of another person's
card: one audit-log row each.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from fractions import Fraction

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import day_bounds
from bot.core.settings import Settings
from scheduler.feedback_card_content import CardContent, Citizens, UnitIkm
from scheduler.messages import feedback_cards as texts
from scheduler.messages import participation as participation_texts
from scheduler.scoring.participation import participation
from scheduler.scoring.performance_periods import Period, parse_period
from storage import achievements, directory, praise, skp
from storage import feedback_cards as cards
from storage import review_results as reviews
from storage.directory import accounts_by_employee
from storage.ikm_report import build_ikm_report
from storage.models import TelegramAccount
from storage.outbox import enqueue
from storage.outbox_models import PRIORITY_NOTICE
from storage.participation import card_facts
from storage.performance_models import OPEN, WAITING, FeedbackCard
from storage.preferences import language_of, language_of_chat

KIND = "feedback_card"
SYSTEM_ACTOR = "job:feedback_cards"


def period_of_card(card: FeedbackCard, settings: Settings) -> Period:
    return parse_period(card.period, settings.feedback_cadence_months)


async def citizens_in(
    session: AsyncSession, settings: Settings, employee_id: int, start: datetime, end: datetime
) -> Citizens:
    """Officer-tagged citizen answers in [start, end), withheld below the minimum n."""
    found = await cards.citizen_figures(session, employee_id, start, end)
    minimum = settings.feedback_min_citizens
    if found.n < minimum:
        return Citizens(found.n, minimum, None, None, ())
    return Citizens(
        found.n,
        minimum,
        Fraction(found.u6_sum, found.n),
        Fraction(found.u7_sum, found.n),
        found.comments,
    )


async def last_review(
    session: AsyncSession, settings: Settings, employee_id: int
) -> reviews.RateeResults | None:
    """The last closed 360° cycle's results about the employee, as released."""
    role = await reviews.latest_closed_cycle_for(session, employee_id)
    if role is None or not role.is_ratee:
        return None
    return await reviews.ratee_results(
        session,
        role.cycle.id,
        employee_id,
        min_raters=settings.min_anonymous_raters,
        min_values=settings.recommendation_min_values,
    )


async def card_content(
    session: AsyncSession, settings: Settings, card: FeedbackCard
) -> CardContent:
    period = period_of_card(card, settings)
    start, _ = day_bounds(period.first_day, settings.tz)
    end, _ = day_bounds(period.end, settings.tz)
    praised = 0
    month = period.first_day
    while month < period.end:
        counts = await praise.monthly_counts(session, month, settings.tz, [card.employee_id])
        praised += counts.get(card.employee_id, 0)
        month = Period(month.year, month.month).end
    return CardContent(
        card=card,
        period=period,
        citizens=await citizens_in(session, settings, card.employee_id, start, end),
        praise=praised,
        notes=await cards.notes_for_card(
            session, card.employee_id, card.supervisor_id, card.period
        ),
        review=await last_review(session, settings, card.employee_id),
        skp_lines=await skp.lines_of(session, card.employee_id, period.year),
        achievements=await achievements.achievements_in(session, card.employee_id, [card.period]),
        units=await headed_units_ikm(session, settings, card.employee_id, period),
    )


async def headed_units_ikm(
    session: AsyncSession, settings: Settings, employee_id: int, period: Period
) -> tuple[UnitIkm, ...]:
    """The IKM of each unit the employee heads, over the period's local days (from the
    rollup tables, which the rollup job keeps current; read only)."""
    found = []
    last = period.end - timedelta(days=1)
    for unit in await directory.units_headed_by(session, employee_id):
        report = await build_ikm_report(
            session,
            unit_code=unit.code,
            date_from=period.first_day,
            date_to=last,
            tz=settings.tz,
            refresh=False,
            with_comments=False,
        )
        found.append(UnitIkm(unit.code, unit.name, report.overall.n, report.overall.result))
    return tuple(found)


async def send_card(
    session: AsyncSession,
    settings: Settings,
    card: FeedbackCard,
    supervisor: TelegramAccount,
    now: datetime,
    not_before: datetime | None,
) -> bool:
    """Queue the card to its supervisor, with its buttons; one audit row."""
    content = await card_content(session, settings, card)
    language = language_of(supervisor, settings)
    added = await enqueue(
        session,
        chat_id=supervisor.telegram_user_id,
        kind=KIND,
        text=texts.card_text(content, card.employee.name, language),
        buttons=texts.card_buttons(card.token, language),
        dedupe_key=f"fbcard:{card.token}",
        priority=PRIORITY_NOTICE,
        not_before=not_before,
        employee_id=supervisor.employee_id,
        now=now,
    )
    cards.audit_view(session, SYSTEM_ACTOR, card, "sent to the supervisor", now)
    return added


async def hand_out(
    session: AsyncSession,
    settings: Settings,
    period: Period,
    now: datetime,
    not_before: datetime | None,
    *,
    build: bool = True,
) -> tuple[int, int, int]:
    """Build the period's missing cards (with ``build``) and send those that can go; also
    send waiting cards whose people are linked now. Returns (built, sent, waiting)."""
    built = sent = 0
    have = await cards.carded_employees(session, period.label)
    for pair in await cards.supervised_pairs(session) if build else []:
        if pair.employee_id in have:
            continue
        accounts = await accounts_by_employee(session, [pair.employee_id, pair.supervisor_id])
        linked = pair.employee_id in accounts and pair.supervisor_id in accounts
        card = await cards.create_card(session, pair, period.label, WAITING, now)
        if card is None:
            continue
        built += 1
        await session.refresh(card, ["employee", "supervisor"])
        boss = accounts.get(pair.supervisor_id)
        if boss is not None and not linked:
            await _tell_waiting(session, settings, card, boss, now, not_before)
    if build:
        await _own_citizen_cards(session, settings, period, now, not_before)
        await _tell_admins(session, settings, period.previous(), now, not_before)
    waiting = 0
    for card in await cards.waiting_cards(session):
        accounts = await accounts_by_employee(session, [card.employee_id, card.supervisor_id])
        boss = accounts.get(card.supervisor_id)
        if boss is None or card.employee_id not in accounts:
            waiting += 1
            continue
        if await cards.mark_sent(session, card.id, now):
            await session.refresh(card, ["employee", "supervisor", "status"])
            sent += int(await send_card(session, settings, card, boss, now, not_before))
    return built, sent, waiting


async def _own_citizen_cards(
    session: AsyncSession,
    settings: Settings,
    period: Period,
    now: datetime,
    not_before: datetime | None,
) -> int:
    """Each linked officer citizens answered about hears what they said (same minimum n)."""
    start, _ = day_bounds(period.first_day, settings.tz)
    end, _ = day_bounds(period.end, settings.tz)
    officers = await cards.officers_answered(session, start, end)
    accounts = await accounts_by_employee(session, officers)
    queued = 0
    for officer_id, account in accounts.items():
        citizens = await citizens_in(session, settings, officer_id, start, end)
        language = language_of(account, settings)
        queued += await enqueue(
            session,
            chat_id=account.telegram_user_id,
            kind=KIND,
            text=texts.own_citizens_text(citizens, period.label, language),
            dedupe_key=f"fbown:{officer_id}:{period.label}",
            priority=PRIORITY_NOTICE,
            not_before=not_before,
            employee_id=officer_id,
            now=now,
        )
    return queued


async def _tell_admins(
    session: AsyncSession,
    settings: Settings,
    period: Period,
    now: datetime,
    not_before: datetime | None,
) -> int:
    """City-wide admins get the participation of the period whose feedback month ended."""
    figures = participation(await card_facts(session, period.label, period.year))
    if not figures:
        return 0
    queued = 0
    for chat in settings.admin_ids:
        language = await language_of_chat(session, settings, chat)
        queued += await enqueue(
            session,
            chat_id=chat,
            kind=KIND,
            text=participation_texts.admin_text(figures, period.label, language),
            dedupe_key=f"participation:{period.label}:{chat}",
            priority=PRIORITY_NOTICE,
            not_before=not_before,
            now=now,
        )
    return queued


async def _tell_waiting(
    session: AsyncSession,
    settings: Settings,
    card: FeedbackCard,
    boss: TelegramAccount,
    now: datetime,
    not_before: datetime | None,
) -> None:
    """The supervisor hears that a subordinate's card waits for their linked account."""
    language = language_of(boss, settings)
    await enqueue(
        session,
        chat_id=boss.telegram_user_id,
        kind=KIND,
        text=texts.waiting_text(card.employee.name, card.period, language),
        dedupe_key=f"fbwait:{card.token}",
        priority=PRIORITY_NOTICE,
        not_before=not_before,
        employee_id=boss.employee_id,
        now=now,
    )


__all__ = ["OPEN", "CardContent", "card_content", "hand_out", "send_card"]
