"""Start-up and shutdown of ``manage.py runregistry`` (spec §13, §14, decision Q2/Q13):
bad configuration, ``--help``/``--version``, logging, SIGTERM."""

from __future__ import annotations

import concurrent.futures
import json
import re
import subprocess
import sys
from typing import Any

import pytest

from tests.e2e.support import (
    RegistryServer,
    bearer,
    clean_environ,
    client_session,
    free_port,
    instance_body,
    is_listening,
    register,
    run_registry_command,
    unique,
    wait_until,
)

pytestmark = pytest.mark.e2e


# --- configuration errors -----------------------------------------------------------


#: (flags, environment, setting the message must name, bad value it must show)
BAD_CONFIGURATIONS = [
    (["--api_port", "70000"], {}, "api_port", "70000"),
    (["--api_port", "http"], {}, "api_port", "http"),
    (["--api_port"], {}, "api_port", "api_port"),
    (["--min_ttl", "5x"], {}, "min_ttl", "5x"),
    (["--max_ttl=1.5s"], {}, "max_ttl", "1.5s"),
    ([], {"A8_DEFAULT_TTL": "5s"}, "default_ttl", "5s"),
    (["--min_ttl", "1m", "--max_ttl", "30s"], {}, "min_ttl", "30s"),
    (["--auth_mode", "magic"], {}, "auth_mode", "magic"),
    ([], {"A8_AUTH_MODE": "trusted, magic"}, "auth_mode", "magic"),
    (["--auth_mode", "jwt"], {}, "jwt_secret", "jwt"),
    (["--store", "redis"], {}, "store", "redis"),
    (["--store", "mongo"], {}, "store", "mongo"),
    (["--namespace_capacity", "-2"], {}, "namespace_capacity", "-2"),
    (["--namespace_capacity", "many"], {}, "namespace_capacity", "many"),
    (["--log_format", "xml"], {}, "log_format", "xml"),
    (["--log_level", "loud"], {}, "log_level", "loud"),
    ([], {"A8_REQUIRE_HTTPS": "maybe"}, "require_https", "maybe"),
    (["--require_https=maybe"], {}, "require_https", "maybe"),
    (["--nope", "1"], {}, "nope", "nope"),
    (["stray"], {}, "stray", "stray"),
    (["--k8s_url", "k8s:8080"], {}, "k8s_url", "k8s:8080"),
    (["--k8s_token", "t0ken"], {}, "k8s_token", "****"),
    (["--eureka_url", "ftp://eureka/"], {}, "eureka_url", "ftp://eureka/"),
    (["--fs_catalog", "/no/such/dir"], {}, "fs_catalog", "/no/such/dir"),
    (
        ["--replication", "--replication_host", "node-1"],
        {},
        "replication_host",
        "node-1",
    ),
    (["--store_address", "localhost:6379"], {}, "store_address", "localhost:6379"),
]


def _case_id(case):
    flags, env, _, _ = case
    return " ".join([*flags, *(f"{k}={v}" for k, v in env.items())])


@pytest.fixture(scope="module")
def bad_configuration_runs():
    """Run every bad configuration at once (each is a short-lived process).

    Returns case id -> (completed process, port it was given). A process that does
    not exit (serves instead) fails ``run_registry_command``'s timeout.
    """

    def run(case):
        flags, env, setting, _ = case
        port = free_port()
        args = flags if setting == "api_port" else ["--api_port", str(port), *flags]
        return _case_id(case), (run_registry_command(args, env), port)

    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        return dict(pool.map(run, BAD_CONFIGURATIONS))


@pytest.mark.parametrize("case", BAD_CONFIGURATIONS, ids=_case_id)
def test_bad_configuration_exits_2_with_one_line(bad_configuration_runs, case):
    _, _, setting, value = case
    result, port = bad_configuration_runs[_case_id(case)]

    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    [line] = lines
    assert line.startswith("a8registry: "), line
    assert setting in line, line
    assert value in line, line
    assert not is_listening(port)


def test_secret_values_are_not_echoed():
    result = run_registry_command(
        ["--auth_mode", "jwt", "--jwt_secret", "s3cr3t-value", "--store", "redis"]
    )
    assert result.returncode == 2
    assert "s3cr3t-value" not in result.stderr


# --- the .env file -----------------------------------------------------------------


def test_env_file_in_the_working_directory_configures_the_server(tmp_path):
    """``.env`` < real environment < flags."""
    (tmp_path / ".env").write_text(
        "A8_AUTH_MODE=trusted\nA8_DEFAULT_TTL=45s\nA8_MAX_TTL=60s\nA8_MIN_TTL=20s\n"
    )
    server = RegistryServer(
        tmp_path / "registry.log",
        ["--max_ttl", "2m"],
        env={"A8_DEFAULT_TTL": "40s"},
    )
    try:
        server.start()
        with client_session() as http:
            # auth_mode from the file: no token, no namespace
            response = http.get(server.url("/api/v1/services"))
            assert response.status_code == 401, response.text
            token = bearer(unique("ns"))
            defaulted = register(http, server, instance_body(unique()), token)
            assert defaulted["ttl"] == 40  # the environment wins over the file
            long = register(http, server, instance_body(unique(), ttl=100), token)
            assert long["ttl"] == 100  # the flag (2m) wins over the file (60s)
            short = register(http, server, instance_body(unique(), ttl=11), token)
            assert short["ttl"] == 20  # min_ttl from the file
    finally:
        server.stop()
        server.cleanup()


def test_invalid_env_file_line_exits_2_with_one_line(tmp_path):
    (tmp_path / ".env").write_text("A8_MIN_TTL=5s\nA8_JWT_SECRET: s3cr3t\n")
    result = run_registry_command([], cwd=tmp_path)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "a8registry: invalid line 2 of .env: not NAME=value"
    ]


# --- the Docker healthcheck ------------------------------------------------------------


def test_healthcheck_finds_the_port_the_flags_gave(default_server):
    """``runregistry --api_port N`` stays granian's main process: the port is in its
    command line (``tests/test_healthcheck.py`` has gunicorn's environment)."""
    process = f"/proc/{default_server.pid}"
    result = subprocess.run(
        [sys.executable, "-m", "registry.healthcheck", "--process", process],
        env=clean_environ(),  # no A8_* variable here
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help(flag):
    result = run_registry_command([flag])
    assert result.returncode == 0, result.stderr
    assert "api_port" in result.stdout
    assert "A8_API_PORT" in result.stdout
    assert "auth_mode" in result.stdout
    assert result.stderr == ""


@pytest.mark.parametrize("flag", ["--version", "-v"])
def test_version(flag):
    result = run_registry_command([flag])
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"a8registry \d+\.\d+\.\d+\S*\n", result.stdout), result.stdout
    assert result.stderr == ""


# --- logging ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def json_log_server(tmp_path_factory):
    """``log_format`` from the environment: ``A8_LOG_FORMAT=json``."""
    log = tmp_path_factory.mktemp("json-log") / "registry.log"
    server = RegistryServer(log, env={"A8_LOG_FORMAT": "json"}).start()
    yield server
    try:
        server.stop()
    finally:
        server.cleanup()


def access_lines(log_text: str) -> list[dict[str, Any]]:
    lines = []
    for line in log_text.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("logger") == "registry.access":
            lines.append(record)
    return lines


def test_json_access_log_line_per_request(json_log_server):
    server = json_log_server
    name = unique()
    with client_session() as http:
        responses = [
            http.post(server.url("/api/v1/instances"), json=instance_body(name)),
            http.get(server.url(f"/api/v1/instances?service_name={name}")),
            http.get(server.url("/api/v1/nope")),
            http.get(
                server.url("/api/v1/services"),
                headers={"Authorization": "Bearer other"},
            ),
            http.get(server.url("/api/v1/services"), headers={"X-Request-Id": "abc-1"}),
        ]
    expected = [
        ("POST", "/api/v1/instances", 201, "default"),
        ("GET", f"/api/v1/instances?service_name={name}", 200, "default"),
        ("GET", "/api/v1/nope", 404, ""),
        ("GET", "/api/v1/services", 401, ""),
        ("GET", "/api/v1/services", 200, "default"),
    ]
    ids = [r.headers["X-Request-Id"] for r in responses]
    assert ids[-1] == "abc-1"

    def logged() -> dict[str, list[dict[str, Any]]]:
        by_id: dict[str, list[dict[str, Any]]] = {}
        for record in access_lines(server.log):
            by_id.setdefault(str(record.get("request_id")), []).append(record)
        return by_id

    assert wait_until(lambda: set(ids) <= set(logged()), 5), server.log
    by_id = logged()
    for request_id, response, (method, path, status, namespace) in zip(
        ids, responses, expected, strict=True
    ):
        assert response.status_code == status
        [record] = by_id[request_id]  # exactly one line per request
        assert record["method"] == method
        assert record["path"] == path
        assert record["status"] == status
        assert record["namespace"] == namespace  # empty when unauthenticated
        assert isinstance(record["duration_ms"], int | float)
        assert record["duration_ms"] >= 0
        assert record["request_id"] == request_id
    assert json_log_server.stdout == ""  # logs go to stderr only


def test_json_log_has_only_json_lines(json_log_server):
    """The server's own start-up lines too: log shippers parse every line."""
    with client_session() as http:
        assert http.get(json_log_server.url("/api/v1/services")).status_code == 200
    lines = [line for line in json_log_server.log.splitlines() if line.strip()]
    assert lines
    bad = []
    for line in lines:
        try:
            json.loads(line)
        except ValueError:
            bad.append(line)
    assert bad == []


# --- SIGTERM and log level ----------------------------------------------------------


def test_sigterm_stops_quickly_and_warning_level_has_no_access_log(tmp_path):
    """``--log_level warning`` (flag) wins over ``A8_LOG_LEVEL=debug`` (env)."""
    server = RegistryServer(
        tmp_path / "registry.log",
        ["--log_level", "warning"],
        env={"A8_LOG_LEVEL": "debug"},
    )
    try:
        server.start()
        with client_session() as http:
            assert http.get(server.url("/api/v1/services")).status_code == 200
            assert (
                http.post(
                    server.url("/api/v1/instances"), json=instance_body(unique())
                ).status_code
                == 201
            )
            # An idle keep-alive connection is open while the server stops.
            elapsed = server.terminate()
        assert server.returncode == 0, server.log
        assert elapsed < 8, f"took {elapsed:.1f}s to stop"
        assert not is_listening(server.port)
        log = server.log
        assert "registry.access" not in log
        assert "GET /api/v1/services" not in log
        assert "Traceback" not in log
    finally:
        server.cleanup()
