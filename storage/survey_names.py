"""The names a survey screen shows (service, unit, officer), cached in the bot process.

Every survey screen names the service, its unit and maybe the officer. Reading
them with every press cost a SELECT with two joins; they change only when a
roster is imported. So the bot keeps them in a small `NamesCache` keyed by id,
and the database keeps a one-row counter, ``roster_version``, that every roster
import (CLI or Telegram upload, `storage.roster`) bumps with `bump` in its own
transaction.

How the bot notices a bump, even one made by another process: the press's
``UPDATE … RETURNING`` returns the counter as one more column
(`version_column`, a scalar subquery), so it rides on the statement the press
runs anyway: no extra statement, no extra thread hop, and never older than the
press's own snapshot. The rules that keep a stale name out:

* `observe`: a version newer than the cache's empties the cache;
* `store`: names are cached only under the version read *in the same
  statement* (`load`), and only when that is the cache's version, so names
  read before a bump can never be filed under the version after it.

So once a press has seen a bumped counter, every name it shows was read at
that version or a later one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import dialect_insert
from storage.models import Employee, RosterVersion, Service, Unit

ROW_ID = 1


def version_column() -> ColumnElement[int]:
    """The roster counter as a scalar subquery (NULL, read as 0, when never bumped)."""
    return (
        select(RosterVersion.version)
        .where(RosterVersion.id == ROW_ID)
        .scalar_subquery()
        .label("roster_version")
    )


async def bump(session: AsyncSession) -> None:
    """Count one roster change, in the caller's transaction (an upsert: the row may be
    missing in a database made without the migration's seed)."""
    table = RosterVersion.__table__
    statement = dialect_insert(session, table).values(id=ROW_ID, version=1)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.id], set_={"version": table.c.version + 1}
    )
    await session.execute(statement)


@dataclass(frozen=True)
class Names:
    """What a survey screen names: the service, its unit, the officer (if any)."""

    service: str
    unit: str
    officer: str | None


@dataclass
class NamesCache:
    """Names by id, valid for one roster version (see the module docstring)."""

    version: int = -1
    services: dict[int, tuple[str, str]] = field(default_factory=dict)
    officers: dict[int, str] = field(default_factory=dict)

    def observe(self, version: int | None) -> None:
        """A statement read this roster version: forget everything older."""
        seen = version or 0
        if seen > self.version:
            self.version = seen
            self.services.clear()
            self.officers.clear()

    def get(self, service_id: int, officer_id: int | None) -> Names | None:
        service = self.services.get(service_id)
        if service is None:
            return None
        if officer_id is None:
            return Names(service[0], service[1], None)
        officer = self.officers.get(officer_id)
        return None if officer is None else Names(service[0], service[1], officer)

    def store(
        self, version: int | None, service_id: int, officer_id: int | None, names: Names
    ) -> None:
        """Keep ``names`` read at ``version``, if that is (now) the cache's version."""
        self.observe(version)
        if (version or 0) != self.version:
            return  # read before a bump this cache has already seen: use once, never keep
        self.services[service_id] = (names.service, names.unit)
        if officer_id is not None and names.officer is not None:
            self.officers[officer_id] = names.officer


async def load(
    session: AsyncSession, cache: NamesCache, service_id: int, officer_id: int | None
) -> Names:
    """The names for a screen: from the cache, else one SELECT (which also reads the
    counter, so what it stores is filed under the version it was read at)."""
    cached = cache.get(service_id, officer_id)
    if cached is not None:
        return cached
    officer = (
        select(Employee.name).where(Employee.id == officer_id).scalar_subquery()
        if officer_id is not None
        else None
    )
    columns = [Service.name, Unit.name, version_column()]
    if officer is not None:
        columns.append(officer)
    row = (
        await session.execute(
            select(*columns)
            .select_from(Service)
            .join(Unit, Unit.id == Service.unit_id)
            .where(Service.id == service_id)
        )
    ).one()
    names = Names(str(row[0]), str(row[1]), str(row[3]) if len(row) > 3 and row[3] else None)
    cache.store(row[2], service_id, officer_id, names)
    return names
