"""The request id (spec §2.4): the client's ``X-Request-Id`` if valid, else a new one.

It goes into the request's :class:`~registry.http.context.RequestContext` (created
here, once per request) and back in ``REQUEST_ID`` and ``X-Request-Id``.
"""

from __future__ import annotations

import itertools
import os
import random
import re
import string
import time
import weakref
from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

from registry.http.context import CONTEXT_KEY, RequestContext
from registry.http.headers import set_header

_VALID_REQUEST_ID = re.compile(r"[!-~]{1,200}")


class RequestIds:
    """``<10 letters>_<unix ns>_<counter>`` (spec §2.4); the prefix is per process."""

    def __init__(self) -> None:
        self._new_prefix()
        # A forked worker gets its own prefix (set at the fork, not checked per id).
        _LIVE.add(self)

    def _new_prefix(self) -> None:
        self._prefix = "".join(random.choices(string.ascii_letters, k=10))
        self._counter = itertools.count(1)

    def next(self) -> str:
        return f"{self._prefix}_{time.time_ns()}_{next(self._counter)}"


_LIVE: weakref.WeakSet[RequestIds] = weakref.WeakSet()


def _after_fork() -> None:
    for ids in list(_LIVE):
        ids._new_prefix()


os.register_at_fork(after_in_child=_after_fork)


class RequestIdMiddleware:
    """See the module docstring."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.request_ids = RequestIds()

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        meta = request.META
        incoming = meta.get("HTTP_X_REQUEST_ID", "")
        request_id = (
            incoming
            if _VALID_REQUEST_ID.fullmatch(incoming)
            else self.request_ids.next()
        )
        meta[CONTEXT_KEY] = RequestContext(request_id)
        response = self.get_response(request)
        # Ours, or a client's that matched _VALID_REQUEST_ID: printable ASCII.
        set_header(response, "REQUEST_ID", request_id)
        set_header(response, "X-Request-Id", request_id)
        return response
