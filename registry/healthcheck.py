"""``python -m registry.healthcheck``: does the registry in this container answer?

The Docker image's ``HEALTHCHECK``. The port may come from ``A8_API_PORT``, from a
``--api_port`` flag after the image name, from a ``.env`` file or from the default,
so the check reads the configuration where the running registry got it: the
process's command line (``runregistry``'s flags: under granian, the default server,
``runregistry`` stays the main process with its command line), its environment
(with ``--server gunicorn``, ``runregistry`` execs gunicorn, keeping its pid, and
hands it the whole configuration as ``A8_*`` variables) and the ``.env`` file of its
working directory. Then ``GET /`` must answer 200.

Exit status 0 when healthy, 1 when not (Docker's convention), with a line on stderr.
"""

from __future__ import annotations

import argparse
import os
import sys
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from registry.config import (
    ENV_FILE,
    ConfigError,
    RegistryConfig,
    environ_with_env_file,
    parse_config,
)

DEFAULT_PROCESS: Final = Path("/proc/1")
_ANY_ADDRESS: Final = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}


def running_config(process: Path = DEFAULT_PROCESS) -> RegistryConfig:
    """The configuration of the registry running as ``process`` (a /proc/<pid> dir).

    Raises :class:`ConfigError` as start-up would.
    """
    argv = _read_nul_separated(process / "cmdline") or []
    lines = _read_nul_separated(process / "environ")
    environ = dict(os.environ) if lines is None else _environ_of(lines)
    environ = environ_with_env_file(environ, process / "cwd" / ENV_FILE)
    return parse_config(runregistry_flags(argv), environ)


def runregistry_flags(argv: Sequence[str]) -> list[str]:
    """The flags after ``runregistry`` in a command line; none for any other command."""
    args = list(argv)
    return args[args.index("runregistry") + 1 :] if "runregistry" in args else []


def probe_url(config: RegistryConfig) -> str:
    """The URL of ``GET /`` on the address the registry listens on."""
    host = _ANY_ADDRESS.get(config.api_host, config.api_host)
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{config.api_port}/"


def is_healthy(url: str, timeout: float) -> bool:
    """``GET url`` answers 200 within ``timeout`` seconds (no proxy is used)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout) as response:
            return int(response.status) == 200
    except OSError as err:  # URLError, HTTPError, timeouts
        print(f"a8registry healthcheck: {url}: {err}", file=sys.stderr)
        return False


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m registry.healthcheck")
    parser.add_argument(
        "--process",
        type=Path,
        default=DEFAULT_PROCESS,
        help="/proc directory of the registry process (default: %(default)s)",
    )
    parser.add_argument("--timeout", type=float, default=2.0, help="seconds")
    options = parser.parse_args(argv)
    try:
        config = running_config(options.process)
    except ConfigError as err:
        print(f"a8registry healthcheck: {err}", file=sys.stderr)
        return 1
    return 0 if is_healthy(probe_url(config), options.timeout) else 1


def _read_nul_separated(path: Path) -> list[str] | None:
    """The NUL-separated strings of a /proc file; ``None`` if it cannot be read."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return [os.fsdecode(item) for item in data.split(b"\0") if item]


def _environ_of(lines: Sequence[str]) -> dict[str, str]:
    pairs = (line.partition("=") for line in lines)
    return {name: value for name, equals, value in pairs if equals}


if __name__ == "__main__":
    sys.exit(main())
