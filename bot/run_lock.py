"""The running bot holds a lock file in its home, so a restore never pulls the database
from under it and a second bot on the same home does not start.

``DATA_DIR/bot.lock`` is locked with ``flock`` (exclusive, non-blocking) by
``ulasan run`` for as long as the process lives and holds its pid for the
messages. The kernel releases the lock when the process ends in any way (even
SIGKILL), so a crash never leaves a stale lock to clean up by hand.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

LOCK_FILE = "bot.lock"


class Locked(Exception):
    """Another process holds the lock; the message names its pid."""


def lock_path(data_dir: Path) -> Path:
    return data_dir / LOCK_FILE


@contextlib.contextmanager
def hold(data_dir: Path, purpose: str, *, shared: bool = False) -> Iterator[None]:
    """Hold the home's lock while the block runs; `Locked` if another process has it.

    ``shared``: webhook workers of one deployment (``ulasan run --webhook --multi-worker``)
    hold it together; a polling bot or a restore still finds it taken."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = lock_path(data_dir)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(descriptor, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(descriptor, 200, 0).decode(errors="replace").strip()
            raise Locked(holder or "another process") from None
        if not shared:  # (shared holders would overwrite each other's line)
            os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"pid {os.getpid()} ({purpose})\n".encode(), 0)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock
