"""Checks of rendered output (PDF text, pages in a real browser) run once per CI run.

``make test`` runs them (the SQLite pass of ``.ci/run``); ``make test-pg`` runs the
whole suite again on PostgreSQL with ``ULASAN_RENDER_CHECKS=skip``, and there the
tests marked ``render`` are skipped: rendering does not depend on the database, and
the browser and PDF checks are the slowest of the suite.

So that they can never silently stop running, skipping is refused anywhere but on
PostgreSQL (``ULASAN_TEST_DATABASE_URL`` names one): the SQLite pass fails at start
if the variable leaked into it. The tests themselves never skip when a tool is
missing: they fail and name the make target that installs it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping

import pytest

MARKER = "render"
VARIABLE = "ULASAN_RENDER_CHECKS"
SKIP = "skip"
BROWSERS = ("chromium", "chromium-headless-shell")


def skipping(environ: Mapping[str, str]) -> bool:
    """Whether this run skips the render checks; raises `pytest.UsageError` when it asks
    to skip them outside the PostgreSQL pass."""
    value = environ.get(VARIABLE, "").strip().lower()
    if value in ("", "run"):
        return False
    if value != SKIP:
        raise pytest.UsageError(f"{VARIABLE}={value!r}: use 'skip' (PostgreSQL pass) or unset")
    if not environ.get("ULASAN_TEST_DATABASE_URL", "").startswith("postgresql"):
        raise pytest.UsageError(
            f"{VARIABLE}=skip is for the PostgreSQL pass only (make test-pg); "
            "the SQLite pass must run the PDF and browser checks"
        )
    return True


def skip_marked(items: list[pytest.Item]) -> None:
    if not skipping(os.environ):
        return
    reason = pytest.mark.skip(reason="render checks ran in the SQLite pass")
    for item in items:
        if item.get_closest_marker(MARKER) is not None:
            item.add_marker(reason)


def browser() -> str:
    """The distribution's Chromium; fails (never skips) when it is not installed."""
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    pytest.fail("no chromium: `make doc-tools-browser` (or `make test`) installs it")
