"""The messages a 360° cycle sends its raters: the opening message and "one more colleague".

Both carry a "Start rating" button (``rv:list``) that the rating conversation
(``handlers/review.py``) answers with the rater's list of reviews. Deadlines
arrive already formatted in the rater's language.
"""

from __future__ import annotations

from bot.core.i18n import Translate

# The rating conversation (handlers/review.py) answers this: the rater's pending colleagues.
START_RATING_CALLBACK = "rv:list"


def opening_text(
    _: Translate, *, name: str, colleagues: int, self_review: bool, deadline: str
) -> str:
    """The opening message: how many colleagues, whether to assess oneself, by when."""
    if colleagues == 0:
        ask = _("You are asked to complete a self-assessment on the BerAKHLAK core values.")
    elif colleagues == 1 and self_review:
        ask = _(
            "You are asked to rate 1 colleague on the BerAKHLAK core values, and to "
            "assess yourself."
        )
    elif colleagues == 1:
        ask = _("You are asked to rate 1 colleague on the BerAKHLAK core values.")
    elif self_review:
        ask = _(
            "You are asked to rate {count} colleagues on the BerAKHLAK core values, and "
            "to assess yourself."
        ).format(count=colleagues)
    else:
        ask = _("You are asked to rate {count} colleagues on the BerAKHLAK core values.").format(
            count=colleagues
        )
    return "\n\n".join(
        [
            _("The 360° review “{name}” has opened.").format(name=name),
            ask,
            _("Please finish by {deadline}.").format(deadline=deadline),
            _(
                "Ratings from peers and subordinates are only ever shown as group results, "
                "never by name."
            ),
        ]
    )


def assigned_text(_: Translate, *, name: str, self_review: bool, deadline: str) -> str:
    if self_review:
        ask = _("You are asked to complete a self-assessment in the 360° review “{name}”.")
    else:
        ask = _("You are asked to rate one more colleague in the 360° review “{name}”.")
    return "\n\n".join(
        [
            ask.format(name=name),
            _("Please finish by {deadline}.").format(deadline=deadline),
        ]
    )


def start_button(_: Translate) -> list[list[dict[str, str]]]:
    return [[{"text": _("Start rating"), "callback_data": START_RATING_CALLBACK}]]
