"""One-time link codes: what a code is, and issuing them (``ulasan link-codes``).

HR (BKPSDM) issues a code per employee; the employee opens
``https://t.me/<bot>?start=link_<code>`` and redeems it
(`storage.accounts.redeem_link_code`).

- A code is `storage.crypto.new_token` of `CODE_BYTES` (96 bits), so it cannot be
  guessed; only ``keyed_hash(secret, "link", code)`` is stored, so a copy of
  the database does not hand out working links.
- A code works once and expires after the TTL. Issuing a new code for an
  employee revokes their earlier unused, unexpired codes: only the latest
  letter from HR works. Every issue run is written to the audit log.

Every function takes an `AsyncSession` and never commits: the caller (one CLI
command) owns the transaction. The clock is a ``now`` parameter.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from storage.crypto import keyed_hash, new_token
from storage.directory import unit_subtree_ids
from storage.models import AuditLog, Employee, LinkCode, TelegramAccount, Unit, utcnow

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
    now: datetime | None = None,
) -> list[IssuedCode]:
    """Issue one code per active employee without a linked account (all with ``renew``).

    ``unit_code`` limits it to that unit and its sub-units. Earlier unused codes
    of those employees are revoked. Raises `UnknownUnit` for an unknown unit.
    """
    now = now or utcnow()
    rows = await _employees_to_issue(session, unit_code=unit_code, renew=renew)
    if not rows:
        return []
    revoked = await _revoke_open_codes(session, [employee.id for employee, _ in rows], now)
    expires_at = now + policy.ttl
    issued = [
        _new_code(session, policy, employee, account_id is not None, now, expires_at)
        for employee, account_id in rows
    ]
    scope = f"unit {unit_code} and sub-units" if unit_code else "all units"
    detail = (
        f"{len(issued)} code(s) issued ({scope}{', renew' if renew else ''}); "
        f"expire {expires_at.isoformat(timespec='minutes')}; "
        f"{revoked} earlier unused code(s) revoked; NIP: {', '.join(c.nip for c in issued)}"
    )
    session.add(AuditLog(at=now, actor=actor[:100], action=ACTION_ISSUE, detail=detail))
    await session.flush()
    return issued


async def _employees_to_issue(
    session: AsyncSession, *, unit_code: str | None, renew: bool
) -> list[Any]:
    """(employee, linked account id or None) of the active employees a run issues codes to."""
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
    return list((await session.execute(query)).all())


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
