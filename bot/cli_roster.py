"""CLI commands for the roster and account linking (filled in by those features)."""

from __future__ import annotations

import click


def register(cli: click.Group) -> None:
    return None
