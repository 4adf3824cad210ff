"""Progress of long work (imports of thousands of rows, a full rollup, slips, reports).

The work reports what it does through a `Progress` it is handed: a stage with
its size, then steps. The base class does nothing, so the bot, the jobs and
tests pass `QUIET`; the command line hands in a bar on a terminal
(``bot/cli/progress.py``) and stays quiet when its output goes to a file or a
pipe. Work never decides itself whether anyone is watching.
"""

from __future__ import annotations


class Progress:
    """Reports nothing; subclasses draw it somewhere."""

    def stage(self, label: str, total: int | None = None) -> None:
        """A new stage of ``total`` steps (None: one step whose size is unknown)."""

    def advance(self, steps: int = 1) -> None:
        """``steps`` more of the current stage are done."""

    def finish(self) -> None:
        """The work is over (also after a failure)."""


QUIET = Progress()
