"""The body limit middleware: chunked bodies whose framing is broken are a 400 in
each API's format (hardening: gunicorn's InvalidChunkSize used to be a 500)."""

from __future__ import annotations

import io

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from gunicorn.http.errors import ChunkMissingTerminator, InvalidChunkSize

from registry.http.middleware.body_limit import BodyLimitMiddleware


class BrokenChunks(io.RawIOBase):
    """A server's body reader that meets bad chunk framing."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def read(self, size: int = -1) -> bytes:
        raise self.error


@pytest.mark.parametrize(
    "error",
    [InvalidChunkSize(b"zz"), ChunkMissingTerminator(b"x"), ConnectionResetError()],
)
@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/instances", b'{"Error":"Malformed request body"}'),
        ("/eureka/v2/apps/A", b""),
    ],
)
def test_broken_chunk_framing_is_a_400_in_the_api_format(runtime, error, path, body):
    reached = []
    middleware = BodyLimitMiddleware(lambda request: reached.append(request))  # type: ignore[arg-type,return-value]
    request = RequestFactory().post(path, b"", content_type="application/json")
    request.META.pop("CONTENT_LENGTH", None)
    request.META["HTTP_TRANSFER_ENCODING"] = "chunked"
    request.META["wsgi.input"] = BrokenChunks(error)

    response = middleware(request)

    assert isinstance(response, HttpResponse)
    assert (response.status_code, response.content) == (400, body)
    assert reached == []  # the view never saw it
