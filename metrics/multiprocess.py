"""prometheus-client's multiprocess mode, when the server runs several workers.

Each worker process then keeps its values in files of its own (named by pid) in
one directory, and a scrape, whichever worker answers it, merges every file
(:class:`prometheus_client.multiprocess.MultiProcessCollector`). The server's main
process calls :func:`prepare_directory` before it forks the workers: it makes
(or empties) the directory and names it in ``PROMETHEUS_MULTIPROC_DIR``, which the
workers inherit. A worker that stops is marked dead (:func:`worker_exited`); its
counters stay in the sum, as they must for ``rate()`` to stay right.

With one worker process (the in-memory store's model) none of this is used: the
values live in the process, at no file cost.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import MutableMapping
from pathlib import Path
from typing import Final

from prometheus_client import values
from prometheus_client.multiprocess import mark_process_dead

from registry.config import ConfigError, RegistryConfig

MULTIPROC_ENV: Final = "PROMETHEUS_MULTIPROC_DIR"


def needs_multiprocess(config: RegistryConfig) -> bool:
    """Metrics on, and more than one worker process to merge."""
    return config.metrics and config.worker_processes() > 1


def prepare_directory(
    config: RegistryConfig, environ: MutableMapping[str, str]
) -> Path | None:
    """In the main process, before forking: set up the workers' metric files.

    Empties ``metrics_dir`` (made if missing), or makes a new temporary directory
    when it is empty, and names it in ``environ``. Returns the directory when this
    call made a temporary one (the caller removes it at exit with
    :func:`remove_directory`), else ``None``. Raises :class:`ConfigError` when
    ``metrics_dir`` cannot be used.
    """
    environ.pop(MULTIPROC_ENV, None)
    if not needs_multiprocess(config):
        return None
    if not config.metrics_dir:
        made = Path(tempfile.mkdtemp(prefix="a8registry-metrics-"))
        environ[MULTIPROC_ENV] = str(made)
        return made
    directory = Path(config.metrics_dir)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):  # a previous run's values
            stale.unlink()
    except OSError as err:
        reason = err.strerror or str(err)
        raise ConfigError("metrics_dir", config.metrics_dir, reason) from err
    environ[MULTIPROC_ENV] = str(directory.resolve())
    return None


def remove_directory(directory: Path | None) -> None:
    """Remove a directory :func:`prepare_directory` made (``None``: nothing)."""
    if directory is not None:
        shutil.rmtree(directory, ignore_errors=True)


def is_multiprocess() -> bool:
    """Whether this process writes its metrics to the shared directory."""
    return bool(os.environ.get(MULTIPROC_ENV))


def activate_in_worker() -> None:
    """Make sure metrics made from now on use the files, if the directory is set.

    prometheus-client picks its value class when first imported; a process that
    imported it before the variable was set would otherwise keep values in memory
    that no scrape sees.
    """
    if is_multiprocess() and not getattr(values.ValueClass, "_multiprocess", False):
        values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]


def worker_exited(pid: int) -> None:
    """Bookkeeping for a worker process that stopped (its live gauges go)."""
    directory = os.environ.get(MULTIPROC_ENV)
    if directory:
        mark_process_dead(pid, directory)  # type: ignore[no-untyped-call]
