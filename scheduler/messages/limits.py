"""Making a text fit Telegram: shortened with an ellipsis, or cut into messages at line breaks."""

from __future__ import annotations


def shorten(text: str, limit: int) -> str:
    """``text`` itself when it fits, else cut to ``limit`` characters ending in "…"."""
    return text if len(text) <= limit else text[: max(limit - 1, 0)].rstrip() + "…"
