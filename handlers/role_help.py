"""``/id`` for anyone, and the parts of ``/help`` for admins and unit heads.

``/id`` tells a person their Telegram user id, the number an admin needs to
make them a unit admin (``ulasan admin add``) or a city-wide admin
(``ADMIN_IDS``). ``/help`` (``handlers/common.py``) adds `role_sections`: what
an admin (city-wide or of some units) and what a unit head can do from
Telegram, so nobody has to guess a command.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from bot.core.i18n import Translate
from handlers.context import BotContext
from storage.roles import Roles


async def id_command(update: Update, context: BotContext) -> None:
    """``/id``: the user's Telegram id (and the group's, in a group)."""
    _ = await context.gettext(update)
    user = update.effective_user
    message = update.effective_message
    if user is None or message is None:
        return
    text = _(
        "Your Telegram user id is {id}.\n\n"
        "An administrator needs this number to give you access, for example as the "
        "admin of a unit. It is not secret, but share it only with your admin."
    ).format(id=user.id)
    chat = update.effective_chat
    if chat is not None and chat.type != chat.PRIVATE:
        text += "\n" + _("This group's chat id is {id}.").format(id=chat.id)
    await message.reply_text(text)


def role_sections(roles: Roles, _: Translate) -> list[str]:
    """The help of each role this person has (none for a citizen or a plain employee)."""
    sections = []
    if roles.is_admin:
        sections.append(_admin_help(roles, _))
    if roles.is_head:
        sections.append(
            _(
                "For unit heads:\n"
                "/ikm: your unit's IKM for this month, last month or a month you choose, per "
                "sub-unit and per service, with a chart\n"
                "/tim: how far your team (your unit and the units below it) is with the "
                "360° reviews and the supervisors' monthly feedback"
            )
        )
        sections.append(
            _("/rtl: the follow-up plan (RTL) of a closed SKM period, and verifying its lines")
        )
        sections.append(
            _(
                "/periode: your unit's SKM periods: their status, the figures, approving them "
                "and publishing a correction as the next version"
            )
        )
    if roles.employee_id is not None:
        sections.append(_("/tugas: the follow-up (RTL) lines you are responsible for"))
        sections.append(
            _(
                "Performance (SKP):\n"
                "/capaian: log an achievement against an SKP line, with evidence\n"
                "/umpanbalik: the feedback you received (and, as a supervisor, gave)\n"
                "/catat: a note about a subordinate (supervisors)\n"
                "/ekspektasi: a special expectation for a subordinate (supervisors)\n"
                "/ekinerja: your subordinates' feedback as text to paste into e-Kinerja "
                "(supervisors)"
            )
        )
    return sections


def _admin_help(roles: Roles, _: Translate) -> str:
    lines = [
        _("For administrators (BKPSDM: every unit):")
        if roles.admin.city_wide
        else _("For administrators of your units (and the units below them):"),
        _(
            "• Send a roster file (CSV or XLSX: units, services, employees or SKP lines) to "
            "import it; "
            "I check every row and show what would change before anything is written"
        ),
        _("/laporan: the IKM report and the 360° cycle report of your units as documents"),
        _("/kode: account-link codes for a unit's employees who have none yet"),
        _("/poster: the QR posters of a unit's services in one PDF, to print"),
        _("/periode: the SKM periods of your units: status, approval, corrections"),
    ]
    if roles.admin.city_wide:
        lines += [
            _("/siklus: open, follow and close 360° review cycles"),
            _("/status: scheduled jobs and the outbox"),
            _("/admin: make linked staff admins of a unit, or stop it"),
            _(
                "/predikat: record, show or remove the predikat mix that applies "
                "(SE MenPANRB 03/2023) for a cycle"
            ),
        ]
    return "\n".join(lines)


HANDLERS: list[BaseHandler] = [CommandHandler("id", id_command)]
