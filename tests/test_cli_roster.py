"""The real ``ulasan`` CLI in a subprocess: the demo import order, errors, help.

Each command runs with cwd set to the test's own folder (settings also read a
``.env`` from the working directory) and only the environment given here.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
ERROR_LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): (?P<column>\w+): .+")


class Ulasan:
    def __init__(self, folder: Path, database_url: str) -> None:
        self.folder = folder
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "DATA_DIR": str(folder / "data"),
        }
        # `db upgrade` creates the key with a new database, as on a fresh install.
        self.env.pop("SECRET_KEY", None)

    def __call__(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", "from bot.cli.main import main; main()", *args],
            cwd=self.folder,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )


@pytest.fixture
def ulasan(tmp_path: Path, database_url: str) -> Ulasan:
    return Ulasan(tmp_path, database_url)


@pytest.fixture
def migrated_cli(ulasan: Ulasan) -> Ulasan:
    done = ulasan("db", "upgrade")
    assert done.returncode == 0, done.stderr
    return ulasan


def test_demo_order_on_an_empty_database_sets_every_head(migrated_cli: Ulasan):
    ulasan = migrated_cli
    units = ulasan("import", "units", str(EXAMPLES / "units.csv"))
    assert units.returncode == 0, units.stderr
    assert "units: 6 added, 0 updated, 0 unchanged" in units.stdout
    assert units.stdout.count("is not an employee yet") == 6

    services = ulasan("import", "services", str(EXAMPLES / "services.csv"))
    assert services.returncode == 0, services.stderr
    assert "services: 8 added, 0 updated, 0 unchanged" in services.stdout

    employees = ulasan("import", "employees", str(EXAMPLES / "employees.csv"))
    assert employees.returncode == 0, employees.stderr
    assert "employees: 16 added, 0 updated, 0 unchanged, 0 deactivated" in employees.stdout
    assert "head set for 6 unit(s)" in employees.stdout

    shown = ulasan("roster", "show")
    assert shown.returncode == 0, shown.stderr
    heads = [line.strip() for line in shown.stdout.splitlines() if line.strip().startswith("head:")]
    assert len(heads) == 6
    assert all("(1" in head for head in heads), heads  # every head is a named employee
    assert "service KTP-EL: Penerbitan KTP Elektronik (KTP-el) [free]" in shown.stdout

    again = ulasan("import", "units", str(EXAMPLES / "units.csv"))
    assert "units: 0 added, 0 updated, 6 unchanged" in again.stdout
    assert "note:" not in again.stdout


def test_error_file_lists_every_bad_row_and_exits_1(migrated_cli: Ulasan, tmp_path: Path):
    ulasan = migrated_cli
    assert ulasan("import", "units", str(EXAMPLES / "units.csv")).returncode == 0
    bad = tmp_path / "pegawai.csv"
    bad.write_text(
        "NIP;Nama;Jabatan;Kode Unit;NIP Atasan\n"
        "12345;Budi;Staf;DAFDUK;\n"
        "199101102017031003;;Staf;TIDAK-ADA;\n"
        "199101102017031003;Budi;Staf;DAFDUK;\n",
        encoding="utf-8",
    )
    result = ulasan("import", "employees", "pegawai.csv")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[:-1] == [
        "pegawai.csv:2: nip: '12345' is not a NIP: it must be exactly 18 digits",
        "pegawai.csv:3: nama: required value is empty",
        "pegawai.csv:3: kode_unit: unknown unit 'TIDAK-ADA' (import the units file first)",
        "pegawai.csv:4: nip: duplicate NIP '199101102017031003' (first on line 3)",
    ]
    assert all(ERROR_LINE.match(line) for line in lines[:-1])
    assert lines[-1] == "4 problems found; nothing was imported."
    shown = ulasan("roster", "show", "--unit", "DAFDUK")
    assert shown.returncode == 0 and "  employee " not in shown.stdout


def test_unreadable_file_is_one_line(migrated_cli: Ulasan):
    result = migrated_cli("import", "services", "missing.csv")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "missing.csv: cannot read the file: no such file or directory",
        "1 problem found; nothing was imported.",
    ]


def test_deactivate_missing_flag(migrated_cli: Ulasan, tmp_path: Path):
    ulasan = migrated_cli
    for kind in ("units", "services", "employees"):
        assert ulasan("import", kind, str(EXAMPLES / f"{kind}.csv")).returncode == 0
    lines = (EXAMPLES / "employees.csv").read_text(encoding="utf-8").splitlines()
    (tmp_path / "top.csv").write_text("\n".join(lines[:7]) + "\n", encoding="utf-8")
    result = ulasan("import", "employees", "top.csv", "--deactivate-missing")
    assert result.returncode == 0, result.stderr
    assert "0 added, 0 updated, 6 unchanged, 10 deactivated" in result.stdout
    assert ulasan("roster", "show").stdout.count("[inactive]") == 10


def test_unknown_unit_in_show_and_unmigrated_database(ulasan: Ulasan):
    result = ulasan("roster", "show")
    assert result.returncode == 2
    assert "ulasan db upgrade" in result.stderr
    assert "Traceback" not in result.stderr
    ulasan("db", "upgrade")
    assert "The roster is empty" in ulasan("roster", "show").stdout
    unknown = ulasan("roster", "show", "--unit", "NOPE")
    assert (unknown.returncode, unknown.stderr.strip()) == (1, "Unknown unit 'NOPE'.")


def test_bad_setting_exits_2(ulasan: Ulasan):
    ulasan.env["DATABASE_URL"] = "mysql://localhost/ulasan"
    result = ulasan("import", "units", str(EXAMPLES / "units.csv"))
    assert result.returncode == 2
    assert result.stderr.startswith("Setting error: DATABASE_URL:")


@pytest.mark.parametrize(
    "command",
    [
        ["import"],
        ["import", "units"],
        ["import", "services"],
        ["import", "employees"],
        ["roster"],
        ["roster", "show"],
    ],
)
def test_help(ulasan: Ulasan, command: list[str]):
    result = ulasan(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage: ulasan" in result.stdout
    if command[-1] == "employees":
        assert "--deactivate-missing" in result.stdout
