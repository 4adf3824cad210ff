"""The SKM questionnaire of PermenPANRB 14/2017 as data (texts are catalog message ids).

Codes U1…U9 are stable and tied to their element: U8 is complaint handling
(pengaduan), U9 is facilities (sarana). The survey asks them in the order of
the regulation's list of unsur (U1…U9); with equal weights the IKM does not
depend on the order. Answers are scored 1 (worst) to 4 (best) and shown as
buttons from worst to best.

Message ids are English; the Indonesian catalog carries the regulation's own
wording. Translate with ``gettext_for(language)(text)``.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.i18n import N_


@dataclass(frozen=True)
class Unsur:
    code: str
    name: str
    question: str
    options: tuple[str, str, str, str]  # scores 1, 2, 3, 4
    about_officer: bool = False


UNSUR: tuple[Unsur, ...] = (
    Unsur(
        "U1",
        N_("Requirements"),
        N_("How well do the service requirements match the type of service?"),
        (N_("Not appropriate"), N_("Less appropriate"), N_("Appropriate"), N_("Very appropriate")),
    ),
    Unsur(
        "U2",
        N_("Systems, mechanisms and procedures"),
        N_("How easy is the service procedure at this unit?"),
        (N_("Not easy"), N_("Less easy"), N_("Easy"), N_("Very easy")),
    ),
    Unsur(
        "U3",
        N_("Completion time"),
        N_("How fast was the service delivered?"),
        (N_("Not fast"), N_("Less fast"), N_("Fast"), N_("Very fast")),
    ),
    Unsur(
        "U4",
        N_("Cost/tariff"),
        N_("How fair is the cost/tariff of the service?"),
        (N_("Very expensive"), N_("Quite expensive"), N_("Cheap"), N_("Free of charge")),
    ),
    Unsur(
        "U5",
        N_("Product specification of the service"),
        N_(
            "How well does the service product listed in the service standard match "
            "what you received?"
        ),
        (N_("Not appropriate"), N_("Less appropriate"), N_("Appropriate"), N_("Very appropriate")),
    ),
    Unsur(
        "U6",
        N_("Competence of the officers"),
        N_("How competent/capable were the officers in providing the service?"),
        (N_("Not competent"), N_("Less competent"), N_("Competent"), N_("Very competent")),
        about_officer=True,
    ),
    Unsur(
        "U7",
        N_("Behaviour of the officers"),
        N_("How polite and friendly were the officers in providing the service?"),
        (
            N_("Not polite and friendly"),
            N_("Less polite and friendly"),
            N_("Polite and friendly"),
            N_("Very polite and friendly"),
        ),
        about_officer=True,
    ),
    Unsur(
        "U8",
        N_("Handling of complaints, suggestions and feedback"),
        N_("How are complaints from service users handled?"),
        (
            N_("There is none"),
            N_("Exists but does not work"),
            N_("Works, but not at its best"),
            N_("Well managed"),
        ),
    ),
    Unsur(
        "U9",
        N_("Facilities and infrastructure"),
        N_("What is the quality of the facilities and infrastructure?"),
        (N_("Poor"), N_("Fair"), N_("Good"), N_("Very good")),
    ),
)

UNSUR_BY_CODE: dict[str, Unsur] = {u.code: u for u in UNSUR}
SCORES: tuple[int, ...] = (1, 2, 3, 4)

# Respondent profile used by SKM reports: (field, stored value, label message id).
PROFILE: dict[str, tuple[tuple[str, str], ...]] = {
    "age_group": (
        ("lt20", N_("Under 20")),
        ("20-29", N_("20–29")),
        ("30-39", N_("30–39")),
        ("40-49", N_("40–49")),
        ("50-59", N_("50–59")),
        ("60+", N_("60 or older")),
    ),
    "gender": (
        ("m", N_("Male")),
        ("f", N_("Female")),
    ),
    "education": (
        ("sd", N_("Primary school or less")),
        ("smp", N_("Junior high school")),
        ("sma", N_("Senior high school")),
        ("diploma", N_("Diploma (D1–D4)")),
        ("s1", N_("Bachelor (S1)")),
        ("s2", N_("Master or doctorate (S2+)")),
    ),
    "occupation": (
        ("asn", N_("Civil servant/TNI/Polri")),
        ("private", N_("Private employee")),
        ("self", N_("Self-employed")),
        ("student", N_("Student")),
        ("other", N_("Other")),
    ),
}

PROFILE_TITLES: dict[str, str] = {
    "age_group": N_("Age"),
    "gender": N_("Gender"),
    "education": N_("Highest education"),
    "occupation": N_("Occupation"),
}
