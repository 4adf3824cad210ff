"""What a head's or an owner's next typed message (or file) is for in the RTL flows.

``context.user_data[KEY]`` holds one pending step at a time: ``{"step", "line"
or "plan", "touched"}``. Buttons and commands never depend on it (each press
carries its line and is checked against the database); only typed text and
files do, through `handlers.typed_input`. It expires after `TTL` without use,
and asking for another step replaces it, so a lost state (a restart) only
means pressing the button again: the lines themselves are in the database.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from handlers.context import BotContext

KEY = "rtl.pending"
TTL = timedelta(minutes=30)


def expect(context: BotContext, step: str, **ids: int | str) -> None:
    """The person's next text or file answers ``step`` about ``ids`` (line or plan)."""
    if context.user_data is not None:
        context.user_data[KEY] = {"step": step, **ids, "touched": context.clock.now()}


def pending(context: BotContext) -> dict[str, Any] | None:
    """The pending step, or None (expired ones are dropped)."""
    data = context.user_data
    if data is None:
        return None
    state = data.get(KEY)
    if not isinstance(state, dict):
        return None
    if context.clock.now() - state["touched"] > TTL:
        data.pop(KEY, None)
        return None
    return state


def clear(context: BotContext) -> None:
    if context.user_data is not None:
        context.user_data.pop(KEY, None)
