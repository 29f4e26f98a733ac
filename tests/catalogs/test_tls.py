"""TLS verification of the Eureka and Kubernetes clients (decisions.md Q25).

The servers present a self-signed certificate for 127.0.0.1 made with openssl:
verification is on by default (and fails), ``*_ca_file`` makes it pass, and
``*_insecure`` turns it off.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from lightkube.resources.core_v1 import Pod

from catalogs.eureka_mirror import EurekaFetchError, EurekaMirror
from catalogs.kubernetes import KubernetesConnection
from catalogs.tls import client_ssl_context
from registry.config import ConfigError, parse_config
from registry.store.clock import SystemClock
from tests.catalogs.fakes import FakeKubernetes, FixtureEureka
from tests.catalogs.test_eureka_mirror import ORDERS_ID, applications, instance

pytestmark = pytest.mark.skipif(not shutil.which("openssl"), reason="needs openssl")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    tmp = tmp_path_factory.mktemp("tls")
    cert, key = tmp / "cert.pem", tmp / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return str(cert), str(key)


@pytest.fixture
def eureka(certificate: tuple[str, str]) -> Iterator[FixtureEureka]:
    server = FixtureEureka().serve_tls(*certificate).start()
    server.documents["/apps"] = applications("1", "UP_1_", instance("orders-1"))
    yield server
    server.stop()


def test_eureka_verifies_by_default(eureka):
    mirror = EurekaMirror([eureka.base], SystemClock(), 30, client_ssl_context())
    with pytest.raises(EurekaFetchError, match="CERTIFICATE_VERIFY_FAILED"):
        mirror.refresh()
    assert mirror.catalog.list_instances() == []


@pytest.mark.parametrize("setting", ["ca_file", "insecure"])
def test_eureka_with_a_ca_bundle_or_insecure(eureka, certificate, setting):
    context = (
        client_ssl_context(ca_file=certificate[0])
        if setting == "ca_file"
        else client_ssl_context(insecure=True)
    )
    mirror = EurekaMirror([eureka.base], SystemClock(), 30, context)
    mirror.refresh()
    assert [r.id for r in mirror.catalog.list_instances()] == [ORDERS_ID]


def test_kubernetes_verifies_against_the_ca_bundle(certificate):
    fake = FakeKubernetes().serve_tls(*certificate).start()
    try:
        for context, works in [
            (client_ssl_context(), False),
            (client_ssl_context(ca_file=certificate[0]), True),
            (client_ssl_context(insecure=True), True),
        ]:
            client = KubernetesConnection(fake.url, "", context).client()
            try:
                if works:
                    assert list(client.list(Pod, namespace="default")) == []
                else:
                    with pytest.raises(Exception, match="CERTIFICATE_VERIFY_FAILED"):
                        list(client.list(Pod, namespace="default"))
            finally:
                client.close()
    finally:
        fake.stop()


def test_a_ca_bundle_that_is_not_pem_is_a_configuration_error(tmp_path: Path):
    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate")
    for source in ("k8s", "eureka"):
        url = f"--{source}_url=https://127.0.0.1:1"
        with pytest.raises(ConfigError) as err:
            parse_config([url, f"--{source}_ca_file={bad}"], {})
        assert err.value.setting == f"{source}_ca_file"
        assert err.value.reason.startswith("not a PEM CA bundle")


def test_a_pem_ca_bundle_is_accepted(certificate):
    config = parse_config(
        ["--k8s_url=https://k", f"--k8s_ca_file={certificate[0]}"], {}
    )
    assert config.k8s_ca_file == certificate[0]
