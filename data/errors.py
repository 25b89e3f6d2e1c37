"""What an error may say where users, stored rows or logs at INFO can read it.

``str(exc)`` of a SQLAlchemy error carries the SQL statement and its parameters
(customer names, phones, e-mails); :func:`describe` keeps the exception type and the
first line of the driver's message, with e-mail addresses and phone-like numbers
masked. Full details go to the server log (``log.exception``), never to a row.
"""

from __future__ import annotations

import re

from sqlalchemy.exc import StatementError

__all__ = ["describe", "redact"]

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_PHONE = re.compile(r"(?<!\w)\+?\d[\d .\-]{7,}\d(?!\w)")
MAX_LENGTH = 400


def redact(text: str) -> str:
    """``text`` with e-mail addresses and phone-like numbers masked."""
    return _PHONE.sub("<number>", _EMAIL.sub("<e-mail>", text))


def _first_line(value: object) -> str:
    text = str(value).strip()
    return text.splitlines()[0].strip() if text else ""


def describe(exc: BaseException) -> str:
    """``Type: message`` without SQL statement, parameters or personal data."""
    if isinstance(exc, StatementError):
        orig = exc.orig
        if orig is not None:
            head = f"{type(exc).__name__} ({type(orig).__name__})"
            message = _first_line(orig)
        else:  # args[0] is the message alone; str(exc) appends [SQL: ...] [parameters: ...]
            head = type(exc).__name__
            message = _first_line(exc.args[0]) if exc.args else ""
    else:
        head, message = type(exc).__name__, _first_line(exc)
    text = f"{head}: {redact(message)}" if message else head
    return text[:MAX_LENGTH]
