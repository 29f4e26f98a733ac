"""Request ids (spec §2.4): ``<10 letters>_<unix ns>_<counter>``, a prefix per process."""

from __future__ import annotations

import os
import re

from registry.http.middleware.request_id import RequestIds

REQUEST_ID = re.compile(r"([A-Za-z]{10})_(\d+)_(\d+)")


def test_ids_count_up_under_one_prefix():
    ids = RequestIds()
    first, second = (REQUEST_ID.fullmatch(ids.next()) for _ in range(2))
    assert first is not None
    assert second is not None
    assert first[1] == second[1]
    assert (int(first[3]), int(second[3])) == (1, 2)
    assert int(first[2]) <= int(second[2])


def test_a_forked_worker_gets_its_own_prefix_and_counter():
    ids = RequestIds()
    parent = REQUEST_ID.fullmatch(ids.next())
    assert parent is not None
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report its next id, then leave at once
        try:
            os.write(write, ids.next().encode())
        finally:
            os._exit(0)
    os.close(write)
    try:
        child_id = os.read(read, 100).decode()
    finally:
        os.close(read)
        os.waitpid(pid, 0)
    child = REQUEST_ID.fullmatch(child_id)
    assert child is not None, child_id
    assert child[1] != parent[1]
    assert child[3] == "1"
    assert REQUEST_ID.fullmatch(ids.next())[1] == parent[1]  # type: ignore[index]
