"""CLI commands of a feature (filled in by that feature)."""

from __future__ import annotations

import click


def register(cli: click.Group) -> None:
    return None
