"""Erasing a citizen (``/hapusdata``): everything kept under their pseudonym or chat id.

`holdings` counts what an erasure would take (the confirmation screen names
it and binds to the response ids, ``handlers/delete_data.py``); `erase` takes
it, in the caller's transaction:

- the responses it was shown (submitted, drafts, any status; only those still
  under this pseudonym), with their contact chat ids, and by cascade their
  alerts, cases and case history, relayed messages and praise marks;
- every outbox row about those responses, queued (so it is cancelled: an
  alert, a case reminder or a relay nobody has sent yet never goes) or sent
  (its copy of the answers, the comment or the citizen's chat id): the rows
  of their alerts (``alert:<response>:…``), their relays both ways
  (``relay:<alert token>:…``), their cases (``case:<case>:…``) and a follow-up
  plan's "Anda bilang, kami lakukan" (``said:<response>:…``);
- the record that they heard from a follow-up plan (``rtl_citizen_notices``),
  so they are out of every audience (their responses are gone too);
- the comment wherever an aggregate message quoted it (a daily praise note to
  an officer): the lines carrying it are cut out of the stored text;
- their chat's unreachable mark (they are writing to the bot);
- their language choice, when the screen named it, and every confirmation
  they were shown or that was about those responses' alerts.

A message already delivered stays in its recipient's Telegram (a unit head's
alert): the bot cannot reach it, and ``/privacy`` says so. Rows that never
held the citizen's identity stay: the rollup's score sums, a retraction of the
erased scores. Wrong link codes (``link_failures``, pseudonymised) stay until
housekeeping prunes them: erasing them would let anyone reset the lock-out
against guessing link codes.

On SQLite the database runs with ``secure_delete`` (``storage/db.py``), so the
erased text is overwritten, not left in free pages; `truncate_wal` then
checkpoints the write-ahead log and cuts it to zero bytes, so the old page
versions that still held it are gone from the ``-wal`` file too. On
PostgreSQL deleted rows stay in the table files until VACUUM reclaims the
space (autovacuum does, within minutes to hours); the README's privacy section
says so.

Every function takes a session and never commits.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.case_models import SurveyCase
from storage.confirmation_models import Confirmation
from storage.db import dialect_name
from storage.models import UserPreference
from storage.outbox_models import OutboxMessage, UnreachableChat
from storage.rtl_models import RtlCitizenNotice
from storage.survey_models import DRAFT, SurveyAlert, SurveyRelay, SurveyResponse

# A comment line shorter than this is too common to cut out of other messages safely.
MIN_FRAGMENT = 12


@dataclass(frozen=True)
class Holdings:
    """What is kept under one pseudonym."""

    response_ids: list[int]
    unfinished: int
    contacts: int  # responses that keep a chat id to be contacted
    messages: int  # messages relayed between the citizen and a unit
    preference: bool  # a language chosen with /language

    @property
    def empty(self) -> bool:
        return not self.response_ids and not self.preference


@dataclass(frozen=True)
class Erased:
    responses: int
    messages: int
    notifications: int  # outbox rows deleted or cut
    preference: bool


async def holdings(session: AsyncSession, user_key: str) -> Holdings:
    rows = (
        await session.execute(
            select(SurveyResponse.id, SurveyResponse.status, SurveyResponse.contact_chat_id)
            .where(SurveyResponse.user_key == user_key)
            .order_by(SurveyResponse.id)
        )
    ).all()
    ids = [int(row.id) for row in rows]
    messages = await _count_relays(session, ids)
    preference = await session.get(UserPreference, user_key) is not None
    return Holdings(
        response_ids=ids,
        unfinished=sum(1 for row in rows if row.status == DRAFT),
        contacts=sum(1 for row in rows if row.contact_chat_id is not None),
        messages=messages,
        preference=preference,
    )


@dataclass(frozen=True)
class _Owned:
    ids: list[int]
    chats: set[int]
    comments: list[str]
    alert_tokens: list[str]
    case_ids: list[int]


async def _owned(session: AsyncSession, user_key: str, response_ids: Sequence[int]) -> _Owned:
    """Of ``response_ids``, those still under ``user_key``, and what hangs on them."""
    rows = (
        await session.execute(
            select(SurveyResponse.id, SurveyResponse.contact_chat_id, SurveyResponse.comment).where(
                SurveyResponse.user_key == user_key, SurveyResponse.id.in_(list(response_ids))
            )
        )
    ).all()
    ids = [int(row.id) for row in rows]
    alerts = (
        await session.execute(
            select(SurveyAlert.id, SurveyAlert.token).where(SurveyAlert.response_id.in_(ids))
        )
    ).all()
    cases = await session.scalars(
        select(SurveyCase.id).where(SurveyCase.alert_id.in_([a.id for a in alerts]))
    )
    return _Owned(
        ids=ids,
        chats={int(r.contact_chat_id) for r in rows if r.contact_chat_id is not None},
        comments=[r.comment for r in rows if r.comment],
        alert_tokens=[a.token for a in alerts],
        case_ids=[int(c) for c in cases],
    )


def _about(owned: _Owned) -> list[Any]:
    """Outbox rows about these responses, by the dedupe keys their senders give them."""
    keys = [f"alert:{rid}:" for rid in owned.ids]
    keys += [f"relay:{token}:" for token in owned.alert_tokens]
    keys += [f"case:{case_id}:" for case_id in owned.case_ids]
    # "Anda bilang, kami lakukan" (scheduler/rtl.py: said:<response>:<period>).
    keys += [f"said:{rid}:" for rid in owned.ids]
    # Relays to the citizen's chat are keyed by alert token too; rows to that chat id
    # without one belong to the person in another role (an employee's reminders).
    return [OutboxMessage.dedupe_key.startswith(key, autoescape=True) for key in keys]


def fragments(comment: str) -> list[str]:
    """The lines of a stored comment long enough to be recognised where it was quoted."""
    return [line.strip() for line in comment.split("\n") if len(line.strip()) >= MIN_FRAGMENT]


async def cut_quotes(session: AsyncSession, comments: list[str]) -> int:
    """Cut the lines that quote these texts out of any stored message; how many changed.

    Also for an employee's erased achievements (their captions and links quoted on
    the supervisor's card and in the e-Kinerja text, ``storage/achievements.py``)."""
    parts = [part for comment in comments for part in fragments(comment)]
    if not parts:
        return 0
    # The content is JSON (ensure_ascii=False): only quotes, backslashes and control
    # characters are escaped, and a fragment has no newline.
    escaped = [json.dumps(part, ensure_ascii=False)[1:-1] for part in parts]
    found = await session.execute(
        select(OutboxMessage.id, OutboxMessage.content).where(
            or_(*(OutboxMessage.content.contains(e, autoescape=True) for e in escaped))
        )
    )
    changed = 0
    for row_id, content in found.all():
        stored = json.loads(content)
        kept = [
            line
            for line in str(stored.get("text", "")).split("\n")
            if not any(part in line for part in parts)
        ]
        stored["text"] = "\n".join(kept).strip() or "…"
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row_id)
            .values(content=json.dumps(stored, ensure_ascii=False))
        )
        changed += 1
    return changed


async def erase(
    session: AsyncSession,
    *,
    user_key: str,
    chat_id: int | None,
    response_ids: Sequence[int],
    preference: bool,
) -> Erased:
    """Erase the responses ``response_ids`` still under ``user_key`` and all that hangs
    on them; the language choice too when ``preference`` (the screen named it)."""
    owned = await _owned(session, user_key, response_ids)
    if chat_id is not None:
        owned.chats.add(chat_id)
    notifications = await _drop_notifications(session, owned)
    messages = await _count_relays(session, owned.ids)
    subjects = [f"alert:{token}" for token in owned.alert_tokens]
    await session.execute(
        delete(Confirmation).where(
            or_(Confirmation.owner_key == user_key, Confirmation.subject.in_(subjects))
        )
    )
    if owned.chats:
        await session.execute(
            delete(UnreachableChat).where(UnreachableChat.chat_id.in_(owned.chats))
        )
    deleted = 0
    if owned.ids:
        result = await session.execute(
            delete(SurveyResponse)
            .where(SurveyResponse.id.in_(owned.ids), SurveyResponse.user_key == user_key)
            .execution_options(synchronize_session=False)
        )
        deleted = int(result.rowcount or 0)  # type: ignore[attr-defined]
    # Who heard from a follow-up plan ("Anda bilang, kami lakukan"), under this pseudonym.
    await session.execute(delete(RtlCitizenNotice).where(RtlCitizenNotice.user_key == user_key))
    dropped = False
    if preference:
        result = await session.execute(
            delete(UserPreference).where(UserPreference.user_key == user_key)
        )
        dropped = bool(result.rowcount)  # type: ignore[attr-defined]
    return Erased(deleted, messages, notifications, dropped)


async def _drop_notifications(session: AsyncSession, owned: _Owned) -> int:
    """Delete the outbox rows about the responses, cut their comments out of others."""
    count = 0
    conditions = _about(owned)
    if conditions:
        result = await session.execute(delete(OutboxMessage).where(or_(*conditions)))
        count += int(result.rowcount or 0)  # type: ignore[attr-defined]
    return count + await cut_quotes(session, owned.comments)


async def _count_relays(session: AsyncSession, response_ids: list[int]) -> int:
    if not response_ids:
        return 0
    found = await session.scalar(
        select(func.count())
        .select_from(SurveyRelay)
        .where(SurveyRelay.response_id.in_(response_ids))
    )
    return int(found or 0)


async def truncate_wal(session: AsyncSession) -> bool:
    """SQLite: checkpoint the write-ahead log and cut it to zero bytes, so page versions
    from before an erasure leave the ``-wal`` file. Run it in a session of its own, with
    nothing else in it. True when done (always on PostgreSQL: there is no such file);
    False when another connection was still reading (the next checkpoint does it)."""
    if dialect_name(session) != "sqlite":
        return True
    row = (await session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))).first()
    return row is not None and int(row[0]) == 0
