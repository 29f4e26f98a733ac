"""Response headers the registry writes itself, set without Django's per-set checks.

Django's ``response[name] = value`` encodes the name as ASCII and the value as
ISO-8859-1 (MIME-encoding what does not fit) and refuses CR/LF, on every set: a few
microseconds each, several times per heartbeat. The headers written here have
names that are constants and values the registry made itself or validated
(digits, ETags, request ids matched against a pattern), so :func:`set_header` stores
them as Django's setter would have, and :func:`header_items` reads them back as
``response.items()`` would. ``tests/http/test_headers.py`` holds both to Django's
own behaviour, so a Django release that changes how headers are stored fails there.
"""

from __future__ import annotations

from django.http import HttpResponseBase


def set_header(response: HttpResponseBase, name: str, value: str) -> None:
    """``response[name] = value`` for a printable-ASCII ``name`` and ``value``."""
    response.headers._store[name.lower()] = (name, value)


def header_items(response: HttpResponseBase) -> list[tuple[str, str]]:
    """``list(response.items())``: (name, value) in the order they were set."""
    return list(response.headers._store.values())
