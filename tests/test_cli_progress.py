"""Long commands show progress on a terminal and stay quiet in a pipe or a file.

The real ``ulasan`` runs in a subprocess twice: once with standard error on a
pseudo-terminal (what an operator at a shell sees), once with it piped (a cron
job's log). Both import the same 3,000 employees and run ``job run rollup
--full``; only the terminal gets bars, and stdout is the same either way.
"""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.cli.progress import TerminalProgress, make_progress
from bot.core.progress import QUIET

EMPLOYEES = 3000


class Ulasan:
    def __init__(self, folder: Path, database_url: str) -> None:
        self.folder = folder
        self.env = {**os.environ, "DATABASE_URL": database_url, "DATA_DIR": str(folder / "data")}
        self.env.pop("SECRET_KEY", None)
        self.env["COLUMNS"] = "100"
        self.env["BOT_USERNAME"] = "UlasanTestBot"

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-c", "from bot.cli.main import main; main()", *args]

    def piped(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.command(*args),
            cwd=self.folder,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def on_terminal(self, *args: str) -> tuple[int, str, str]:
        """Run with standard error on a pseudo-terminal: (exit code, stdout, terminal)."""
        leader, follower = pty.openpty()
        process = subprocess.Popen(
            self.command(*args),
            cwd=self.folder,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=follower,
        )
        os.close(follower)
        screen = b""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            ready, _w, _x = select.select([leader], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(leader, 65536)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                screen += chunk
            elif process.poll() is not None:
                break
        os.close(leader)
        stdout = process.stdout.read().decode() if process.stdout else ""
        return process.wait(timeout=30), stdout, screen.decode(errors="replace")


@pytest.fixture
def ulasan(tmp_path: Path, database_url: str) -> Ulasan:
    cli = Ulasan(tmp_path, database_url)
    assert cli.piped("db", "upgrade").returncode == 0
    (tmp_path / "units.csv").write_text("code,name,parent_code,head_nip\nDINAS,Dinas,,\n")
    assert cli.piped("import", "units", str(tmp_path / "units.csv")).returncode == 0
    lines = ["nip,name,position,unit_code,supervisor_nip"]
    lines += [f"{199000000000000000 + n},Pegawai {n},Staf,DINAS," for n in range(EMPLOYEES)]
    (tmp_path / "employees.csv").write_text("\n".join(lines) + "\n")
    return cli


def test_a_terminal_sees_bars_and_a_pipe_sees_none(ulasan: Ulasan, tmp_path: Path):
    code, stdout, screen = ulasan.on_terminal(
        "import", "employees", str(tmp_path / "employees.csv")
    )
    assert code == 0, screen
    assert "employees.csv: checking rows" in screen
    assert "employees.csv: writing employees" in screen
    assert f"{EMPLOYEES}/{EMPLOYEES}" in screen
    assert f"employees: {EMPLOYEES} added" in stdout

    piped = ulasan.piped("import", "employees", str(tmp_path / "employees.csv"))
    assert piped.returncode == 0, piped.stderr
    assert f"employees: 0 added, 0 updated, {EMPLOYEES} unchanged" in piped.stdout
    assert "checking rows" not in piped.stderr + piped.stdout
    assert "\r" not in piped.stderr + piped.stdout

    code, stdout, screen = ulasan.on_terminal("job", "run", "rollup", "--full")
    assert code == 0, screen
    # This world has no survey responses: none lacks its local day, so there is no
    # stamping stage (tests/test_rollup_chunked.py has one), and the writing
    # stage's bar, which counts its steps and ends full, has only the finishing one.
    assert "rollup: giving the responses their local days" not in screen
    assert "rollup: rebuilding the score tables" in screen
    assert "]  1/1" in screen.rsplit("rebuilding the score tables", 1)[1]
    assert "rollup: ok" in stdout or "ok" in stdout
    piped = ulasan.piped("job", "run", "rollup", "--full")
    assert piped.returncode == 0, piped.stderr
    assert "rebuilding" not in piped.stderr

    out = tmp_path / "ikm.xlsx"
    code, stdout, screen = ulasan.on_terminal(
        "report", "ikm", "--format", "xlsx", "--out", str(out)
    )
    assert code == 0, screen
    assert "report ikm: reading the scores" in screen and "report ikm: writing" in screen
    assert str(out) in stdout and out.exists()

    slips = tmp_path / "slips.pdf"
    nips = [f"--nip={199000000000000000 + n}" for n in range(20)]  # three sheets
    code, _stdout, screen = ulasan.on_terminal(
        "link-codes", *nips, "--format", "csv", "--slips", str(slips)
    )
    assert code == 0, screen
    assert "link-codes: drawing slips" in screen and "3/3" in screen and slips.exists()
    piped = ulasan.piped("link-codes", *nips, "--format", "csv", "--slips", str(slips))
    assert piped.returncode == 0, piped.stderr
    assert "drawing slips" not in piped.stderr


def test_progress_is_quiet_unless_the_stream_is_a_terminal(tmp_path: Path):
    with open(tmp_path / "log.txt", "w") as log:
        assert make_progress(log) is QUIET
    leader, follower = pty.openpty()
    try:
        with os.fdopen(follower, "w", closefd=False) as terminal:
            progress = make_progress(terminal)
            assert isinstance(progress, TerminalProgress)
            progress.stage("work", 4)
            progress.advance(2)
            progress.stage("more")  # closes the first bar at its end
            progress.finish()
            terminal.flush()
        screen = os.read(leader, 65536).decode()
        assert "work" in screen and "4/4" in screen and "more" in screen
    finally:
        os.close(leader)
        os.close(follower)
