"""Clean and mask free text typed by people before it is stored.

Citizens write comments ("petugas di loket 3 lambat, hubungi saya 0812…"), and
the 360° review reuses the same functions. Two pure functions:

- `clean_text` drops control characters (keeping newlines) and the invisible
  bidirectional overrides that can make a stored comment read differently in
  a report than it was typed.
- `mask_personal_data` replaces identifiers that must not sit in a feedback
  table with a placeholder: e-mail addresses, NIK (16-digit national identity
  and family-card numbers, also written in groups) and Indonesian phone
  numbers (``08…``, ``+62…``, ``62 8…``, landlines such as ``(021) 555-1234``;
  single spaces, dots or dashes between digits are allowed).

Deliberately *not* masked: short numbers (queue numbers, counts), dates,
times, office hours ("08.00-16.00") and money amounts ("Rp 150.000"), so a
comment keeps its meaning. A run of more than 16 digits is not a NIK and is
left alone; a phone number directly followed by another number ("0812… 12
kali") is still masked.
"""

from __future__ import annotations

import re
import unicodedata

NIK_MASK = "[NIK]"
PHONE_MASK = "[TELEPON]"
EMAIL_MASK = "[EMAIL]"

# One optional separator between two digits (never a newline: that ends a number).
_SEP = r"[ .\-]?"

_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])"
)

# Exactly 16 digits, plain or grouped, not preceded or followed by more digits
# (even across one separator): a window of a longer number is not a NIK.
_NIK = re.compile(rf"(?<![\w+])(?<!\d[ .\-])\d(?:{_SEP}\d){{15}}(?!\w)(?![ .\-]\d)")

_PHONE = re.compile(
    r"(?<![\w+])(?:"
    # mobile, national: 08 + 8–11 digits (10–13 digits in all)
    rf"0{_SEP}8(?:{_SEP}\d){{8,11}}"
    # international: +62, optional (0), then 8–12 national digits (mobile or landline)
    rf"|\+{_SEP}62{_SEP}(?:\(0\){_SEP})?\(?[1-9]\)?(?:{_SEP}\(?\d\)?){{7,11}}"
    # 62 without the plus only for mobiles (62 8…), so amounts like 62.500 stay
    rf"|62{_SEP}8(?:{_SEP}\d){{8,11}}"
    # landline: (0xx) or 0xx/0xxx area code, then 5–8 digits in one or two groups
    r"|\(0[2-9]\d{1,2}\)[ .\-]?\d{3,4}[ .\-]?\d{2,4}"
    r"|0[2-79]\d{1,2}[ .\-]\d{3,4}(?:[ .\-]?\d{2,4})?"
    r")(?!\w)"
)

# Bidirectional embedding/override/isolate marks: invisible, but they reorder text.
_BIDI = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])


def clean_text(text: str) -> str:
    """Drop control characters (keep newlines; tabs become spaces) and trim the ends."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    text = text.translate(_BIDI)
    kept = [ch for ch in text if ch == "\n" or unicodedata.category(ch) != "Cc"]
    return "".join(kept).strip()


def mask_personal_data(text: str) -> str:
    """Replace e-mail addresses, NIK and phone numbers with placeholders."""
    text = _EMAIL.sub(EMAIL_MASK, text)
    text = _NIK.sub(NIK_MASK, text)
    return _PHONE.sub(PHONE_MASK, text)
