"""``python -m bench [NAME...] [--quick]``: run the benchmarks one after another.

Each benchmark is a module ``bench.<name>`` run in its own interpreter
(``python -m bench.<name>``); it prints its figures, its floor's and their
ratio, and writes them to ``bench/results/<name>.json``. ``--quick`` runs each
at a small size (a smoke run: the figures mean nothing). Exits non-zero if any
benchmark fails to run; a missed goal is reported, not an error.
"""

from __future__ import annotations

import subprocess
import sys
import time

BENCHMARKS: tuple[str, ...] = ("survey_load", "rollup", "outbox", "webhook_workers")


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    names = [arg for arg in argv if not arg.startswith("-")] or list(BENCHMARKS)
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
        return 2
    failed: list[str] = []
    for name in names:
        print(f"\n=== bench {name}{' (quick)' if quick else ''} ===", flush=True)
        started = time.monotonic()
        command = [sys.executable, "-m", f"bench.{name}", *(["--quick"] if quick else [])]
        code = subprocess.call(command)
        print(f"=== {name}: exit {code} after {time.monotonic() - started:.0f} s ===", flush=True)
        if code != 0:
            failed.append(name)
    if failed:
        print(f"\nfailed to run: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
