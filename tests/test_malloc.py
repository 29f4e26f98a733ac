"""registry.malloc: freed memory goes back to the system after full collections."""

from __future__ import annotations

import gc

from registry import malloc


def test_the_registry_trims_after_every_full_collection(monkeypatch):
    assert malloc._after_collection in gc.callbacks  # installed by the app's ready()
    malloc.trim_after_full_collections()
    assert gc.callbacks.count(malloc._after_collection) == 1  # once per process
    calls: list[int] = []

    def counting(pad: int) -> int:
        calls.append(pad)
        return 1

    monkeypatch.setattr(malloc, "_MALLOC_TRIM", counting)
    gc.collect(0)
    gc.collect(1)
    assert calls == []
    gc.collect()
    assert calls == [0]


def test_glibc_gives_free_pages_back():
    """This machine's C library is glibc (Debian), as in the Docker image."""
    assert malloc.trim() is True


def test_without_malloc_trim_nothing_is_done(monkeypatch):
    monkeypatch.setattr(malloc, "_MALLOC_TRIM", None)
    assert malloc.trim() is False
