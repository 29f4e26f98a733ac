"""Drive load with ``wrk`` (a C client: it disturbs a server on the same cores least).

Each run gets a generated Lua script. Rates and latency percentiles are parsed
from wrk's own ``--latency`` report. Exact status codes need a Lua ``response()``
hook, which makes wrk hand every body to Lua: harmless for small bodies, but on the
2 MB full listing it costs more CPU than the server and halves the measured rate.
So a run either hooks ``response()`` (counts per code, printed from ``done()`` as
``STATUS <code> <n>`` lines) or keeps wrk's own split: 2xx/3xx versus the rest.

A fixed-count run (the registrations) sends a file of ``<path> <body>`` lines,
prints ``START`` on its first request and ``DONE`` on its last response, then stops
its thread; the caller times the interval between the two lines and interrupts
wrk, whose own clock would otherwise run to ``-d``.
"""

from __future__ import annotations

import math
import re
import resource
import shutil
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from server import Headers

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_PERCENTILE = re.compile(r"^\s*(\d+(?:\.\d+)?)%\s+([\d.]+)(us|ms|s|m|h)\s*$")
_RATE = re.compile(r"^Requests/sec:\s+([\d.]+)")
_COUNT = re.compile(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h),")
_SOCKET_ERRORS = re.compile(
    r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)"
)
_STATUS = re.compile(r"^STATUS (\d+) (\d+)$")
_NON_2XX = re.compile(r"^\s*Non-2xx or 3xx responses: (\d+)")

_STATUS_LUA = """
statuses = {}
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function done(summary, latency, requests)
  for _, t in ipairs(threads) do
    for code, n in pairs(t:get("statuses")) do
      io.write(string.format("STATUS %d %d\\n", code, n))
    end
  end
end
"""

_FIXED_COUNT_LUA = """
local requests = {}
local total = 0
local sent = 0
received = 0

function init(args)
  for line in io.lines(args[1]) do
    local path, body = string.match(line, "^(%S+) (.*)$")
    total = total + 1
    requests[total] = wrk.format(wrk.method, path, nil, body)
  end
end

function request()
  sent = sent + 1
  if sent == 1 then
    io.write("START\\n")
    io.flush()
  end
  -- Past the end (connections still in flight when the last answer lands), send
  -- earlier requests again: re-registering the same service and endpoint (or
  -- Eureka app and instanceId) keeps the same id, so the set of instances stays
  -- exactly the file's.
  return requests[(sent - 1) % total + 1]
end

function response(status, headers, body)
  -- thread:stop() still lets the loop finish its current pass: ignore the few
  -- answers to repeated bodies that arrive in it.
  if received >= total then
    return
  end
  statuses[status] = (statuses[status] or 0) + 1
  received = received + 1
  if received == total then
    io.write("DONE\\n")
    io.flush()
    wrk.thread:stop()
  end
end
"""

_COUNT_STATUS_LUA = """
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
"""


def available() -> str | None:
    """Path of ``wrk`` on PATH, if any."""
    return shutil.which("wrk")


@dataclass
class WrkReport:
    """What one wrk run printed, parsed."""

    requests: int = 0
    seconds: float = 0.0
    rate: float = 0.0
    percentiles_ms: dict[float, float] = field(default_factory=dict)
    #: Response count per status code, or per class (``2xx/3xx``, ``other``).
    statuses: dict[str, int] = field(default_factory=dict)
    non_2xx_3xx: int = 0
    socket_errors: int = 0
    client_cpu: float = 0.0
    output: str = ""


def parse_output(text: str) -> WrkReport:
    """Parse a ``wrk --latency`` report plus our ``STATUS`` lines.

    >>> r = parse_output('''  Latency Distribution
    ...      50%  812.00us
    ...      99%    1.20s
    ...   300 requests in 2.00s, 1.00MB read
    ... Requests/sec:    150.00
    ... STATUS 200 300''')
    >>> (r.percentiles_ms[50.0], r.percentiles_ms[99.0], r.rate, r.statuses)
    (0.812, 1200.0, 150.0, {'200': 300})
    """
    report = WrkReport(output=text)
    for line in text.splitlines():
        if match := _PERCENTILE.match(line):
            value = float(match[2]) * _UNITS_MS[match[3]]
            report.percentiles_ms[float(match[1])] = value
        elif match := _RATE.match(line):
            report.rate = float(match[1])
        elif match := _COUNT.match(line):
            report.requests = int(match[1])
            report.seconds = float(match[2]) * _UNITS_MS[match[3]] / 1000
        elif match := _SOCKET_ERRORS.search(line):
            report.socket_errors = sum(int(n) for n in match.groups())
        elif match := _STATUS.match(line):
            code = match[1]
            report.statuses[code] = report.statuses.get(code, 0) + int(match[2])
        elif match := _NON_2XX.match(line):
            report.non_2xx_3xx = int(match[1])
    if not report.statuses and report.requests:
        classes = {
            "2xx/3xx": report.requests - report.non_2xx_3xx,
            "other": report.non_2xx_3xx,
        }
        report.statuses = {name: n for name, n in classes.items() if n}
    return report


def _script(
    method: str,
    body: str | None,
    *,
    fixed_count: bool,
    count_statuses: bool,
    headers: Headers = (),
) -> str:
    lines = [f'wrk.method = "{method}"']
    if body is not None or method in ("POST", "PUT"):
        lines.append('wrk.headers["Content-Type"] = "application/json"')
    for name, value in headers:
        lines.append(f"wrk.headers[{_lua_string(name)}] = {_lua_string(value)}")
    if body is not None:
        lines.append(f"wrk.body = {_lua_string(body)}")
    if fixed_count:
        lines += [_STATUS_LUA, _FIXED_COUNT_LUA]
    elif count_statuses:
        lines += [_STATUS_LUA, _COUNT_STATUS_LUA]
    return "\n".join(lines)


def _lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _command(
    url: str, script: Path, connections: int, seconds: int, args: Sequence[str]
) -> list[str]:
    # One wrk thread: the server is the bottleneck by far, and every wrk thread
    # is one more busy-polling competitor for the two shared cores.
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    command += ["--timeout", "10s", "-s", str(script), url]
    if args:
        command += ["--", *args]
    return command


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_timed(
    url: str,
    *,
    method: str = "GET",
    body: str | None = None,
    connections: int,
    seconds: float,
    work_dir: Path,
    count_statuses: bool = True,
    headers: Headers = (),
) -> WrkReport:
    """Send ``method url`` on ``connections`` keep-alive connections for ``seconds``.

    ``count_statuses=False`` skips the Lua ``response()`` hook (large bodies).
    """
    script = work_dir / "timed.lua"
    script.write_text(
        _script(
            method,
            body,
            fixed_count=False,
            count_statuses=count_statuses,
            headers=headers,
        )
    )
    cpu_before = _children_cpu()
    # ``-d`` takes whole seconds only: run a fractional duration on a longer
    # ``-d`` and interrupt wrk on time (SIGINT makes it stop and report).
    whole = math.ceil(seconds)
    process = subprocess.Popen(
        _command(url, script, connections, max(1, whole), ()),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    if whole != seconds:
        time.sleep(seconds)
        process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=whole + 60)
    report = parse_output(stdout)
    report.client_cpu = _children_cpu() - cpu_before
    if process.returncode != 0 or not report.rate:
        raise RuntimeError(f"wrk failed:\n{stdout}\n{stderr}")
    return report


def run_count(
    url: str,
    requests: Sequence[tuple[str, bytes]],
    *,
    method: str = "POST",
    connections: int,
    work_dir: Path,
    max_seconds: int = 600,
) -> WrkReport:
    """Send each ``(path, body)`` of ``requests`` once (a file line each).

    ``url`` gives host and port (its path is unused). Paths hold no space, bodies
    no newline. ``seconds`` and ``rate`` are the caller's wall clock from the first
    request to the last response, not wrk's (which would run on to ``-d``).
    """
    data = work_dir / "requests.txt"
    with data.open("wb") as out:
        for path, body in requests:
            if b" " in path.encode() or b"\n" in body:
                raise ValueError(f"cannot send {path!r} {body[:40]!r} as a line")
            out.write(path.encode() + b" " + body + b"\n")
    script = work_dir / "count.lua"
    script.write_text(_script(method, None, fixed_count=True, count_statuses=True))
    cpu_before = _children_cpu()
    process = subprocess.Popen(
        _command(url, script, connections, max_seconds, (str(data),)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    lines: list[str] = []
    started = finished = 0.0
    for line in process.stdout:
        lines.append(line)
        if line == "START\n":
            started = time.perf_counter()
        elif line == "DONE\n":
            finished = time.perf_counter()
            break
    if finished:
        process.send_signal(signal.SIGINT)  # wrk's handler: stop and report now
    rest, errors = process.communicate(timeout=60)
    report = parse_output("".join(lines) + rest)
    report.client_cpu = _children_cpu() - cpu_before
    if not finished or not started:
        raise RuntimeError(f"wrk did not finish the run:\n{report.output}\n{errors}")
    report.seconds = finished - started
    report.requests = sum(report.statuses.values())
    report.rate = report.requests / report.seconds
    return report
