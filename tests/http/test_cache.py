"""Cached bodies kept compressed at rest (registry.http.cache)."""

from __future__ import annotations

import gzip
import random

import pytest

from registry.http.cache import (
    GZIP_MIN_BYTES,
    CachedBody,
    CachedBodyResponse,
    GzipWriter,
    ResponseCache,
    content_length,
)

BODY = b'{"instances":[' + b",".join(b'{"id":"%d"}' % n for n in range(200)) + b"]}"


def gzip_form(body: bytes, piece: int = 7) -> bytes:
    writer = GzipWriter()
    for start in range(0, len(body), piece):
        assert writer.write(memoryview(body)[start : start + piece]) == min(
            piece, len(body) - start
        )
    assert writer.tell() == len(body)
    return writer.finish()


def test_a_gzip_writer_gives_the_gzip_form_of_what_it_was_given():
    assert gzip.decompress(gzip_form(BODY)) == BODY
    assert gzip.decompress(gzip_form(b"")) == b""
    assert gzip_form(BODY, 1) == gzip_form(BODY, 1000)  # the same for the same body


def test_a_compressed_entry_keeps_only_its_gzip_form():
    compressed = CachedBody((1,), gzip_form(BODY), compressed=True)
    assert compressed.compressed
    assert compressed._plain is None
    assert compressed.gzipped() == gzip_form(BODY)
    assert compressed.body == BODY
    assert compressed.body is not compressed.body  # inflated per read, not kept
    # The same validator for the same body, another for another.
    assert compressed.etag == CachedBody((2,), gzip_form(BODY), compressed=True).etag
    assert compressed.etag != CachedBody((1,), gzip_form(BODY[1:]), True).etag


def test_a_small_body_is_kept_plain_even_when_compression_is_asked():
    small = b"x" * (GZIP_MIN_BYTES - 1)
    entry = CachedBody((1,), gzip_form(small), compressed=True)
    assert not entry.compressed
    assert entry.body is entry.body == small
    assert CachedBody((1,), gzip_form(small + b"x"), compressed=True).compressed


@pytest.mark.parametrize(
    ("accept_encoding", "gzipped"),
    [
        ("gzip", True),
        ("deflate, gzip;q=0.5", True),
        ("x-gzip", True),
        ("*", True),
        ("", False),
        ("identity", False),
        ("br", False),
        ("gzip;q=0", False),
        ("*;q=0", False),
    ],
)
def test_a_compressed_entry_is_sent_as_the_request_accepts(accept_encoding, gzipped):
    entry = CachedBody((1,), gzip_form(BODY), compressed=True)
    response = CachedBodyResponse(entry, "application/json", accept_encoding)
    assert response["ETag"] == entry.etag
    if gzipped:
        assert response["Content-Encoding"] == "gzip"
        assert response.content == entry.gzipped()
    else:
        assert not response.has_header("Content-Encoding")
        assert response.content == BODY


def test_a_plain_entry_is_left_to_the_gzip_middleware():
    entry = CachedBody((1,), BODY)
    response = CachedBodyResponse(entry, "application/json", "gzip")
    assert not response.has_header("Content-Encoding")
    assert response.content == BODY


def test_the_response_cache_keeps_what_it_is_asked_to_compress():
    cache = ResponseCache()
    entry = cache.get_or_render("k", (1,), lambda: gzip_form(BODY), compressed=True)
    assert entry.compressed
    assert cache.get_or_render("k", (1,), lambda: b"other") is entry
    assert not cache.get_or_render("other", (1,), lambda: BODY).compressed


@pytest.mark.parametrize("size", [1, 100, 1000, len(BODY), 10**6])
def test_a_compressed_body_is_inflated_in_pieces_of_at_most_the_size_asked(size):
    entry = CachedBody((1,), gzip_form(BODY), compressed=True)
    pieces = list(entry.pieces(size))
    assert b"".join(pieces) == BODY
    assert all(0 < len(piece) <= size for piece in pieces)
    assert len(pieces) == -(-len(BODY) // size)
    assert entry.length == len(BODY)


@pytest.mark.parametrize("size", [1000, 64 * 1024, 256 * 1024])
def test_a_large_body_of_uneven_ratio_is_inflated_whole_in_pieces_near_the_size(size):
    # Text that compresses 100 times beside bytes that do not compress: a step of
    # gzip input inflates to far more, or far less, than ``size``. The body ends
    # in a run whose last step leaves output for the inflater's flush.
    noise = random.Random(7).randbytes(300_000)
    body = b"".join((b'{"a":"b"}' * 40_000, noise, b"x" * 500_000, noise[:1000]) * 3)
    body += b"y" * 3_000_000
    entry = CachedBody((1,), gzip_form(body, piece=65_536), compressed=True)
    pieces = list(entry.pieces(size))
    assert b"".join(pieces) == body
    assert all(0 < len(piece) <= size for piece in pieces)
    assert len(pieces) <= 2 * -(-len(body) // size) + 2


def test_a_plain_body_is_one_piece():
    entry = CachedBody((1,), BODY)
    assert list(entry.pieces(10)) == [BODY]
    assert entry.length == len(BODY)


def test_an_inflating_response_knows_its_length_without_inflating(monkeypatch):
    entry = CachedBody((1,), gzip_form(BODY), compressed=True)
    response = CachedBodyResponse(entry, "application/json", "identity")
    assert response.inflating
    monkeypatch.setattr(
        CachedBody, "body", property(lambda self: pytest.fail("inflated"))
    )
    assert content_length(response) == len(BODY)
    assert b"".join(response) == BODY  # the pieces, inflated as they are taken
    monkeypatch.undo()
    assert response.content == BODY  # whole, for whoever reads it so (tests)
    response.content = b"replaced"
    assert not response.inflating
    assert response.content == b"replaced"
    assert content_length(response) == len(b"replaced")
