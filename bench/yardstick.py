"""The yardstick: what this machine serves right now, to state rates as shares.

A bare WSGI app (``yardstick_app.py``: ``ok``, 2 bytes) served by granian
(``python -m granian --interface wsgi --workers 1 --blocking-threads 1``, from the
benchmark's own interpreter) and driven by the same load client and connections as
the scenarios. It is measured right before and right after each timed scenario (one
run serves as the "after" of one scenario and the "before" of the next); a
scenario's share is its rate over the mean of the two. On a shared machine the
share moves much less than the rate: both shrink when other work takes a core.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from server import HOST, free_port, start_app, stop_process

BENCH_DIR = Path(__file__).resolve().parent


def granian_missing() -> str | None:
    """Why the yardstick cannot run here, or None."""
    if importlib.util.find_spec("granian") is None:
        return (
            f"granian is not installed in {sys.prefix}: no yardstick, so no shares"
            " (install it with `.venv/bin/pip install granian`)"
        )
    return None


@dataclass
class Yardstick:
    """A granian serving ``yardstick_app:app``; ``measure`` it with ``load``.

    ``load(port)`` runs the load client against the port and returns req/s.
    """

    seconds: float
    load: Callable[[int, float], float] = field(repr=False)
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    #: The last measured rate: the next scenario's "before".
    last: float | None = None
    history: list[float] = field(default_factory=list)

    def start(self) -> None:
        self.port = free_port()
        command = [sys.executable, "-m", "granian", "--interface", "wsgi"]
        command += ["--workers", "1", "--blocking-threads", "1"]
        command += ["--host", HOST, "--port", str(self.port), "--log-level", "warning"]
        self.process = start_app(
            [*command, "yardstick_app:app"],
            self.port,
            BENCH_DIR,
            "the yardstick (granian)",
        )

    def measure(self) -> float:
        self.last = self.load(self.port, self.seconds)
        self.history.append(self.last)
        return self.last

    def around(self) -> float:
        """The "before" of a scenario: the last run, or a new one."""
        return self.last if self.last is not None else self.measure()

    def stop(self) -> None:
        stop_process(self.process)
        self.process = None
