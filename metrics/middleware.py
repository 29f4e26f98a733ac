"""Requests by route template, method and status class, with their latency.

The outermost middleware when metrics are on; when they are off it raises
``MiddlewareNotUsed`` once, at start-up, and Django leaves it out of the chain.

Per request it costs two clock reads, one dict lookup and one deferred
observation (an append, :mod:`metrics.tally`): the label values are derived once
per (route, method, status class) and the histogram child's observer is kept, so
prometheus-client's label lookup and its locks are not on the request path.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from typing import Final

from django.core.exceptions import MiddlewareNotUsed
from django.http import HttpRequest, HttpResponseBase

from metrics.instruments import instruments_of
from registry.runtime import get_runtime

#: The route label of a request no route matched: an unknown path, or one refused
#: before routing (413, 415, HTTPS redirect).
UNMATCHED: Final = "unmatched"
#: Methods kept as they are; any other is counted as ``other``.
METHODS: Final = frozenset(("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"))
STATUS_CLASSES: Final = ("1xx", "2xx", "3xx", "4xx", "5xx")

_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")
_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")


def route_template(route: str | None) -> str:
    """A resolved route as a template: ``api/v1/^instances/(?P<pk>[^/.]+)$`` ->
    ``/api/v1/instances/{pk}``; ``None`` (nothing matched) -> ``unmatched``."""
    if route is None:
        return UNMATCHED
    text = route.replace("^", "").replace("$", "").replace("/?", "/")
    text = _GROUP.sub(r"{\1}", text)
    return "/" + _CONVERTER.sub(r"{\1}", text)


class RequestMetricsMiddleware:
    """Observes every response's latency under its route template."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        runtime = get_runtime()
        if not runtime.config.metrics:
            raise MiddlewareNotUsed("metrics are off")
        self.get_response = get_response
        instruments = instruments_of(runtime)
        self._histogram = instruments.http_duration
        self._tallies = instruments.tallies
        self._lock = threading.Lock()
        self._observers: dict[tuple[str | None, str, int], Callable[[float], None]] = {}

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        match = request.resolver_match
        method = request.method if request.method in METHODS else "other"
        key = (
            match.route if match is not None else None,
            method,
            response.status_code // 100,
        )
        observe = self._observers.get(key)
        if observe is None:
            observe = self._observer(key)
        observe(elapsed)
        return response

    def _observer(self, key: tuple[str | None, str, int]) -> Callable[[float], None]:
        route, method, status_class = key
        status = STATUS_CLASSES[min(max(status_class, 1), 5) - 1]
        child = self._histogram.labels(route_template(route), method, status)
        with self._lock:  # one deferred observer per key, whichever thread wins
            if key not in self._observers:
                self._observers[key] = self._tallies.histogram(child)
            return self._observers[key]
