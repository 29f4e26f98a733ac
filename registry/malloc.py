"""Giving freed heap memory back to the system after full garbage collections.

glibc's ``malloc`` raises its trim threshold once large blocks have been freed (to
twice the largest, up to 64 MB), and then keeps that much freed memory at the top
of its heap. What a full garbage collection frees (the reference cycles of many
requests, all at once) stays in the process for good: about 1 KB per instance at
10,000 instances, measured (``bench/memory.py``). After every generation-2
collection, :func:`trim` asks glibc to give the free pages back
(``malloc_trim(0)``: about 2 ms on a 200 MB heap; full collections are rare).
Elsewhere (musl, macOS) nothing is done.
"""

from __future__ import annotations

import ctypes
import gc
from collections.abc import Callable
from typing import Any


def _load() -> Callable[[int], int] | None:
    try:
        trim: Callable[[int], int] = ctypes.CDLL(None).malloc_trim
    except (AttributeError, OSError):  # not glibc
        return None
    return trim


_MALLOC_TRIM = _load()


def trim() -> bool:
    """Return free heap pages to the system; whether this C library can."""
    if _MALLOC_TRIM is None:
        return False
    _MALLOC_TRIM(0)
    return True


def trim_after_full_collections() -> None:
    """Call :func:`trim` after every full garbage collection (once per process)."""
    if _MALLOC_TRIM is not None and _after_collection not in gc.callbacks:
        gc.callbacks.append(_after_collection)


def _after_collection(phase: str, info: dict[str, Any]) -> None:
    if phase == "stop" and info["generation"] == 2:
        trim()
