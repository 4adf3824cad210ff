"""Every handler of the bot, registered in one place and in order.

Group 0 holds the features' handlers (the first match wins), with the
payload-specific ``/start`` handlers before the plain one and the replies of
last resort at the very end. Group -1 sees every update first, for the
outbox's bookkeeping of who is reachable.
"""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, BaseHandler

from handlers import (
    account,
    achievements,
    admin_grants,
    alerts,
    calibration,
    calibration_admin,
    cases,
    citizen,
    citizen_entry,
    common,
    consultation,
    consultations_admin,
    criteria,
    cycle_opening,
    cycles_admin,
    delete_data,
    development,
    development_coach,
    development_review,
    ekinerja,
    expectations,
    feedback,
    ikm,
    link_slips,
    notes,
    notification_settings,
    period_approval,
    periods,
    posters,
    predikat_mix,
    reachability,
    reports,
    review,
    review_list,
    review_results,
    role_help,
    roster_upload,
    rtl,
    rtl_input,
    rtl_tasks,
    rtl_verify,
    status,
    team,
    typed_input,
)


def _staff() -> list[BaseHandler[Any, Any, Any]]:
    """Employees and every linked ASN, in the order their patterns must be tried."""
    return [
        # Employees: linking (/akun), the review (the list before the rv: catch-all), /hasil,
        # their development plan (/rencana dp:, the supervisor's dv: and its coach dk:, the
        # check-in dc:).
        *account.HANDLERS,
        *review_list.HANDLERS,
        *calibration.HANDLERS,
        *review.HANDLERS,
        *review_results.HANDLERS,
        *development.HANDLERS,
        *development_coach.HANDLERS,
        *development_review.HANDLERS,
        # Every linked ASN: the 360° criteria (/kriteria, kr:) and the consultation on
        # example behaviours (/konsultasi, ku:, the invitation's kun:).
        *criteria.HANDLERS,
        *consultation.HANDLERS,
    ]


def _admins_and_heads() -> list[BaseHandler[Any, Any, Any]]:
    """Admins, unit heads and supervisors, in the order their patterns must be tried."""
    return [
        # Admins and unit heads: /siklus (the opening flow's catch-all answers any other
        # cy:), the low-score alert's relay (al:), cases (/kasus, ks:, kl:), /status.
        *cycles_admin.HANDLERS,
        *consultations_admin.HANDLERS,
        *calibration_admin.HANDLERS,
        *cycle_opening.HANDLERS,
        *alerts.HANDLERS,
        *cases.HANDLERS,
        *status.HANDLERS,
        # BKPSDM: unit admins (/admin, ad:).
        *admin_grants.HANDLERS,
        # Whoever receives alerts or notes: /pengaturan (pg:).
        *notification_settings.HANDLERS,
        # Admins: /laporan (lp:), /kode (kd:), /poster (ps:); BKPSDM: /predikat (pm:).
        *reports.HANDLERS,
        *predikat_mix.HANDLERS,
        *link_slips.HANDLERS,
        *posters.HANDLERS,
        # Admins: the roster file's import buttons (ru:; the file itself comes through
        # handlers/typed_input.py).
        *roster_upload.HANDLERS,
        # Supervisors and their staff: /catat (ct:), the feedback card and its dialogue (fb:).
        *notes.HANDLERS,
        *feedback.HANDLERS,
        # Supervisors: /ekinerja, the e-Kinerja text of their cards to paste.
        *ekinerja.HANDLERS,
        # Staff: the answer to an expectation (ex:<token>:…), /capaian (cp:).
        *expectations.HANDLERS,
        *achievements.HANDLERS,
        # Unit heads: /tim, /ikm (ik:).
        *team.HANDLERS,
        *ikm.HANDLERS,
        # Unit heads (and admins in scope): an SKM period's close message, its figures per
        # service and the binding approval (pd:); /periode and its corrections (pe:); any
        # other pd: or pe: data is refused.
        *period_approval.HANDLERS,
        *periods.HANDLERS,
        # Unit heads: the follow-up plan (/rtl, rl:) and its binding buttons; owners of its
        # lines: /tugas; any other rl: data is refused last.
        *rtl.HANDLERS,
        *rtl_verify.HANDLERS,
        *rtl_tasks.HANDLERS,
        *rtl_input.FALLBACKS,
    ]


def _everyone_last() -> list[BaseHandler[Any, Any, Any]]:
    """/id, the citizens' way in and survey, typed text, and the replies nobody claimed."""
    return [
        # Anyone: /id (the number an admin needs to add someone).
        *role_help.HANDLERS,
        # Citizens: /hapusdata and the way in (QR code, chooser) before the survey's steps,
        # whose catch-all answers any other sv:, sp: or hd:.
        *delete_data.HANDLERS,
        *citizen_entry.HANDLERS,
        *citizen.HANDLERS,
        # Typed text, offered to each conversation in turn; the greeting and help; and
        # last, the replies to anything nobody claimed.
        *typed_input.HANDLERS,
        *common.HANDLERS,
        *common.FALLBACKS,
    ]


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Every handler of the bot in one ordered list (the module docstring says why)."""
    ordered = [*_staff(), *_admins_and_heads(), *_everyone_last()]
    application.add_handlers(ordered, group=0)
    # Before every feature: a user the outbox marked unreachable (403) who writes or
    # presses anything is reachable again (a set lookup per update, no query).
    application.add_handlers(reachability.HANDLERS, group=-1)
    application.add_error_handler(common.error_handler)
