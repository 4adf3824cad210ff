"""Forgetting what is no longer needed: pseudonyms, contact chats, old link failures, done rows.

The writes of the housekeeping job (``scheduler/jobs/housekeeping.py``). Each is
one conditional statement, so running it twice changes nothing; each takes a
session and never commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import LinkFailure
from storage.outbox_models import CANCELLED, SENT, OutboxMessage
from storage.survey_models import SurveyResponse


async def strip_identities(session: AsyncSession, before: datetime) -> int:
    """Remove pseudonyms and contact chat ids from responses older than ``before``."""
    age = func.coalesce(SurveyResponse.submitted_at, SurveyResponse.started_at)
    result = await session.execute(
        update(SurveyResponse)
        .where(
            age < before,
            or_(SurveyResponse.user_key.is_not(None), SurveyResponse.contact_chat_id.is_not(None)),
        )
        .values(user_key=None, contact_chat_id=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def prune_link_failures(session: AsyncSession, before: datetime) -> int:
    result = await session.execute(delete(LinkFailure).where(LinkFailure.at < before))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def prune_outbox(session: AsyncSession, before: datetime) -> int:
    done_at = func.coalesce(OutboxMessage.sent_at, OutboxMessage.created_at)
    result = await session.execute(
        delete(OutboxMessage).where(OutboxMessage.status.in_((SENT, CANCELLED)), done_at < before)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
