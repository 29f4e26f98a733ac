"""Gunicorn configuration for ``gunicorn -c registry_project/gunicorn.conf.py``.

gunicorn is the second supported server: ``runregistry --server gunicorn`` execs it
with this file, and it can be run directly (``registry_project.wsgi``). The default
server is granian (``registry_project/granian_server.py``).

Everything comes from the registry's own configuration (``A8_*`` variables, and a
``.env`` file in the working directory for those not set; the ``runregistry`` command
turns its flags into those variables first), so both ways of starting the registry
run the same server. A bad setting stops start-up here with one
line on stderr and exit status 2.

Worker model: the in-memory store lives inside one process, so it runs one worker
process with threads (gthread).
"""

from __future__ import annotations

import os
import sys
from typing import Any

from gunicorn.glogging import Logger

from metrics.multiprocess import prepare_directory, remove_directory, worker_exited
from registry.config import ConfigError, config_from_environ, environ_with_env_file
from registry.logging_setup import configure_logging

try:
    _environ = environ_with_env_file(os.environ)
    _config = config_from_environ(_environ)
    # The workers build their runtime from os.environ (registry.runtime): hand them
    # the .env file's variables too. This file runs in the master, before any fork.
    os.environ.update(_environ)
    # Several workers: their metric files, named for them before they fork.
    _metrics_dir = prepare_directory(_config, os.environ)
except ConfigError as _err:
    print(f"a8registry: {_err}", file=sys.stderr)
    sys.exit(2)

_host = f"[{_config.api_host}]" if ":" in _config.api_host else _config.api_host
bind = [f"{_host}:{_config.api_port}"]
workers = _config.worker_processes()
worker_class = "gthread"
threads = _config.threads
# Clients hold connections open between polls and heartbeats.
keepalive = 30
graceful_timeout = 10
timeout = 60
accesslog = None  # the registry's middleware writes its own access log
loglevel = _config.log_level
proc_name = "a8registry"
# Several registries may run on one host (tests do); none needs a control socket.
control_socket_disable = True
wsgi_app = "registry_project.wsgi:application"
_settings = os.environ.get("DJANGO_SETTINGS_MODULE", "registry_project.settings")
raw_env = [f"DJANGO_SETTINGS_MODULE={_settings}"]


class RegistryGunicornLogger(Logger):  # type: ignore[misc]  # untyped gunicorn
    """Gunicorn's own log lines in the registry's format, from the very first."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        configure_logging(_config.log_level, _config.log_format)
        for logger in (self.error_log, self.access_log):
            logger.handlers.clear()
            logger.propagate = True


logger_class = RegistryGunicornLogger


def post_worker_init(worker: Any) -> None:
    """Start the worker's runtime services (expiry sweep) once the process exists."""
    from registry.worker import start_services

    start_services()


def worker_exit(server: Any, worker: Any) -> None:
    from registry.worker import stop_services

    stop_services()


def child_exit(server: Any, worker: Any) -> None:
    """In the master, when a worker has exited: its metric bookkeeping."""
    worker_exited(worker.pid)


def on_exit(server: Any) -> None:
    """The master is stopping: remove the metric files' directory if it made it."""
    remove_directory(_metrics_dir)
