"""One client's keep-alive connections reach every worker process of a registry.

granian's workers accept on the one listening socket the main process shares; the
kernel hands each new connection to one of them. A client that holds many
keep-alive connections (a sidecar, a load balancer) must not pin them all to one
worker. ``/uptime`` names the worker that answered (``pid``).
"""

from __future__ import annotations

import contextlib
from collections import Counter

import pytest

from tests.e2e.support import RegistryServer, client_session
from tests.redis.support import Stack, store_flags, wait_for

pytestmark = pytest.mark.e2e

CONNECTIONS = 16
REQUESTS_PER_CONNECTION = 3


@pytest.fixture(scope="module")
def registry(stack: Stack) -> RegistryServer:
    return stack.registry(*store_flags(stack.redis()), "--workers", "2")


def worker_pids(server: RegistryServer) -> set[int]:
    """The registry's worker processes: the children of the pid we started."""
    children = f"/proc/{server.pid}/task/{server.pid}/children"
    with open(children) as file:
        return {int(pid) for pid in file.read().split()}


def answering_pid(registry: RegistryServer) -> int:
    """The worker that answers a new connection."""
    with client_session() as session:
        response = session.get(registry.url("/uptime"), timeout=5)
        return int(response.json()["UPTIME"]["properties"]["pid"])


def test_keep_alive_connections_reach_both_workers(registry):
    workers = wait_for(
        lambda: (pids := worker_pids(registry)) and len(pids) == 2 and pids,
        10,
        "two worker processes",
    )
    # A worker still importing the app accepts nothing yet: wait until both
    # have answered, so the connections below meet two ready workers.
    answered: set[int] = set()

    def both_answered() -> bool:
        answered.add(answering_pid(registry))
        return answered == workers

    wait_for(both_answered, 20, "both workers answering")
    served: Counter[int] = Counter()
    per_connection = []
    with contextlib.ExitStack() as stack:
        sessions = [stack.enter_context(client_session()) for _ in range(CONNECTIONS)]
        for _ in range(REQUESTS_PER_CONNECTION):
            for session in sessions:
                response = session.get(registry.url("/uptime"), timeout=5)
                # 503 while the store's circuit is not closed yet: still a worker.
                assert response.status_code in (200, 503), response.text
                served[response.json()["UPTIME"]["properties"]["pid"]] += 1
        for session in sessions:  # a keep-alive connection stays with its worker
            pids = {
                session.get(registry.url("/uptime")).json()["UPTIME"]["properties"][
                    "pid"
                ]
                for _ in range(2)
            }
            per_connection.append(len(pids))
    assert set(served) == workers, served
    assert per_connection == [1] * CONNECTIONS
