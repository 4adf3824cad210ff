"""The 360° instruments the package ships, loaded from their data files.

The instruments are data, not code: ``scheduler/scoring/instruments/<code>.json``
(``berakhlak3``: the regulation's three levels; ``berakhlak5``: the 1–5 peer
scale), every field written out, read by the same loader as a deployment's own
file (`scheduler.scoring.review_instrument_config`). What the fields mean is
`scheduler.scoring.review_instrument`. The texts in the files are message ids,
translated by the ``review`` catalog like any ``N_`` text (the i18n check reads
the files).

A shipped file is never edited in place to change an instrument: a changed scale,
band, item or text is a new instrument (a new file and code), so cycles that ran
on the old one keep their figures (README, "Instruments").

The names below are the loaded objects (the same object as `get_instrument`
returns), read once per process when this module is imported.
"""

from __future__ import annotations

from scheduler.scoring.review_instrument import Instrument, InstrumentError, Item
from scheduler.scoring.review_instrument_config import DEFAULT_CODE, load_shipped, shipped_codes

INSTRUMENTS: dict[str, Instrument] = {code: load_shipped(code) for code in shipped_codes()}

BERAKHLAK_3: Instrument = INSTRUMENTS["berakhlak3"]
BERAKHLAK_5: Instrument = INSTRUMENTS["berakhlak5"]
DEFAULT_INSTRUMENT: Instrument = INSTRUMENTS[DEFAULT_CODE]

# The seven BerAKHLAK core values with their indicators (SE MenPANRB 20/2021), as the
# default instrument states them; the e-Kinerja export and the feedback cards name them.
BERAKHLAK_ITEMS: tuple[Item, ...] = DEFAULT_INSTRUMENT.items


def get_instrument(code: str) -> Instrument:
    """A shipped instrument by code (``berakhlak3``, ``berakhlak5``)."""
    try:
        return INSTRUMENTS[code]
    except KeyError:
        known = ", ".join(sorted(INSTRUMENTS))
        raise InstrumentError(f"unknown instrument {code!r} (known: {known})") from None
