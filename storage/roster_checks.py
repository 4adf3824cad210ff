"""Checking a roster file's values: codes, NIPs, names, yes/no flags, duplicates and cycles.

Every check adds to one `Problems` per file instead of stopping at the first,
so an operator fixes the whole file in one go; the import raises
`RosterInvalid` with all of them before writing anything.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from bot.core.i18n import N_
from storage.roster_files import RosterInvalid, Row, RowError, Table

NIP_RE = re.compile(r"\d{18}")
# Codes end up on the command line (`--unit CODE`) and in reports: no spaces.
CODE_RE = re.compile(r"[A-Za-z0-9._/-]+")
CODE_MAX = 32
TEXT_MAX = 200
TRUE_WORDS = frozenset({"1", "y", "ya", "iya", "yes", "true", "benar", "aktif"})
REQUIRED = N_("required value is empty")
FALSE_WORDS = frozenset({"0", "n", "tidak", "tdk", "no", "false", "salah", "nonaktif"})


class Problems:
    """Collects row errors against one table."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.items: list[RowError] = []

    def add(self, line: int, column: str, message: str, **params: Any) -> None:
        """A problem; ``message`` is a message id (`N_`) with ``{placeholders}`` in ``params``."""
        label = self.table.labels.get(column, column)
        self.items.append(RowError(self.table.file, line, label, message, params))

    def count(self) -> int:
        return len(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise RosterInvalid(self.items)


def check_text(p: Problems, row: Row, key: str, *, required: bool) -> str | None:
    value = " ".join(row.get(key).split())
    if not value:
        if required:
            p.add(row.line, key, REQUIRED)
        return None
    if len(value) > TEXT_MAX:
        p.add(
            row.line,
            key,
            N_("too long ({length} characters; at most {limit})"),
            length=len(value),
            limit=TEXT_MAX,
        )
        return None
    return value


def check_code(p: Problems, row: Row, key: str, *, required: bool) -> str | None:
    value = row.get(key)
    if not value:
        if required:
            p.add(row.line, key, REQUIRED)
        return None
    if len(value) > CODE_MAX or not CODE_RE.fullmatch(value):
        p.add(
            row.line,
            key,
            N_(
                "'{value}' is not a valid code (letters, digits, '.', '_', '/', '-'; "
                "no spaces; at most {limit} characters)"
            ),
            value=value,
            limit=CODE_MAX,
        )
        return None
    return value


def check_nip(p: Problems, row: Row, key: str, *, required: bool) -> str | None:
    raw = row.get(key)
    # NIPs are often written in groups ("19800101 200501 1 001"): spaces don't count.
    value = "".join(raw.split())
    if not value:
        if required:
            p.add(row.line, key, REQUIRED)
        return None
    if not NIP_RE.fullmatch(value):
        if "e+" in value.lower():
            message = N_(
                "'{value}' is not a NIP: it must be exactly 18 digits (the cell holds a number, "
                "which loses digits; format the column as Text)"
            )
        else:
            message = N_("'{value}' is not a NIP: it must be exactly 18 digits")
        p.add(row.line, key, message, value=raw)
        return None
    return value


def check_flag(p: Problems, row: Row, key: str, *, default: bool) -> bool:
    value = row.get(key).lower()
    if not value:
        return default
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    p.add(
        row.line,
        key,
        N_("'{value}' is not yes/no (use 1/0, ya/tidak, yes/no, true/false)"),
        value=row.get(key),
    )
    return default


def unique_records(
    p: Problems, records: Iterable[Any], attr: str, column: str, noun: str
) -> list[Any]:
    """Report repeated keys; return the records whose key is set and first of its kind."""
    first: dict[str, int] = {}
    kept = []
    for record in records:
        key = getattr(record, attr)
        if key is None:
            continue
        if key in first:
            p.add(
                record.line,
                column,
                N_("duplicate {noun} '{value}' (first on line {first})"),
                noun=noun,
                value=key,
                first=first[key],
            )
            continue
        first[key] = record.line
        kept.append(record)
    return kept


def find_cycles(parent_of: dict[str, str | None]) -> list[list[str]]:
    """Every cycle in a key → parent map (each key has at most one parent)."""
    done: set[str] = set()
    cycles: list[list[str]] = []
    for start in parent_of:
        path: list[str] = []
        on_path: dict[str, int] = {}
        node: str | None = start
        while node is not None and node in parent_of and node not in done and node not in on_path:
            on_path[node] = len(path)
            path.append(node)
            node = parent_of[node]
        if node is not None and node in on_path:
            cycles.append(path[on_path[node] :])
        done.update(path)
    return cycles


def check_cycles(
    p: Problems,
    file_edges: dict[str, tuple[int, str | None]],
    db_edges: dict[str, str | None],
    column: str,
    noun: str,
) -> None:
    """Cycles in the database's graph as the file would leave it, reported on the file's rows."""
    graph = dict(db_edges)
    graph.update({key: parent for key, (_line, parent) in file_edges.items()})
    for cycle in find_cycles(graph):
        for position, key in enumerate(cycle):
            if key not in file_edges:
                continue  # an existing row: the file's rows are the ones to fix
            line, parent = file_edges[key]
            if len(cycle) == 1:
                p.add(
                    line, column, N_("'{parent}' is this {noun} itself"), parent=parent, noun=noun
                )
                continue
            loop = [*cycle[position:], *cycle[:position], key]
            p.add(
                line,
                column,
                N_("'{parent}' closes a cycle: {loop}"),
                parent=parent,
                loop=" → ".join(loop),
            )
