"""Every import kind by name: importing this module registers the built-in kinds.

Kept apart from ``kinds`` (the base class and the ``register`` decorator the kind
modules use), so the kind modules and the registry never import each other.
"""

from __future__ import annotations

from typing import Any

from dispatch.intake import customers, orders, purchases, tickets
from dispatch.intake.kinds import REGISTRY, Kind

BUILTIN = (customers, orders, purchases, tickets)  # each registers its kind on import


def get(name: str) -> Kind[Any]:
    """A fresh importer of that kind (one per import: it holds the file's state)."""
    try:
        return REGISTRY[name]()
    except KeyError:
        raise ValueError(
            f"unknown import kind {name!r}; expected one of {', '.join(names())}"
        ) from None


def names() -> tuple[str, ...]:
    return tuple(REGISTRY)
