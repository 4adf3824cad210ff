"""One-time link codes: what a code is, and issuing them (``ulasan link-codes``).

HR (BKPSDM) issues a code per employee; the employee opens
``https://t.me/<bot>?start=link_<code>`` and redeems it
(`storage.accounts.redeem_link_code`).

- A code is `storage.crypto.new_token` of `CODE_BYTES` (96 bits), so it cannot be
  guessed; only ``keyed_hash(secret, "link", code)`` is stored, so a copy of
  the database does not hand out working links.
- A code works once and expires after the TTL.
- Issuing never voids a slip already handed out unless asked: a plain run
  gives a code to each active employee who has no linked account **and no
  valid code** (a new employee, or one whose code expired), so running it
  again for a new batch of staff leaves the printed slips working. Asked
  (``renew``: everyone in the scope, linked or not; ``nips``: these employees,
  e.g. the one who lost their slip), the new code revokes the employee's
  earlier unused ones: only the latest letter from HR works. Every issue run
  is written to the audit log.
- `code_status` lists who is linked and who holds a valid code, issuing nothing.

Every function takes an `AsyncSession` and never commits: the caller (one CLI
command) owns the transaction. The clock is a ``now`` parameter.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import func, select, type_coerce, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from storage.crypto import keyed_hash, new_token
from storage.directory import unit_subtree_ids
from storage.models import (
    AuditLog,
    Employee,
    LinkCode,
    TelegramAccount,
    Unit,
    UTCDateTime,
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
CHUNK = 500  # ids per IN (...) list, well under every backend's parameter limit

ACTION_ISSUE = "link_codes.issue"


class UnknownEmployee(LookupError):
    """A NIP given to `issue_link_codes` is not an active employee."""

    def __init__(self, nip: str, inactive: bool = False) -> None:
        what = "is not active" if inactive else "is not in the roster"
        super().__init__(f"employee NIP '{nip}' {what}")
        self.nip = nip


class UnknownUnit(LookupError):
    """The unit code given to `issue_link_codes` is not in the roster."""

    def __init__(self, code: str) -> None:
        super().__init__(f"unknown unit code '{code}'")
        self.code = code


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


def link_payload(code: str) -> str:
    """The deep-link payload for a code (``link_`` + 16 characters, well under 64)."""
    return PAYLOAD_PREFIX + code


def code_from_payload(payload: str) -> str:
    """The code part of a ``link_…`` payload (what follows the prefix, maybe empty)."""
    return payload.removeprefix(PAYLOAD_PREFIX)


def code_hash(secret: bytes, code: str) -> str:
    return keyed_hash(secret, HASH_PURPOSE, code)


def _chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# -- issuing ----------------------------------------------------------------------------


async def issue_link_codes(
    session: AsyncSession,
    policy: LinkPolicy,
    *,
    actor: str,
    unit_code: str | None = None,
    renew: bool = False,
    nips: Sequence[str] = (),
    now: datetime | None = None,
) -> list[IssuedCode]:
    """Issue codes (see the module docstring for who gets one), ordered by unit and name.

    ``unit_code`` limits it to that unit and its sub-units; ``nips`` names the
    employees (linked or not) and, like ``renew``, revokes their earlier unused
    codes. Raises `UnknownUnit` or `UnknownEmployee` (nothing issued).
    """
    now = now or utcnow()
    scope = await _scope_ids(session, unit_code)
    if nips:
        rows = await _named_employees(session, nips, scope)
    else:
        rows = await _employees_to_issue(session, scope=scope, renew=renew, now=now)
    if not rows:
        return []
    revoked = 0
    if renew or nips:
        revoked = await _revoke_open_codes(session, [employee.id for employee, _ in rows], now)
    expires_at = now + policy.ttl
    issued = [
        _new_code(session, policy, employee, account_id is not None, now, expires_at)
        for employee, account_id in rows
    ]
    where = f"unit {unit_code} and sub-units" if unit_code else "all units"
    how = ", renew" if renew else ", named NIP" if nips else ""
    detail = (
        f"{len(issued)} code(s) issued ({where}{how}); "
        f"expire {expires_at.isoformat(timespec='minutes')}; "
        f"{revoked} earlier unused code(s) revoked; NIP: {', '.join(c.nip for c in issued)}"
    )
    session.add(AuditLog(at=now, actor=actor[:100], action=ACTION_ISSUE, detail=detail))
    await session.flush()
    return issued


async def _scope_ids(session: AsyncSession, unit_code: str | None) -> list[int] | None:
    """The unit's subtree ids, None for every unit; `UnknownUnit` for an unknown code."""
    if unit_code is None:
        return None
    unit_id = await session.scalar(select(Unit.id).where(Unit.code == unit_code))
    if unit_id is None:
        raise UnknownUnit(unit_code)
    return await unit_subtree_ids(session, unit_id)


def _employee_query(scope: list[int] | None) -> Any:
    """(employee, linked account id or None), by unit code and name, within ``scope``."""
    query = (
        select(Employee, TelegramAccount.id)
        .join(Unit, Unit.id == Employee.unit_id)
        .outerjoin(TelegramAccount, TelegramAccount.employee_id == Employee.id)
        .options(selectinload(Employee.unit))
        .order_by(Unit.code, Employee.name, Employee.nip)
    )
    return query if scope is None else query.where(Employee.unit_id.in_(scope))


def _open_code(now: datetime) -> Any:
    """An unused, unrevoked, unexpired code of the employee of the outer query."""
    return (
        select(LinkCode.id)
        .where(
            LinkCode.employee_id == Employee.id,
            LinkCode.used_at.is_(None),
            LinkCode.revoked_at.is_(None),
            LinkCode.expires_at > now,
        )
        .exists()
    )


async def _employees_to_issue(
    session: AsyncSession, *, scope: list[int] | None, renew: bool, now: datetime
) -> list[Any]:
    """The active employees a run issues codes to: all with ``renew``; else those with
    neither a linked account nor a valid code."""
    query = _employee_query(scope).where(Employee.active.is_(True))
    if not renew:
        query = query.where(TelegramAccount.id.is_(None), ~_open_code(now))
    return list((await session.execute(query)).all())


async def _named_employees(
    session: AsyncSession, nips: Sequence[str], scope: list[int] | None
) -> list[Any]:
    """These employees (each must be active, and within ``scope`` when given)."""
    wanted = list(dict.fromkeys(nip.replace(" ", "") for nip in nips))
    rows = list(
        (await session.execute(_employee_query(None).where(Employee.nip.in_(wanted)))).all()
    )
    found = {employee.nip: (employee, account) for employee, account in rows}
    for nip in wanted:
        employee, _account = found.get(nip, (None, None))
        if employee is None or (scope is not None and employee.unit_id not in scope):
            raise UnknownEmployee(nip)
        if not employee.active:
            raise UnknownEmployee(nip, inactive=True)
    return rows


def _new_code(
    session: AsyncSession,
    policy: LinkPolicy,
    employee: Employee,
    already_linked: bool,
    now: datetime,
    expires_at: datetime,
) -> IssuedCode:
    """A fresh code for one employee: its hash is added to the session, the code returned."""
    code = new_token(CODE_BYTES)
    session.add(
        LinkCode(
            employee_id=employee.id,
            code_hash=code_hash(policy.secret, code),
            created_at=now,
            expires_at=expires_at,
        )
    )
    return IssuedCode(
        nip=employee.nip,
        name=employee.name,
        unit_code=employee.unit.code,
        unit_name=employee.unit.name,
        code=code,
        expires_at=expires_at,
        already_linked=already_linked,
    )


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


# -- who holds what ---------------------------------------------------------------------


@dataclass(frozen=True)
class CodeStatus:
    """One active employee: linked or not, and their valid code's expiry if they hold one."""

    nip: str
    name: str
    unit_code: str
    unit_name: str
    linked: bool
    code_expires_at: datetime | None  # the latest valid code; None: no valid code


async def code_status(
    session: AsyncSession, *, unit_code: str | None = None, now: datetime | None = None
) -> list[CodeStatus]:
    """Every active employee in scope (by unit code and name), issuing nothing."""
    now = now or utcnow()
    scope = await _scope_ids(session, unit_code)
    # Coerced so the value comes back as the column's type (aware UTC) on every backend.
    expiry = type_coerce(
        select(func.max(LinkCode.expires_at))
        .where(
            LinkCode.employee_id == Employee.id,
            LinkCode.used_at.is_(None),
            LinkCode.revoked_at.is_(None),
            LinkCode.expires_at > now,
        )
        .scalar_subquery(),
        UTCDateTime,
    )
    query = _employee_query(scope).add_columns(expiry).where(Employee.active.is_(True))
    rows = (await session.execute(query)).all()
    return [
        CodeStatus(
            employee.nip,
            employee.name,
            employee.unit.code,
            employee.unit.name,
            account_id is not None,
            expires,
        )
        for employee, account_id, expires in rows
    ]
