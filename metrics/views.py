"""``GET /metrics``: the Prometheus text exposition.

404 (in the native error format, as for any unknown path) when metrics are off.
With ``metrics_token`` set, the request must carry ``Authorization: Bearer
<token>``; the token is compared in constant time. Not part of the OpenAPI
document: it is for Prometheus, not for API clients (``docs/metrics.md``).
"""

from __future__ import annotations

import hmac
import os

from django.http import HttpRequest, HttpResponse
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.multiprocess import MultiProcessCollector

from metrics.collector import RuntimeCollector
from metrics.instruments import instruments_of
from metrics.multiprocess import MULTIPROC_ENV, is_multiprocess
from registry.api.errors import NATIVE_ERRORS
from registry.resolvers import AuthError, token_from_authorization
from registry.runtime import RegistryRuntime, get_runtime

UNAUTHORIZED = "Authorization failure, invalid token"
#: Text format 0.0.4: what every Prometheus release scrapes (the names used here
#: need nothing newer).
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4


def metrics_view(request: HttpRequest) -> HttpResponse:
    """The exposition of this process (or of every worker, in multiprocess mode)."""
    runtime = get_runtime()
    if not runtime.config.metrics:
        return NATIVE_ERRORS.not_found(request)
    if request.method not in ("GET", "HEAD"):
        response = NATIVE_ERRORS.response(405, NATIVE_ERRORS.method_not_allowed_text)
        response["Allow"] = "GET, HEAD"
        return response
    if not _authorized(request, runtime.config.metrics_token):
        response = NATIVE_ERRORS.response(401, UNAUTHORIZED)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    body = generate_latest(scrape_registry(runtime))
    return HttpResponse(body, content_type=CONTENT_TYPE)


def scrape_registry(runtime: RegistryRuntime) -> CollectorRegistry:
    """What one scrape collects: the counters (this process's, or every worker's
    files merged) and the runtime's scrape-time figures."""
    registry = CollectorRegistry(auto_describe=False)
    instruments = instruments_of(runtime)
    instruments.tallies.fold()  # what the hot paths set aside, counted now
    if is_multiprocess():
        directory = os.environ[MULTIPROC_ENV]
        MultiProcessCollector(registry, directory)  # type: ignore[no-untyped-call]
    else:
        registry.register(instruments.registry)
    registry.register(RuntimeCollector(runtime))
    return registry


def _authorized(request: HttpRequest, token: str) -> bool:
    if not token:
        return True
    try:
        given = token_from_authorization(request.META.get("HTTP_AUTHORIZATION", ""))
    except AuthError:
        return False
    return hmac.compare_digest(given.encode(), token.encode())
