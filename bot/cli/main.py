"""The ``ulasan`` root group and the one place every command is registered.

``python -m bot`` is ``ulasan run``. Each command lives in the module named
after it (``ulasan qr`` in ``qr.py``, ``ulasan report ikm`` in
``report_ikm.py``); those modules import their heavy libraries inside the
commands, so ``ulasan --help`` stays fast.
"""

from __future__ import annotations

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ulasan")
def cli() -> None:
    """Ulasan: citizen satisfaction surveys (SKM) and 360° BerAKHLAK reviews on Telegram."""


@click.group("report")
def report_group() -> None:
    """Reports: the SKM/IKM index of PermenPANRB 14/2017."""


def register_commands() -> None:
    """Attach every command to the root group (a second call changes nothing)."""
    from bot.cli import (
        admin,
        alerts,
        check,
        cycle,
        db,
        development,
        export_ekinerja,
        holidays,
        import_roster,
        job,
        link_codes,
        outbox,
        period,
        preview,
        publish,
        qr,
        roster,
        rtl,
        run,
        unit,
    )

    for command in (
        run.run_command,
        check.check_command,
        db.db_group,
        import_roster.import_group,
        roster.roster_group,
        link_codes.link_codes_group,
        qr.qr_command,
        report_group,
        cycle.cycle_group,
        outbox.outbox_group,
        job.job_group,
        admin.admin_group,
        alerts.alerts_group,
        holidays.holidays_group,
        period.period_group,
        preview.preview_group,
        publish.publish_command,
        unit.unit_group,
        rtl.rtl_group,
        export_ekinerja.export_group,
        development.development_group,
    ):
        cli.add_command(command)
    _register_subcommands()


def _register_subcommands() -> None:
    """Commands that live in their own module but belong to a group of another."""
    from bot.cli import (
        calibration,
        consult,
        cycle,
        db,
        db_backup,
        import_roster,
        import_skp,
        report_development,
        report_ikm,
        report_participation,
        report_review,
    )

    import_roster.import_group.add_command(import_skp.import_skp_command)
    report_group.add_command(report_ikm.ikm_command)
    report_group.add_command(report_review.review_command)
    report_group.add_command(report_participation.participation_command)
    report_group.add_command(report_development.development_command)
    db.db_group.add_command(db_backup.backup_command)
    for consult_command in consult.COMMANDS:
        cycle.cycle_group.add_command(consult_command)
    cycle.cycle_group.add_command(calibration.calibration_command)
    cycle.cycle_group.add_command(calibration.calibration_sets_command)
    db.db_group.add_command(db_backup.restore_command)


def main() -> None:
    register_commands()
    cli(prog_name="ulasan")
