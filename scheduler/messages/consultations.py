"""The message that invites the ASN of a unit to a consultation on example behaviours.

Its button (``kun:<consultation id>``) opens the consultation in ``/konsultasi``
(``handlers/consultation.py``). The closing time arrives formatted in the
reader's language.
"""

from __future__ import annotations

from bot.core.i18n import Translate

OPEN_CALLBACK = "kun:"


def invitation_text(_: Translate, *, name: str, until: str) -> str:
    return "\n\n".join(
        [
            _("Consultation: examples of the BerAKHLAK core values for “{name}”").format(name=name),
            _(
                "Before the next 360° cycle, you can help decide what the criteria look like "
                "in our work: propose examples of behaviour (contoh perilaku) for each "
                "indicator, and vote for the examples you find clearest (one vote per "
                "indicator). The indicators themselves are the regulation's and do not change."
            ),
            _(
                "Open until {until}. Colleagues never see who proposed what; HR sees the "
                "results and adopts examples into the criteria (/kriteria)."
            ).format(until=until),
        ]
    )


def invitation_button(_: Translate, consultation_id: int) -> list[list[dict[str, str]]]:
    return [[{"text": _("Take part"), "callback_data": f"{OPEN_CALLBACK}{consultation_id}"}]]
