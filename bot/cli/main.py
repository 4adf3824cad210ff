"""The ``ulasan`` root group and the one place every command is registered.

``python -m bot`` is ``ulasan run``. Each command lives in the module named
after it (``ulasan qr`` in ``qr.py``, ``ulasan report ikm`` in
``report_ikm.py``); those modules import their heavy libraries inside the
commands, so ``ulasan --help`` stays fast.

The root group loads a command's module only when the command is named
(`COMMANDS`): ``ulasan report ikm`` imports the report modules and none of the
other twenty, while ``ulasan --help`` (which shows every command's line) still
loads them all. `register_commands` loads everything at once, for tests and
``python -m bot``.
"""

from __future__ import annotations

import atexit
import gc
import importlib

import click

# The collector's thresholds (young, middle, full) as the interpreter set them; `main`
# changes the third for the short commands, `ulasan run` puts them back.
GC_THRESHOLD = gc.get_threshold()

# Root command name → "module:attribute" in bot/cli of the command.
COMMANDS: dict[str, str] = {
    "run": "run:run_command",
    "check": "check:check_command",
    "db": "db:db_group",
    "import": "import_roster:import_group",
    "roster": "roster:roster_group",
    "link-codes": "link_codes:link_codes_group",
    "qr": "qr:qr_command",
    "report": "main:report_group",
    "cycle": "cycle:cycle_group",
    "outbox": "outbox:outbox_group",
    "job": "job:job_group",
    "admin": "admin:admin_group",
    "alerts": "alerts:alerts_group",
    "holidays": "holidays:holidays_group",
    "period": "period:period_group",
    "preview": "preview:preview_group",
    "publish": "publish:publish_command",
    "unit": "unit:unit_group",
    "rtl": "rtl:rtl_group",
    "export": "export_ekinerja:export_group",
    "development": "development:development_group",
}

# Subcommands that live in their own module but belong to a root command's group
# ("module:attribute"; an attribute may be a tuple of commands).
SUBCOMMANDS: dict[str, tuple[str, ...]] = {
    "import": ("import_skp:import_skp_command",),
    "report": (
        "report_ikm:ikm_command",
        "report_review:review_command",
        "report_participation:participation_command",
        "report_development:development_command",
    ),
    "db": ("db_backup:backup_command", "db_backup:restore_command"),
    "cycle": (
        "consult:COMMANDS",
        "calibration:calibration_command",
        "calibration:calibration_sets_command",
    ),
}


def load(spec: str) -> object:
    """The object ``spec`` ("module:attribute") names in bot/cli."""
    module, _, attribute = spec.partition(":")
    return getattr(importlib.import_module(f"bot.cli.{module}"), attribute)


class RootGroup(click.Group):
    """The root group: a command's module is imported when the command is first named."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            load_command(cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(cls=RootGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ulasan")
def cli() -> None:
    """Ulasan: citizen satisfaction surveys (SKM) and 360° BerAKHLAK reviews on Telegram."""


@click.group("report")
def report_group() -> None:
    """Reports: the SKM/IKM index of PermenPANRB 14/2017."""


def load_command(name: str) -> None:
    """Attach the root command ``name`` with its subcommands from other modules."""
    command = load(COMMANDS[name])
    assert isinstance(command, click.Command)
    for spec in SUBCOMMANDS.get(name, ()):
        found = load(spec)
        assert isinstance(command, click.Group)
        for sub in found if isinstance(found, tuple) else (found,):
            command.add_command(sub)
    cli.add_command(command, name)


def register_commands() -> None:
    """Attach every command to the root group (a second call changes nothing)."""
    for name in COMMANDS:
        load_command(name)


def main() -> None:
    # The interpreter's last garbage collections at exit walk every object the imports
    # made (SQLAlchemy's models and compiled statements among them): about 0.1 s of a
    # 0.5 s `ulasan report ikm`, spent on a process that is ending anyway. Frozen objects
    # are left out of those walks; what the commands write is closed before they return.
    atexit.register(gc.freeze)
    # Starting a command makes those objects, and they live until it ends: each full
    # collection while they pile up walks them all (one such pass was ~30 ms of `report
    # ikm`). A command lasts seconds, so full passes are put off to every 1000th middle
    # one (the young and middle passes still free short-lived cycles); `ulasan run`,
    # which lasts days, restores the interpreter's thresholds (bot/cli/run.py).
    young, middle, _full = GC_THRESHOLD
    gc.set_threshold(young, middle, 1000)
    cli(prog_name="ulasan")
