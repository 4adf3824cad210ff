"""Account linking: redeeming a one-time link code in Telegram, and who is linked.

HR (BKPSDM) issues a code per employee (``ulasan link-codes``,
`storage.link_codes`); the employee opens
``https://t.me/<bot>?start=link_<code>`` and their Telegram account is linked
to their roster entry.

- A code works once, expires after the TTL, and only the latest one issued
  for an employee works (`storage.link_codes`).
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
  audit log records every link, relink and move (and `storage.link_codes`
  every issue run), naming
  Telegram users only by a pseudonym prefix.
- Redeeming is idempotent: the same user opening the same link again (a
  double tap, a redelivered update) is told they are already linked.

Every function takes an `AsyncSession` and never commits: the caller (one
update) owns the transaction. The clock is a ``now``
parameter so tests can move time without sleeping.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from storage.crypto import pseudonym
from storage.link_codes import CODE_SHAPE, LinkPolicy, code_hash
from storage.models import (
    AuditLog,
    Employee,
    LinkCode,
    LinkFailure,
    TelegramAccount,
    utcnow,
)

ACTOR_PREFIX_CHARS = 12  # enough to tell users apart in the audit log, not an identity
ACTION_LINK = "account.link"
ACTION_RELINK = "account.relink"
ACTION_MOVE = "account.move"


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
class RedeemResult:
    outcome: Outcome
    employee: EmployeeCard | None = None  # whom the code belongs to (when it is genuine)
    replaced: EmployeeCard | None = None  # this account's earlier employee (relink)
    moved: bool = False  # the employee's link came from another Telegram account
    locked_until: datetime | None = None  # set when refused or when this failure locked

    @property
    def ok(self) -> bool:
        return self.outcome in (Outcome.LINKED, Outcome.ALREADY_LINKED)


def telegram_actor(secret: bytes, telegram_user_id: int) -> str:
    """Audit actor for a Telegram user: a prefix of their pseudonym, never the id."""
    return "telegram:" + pseudonym(secret, telegram_user_id)[:ACTOR_PREFIX_CHARS]


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
    if mine is not None and theirs is not None and mine.id == theirs.id:
        # A fresh code for an account that is already this employee's: nothing moves.
        mine.language = language or mine.language
        mine.reachable = True
        change = _Change(ACTION_LINK, ["already linked to this account"])
    else:
        change = await _move_link(
            session, policy, employee, mine, theirs, telegram_user_id, language, now
        )
    detail = "; ".join([f"nip={employee.nip}", *change.notes])
    session.add(AuditLog(at=now, actor=actor[:100], action=change.action, detail=detail))
    # A successful link ends any run of wrong guesses by this user.
    await session.execute(
        delete(LinkFailure).where(
            LinkFailure.user_key == pseudonym(policy.secret, telegram_user_id)
        )
    )
    await session.flush()
    return RedeemResult(Outcome.LINKED, employee=card, replaced=change.replaced, moved=change.moved)


@dataclass
class _Change:
    """What a link did, for the audit line and the reply."""

    action: str
    notes: list[str]
    replaced: EmployeeCard | None = None  # this account's earlier employee (relink)
    moved: bool = False  # the employee's link came from another Telegram account


async def _move_link(
    session: AsyncSession,
    policy: LinkPolicy,
    employee: Employee,
    mine: TelegramAccount | None,
    theirs: TelegramAccount | None,
    telegram_user_id: int,
    language: str | None,
    now: datetime,
) -> _Change:
    """Drop this account's other link (relink), then move or create the employee's link."""
    notes: list[str] = []
    replaced: EmployeeCard | None = None
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
        return _Change(ACTION_MOVE, notes, replaced, moved=True)
    session.add(
        TelegramAccount(
            telegram_user_id=telegram_user_id,
            employee_id=employee.id,
            language=language,
            reachable=True,
            linked_at=now,
        )
    )
    return _Change(ACTION_RELINK if replaced is not None else ACTION_LINK, notes, replaced)


# ---------------------------------------------------------------------------
# Looking up
# ---------------------------------------------------------------------------


async def linked_employee(session: AsyncSession, telegram_user_id: int) -> EmployeeCard | None:
    """Whom this Telegram user is linked to (also when the employee is inactive)."""
    account = await _account_of_user(session, telegram_user_id)
    if account is None:
        return None
    return EmployeeCard.of(await _employee(session, account.employee_id))
