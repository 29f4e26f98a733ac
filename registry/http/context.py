"""The typed per-request context that middleware and views share.

One :class:`RequestContext` is stored in ``request.META`` under :data:`CONTEXT_KEY`
by :class:`~registry.http.middleware.RequestIdMiddleware` (the outermost handler
that needs one), once per request. Whoever learns something the access log needs
(the request id; the namespace, from the authentication class) sets it on this
object: no ad-hoc attributes on ``HttpRequest`` objects.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

#: Where the context lives in ``request.META`` (a WSGI-style dotted key, so it can
#: never collide with a CGI variable or an ``HTTP_*`` header).
CONTEXT_KEY = "registry.context"


class RequestContext:
    """What is known about one request beyond what Django's request holds."""

    __slots__ = ("namespace", "request_id")

    def __init__(self, request_id: str = "") -> None:
        self.request_id = request_id
        #: The namespace the request was authenticated for ("" until then).
        self.namespace = ""


def request_context(meta: MutableMapping[str, Any]) -> RequestContext:
    """The request's context, created on first use (requests made without the
    middleware, such as DRF's test factory, get one too)."""
    context = meta.get(CONTEXT_KEY)
    if isinstance(context, RequestContext):
        return context
    created = RequestContext()
    meta[CONTEXT_KEY] = created
    return created
