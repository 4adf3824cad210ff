"""File names for the documents the bot sends: safe on every phone and computer."""

from __future__ import annotations

import re


def file_safe(text: str, limit: int = 60) -> str:
    """Letters, digits, dot, dash and underscore only (spaces become dashes), at most
    ``limit`` characters; "dokumen" when nothing is left."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.")
    return safe[:limit].rstrip("-.") or "dokumen"
