"""Follow-up plans (RTL), the use cases: propose, start, verify, send back, and the outcome.

The same functions serve ``/rtl``, ``/tugas``, the ``rtl_followup`` job and
``ulasan rtl``.

**What a plan starts from** is the unit's figures of the period: the latest
approved version, else the draft cut at the close (`figures_of`); a period not
cut yet has no plan. The proposal is the three unsur with the lowest NRR
(`scheduler.scoring.skm_periods.weakest`, exact NRR, ties in code order), each
with its NRR and up to `COMMENTS_SHOWN` comments of the period from responses
that rated it 1 or 2 (stored masked; masked again for safety).

**Verification** (`verify_line`) accepts a line its owner marked selesai; then
"Anda bilang, kami lakukan" is queued to the line's audience
(`storage.rtl_audience`: rated the unsur 1–2 in the period, agreed to be
contacted, within ``RETENTION_DAYS``), at most one message per citizen per
period (`storage.rtl.record_notice`). The owner hears the verdict either way.

**The outcome** of a plan (`outcome_of_previous`): at the next period, each
line of the unit's previous plan with its final status and its unsur's NRR
then and now with both n, as the close message and the report annex show it.

Every function takes a session and never commits.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.settings import Settings
from scheduler.documents import period_snapshot as snap
from scheduler.messages import rtl as texts
from scheduler.scoring.skm_periods import weakest
from storage import periods, rtl
from storage.crypto import new_token
from storage.directory import accounts_by_employee, nearest_linked_head, unit_subtree_ids
from storage.ikm_scope import period_bounds
from storage.masking import clean_text, mask_personal_data
from storage.models import Unit
from storage.outbox import enqueue
from storage.outbox_models import PRIORITY_NOTICE, PRIORITY_REMINDER
from storage.period_models import SkmPeriod
from storage.preferences import language_of_chat
from storage.rtl import LineView, Outcome, PlanOutcome
from storage.rtl_audience import audience, low_comments

COMMENTS_SHOWN = 3
PROPOSED = 3
KIND_VERIFY = "rtl_verify"
KIND_VERDICT = "rtl_verdict"
KIND_SAID = "rtl_said"


@dataclass(frozen=True)
class ProposedUnsur:
    code: str
    nrr: Fraction
    n: int
    comments: list[str]


@dataclass(frozen=True)
class Proposal:
    period: SkmPeriod
    unit_id: int
    unit_name: str
    lines: list[ProposedUnsur]


async def figures_of(session: AsyncSession, period_id: int, unit_id: int) -> snap.Figures | None:
    """The unit's figures of the period: the latest version, else the close's draft."""
    version = await periods.latest_version(session, period_id, unit_id)
    if version is not None:
        return snap.loads(version.figures)
    row = await periods.period_unit(session, period_id, unit_id)
    if row is not None and row.draft is not None:
        return snap.loads(row.draft)
    return None


def nrr_of(figures: snap.Figures) -> tuple[dict[str, Fraction], int]:
    """Exact NRR per unsur of the unit (with sub-units) and n; ({}, 0) without respondents."""
    result = snap.group_result(figures["overall"])
    if result is None:
        return {}, 0
    return dict(result.nrr), result.n


async def propose(
    session: AsyncSession, period: SkmPeriod, unit_id: int, settings: Settings
) -> Proposal | None:
    """The three weakest unsur with NRR and masked low-score comments; None when the period
    has no figures for the unit yet (not cut, or no respondents)."""
    figures = await figures_of(session, period.id, unit_id)
    if figures is None:
        return None
    nrr, n = nrr_of(figures)
    if not nrr:
        return None
    unit_ids = await unit_subtree_ids(session, unit_id)
    start, end = period_bounds(period.first_day, period.last_day, settings.tz)
    assert start is not None and end is not None
    lines = []
    for code in weakest(nrr, PROPOSED):
        comments = await low_comments(
            session, unit_ids=unit_ids, unsur=code, start=start, end=end, limit=COMMENTS_SHOWN
        )
        masked = [mask_personal_data(clean_text(c)) for c in comments]
        lines.append(ProposedUnsur(code, nrr[code], n, masked))
    return Proposal(period, unit_id, str(figures["unit"]["name"]), lines)


async def start_plan(
    session: AsyncSession, proposal: Proposal, *, actor: str, now: datetime
) -> tuple[rtl.RtlPlan, bool]:
    """The plan of the proposal's unit and period, with a line per proposed unsur if new."""
    return await rtl.create_plan(
        session,
        period=proposal.period,
        unit_id=proposal.unit_id,
        unsur=[p.code for p in proposal.lines],
        actor=actor,
        now=now,
    )


# -- status, verification -------------------------------------------------------------------


async def ask_head_to_verify(
    session: AsyncSession, line: LineView, settings: Settings, now: datetime
) -> bool:
    """Queue "please verify" to the head of the line's unit (nearest linked head up)."""
    head = await nearest_linked_head(session, line.unit_id)
    if head is None:
        return False
    language = await language_of_chat(session, settings, head.chat_id)
    text, buttons = texts.verify_request(line, language)
    return await enqueue(
        session,
        chat_id=head.chat_id,
        kind=KIND_VERIFY,
        text=text,
        buttons=buttons,
        dedupe_key=f"rtl:verify:{line.id}:{new_token(6)}",  # each marking asks anew
        priority=PRIORITY_NOTICE,
        employee_id=head.employee_id,
        now=now,
    )


async def _tell_owner(
    session: AsyncSession, line: LineView, settings: Settings, now: datetime, *, accepted: bool
) -> None:
    if line.owner_employee_id is None:
        return
    account = (await accounts_by_employee(session, [line.owner_employee_id])).get(
        line.owner_employee_id
    )
    if account is None:
        return
    language = await language_of_chat(session, settings, account.telegram_user_id)
    text = texts.verdict(line, language, accepted=accepted)
    await enqueue(
        session,
        chat_id=account.telegram_user_id,
        kind=KIND_VERDICT,
        text=text,
        dedupe_key=f"rtl:verdict:{line.id}:{new_token(6)}",
        priority=PRIORITY_NOTICE,
        employee_id=line.owner_employee_id,
        now=now,
    )


@dataclass(frozen=True)
class Verified:
    done: bool
    citizens: int  # "Anda bilang, kami lakukan" messages queued


async def verify_line(
    session: AsyncSession, line_id: int, settings: Settings, *, actor: str, now: datetime
) -> Verified:
    """Accept a line marked selesai (once), tell its owner, and queue the citizens' message."""
    if not await rtl.verify(session, line_id, actor=actor, now=now):
        return Verified(False, 0)
    line = await rtl.line_view(session, line_id)
    assert line is not None
    await _tell_owner(session, line, settings, now, accepted=True)
    return Verified(True, await notify_citizens(session, line, settings, now))


async def send_back_line(
    session: AsyncSession,
    line_id: int,
    note: str,
    settings: Settings,
    *,
    actor: str,
    now: datetime,
) -> bool:
    """Send a line marked selesai back to berjalan with a note; the owner hears it."""
    if not await rtl.send_back(session, line_id, note, actor=actor, now=now):
        return False
    line = await rtl.line_view(session, line_id)
    assert line is not None
    await _tell_owner(session, line, settings, now, accepted=False)
    return True


async def notify_citizens(
    session: AsyncSession, line: LineView, settings: Settings, now: datetime
) -> int:
    """Queue "Anda bilang, kami lakukan" to the line's audience not yet told this period."""
    period = await session.get(SkmPeriod, line.period_id)
    assert period is not None
    start, end = period_bounds(period.first_day, period.last_day, settings.tz)
    assert start is not None and end is not None
    recipients = await audience(
        session,
        unit_ids=await unit_subtree_ids(session, line.unit_id),
        unsur=line.unsur,
        start=start,
        end=end,
        since=now - timedelta(days=settings.retention_days),
    )
    queued = 0
    for person in recipients:
        if not await rtl.record_notice(session, period.id, person.user_key, line.id, now):
            continue
        queued += await enqueue(
            session,
            chat_id=person.chat_id,
            kind=KIND_SAID,
            text=texts.you_said_we_did(line, person.language),
            dedupe_key=said_key(person.response_id, period.id),
            priority=PRIORITY_REMINDER,
            now=now,
        )
    return queued


def said_key(response_id: int, period_id: int) -> str:
    """The outbox key of a citizen's message: erasure finds it by ``said:<response>:``."""
    return f"said:{response_id}:{period_id}"


# -- the outcome at the next period ---------------------------------------------------------


async def outcome_of_previous(
    session: AsyncSession, period: SkmPeriod, unit_id: int
) -> PlanOutcome | None:
    """The unit's latest plan of an earlier period, each line with its unsur's NRR then
    (that period's figures) and now (``period``'s); None without an earlier plan."""
    earlier = await rtl.plans_before(session, unit_id, period.first_day)
    if not earlier:
        return None
    plan = earlier[0]
    previous = await session.get(SkmPeriod, plan.period_id)
    assert previous is not None
    then = await figures_of(session, previous.id, unit_id)
    now = await figures_of(session, period.id, unit_id)
    nrr_then, n_then = nrr_of(then) if then else ({}, 0)
    nrr_now, n_now = nrr_of(now) if now else ({}, 0)
    lines = [
        Outcome(line, nrr_then.get(line.unsur), n_then, nrr_now.get(line.unsur), n_now)
        for line in await rtl.plan_lines(session, unit_id, previous.id)
    ]
    return PlanOutcome(previous, lines)


async def unit_name(session: AsyncSession, unit_id: int) -> str:
    unit = await session.get(Unit, unit_id)
    return unit.name if unit else ""


def line_json(line: LineView) -> dict[str, object]:
    """One line as ``ulasan rtl list --format json`` prints it."""
    return {
        "id": line.id,
        "period": line.period_name,
        "unit": line.unit_code,
        "unsur": line.unsur,
        "activity": line.activity,
        "owner": line.owner_name,
        "due": line.due_date.isoformat() if line.due_date else None,
        "due_label": line.due_label,
        "target": line.target,
        "status": line.status,
        "reason": line.status_reason,
        "verified_at": line.verified_at.isoformat() if line.verified_at else None,
        "evidence": line.evidence,
        "forum_date": line.forum_date.isoformat() if line.forum_date else None,
    }


def dumps(lines: list[LineView]) -> str:
    return json.dumps([line_json(x) for x in lines], ensure_ascii=False, indent=2)
