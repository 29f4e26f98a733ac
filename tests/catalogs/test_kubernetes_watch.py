"""The Kubernetes source (lightkube) against a fake API server on loopback."""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import orjson
import pytest

from catalogs.kubernetes import (
    KubernetesConnection,
    KubernetesSource,
    KubernetesWatchers,
)
from registry.store.clock import SystemClock
from tests.catalogs.fakes import (
    FakeKubernetes,
    endpoint_slice,
    endpoints,
    pod,
    wait_for,
)

NS = "shop"
HTTP_PORT = [{"name": "http", "port": 8080, "protocol": "TCP"}]


@pytest.fixture
def fake() -> Iterator[FakeKubernetes]:
    server = FakeKubernetes(token="s3cret", bookmark_every=0.2).start()
    server.put("pods", NS, pod("web-1", "uid-1", {"app": "web"}, {"team": "a"}))
    server.put("endpoints", NS, endpoints("web", [("10.0.0.1", "web-1")], HTTP_PORT))
    yield server
    server.stop()


def make_source(fake: FakeKubernetes, resync: float = 30.0, token: str = "s3cret"):
    connection = KubernetesConnection(fake.url, token, resync=resync)
    return KubernetesSource(NS, NS, connection, SystemClock())


@pytest.fixture
def source(fake: FakeKubernetes) -> Iterator[KubernetesSource]:
    made = make_source(fake)
    made.start()
    yield made
    made.stop(deadline=time.monotonic() + 0.3)


def ids(source: KubernetesSource) -> set[str]:
    return {record.id for record in source.catalog.list_instances()}


def version_of(request: str) -> str | None:
    values = parse_qs(urlsplit(request).query).get("resourceVersion")
    return values[-1] if values else None


def test_lists_then_watches_from_the_lists_version(fake, source):
    wait_for(lambda: ids(source) == {"uid-1-8080"})
    record = source.catalog.get_instance("uid-1-8080")
    assert (record.endpoint.type, record.endpoint.value) == ("http", "10.0.0.1:8080")
    assert record.tags == ("app=web",)
    assert orjson.loads(record.metadata or b"") == {"team": "a"}
    listed_at = str(fake.version)
    wait_for(lambda: fake.watches("endpoints"))
    assert version_of(fake.watches("endpoints")[0]) == listed_at

    fake.put("endpoints", NS, endpoints("api", [("10.0.0.2", None)], HTTP_PORT))
    wait_for(lambda: "10.0.0.2-8080" in ids(source))
    assert source.catalog.get_instance("10.0.0.2-8080").status == ""
    assert source.state.status.synced
    assert len(fake.lists("endpoints")) == 1


def test_a_closed_watch_resumes_from_the_last_version_seen(fake, source):
    wait_for(lambda: fake.watches("endpoints"))
    fake.put("endpoints", NS, endpoints("api", [("10.0.0.2", None)], HTTP_PORT))
    wait_for(lambda: "10.0.0.2-8080" in ids(source))
    seen = str(fake.version)
    watches = len(fake.watches("endpoints"))
    fake.close_watches()
    wait_for(lambda: len(fake.watches("endpoints")) > watches)
    assert int(version_of(fake.watches("endpoints")[-1]) or 0) >= int(seen)
    fake.delete("endpoints", NS, "api")
    wait_for(lambda: "10.0.0.2-8080" not in ids(source))
    assert source.catalog.list_services() == ["web"]
    assert len(fake.lists("endpoints")) == 1  # resumed, never listed again


def test_bookmarks_move_the_resume_point(fake, source):
    pods = source.watches[1]
    wait_for(lambda: fake.watches("pods"))
    fake.put("endpoints", NS, endpoints("other", [("10.0.0.9", None)], HTTP_PORT))
    newest = int(fake.version)  # the pod watch gets no event for it: a bookmark
    wait_for(lambda: pods.version is not None and int(pods.version) >= newest)
    watches = len(fake.watches("pods"))
    fake.close_watches()
    wait_for(lambda: len(fake.watches("pods")) > watches)
    assert int(version_of(fake.watches("pods")[-1]) or 0) >= newest
    assert len(fake.lists("pods")) == 1


def test_410_gone_lists_again(fake, source):
    wait_for(lambda: fake.watches("endpoints"))
    fake.compact()
    fake.put("endpoints", NS, endpoints("late", [("10.0.0.3", None)], HTTP_PORT))
    fake.close_watches()
    wait_for(lambda: len(fake.lists("endpoints")) >= 2)
    wait_for(lambda: "10.0.0.3-8080" in ids(source))
    assert "uid-1-8080" in ids(source)


def test_errors_are_reported_and_retried_with_backoff(fake):
    made = make_source(fake, token="wrong")
    made.start()
    try:
        wait_for(lambda: made.state.status.errors >= 2)
        status = made.state.status
        assert not status.synced
        assert "401" in status.last_error
        assert made.catalog.list_instances() == []
        fake.token = "wrong"  # the server now accepts the token: it recovers
        wait_for(lambda: ids(made) == {"uid-1-8080"}, timeout=5)
        assert made.state.status.synced
    finally:
        made.stop(deadline=time.monotonic() + 0.3)


def test_resync_lists_again_and_drops_what_is_gone(fake):
    made = make_source(fake, resync=0.3)
    made.start()
    try:
        wait_for(lambda: ids(made) == {"uid-1-8080"})
        wait_for(lambda: len(fake.lists("endpoints")) >= 3, timeout=5)
        assert ids(made) == {"uid-1-8080"}
    finally:
        made.stop(deadline=time.monotonic() + 0.3)


def test_pod_changes_rebuild_their_services(fake, source):
    wait_for(lambda: ids(source) == {"uid-1-8080"})
    fake.put("pods", NS, pod("web-1", "uid-1", {"app": "web", "v": "2"}))
    wait_for(
        lambda: source.catalog.get_instance("uid-1-8080").tags == ("app=web", "v=2")
    )
    assert source.catalog.get_instance("uid-1-8080").metadata == b"null"


def test_namespaces_past_the_limit_get_no_source(fake, caplog):
    watchers = KubernetesWatchers(KubernetesConnection(fake.url), SystemClock(), 2)
    first, second = (watchers.source_for(ns, ns) for ns in ("a", "b"))
    assert first is not None
    assert second is not None
    assert watchers.source_for("a", "a") is first
    assert watchers.source_for("c", "c") is None
    assert watchers.source_for("d", "d") is None
    assert len(watchers.sources()) == 2
    assert len([r for r in caplog.records if "namespaces watched" in r.message]) == 1


def test_endpoint_slices_instead_of_endpoints(fake):
    fake.put(
        "endpointslices",
        NS,
        endpoint_slice("web-abc", "web", [("10.0.0.1", "web-1", True)], HTTP_PORT),
    )
    connection = KubernetesConnection(fake.url, "s3cret", endpoint_slices=True)
    made = KubernetesSource(NS, NS, connection, SystemClock())
    made.start()
    try:
        wait_for(lambda: ids(made) == {"uid-1-8080"})
        fake.put(
            "endpointslices",
            NS,
            endpoint_slice(
                "web-def",
                "web",
                [("10.0.0.5", None, None), ("10.0.0.6", None, False)],
                HTTP_PORT,
            ),
        )  # a second slice of the same service; 10.0.0.6 is not ready
        wait_for(lambda: ids(made) == {"uid-1-8080", "10.0.0.5-8080"})
        assert made.catalog.list_services() == ["web"]
        assert fake.lists("endpointslices")
        assert not fake.lists("endpoints")
    finally:
        made.stop(deadline=time.monotonic() + 0.3)
