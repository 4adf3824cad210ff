"""Progress bars on a terminal for long commands, nothing when the output is not a terminal.

`terminal_progress` gives a `bot.core.progress.Progress` that draws click's
progress bar on standard error, one bar per stage, when standard error is a
terminal; otherwise it is `QUIET`, so a cron job's log or a pipe gets no bar
and no carriage returns, and stdout (which may hold a CSV or JSON) is never
touched.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

import click

from bot.core.progress import QUIET, Progress


class TerminalProgress(Progress):
    """One click progress bar per stage, on ``stream``."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.bar: Any = None

    def stage(self, label: str, total: int | None = None) -> None:
        self._close()
        self.bar = click.progressbar(
            length=max(total or 1, 1), label=label, file=self.stream, show_pos=bool(total)
        )
        self.bar.__enter__()
        self.bar.render_progress()

    def advance(self, steps: int = 1) -> None:
        if self.bar is not None:
            self.bar.update(steps)

    def finish(self) -> None:
        self._close()

    def _close(self) -> None:
        if self.bar is not None:
            self.bar.update(max(self.bar.length - self.bar.pos, 0))
            self.bar.__exit__(None, None, None)
            self.bar = None


def make_progress(stream: TextIO | None = None) -> Progress:
    """A bar when ``stream`` (default standard error) is a terminal, else `QUIET`."""
    stream = stream or sys.stderr
    isatty = getattr(stream, "isatty", None)
    return TerminalProgress(stream) if isatty is not None and isatty() else QUIET


@contextmanager
def terminal_progress() -> Iterator[Progress]:
    """`make_progress` for the length of a ``with`` block (the last bar is closed)."""
    progress = make_progress()
    try:
        yield progress
    finally:
        progress.finish()
