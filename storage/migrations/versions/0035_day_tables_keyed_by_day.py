"""day tables keyed by day: service, officer and unit day rows in day order

The full rebuild (storage.rollup.rebuild) writes the day tables a run of days
at a time and sums each month's rows from them. Keyed by (service, day),
(employee, service, day) and (unit, day), with an index on ``day`` beside, its
writes landed all over each table and every month's sum looked each row up
through the day index. Keyed by the day first — (day, service), (day, service,
employee), (day, unit) — the writes are appends and a month is one range of
the key; the day indexes (migration 0031) become redundant and go. Reports
read a service's or an officer's days within a range of days as before.
SQLite cannot change a key in place: each table is copied into a new one
(WITHOUT ROWID, as before) and renamed; PostgreSQL swaps the constraint.

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-07 02:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0035"
down_revision: str | None = "0034"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table → (key before, key now)
KEYS = {
    "skm_service_daily": (("service_id", "day"), ("day", "service_id")),
    "skm_officer_daily": (("employee_id", "service_id", "day"), ("day", "service_id", "employee_id")),
    "skm_unit_daily": (("unit_id", "day"), ("day", "unit_id")),
}


def upgrade() -> None:
    for table, (_before, now) in KEYS.items():
        op.drop_index(f"ix_{table}_day", table_name=table)
        _rekey(table, now)


def downgrade() -> None:
    for table, (before, _now) in KEYS.items():
        _rekey(table, before)
        op.create_index(f"ix_{table}_day", table, ["day"])


def _rekey(table: str, key: Sequence[str]) -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.drop_constraint(f"pk_{table}", table, type_="primary")
        op.create_primary_key(f"pk_{table}", table, list(key))
        return
    old = sa.Table(table, sa.MetaData(), autoload_with=bind)
    names = [c.name for c in old.columns]
    # The key's columns first, then the others in their order.
    ordered = [*key, *(n for n in names if n not in key)]
    new = sa.Table(
        f"{table}_rekeyed",
        sa.MetaData(),
        *(
            sa.Column(
                n,
                old.c[n].type,
                nullable=False,
                server_default=old.c[n].server_default.arg if old.c[n].server_default else None,
            )
            for n in ordered
        ),
        sa.PrimaryKeyConstraint(*key, name=f"pk_{table}"),
        sqlite_with_rowid=False,
    )
    new.create(bind)
    columns = ", ".join(ordered)
    op.execute(f"INSERT INTO {table}_rekeyed ({columns}) SELECT {columns} FROM {table}")
    op.drop_table(table)
    op.rename_table(f"{table}_rekeyed", table)
