"""Single-purpose middleware; ``MIDDLEWARE`` in the settings lists them in this order
(the first is the outermost: it sees the request first and the response last).

* :class:`AccessLogMiddleware`: one access-log line per response, as sent;
* :class:`RequestIdMiddleware`: the request id (spec §2.4), kept in the request's
  :class:`~registry.http.context.RequestContext` and echoed in two headers;
* :class:`GzipMiddleware`: gzip negotiation, ``Content-Length``, ``Vary``;
* :class:`ConditionalGetMiddleware`: ``ETag`` on every GET, 304 on a match;
* :class:`BodyLimitMiddleware`: 413 over the body limit, chunked bodies read;
* :class:`JsonBodyMiddleware`: 415 for non-JSON bodies (where the API wants JSON);
* :class:`HttpsRedirectMiddleware`: 301 to ``https://`` when ``require_https``.

Why this order: the access log times everything and logs the bytes as sent; every
response, refusals included, carries the request id; the ``ETag`` is taken from
the identity body and a 304 is never compressed (conditional runs inside gzip);
an oversized body is drained before anything else answers, then the content type
and HTTPS checks run.

The refusals (413, 415) are written in the error format of the API serving the
path (:mod:`registry.http.apis`). Each class is a plain callable (no
``MiddlewareMixin``): the heartbeat passes through all of them.
"""

from __future__ import annotations

from registry.http.middleware.access_log import AccessLogMiddleware
from registry.http.middleware.body_limit import BodyLimitMiddleware
from registry.http.middleware.compression import GzipMiddleware
from registry.http.middleware.conditional import ConditionalGetMiddleware
from registry.http.middleware.content_type import JsonBodyMiddleware
from registry.http.middleware.https import HttpsRedirectMiddleware
from registry.http.middleware.request_id import RequestIdMiddleware

__all__ = [
    "AccessLogMiddleware",
    "BodyLimitMiddleware",
    "ConditionalGetMiddleware",
    "GzipMiddleware",
    "HttpsRedirectMiddleware",
    "JsonBodyMiddleware",
    "RequestIdMiddleware",
]
