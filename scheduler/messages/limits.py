"""Making a text fit Telegram: shortened with an ellipsis, or cut into messages at line breaks."""

from __future__ import annotations

from storage.outbox import MAX_TEXT


def shorten(text: str, limit: int) -> str:
    """``text`` itself when it fits, else cut to ``limit`` characters ending in "…"."""
    return text if len(text) <= limit else text[: max(limit - 1, 0)].rstrip() + "…"


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Cut a long text into messages of at most ``limit`` characters, at line breaks."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:  # a single line longer than a message (a long comment)
            if current:
                parts.append(current)
                current = ""
            parts.append(line[: limit - 1] + "…")
            line = "…" + line[limit - 1 :]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current.strip():
        parts.append(current)
    return [part.strip("\n") for part in parts if part.strip()]
