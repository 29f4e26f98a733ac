"""Fixtures of the Redis end-to-end tests: one :class:`Stack` of processes per module.

Each module builds its Redis topology and registries from the ``stack`` fixture;
everything is stopped by pid when the module ends, also after a failure.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.redis.support import Stack


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    processes = Stack(tmp_path_factory.mktemp("redis-e2e"))
    try:
        yield processes
    finally:
        failures = processes.close()
    assert not failures, failures
