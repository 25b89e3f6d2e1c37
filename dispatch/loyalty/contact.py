"""Normalising customer contact details: French phone numbers to E.164, e-mails.

Members are identified by phone or e-mail (no card), so the same person must
normalise to the same string whatever way the number was typed.
"""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s.\-/\u00a0]")
_TRUNK_ZERO = re.compile(r"\(0\)")
_EMAIL = re.compile(
    r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$"
)


def normalize_phone(s: str) -> str:
    """A phone number in E.164 form, French numbers by default.

    All of ``06 12 34 56 78``, ``06.12.34.56.78``, ``+33612345678``,
    ``0033 6 12 34 56 78``, ``(0)6-12-34-56-78``, ``+33 (0)6 12 34 56 78`` and
    ``612345678`` give ``+33612345678``. A French number is ``0`` + 9 digits,
    or 9 digits without the trunk ``0`` (first digit 1-9). Numbers written with
    another country code (``+32 ...``, ``0032 ...``) are kept as ``+`` and 9 to
    15 digits (E.164's limit), without further checks.

    Raises
    ------
    ValueError
        Naming the input, for anything else (letters, wrong length, ...).
    """
    raw = s
    text = _TRUNK_ZERO.sub("", _SEPARATORS.sub("", str(s)))
    if text.startswith("00"):
        text = "+" + text[2:]
    if text.startswith("+"):
        digits = text[1:]
        if not digits.isdigit():
            raise ValueError(f"not a valid phone number: {raw!r}")
        if digits.startswith("33"):
            national = digits[2:]
            if len(national) == 10 and national.startswith("0"):
                national = national[1:]  # "+33 0 6 ..." written with the trunk 0
            return _french(national, raw)
        if not 9 <= len(digits) <= 15:
            raise ValueError(f"not a valid phone number: {raw!r}")
        return "+" + digits
    if not text.isdigit():
        raise ValueError(f"not a valid phone number: {raw!r}")
    if len(text) == 10 and text.startswith("0"):
        return _french(text[1:], raw)
    return _french(text, raw)


def _french(national: str, raw: str) -> str:
    if len(national) != 9 or not national.isdigit() or national[0] == "0":
        raise ValueError(f"not a valid French phone number: {raw!r}")
    return "+33" + national


def looks_like_email(s: str) -> bool:
    """True when ``s`` (after stripping, any case) has the shape of an e-mail address."""
    text = str(s).strip().lower()
    return len(text) <= 254 and _EMAIL.match(text) is not None


def normalize_email(s: str) -> str:
    """``s`` stripped and lower-cased; ``ValueError`` naming it if it is no e-mail."""
    if not looks_like_email(s):
        raise ValueError(f"not a valid e-mail address: {s!r}")
    return str(s).strip().lower()
