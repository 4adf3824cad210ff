"""Who hears "Anda bilang, kami lakukan" when a follow-up line is verified.

A citizen is in the audience of a line when one of their responses, submitted
in the plan's period to a service of the unit or a unit below it, rated the
line's unsur 1 or 2 (whether or not they also commented), **and** they agreed
to be contacted (``contact_ok`` with a kept chat id, as the Balas relay
requires), **and** the response is younger than ``RETENTION_DAYS`` (the
housekeeping job strips older ones of their chat id anyway). Erased responses
are gone from the table, so erasure removes a citizen from every audience.

One recipient per citizen (pseudonym): their latest such response. Whether
they already heard from this period's plan is `storage.rtl.record_notice`'s.
Takes a session, never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Service
from storage.survey_models import SUBMITTED, UNSUR_CODES, SurveyResponse

LOW_SCORES = (1, 2)


@dataclass(frozen=True)
class Recipient:
    response_id: int
    user_key: str
    chat_id: int
    language: str


async def audience(
    session: AsyncSession,
    *,
    unit_ids: list[int],
    unsur: str,
    start: datetime,
    end: datetime,
    since: datetime,
) -> list[Recipient]:
    """Consenting citizens who rated ``unsur`` 1–2 in [start, end), submitted after ``since``."""
    if unsur not in UNSUR_CODES:
        raise ValueError(f"unknown unsur {unsur!r}")
    score = getattr(SurveyResponse, unsur.lower())
    rows = await session.execute(
        select(
            SurveyResponse.id,
            SurveyResponse.user_key,
            SurveyResponse.contact_chat_id,
            SurveyResponse.language,
        )
        .join(Service, Service.id == SurveyResponse.service_id)
        .where(
            Service.unit_id.in_(unit_ids),
            SurveyResponse.status == SUBMITTED,
            SurveyResponse.submitted_at >= start,
            SurveyResponse.submitted_at < end,
            SurveyResponse.submitted_at >= since,
            score.in_(LOW_SCORES),
            SurveyResponse.contact_ok.is_(True),
            SurveyResponse.contact_chat_id.is_not(None),
            SurveyResponse.user_key.is_not(None),
        )
        .order_by(SurveyResponse.submitted_at.desc(), SurveyResponse.id.desc())
    )
    seen: set[str] = set()
    out: list[Recipient] = []
    for response_id, user_key, chat_id, language in rows.all():
        if user_key in seen:
            continue
        seen.add(user_key)
        out.append(Recipient(int(response_id), str(user_key), int(chat_id), str(language)))
    return out


async def low_comments(
    session: AsyncSession,
    *,
    unit_ids: list[int],
    unsur: str,
    start: datetime,
    end: datetime,
    limit: int,
) -> list[str]:
    """The comments (as stored: cleaned and masked) of responses of the period that rated
    ``unsur`` 1–2, the latest first."""
    score = getattr(SurveyResponse, unsur.lower())
    rows = await session.scalars(
        select(SurveyResponse.comment)
        .join(Service, Service.id == SurveyResponse.service_id)
        .where(
            Service.unit_id.in_(unit_ids),
            SurveyResponse.status == SUBMITTED,
            SurveyResponse.submitted_at >= start,
            SurveyResponse.submitted_at < end,
            score.in_(LOW_SCORES),
            SurveyResponse.comment.is_not(None),
        )
        .order_by(SurveyResponse.submitted_at.desc(), SurveyResponse.id.desc())
        .limit(limit)
    )
    return [str(c) for c in rows.all() if c]
