"""``python -m registry.healthcheck`` (the Docker HEALTHCHECK) against a fake /proc."""

from __future__ import annotations

import http.server
import threading

import pytest

from registry import healthcheck
from registry.config import RegistryConfig
from tests.e2e.support import free_port


def fake_process(tmp_path, cmdline, environ, env_file=None):
    """A directory shaped like /proc/<pid>: cmdline, environ, cwd/."""
    process = tmp_path / "proc"
    (process / "cwd").mkdir(parents=True)
    (process / "cmdline").write_bytes(b"".join(a.encode() + b"\0" for a in cmdline))
    (process / "environ").write_bytes(
        b"".join(f"{k}={v}".encode() + b"\0" for k, v in environ.items())
    )
    if env_file is not None:
        (process / "cwd" / ".env").write_text(env_file)
    return process


GUNICORN = ["python", "-m", "gunicorn", "-c", "/app/registry_project/gunicorn.conf.py"]


@pytest.mark.parametrize(
    ("cmdline", "environ", "env_file", "port"),
    [
        (GUNICORN, {"PATH": "/bin"}, None, 8080),  # the default
        (GUNICORN, {"A8_API_PORT": "9001"}, None, 9001),  # -e A8_API_PORT
        (GUNICORN, {}, "A8_API_PORT=9002\n", 9002),  # .env beside the registry
        (GUNICORN, {"A8_API_PORT": "9003"}, "A8_API_PORT=1\n", 9003),
        # runregistry before it execs gunicorn: its flags win over the variable
        (
            ["python", "manage.py", "runregistry", "--api_port", "9004"],
            {"A8_API_PORT": "9"},
            None,
            9004,
        ),
    ],
)
def test_running_config_finds_the_port_wherever_it_was_given(
    tmp_path, cmdline, environ, env_file, port
):
    process = fake_process(tmp_path, cmdline, environ, env_file)
    assert healthcheck.running_config(process).api_port == port


def test_environment_of_the_healthcheck_is_the_fallback(tmp_path, monkeypatch):
    monkeypatch.setenv("A8_API_PORT", "9005")
    process = tmp_path / "gone"
    process.mkdir()
    assert healthcheck.running_config(process).api_port == 9005


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("0.0.0.0", "http://127.0.0.1:8080/"),
        ("::", "http://[::1]:8080/"),
        ("10.1.2.3", "http://10.1.2.3:8080/"),
        ("fd00::1", "http://[fd00::1]:8080/"),
        ("registry.local", "http://registry.local:8080/"),
    ],
)
def test_probe_url_reaches_the_listening_address(host, url):
    assert healthcheck.probe_url(RegistryConfig(api_host=host)) == url


class _Answer(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self):
        self.send_response(self.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def http_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def test_main_exits_0_when_the_registry_answers(tmp_path, http_server):
    port = http_server.server_address[1]
    process = fake_process(
        tmp_path, GUNICORN, {"A8_API_PORT": str(port), "A8_API_HOST": "127.0.0.1"}
    )
    assert healthcheck.main(["--process", str(process)]) == 0


def test_main_exits_1_when_nothing_answers(tmp_path, capsys):
    port = free_port()
    process = fake_process(tmp_path, GUNICORN, {"A8_API_PORT": str(port)})
    assert healthcheck.main(["--process", str(process), "--timeout", "1"]) == 1
    assert f"127.0.0.1:{port}" in capsys.readouterr().err


def test_main_exits_1_on_a_bad_configuration(tmp_path, capsys):
    process = fake_process(tmp_path, GUNICORN, {"A8_API_PORT": "http"})
    assert healthcheck.main(["--process", str(process)]) == 1
    assert "api_port" in capsys.readouterr().err
