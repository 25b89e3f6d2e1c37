"""The password policy every new or reset password meets.

At least :data:`MIN_LENGTH` characters, not one of the demo passwords printed in the
README (anyone can read them), and not the username. Checked by
``dispatch.access.admin`` before a password is hashed.
"""

from __future__ import annotations

__all__ = ["DEMO_PASSWORDS", "MIN_LENGTH", "WeakPassword", "check_password"]

MIN_LENGTH = 12
#: The passwords ``tournee demo`` gives its accounts (README, "Demo users").
DEMO_PASSWORDS = frozenset(
    {
        "admin-demo",
        "agent-demo",
        "dispatch-demo",
        "manager-demo",
        "store-demo",
        "tech-demo",
        "technician-demo",
    }
)


class WeakPassword(ValueError):
    """The password does not meet the policy; the message says which rule."""


def check_password(password: str, username: str) -> None:
    """Raise :class:`WeakPassword` naming the first rule ``password`` breaks."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(
            f"password too short: at least {MIN_LENGTH} characters (got {len(password)})"
        )
    folded = password.strip().casefold()
    if folded in DEMO_PASSWORDS or any(
        folded.startswith(d) and len(folded) - len(d) < 4 for d in DEMO_PASSWORDS
    ):
        raise WeakPassword("password refused: it is (or is close to) a demo password")
    if username and folded == username.strip().casefold():
        raise WeakPassword("password refused: it is the username")
