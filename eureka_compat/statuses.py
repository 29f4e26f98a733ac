"""Eureka instance statuses, the override rules and the registry hash code.

See eureka-api.md §5 (statuses and the rule chain applied on register) and §4.6
(``apps__hashcode``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

UP = "UP"
DOWN = "DOWN"
STARTING = "STARTING"
OUT_OF_SERVICE = "OUT_OF_SERVICE"
UNKNOWN = "UNKNOWN"
STATUSES = frozenset({UP, DOWN, STARTING, OUT_OF_SERVICE, UNKNOWN})


def effective_status(own: str, override: str, existing: str | None) -> str:
    """The status a registration ends with (the server's rule chain).

    ``own`` is the status the instance reports, ``override`` the server-side
    override (``UNKNOWN`` when none) and ``existing`` the status of the instance
    being replaced, if any.
    """
    if own not in (UP, OUT_OF_SERVICE):
        return own  # DOWN, STARTING and UNKNOWN always win
    if override != UNKNOWN:
        return override
    if existing in (UP, OUT_OF_SERVICE):
        return existing
    return own


def apps_hashcode(statuses: Iterable[str]) -> str:
    """``<STATUS>_<count>_`` for every status present, statuses sorted by name."""
    counts = Counter(statuses)
    return "".join(f"{status}_{counts[status]}_" for status in sorted(counts))
