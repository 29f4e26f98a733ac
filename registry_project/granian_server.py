"""The default server: granian (Rust HTTP/1.1 I/O, the app behind an RSGI front).

``runregistry`` calls :func:`serve` in its own process, which becomes granian's main
process (same pid: SIGTERM or SIGINT stops it cleanly, exit status 0). The main
process only binds the socket and watches its workers; each worker process is forked
from it (``multiprocessing``'s start method, ``fork`` on Linux) and serves requests:

- ``workers`` processes (``RegistryConfig.worker_processes()``: one with the in-memory
  store, whose data lives in that process; one per core on Redis), all accepting on
  the one listening socket the main process shares with them;
- granian's RSGI interface: the Rust runtime reads and parses request heads, the
  worker's event loop reads bodies (within ``body_read_timeout``), and only then
  does the Django (WSGI) application run, on the loop with the in-memory store,
  on ``threads`` threads on Redis (:mod:`registry.http.rsgi`); so a connection that
  has not sent a whole request, head or body, holds no thread;
- the registry's background services start in each worker once the application is
  loaded, and stop when the worker stops (:func:`spawn_registry_worker`);
- with metrics on and several workers, the main process prepares the workers'
  metric files before forking them (:mod:`metrics.multiprocess`).

granian's own log lines go through the registry's logging (``log_format``); its
access log is off, the registry's middleware writes one.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, Final

from granian.constants import HTTPModes, Interfaces, Loops, RuntimeModes
from granian.http import HTTP1Settings
from granian.log import LogLevels
from granian.server.mp import MPServer

from registry.config import RegistryConfig
from registry.http.rsgi import RSGIApplication
from registry.logging_setup import configure_logging

if TYPE_CHECKING:
    from registry.runtime import RegistryRuntime

WSGI_TARGET: Final = "registry_project.wsgi:application"
#: granian's loggers: its main and worker messages (Python and Rust), access log.
GRANIAN_LOGGERS: Final = ("_granian", "granian.access")

WsgiApp = Callable[..., Any]
#: What the worker needs to build the RSGI front: body read timeout, and threads
#: (``None``: run the application on the event loop).
FrontSettings = tuple[float, int | None]


def build_server(config: RegistryConfig) -> MPServer:
    """A granian server for ``config`` (not started)."""
    return MPServer(
        WSGI_TARGET,
        address=config.api_host,
        port=config.api_port,
        interface=Interfaces.RSGI,
        workers=config.worker_processes(),
        # The RSGI front runs its own pool of ``threads`` (registry.http.rsgi).
        blocking_threads=1,
        loop=Loops.uvloop,
        # One Rust thread per worker does the I/O. With the RSGI front the "st"
        # and "mt" runtime modes measured the same (bench/README.md).
        runtime_mode=RuntimeModes.mt,
        runtime_threads=1,
        http=HTTPModes.http1,
        http1_settings=HTTP1Settings(
            header_read_timeout=max(1, round(config.header_read_timeout * 1000)),
            keep_alive=True,
        ),
        websockets=False,
        log_level=LogLevels(config.log_level),
        log_dictconfig=granian_log_config(),
        log_access=False,
    )


def serve(config: RegistryConfig) -> None:
    """Run granian in this process until SIGTERM/SIGINT; return after a clean stop.

    Exits with status 1 (``SystemExit``) if a worker dies on its own.
    """
    from metrics.multiprocess import prepare_directory, remove_directory

    server = build_server(config)
    # granian configured its loggers (propagating, no handlers): now ours.
    configure_logging(config.log_level, config.log_format)
    log_config = (config.log_level, config.log_format)
    front: FrontSettings = (
        config.body_read_timeout,
        None if config.store == "inmem" else config.threads,
    )
    # Several workers: their metric files, named for them before they fork.
    metrics_dir = prepare_directory(config, os.environ)
    try:
        server.serve(
            spawn_target=partial(spawn_registry_worker, log_config, front),
        )
    finally:
        remove_directory(metrics_dir)


def granian_log_config() -> dict[str, Any]:
    """granian's ``dictConfig``: its loggers only propagate to the registry's root
    handler (:func:`registry.logging_setup.configure_logging`), so its lines have the
    registry's format; it keeps the root logger as it finds it."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {},
        "handlers": {},
        "loggers": {
            name: {"handlers": [], "propagate": True} for name in GRANIAN_LOGGERS
        },
    }


def spawn_registry_worker(
    log_config: tuple[str, str],
    front: FrontSettings,
    worker_id: int,
    process_name: str | None,
    callback_loader: Callable[[], WsgiApp],
    *args: Any,
) -> None:
    """granian's RSGI worker, with the registry's background services around it.

    Runs in the worker process (its spawn target must be importable: this is a
    module-level function, bound to picklable arguments). granian's wrapper
    configures its logging, then loads the application through the loader given:
    the registry's logging is set up again there (granian's ``dictConfig`` replaced
    the handlers), and the runtime's services start once the application (Django)
    is loaded. The worker returns when it is told to stop (SIGTERM from the main
    process, relayed by granian's signal handler); the services stop then, before
    the process exits.
    """
    services = _WorkerServices(log_config, front, callback_loader)
    try:
        MPServer._spawn_rsgi_worker(worker_id, process_name, services.load, *args)
    finally:
        services.stop()


class _WorkerServices:
    """Loads the application behind its RSGI front, then starts the runtime's
    services; stops both."""

    def __init__(
        self,
        log_config: tuple[str, str],
        front: FrontSettings,
        callback_loader: Callable[[], WsgiApp],
    ) -> None:
        self._log_config = log_config
        self._front = front
        self._callback_loader = callback_loader
        self._runtime: RegistryRuntime | None = None
        self._application: RSGIApplication | None = None

    def load(self) -> RSGIApplication:
        configure_logging(*self._log_config)
        application = self._callback_loader()
        from registry.worker import start_services  # Django is set up now

        body_read_timeout, threads = self._front
        self._application = RSGIApplication(
            application, body_read_timeout=body_read_timeout, threads=threads
        )
        self._runtime = start_services()
        return self._application

    def stop(self) -> None:
        if self._application is not None:
            self._application.close()
        if self._runtime is not None:
            from metrics.multiprocess import worker_exited
            from registry.worker import stop_services

            stop_services(self._runtime)
            worker_exited(os.getpid())
