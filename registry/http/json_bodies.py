"""Reading JSON request bodies, for both APIs: one nesting limit.

orjson refuses documents nested deeper than 1024 levels when it reads them and 255
when it writes them, and the standard library's reader recurses until Python's
stack limit; a body nested between those limits would get through one and fail
the next with a 500. :data:`~registry.http.transport.MAX_BODY_DEPTH` is checked
once, right after the body is read, so every depth gets the same 400 naming the
limit (the XML reader applies the same limit: ``eureka_compat.xml_codec``).
"""

from __future__ import annotations

from typing import Any

import orjson

from registry.http.transport import MAX_BODY_DEPTH

TOO_DEEP = f"JSON nested deeper than {MAX_BODY_DEPTH} levels"


class JsonBodyError(ValueError):
    """The body is not JSON, or is nested too deep; ``str(err)`` says which."""


def loads_json(body: bytes) -> Any:
    """The body's JSON value (strict UTF-8, as orjson reads it).

    Raises :class:`JsonBodyError`: ``"Malformed JSON"``, or :data:`TOO_DEEP`.
    """
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as err:
        if _brackets(body) > MAX_BODY_DEPTH:  # orjson's own depth limit
            raise JsonBodyError(TOO_DEEP) from err
        raise JsonBodyError("Malformed JSON") from err
    if _brackets(body) > MAX_BODY_DEPTH and _depth(value) > MAX_BODY_DEPTH:
        raise JsonBodyError(TOO_DEEP)
    return value


def _brackets(body: bytes) -> int:
    """An upper bound of the nesting depth, counted in C: when it is within the
    limit (every registration in practice), the walk of :func:`_depth` is skipped."""
    return body.count(b"{") + body.count(b"[")


def _depth(value: Any) -> int:
    """Nesting depth of a parsed value, without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_BODY_DEPTH:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest
