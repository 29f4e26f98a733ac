"""A server worker process's side of the runtime: its background services.

Every supported server calls :func:`start_services` once in each worker process,
after the worker has loaded the application (never at import time or in
``AppConfig.ready()``), and :func:`stop_services` when the worker stops:
``registry_project/granian_server.py`` (``spawn_registry_worker``) and
``registry_project/gunicorn.conf.py`` (``post_worker_init``, ``worker_exit``). Each
logs one line with the pid, which is how an operator (and the end-to-end tests) can
tell that every worker started its services exactly once.
"""

from __future__ import annotations

import logging
import os

from registry.runtime import RegistryRuntime, get_runtime

logger = logging.getLogger("registry.runtime")


def start_services() -> RegistryRuntime:
    """Start this process's runtime services; return the runtime."""
    runtime = get_runtime()
    runtime.start()
    logger.info("services started in pid %d: %s", os.getpid(), _names(runtime))
    return runtime


def stop_services(runtime: RegistryRuntime | None = None) -> None:
    """Stop the services of ``runtime`` (this process's by default)."""
    runtime = runtime or get_runtime()
    runtime.stop()
    logger.info("services stopped in pid %d: %s", os.getpid(), _names(runtime))


def _names(runtime: RegistryRuntime) -> str:
    return ", ".join(service.name for service in runtime.services)
