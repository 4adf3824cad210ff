"""Account linking: one-time link codes for employees and redeeming them in Telegram.

HR (BKPSDM) issues a code per employee (``ulasan link-codes``); the employee
opens ``https://t.me/<bot>?start=link_<code>`` and their Telegram account is
linked to their roster entry.

- A code is `storage.crypto.new_token` of `CODE_BYTES` (96 bits), so it cannot be
  guessed; only ``keyed_hash(secret, "link", code)`` is stored, so a copy of
  the database does not hand out working links.
- A code works once and expires after the TTL. Issuing a new code for an
  employee revokes their earlier unused, unexpired codes: only the latest
  letter from HR works.
- Unknown codes count as failures per Telegram user (by pseudonym, never the raw
  id). After ``max_failures`` of them within ``lockout`` every attempt is refused
  until ``lockout`` has passed since the failure that tripped it, even one with
  a valid code: a guesser gains nothing by finding one during the lock-out.
  Used, expired and revoked codes are genuine codes, not guesses, so they do
  not count: an employee tapping an old letter's link should not lock
  themselves out of the new one.
- One Telegram account ↔ one employee. Redeeming on an account linked to
  someone else replaces that link ("relink"); a code for an employee linked
  to another account moves the link here ("move", e.g. a new phone). The
  audit log records every link, relink and move and every issue run, naming
  Telegram users only by a pseudonym prefix.
- Redeeming is idempotent: the same user opening the same link again (a
  double tap, a redelivered update) is told they are already linked.

Every function takes an `AsyncSession` and never commits: the caller (one
update, one CLI command) owns the transaction. The clock is a ``now``
parameter so tests can move time without sleeping.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from storage.crypto import keyed_hash, new_token, pseudonym
from storage.directory import unit_subtree_ids
from storage.models import (
    AuditLog,
    Employee,
    LinkCode,
    LinkFailure,
    TelegramAccount,
    Unit,
    utcnow,
)

if TYPE_CHECKING:
    from bot.core.settings import Settings

T = TypeVar("T")

CODE_BYTES = 12  # 96 bits of entropy, 16 characters of A-Za-z0-9_-
PAYLOAD_PREFIX = "link_"
HASH_PURPOSE = "link"
# A payload is at most 64 characters; anything longer or with other characters
# is not one of our codes, and is refused before it is hashed.
CODE_SHAPE = re.compile(r"^[A-Za-z0-9_-]{1,59}$")
ACTOR_PREFIX_CHARS = 12  # enough to tell users apart in the audit log, not an identity
CHUNK = 500  # ids per IN (...) list, well under every backend's parameter limit

ACTION_ISSUE = "link_codes.issue"
ACTION_LINK = "account.link"
ACTION_RELINK = "account.relink"
ACTION_MOVE = "account.move"


class UnknownUnit(LookupError):
    """The unit code given to `issue_link_codes` is not in the roster."""

    def __init__(self, code: str) -> None:
        super().__init__(f"unknown unit code '{code}'")
        self.code = code


class Outcome(StrEnum):
    LINKED = "linked"
    ALREADY_LINKED = "already_linked"  # this user already redeemed this very code
    USED = "used"
    EXPIRED = "expired"
    REVOKED = "revoked"  # replaced by a newer code for the same employee
    INACTIVE = "inactive"  # the employee left the active roster after the code was issued
    UNKNOWN = "unknown"
    LOCKED_OUT = "locked_out"


@dataclass(frozen=True)
class LinkPolicy:
    """The settings that govern codes, in the units the queries use."""

    secret: bytes
    ttl: timedelta
    max_failures: int
    lockout: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> LinkPolicy:
        return cls(
            secret=settings.secret_bytes(),
            ttl=timedelta(days=settings.link_code_ttl_days),
            max_failures=settings.link_max_failures,
            lockout=timedelta(minutes=settings.link_lockout_minutes),
        )


@dataclass(frozen=True)
class EmployeeCard:
    """Who an account is linked to, as the bot names them."""

    employee_id: int
    nip: str
    name: str
    position: str
    unit_code: str
    unit_name: str
    active: bool

    @classmethod
    def of(cls, employee: Employee) -> EmployeeCard:
        return cls(
            employee_id=employee.id,
            nip=employee.nip,
            name=employee.name,
            position=employee.position or "",
            unit_code=employee.unit.code,
            unit_name=employee.unit.name,
            active=employee.active,
        )


@dataclass(frozen=True)
class IssuedCode:
    """A freshly issued code; the plain code exists only in this object."""

    nip: str
    name: str
    unit_code: str
    unit_name: str
    code: str
    expires_at: datetime
    already_linked: bool  # with renew: redeeming it moves the existing link

    @property
    def payload(self) -> str:
        return link_payload(self.code)


@dataclass(frozen=True)
class RedeemResult:
    outcome: Outcome
    employee: EmployeeCard | None = None  # whom the code belongs to (when it is genuine)
    replaced: EmployeeCard | None = None  # this account's earlier employee (relink)
    moved: bool = False  # the employee's link came from another Telegram account
    locked_until: datetime | None = None  # set when refused or when this failure locked

    @property
    def ok(self) -> bool:
        return self.outcome in (Outcome.LINKED, Outcome.ALREADY_LINKED)


def link_payload(code: str) -> str:
    """The deep-link payload for a code (``link_`` + 16 characters, well under 64)."""
    return PAYLOAD_PREFIX + code


def code_from_payload(payload: str) -> str:
    """The code part of a ``link_…`` payload (what follows the prefix, maybe empty)."""
    return payload.removeprefix(PAYLOAD_PREFIX)


def code_hash(secret: bytes, code: str) -> str:
    return keyed_hash(secret, HASH_PURPOSE, code)


def telegram_actor(secret: bytes, telegram_user_id: int) -> str:
    """Audit actor for a Telegram user: a prefix of their pseudonym, never the id."""
    return "telegram:" + pseudonym(secret, telegram_user_id)[:ACTOR_PREFIX_CHARS]


def _chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# ---------------------------------------------------------------------------
# Issuing
# ---------------------------------------------------------------------------


async def issue_link_codes(
    session: AsyncSession,
    policy: LinkPolicy,
    *,
    actor: str,
    unit_code: str | None = None,
    renew: bool = False,
    now: datetime | None = None,
) -> list[IssuedCode]:
    """Issue one code per active employee without a linked account (all with ``renew``).

    ``unit_code`` limits it to that unit and its sub-units. Earlier unused codes
    of those employees are revoked. Raises `UnknownUnit` for an unknown unit.
    """
    now = now or utcnow()
    query = (
        select(Employee, TelegramAccount.id)
        .join(Unit, Unit.id == Employee.unit_id)
        .outerjoin(TelegramAccount, TelegramAccount.employee_id == Employee.id)
        .where(Employee.active.is_(True))
        .options(selectinload(Employee.unit))
        .order_by(Unit.code, Employee.name, Employee.nip)
    )
    if unit_code is not None:
        unit_id = await session.scalar(select(Unit.id).where(Unit.code == unit_code))
        if unit_id is None:
            raise UnknownUnit(unit_code)
        query = query.where(Employee.unit_id.in_(await unit_subtree_ids(session, unit_id)))
    if not renew:
        query = query.where(TelegramAccount.id.is_(None))
    rows = (await session.execute(query)).all()
    if not rows:
        return []

    revoked = await _revoke_open_codes(session, [employee.id for employee, _ in rows], now)
    expires_at = now + policy.ttl
    issued: list[IssuedCode] = []
    for employee, account_id in rows:
        code = new_token(CODE_BYTES)
        session.add(
            LinkCode(
                employee_id=employee.id,
                code_hash=code_hash(policy.secret, code),
                created_at=now,
                expires_at=expires_at,
            )
        )
        issued.append(
            IssuedCode(
                nip=employee.nip,
                name=employee.name,
                unit_code=employee.unit.code,
                unit_name=employee.unit.name,
                code=code,
                expires_at=expires_at,
                already_linked=account_id is not None,
            )
        )
    scope = f"unit {unit_code} and sub-units" if unit_code else "all units"
    detail = (
        f"{len(issued)} code(s) issued ({scope}{', renew' if renew else ''}); "
        f"expire {expires_at.isoformat(timespec='minutes')}; "
        f"{revoked} earlier unused code(s) revoked; NIP: {', '.join(c.nip for c in issued)}"
    )
    session.add(AuditLog(at=now, actor=actor[:100], action=ACTION_ISSUE, detail=detail))
    await session.flush()
    return issued


async def _revoke_open_codes(session: AsyncSession, employee_ids: list[int], now: datetime) -> int:
    """Revoke the unused, unexpired codes of these employees; how many were revoked.

    Expired codes are left alone so that opening one still says "expired",
    the more helpful reason.
    """
    revoked = 0
    for chunk in _chunks(employee_ids):
        result = await session.execute(
            update(LinkCode)
            .where(
                LinkCode.employee_id.in_(chunk),
                LinkCode.used_at.is_(None),
                LinkCode.revoked_at.is_(None),
                LinkCode.expires_at > now,
            )
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        )
        revoked += int(result.rowcount or 0)  # type: ignore[attr-defined]
    return revoked


# ---------------------------------------------------------------------------
# Lock-out after wrong codes
# ---------------------------------------------------------------------------


async def locked_until(
    session: AsyncSession, policy: LinkPolicy, user_key: str, now: datetime | None = None
) -> datetime | None:
    """When this user may try again, or None when they are not locked out.

    A lock-out starts at the failure that makes ``max_failures`` within
    ``lockout`` and lasts ``lockout`` from then. No failures are recorded while
    locked, so looking back two windows finds every failure that matters.
    """
    now = now or utcnow()
    times = list(
        await session.scalars(
            select(LinkFailure.at)
            .where(LinkFailure.user_key == user_key, LinkFailure.at > now - 2 * policy.lockout)
            .order_by(LinkFailure.at)
        )
    )
    until: datetime | None = None
    span = policy.max_failures - 1
    for index in range(span, len(times)):
        tripped = times[index]
        if tripped - times[index - span] <= policy.lockout and now < tripped + policy.lockout:
            until = tripped + policy.lockout
    return until


async def _record_failure(
    session: AsyncSession, policy: LinkPolicy, user_key: str, now: datetime
) -> datetime | None:
    """Count one wrong code; return the lock-out end if this one tripped it."""
    # Rows older than two windows can no longer matter (see `locked_until`).
    await session.execute(
        delete(LinkFailure).where(
            LinkFailure.user_key == user_key, LinkFailure.at <= now - 2 * policy.lockout
        )
    )
    session.add(LinkFailure(user_key=user_key, at=now))
    await session.flush()
    return await locked_until(session, policy, user_key, now)


# ---------------------------------------------------------------------------
# Redeeming
# ---------------------------------------------------------------------------


async def _employee(session: AsyncSession, employee_id: int) -> Employee:
    employee = await session.scalar(
        select(Employee).where(Employee.id == employee_id).options(selectinload(Employee.unit))
    )
    if employee is None:  # the foreign key makes this impossible; keep the type honest
        raise LookupError(f"employee {employee_id} vanished")
    return employee


async def _account_of_user(session: AsyncSession, telegram_user_id: int) -> TelegramAccount | None:
    return await session.scalar(
        select(TelegramAccount).where(TelegramAccount.telegram_user_id == telegram_user_id)
    )


async def _account_of_employee(session: AsyncSession, employee_id: int) -> TelegramAccount | None:
    return await session.scalar(
        select(TelegramAccount).where(TelegramAccount.employee_id == employee_id)
    )


async def redeem_link_code(
    session: AsyncSession,
    policy: LinkPolicy,
    *,
    code: str,
    telegram_user_id: int,
    language: str | None = None,
    now: datetime | None = None,
) -> RedeemResult:
    """Link this Telegram user to the code's employee, or say why not."""
    now = now or utcnow()
    user_key = pseudonym(policy.secret, telegram_user_id)
    blocked = await locked_until(session, policy, user_key, now)
    if blocked is not None:
        return RedeemResult(Outcome.LOCKED_OUT, locked_until=blocked)

    row = None
    if CODE_SHAPE.match(code):
        row = await session.scalar(
            select(LinkCode).where(LinkCode.code_hash == code_hash(policy.secret, code))
        )
    if row is None:
        tripped = await _record_failure(session, policy, user_key, now)
        return RedeemResult(Outcome.UNKNOWN, locked_until=tripped)

    employee = await _employee(session, row.employee_id)
    card = EmployeeCard.of(employee)
    if row.used_at is not None:
        return await _used(session, row, card, telegram_user_id)
    if row.revoked_at is not None:
        return RedeemResult(Outcome.REVOKED, employee=card)
    if row.expires_at <= now:
        return RedeemResult(Outcome.EXPIRED, employee=card)
    if not employee.active:
        return RedeemResult(Outcome.INACTIVE, employee=card)

    # Claim the code with one conditional UPDATE, so two users racing for the
    # same code cannot both win (on PostgreSQL the row lock decides).
    claimed = await session.execute(
        update(LinkCode)
        .where(LinkCode.id == row.id, LinkCode.used_at.is_(None), LinkCode.revoked_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if int(claimed.rowcount or 0) != 1:  # type: ignore[attr-defined]
        return await _used(session, row, card, telegram_user_id)
    return await _link(session, policy, employee, card, telegram_user_id, language, now)


async def _used(
    session: AsyncSession, row: LinkCode, card: EmployeeCard, telegram_user_id: int
) -> RedeemResult:
    """A used code: "already linked" if it is linked to this very user, else "used"."""
    account = await _account_of_employee(session, row.employee_id)
    if account is not None and account.telegram_user_id == telegram_user_id:
        return RedeemResult(Outcome.ALREADY_LINKED, employee=card)
    return RedeemResult(Outcome.USED, employee=card)


async def _link(
    session: AsyncSession,
    policy: LinkPolicy,
    employee: Employee,
    card: EmployeeCard,
    telegram_user_id: int,
    language: str | None,
    now: datetime,
) -> RedeemResult:
    actor = telegram_actor(policy.secret, telegram_user_id)
    mine = await _account_of_user(session, telegram_user_id)
    theirs = await _account_of_employee(session, employee.id)
    replaced: EmployeeCard | None = None
    moved_from: str | None = None

    if mine is not None and theirs is not None and mine.id == theirs.id:
        # A fresh code for an account that is already this employee's: nothing moves.
        mine.language = language or mine.language
        mine.reachable = True
        action, notes = ACTION_LINK, ["already linked to this account"]
    else:
        notes = []
        if mine is not None:
            replaced = EmployeeCard.of(await _employee(session, mine.employee_id))
            await session.delete(mine)
            # The DELETE must reach the database before this user id appears in
            # another row: telegram_user_id is unique.
            await session.flush()
            notes.append(f"replaces this account's link to nip={replaced.nip}")
        if theirs is not None:
            moved_from = telegram_actor(policy.secret, theirs.telegram_user_id)
            theirs.telegram_user_id = telegram_user_id
            theirs.language = language
            theirs.reachable = True
            theirs.linked_at = now
            notes.insert(0, f"moved from {moved_from}")
        else:
            session.add(
                TelegramAccount(
                    telegram_user_id=telegram_user_id,
                    employee_id=employee.id,
                    language=language,
                    reachable=True,
                    linked_at=now,
                )
            )
        if moved_from is not None:
            action = ACTION_MOVE
        elif replaced is not None:
            action = ACTION_RELINK
        else:
            action = ACTION_LINK

    detail = "; ".join([f"nip={employee.nip}", *notes])
    session.add(AuditLog(at=now, actor=actor[:100], action=action, detail=detail))
    # A successful link ends any run of wrong guesses by this user.
    await session.execute(
        delete(LinkFailure).where(
            LinkFailure.user_key == pseudonym(policy.secret, telegram_user_id)
        )
    )
    await session.flush()
    return RedeemResult(
        Outcome.LINKED, employee=card, replaced=replaced, moved=moved_from is not None
    )


# ---------------------------------------------------------------------------
# Looking up
# ---------------------------------------------------------------------------


async def linked_employee(session: AsyncSession, telegram_user_id: int) -> EmployeeCard | None:
    """Whom this Telegram user is linked to (also when the employee is inactive)."""
    account = await _account_of_user(session, telegram_user_id)
    if account is None:
        return None
    return EmployeeCard.of(await _employee(session, account.employee_id))


async def open_code_count(
    session: AsyncSession, employee_id: int, now: datetime | None = None
) -> int:
    """Unused, unrevoked, unexpired codes of one employee (at most 1 after an issue)."""
    now = now or utcnow()
    return int(
        await session.scalar(
            select(func.count())
            .select_from(LinkCode)
            .where(
                LinkCode.employee_id == employee_id,
                LinkCode.used_at.is_(None),
                LinkCode.revoked_at.is_(None),
                LinkCode.expires_at > now,
            )
        )
        or 0
    )
