"""Logging for the registry: one handler on stderr, as text, JSON or logstash lines.

Call :func:`configure_logging` once at start-up with the configured ``log_level`` and
``log_format``. Structured fields travel in ``extra={"fields": {...}}``::

    log.info("10.0.0.5 GET /api/v1/services", extra={"fields": {"status": 200}})

renders, in the three formats::

    2026-11-28T21:03:17.123Z INFO  registry.access  10.0.0.5 GET ... status=200
    {"time":"2026-11-28T21:03:17.123Z","level":"info","logger":"registry.access",
     "msg":"10.0.0.5 GET ...","status":200}
    {"@timestamp":"2026-11-28T21:03:17.123Z","@version":"1",
     "message":"10.0.0.5 GET ...","level":"INFO","logger_name":"registry.access",
     "status":200}

The access log calls this once per request, so formatting avoids regexes and copies:
the timestamp text is cached per second and fields are read, never copied.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Mapping
from typing import Any, Final, TextIO

import orjson

__all__ = [
    "FORMATS",
    "LEVELS",
    "JsonFormatter",
    "LogstashFormatter",
    "TextFormatter",
    "configure_logging",
    "make_formatter",
]

#: The one table of level names (``log_level`` is parsed with it too): Python's
#: names and the original's Go names (``warn``, ``fatal``, ``panic``).
LEVELS: Final[Mapping[str, int]] = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "warn": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
    "fatal": logging.CRITICAL,
    "panic": logging.CRITICAL,
}
#: The log formats (``log_format`` accepts exactly these).
FORMATS: Final = ("text", "json", "logstash")
_HANDLER_NAME: Final = "registry"


def configure_logging(level: str, fmt: str, stream: TextIO | None = None) -> None:
    """Send every log record at ``level`` or above to ``stream`` in format ``fmt``.

    ``level`` is a level name (``debug`` ... ``critical``, case-insensitive; the Go
    names ``warn``, ``fatal`` and ``panic`` are accepted too); ``fmt`` is ``text``,
    ``json`` or ``logstash``; ``stream`` defaults to ``sys.stderr``. Idempotent: the
    root logger's previous handlers are replaced. Raises ``ValueError`` for an
    unknown level or format.
    """
    number = LEVELS.get(level.lower())
    if number is None:
        raise ValueError(f"unknown log level: {level}")
    handler = logging.StreamHandler(sys.stderr if stream is None else stream)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(make_formatter(fmt))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
        if old.get_name() == _HANDLER_NAME:
            old.close()  # ours; other owners close their own handlers
    root.addHandler(handler)
    root.setLevel(number)
    # The logging HOWTO's optimisations: no record carries the caller's source
    # line (found by walking the stack) or thread/process names, which no format
    # here prints. The access log writes one record per request.
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    # Django logs every 4xx as a warning; the access log already has one line per
    # request, so keep only its 5xx reports (with their tracebacks).
    logging.getLogger("django.request").setLevel(max(number, logging.ERROR))


def make_formatter(fmt: str) -> logging.Formatter:
    """The formatter for ``fmt`` (``text``, ``json`` or ``logstash``)."""
    if fmt == "text":
        return TextFormatter()
    if fmt == "json":
        return JsonFormatter()
    if fmt == "logstash":
        return LogstashFormatter()
    raise ValueError(f"unknown log format: {fmt}")


class _RegistryFormatter(logging.Formatter):
    """What every format shares: UTC timestamps, fields, traceback text."""

    def __init__(self) -> None:
        super().__init__()
        # (epoch second, its text); one tuple so a reader never sees half an update.
        self._second: tuple[int, str] = (-1, "")

    def timestamp(self, record: logging.LogRecord) -> str:
        """ISO 8601 UTC with milliseconds: ``2026-11-28T21:03:17.123Z``."""
        second = int(record.created)
        cached = self._second
        if cached[0] != second:
            text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            cached = self._second = (second, text)
        return f"{cached[1]}.{int(record.msecs):03d}Z"

    def traceback(self, record: logging.LogRecord) -> str:
        """The exception and stack text of ``record``, or ``""``."""
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        text = record.exc_text or ""
        if record.stack_info:
            stack = self.formatStack(record.stack_info)
            text = f"{text}\n{stack}" if text else stack
        return text


def _fields(record: logging.LogRecord) -> Mapping[str, Any]:
    """The ``extra={"fields": ...}`` of ``record`` (a non-mapping becomes one field)."""
    fields = record.__dict__.get("fields")
    if fields is None or isinstance(fields, dict | Mapping):
        return fields or {}
    return {"fields": fields}


class TextFormatter(_RegistryFormatter):
    """``<time> <LEVEL> <logger>  <message> key=value ...`` and any traceback."""

    def format(self, record: logging.LogRecord) -> str:
        line = (
            f"{self.timestamp(record)} {record.levelname:<5} {record.name}  "
            f"{record.getMessage()}"
        )
        fields = _fields(record)
        if fields:
            line += "".join(
                [f" {key}={_text_value(value)}" for key, value in fields.items()]
            )
        trace = self.traceback(record)
        return f"{line}\n{trace}" if trace else line


def _text_value(value: object) -> str:
    """A field value for the text format; quoted when it has spaces, quotes or ``=``."""
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool) or value is None:
        return "true" if value else ("false" if value is False else "null")
    elif isinstance(value, int | float):
        return str(value)
    else:
        text = str(value)
    if (
        text
        and text.isprintable()
        and " " not in text
        and '"' not in text
        and "=" not in text
    ):
        return text
    return orjson.dumps(text).decode()


class JsonFormatter(_RegistryFormatter):
    """One JSON object per line: time, level, logger, msg, exc, then the fields."""

    def document(self, record: logging.LogRecord) -> dict[str, Any]:
        """The object for ``record`` before fields are merged in."""
        doc: dict[str, Any] = {
            "time": self.timestamp(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        trace = self.traceback(record)
        if trace:
            doc["exc"] = trace
        return doc

    def format(self, record: logging.LogRecord) -> str:
        doc = self.document(record)
        for key, value in _fields(record).items():
            # A field never hides a standard key; it is kept under "fields.<key>".
            doc[f"fields.{key}" if key in doc else key] = value
        return _dumps(doc)


class LogstashFormatter(JsonFormatter):
    """Logstash JSON v1: ``@timestamp``, ``@version``, message, level, logger_name."""

    def document(self, record: logging.LogRecord) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "@timestamp": self.timestamp(record),
            "@version": "1",
            "message": record.getMessage(),
            "level": record.levelname,
            "logger_name": record.name,
        }
        trace = self.traceback(record)
        if trace:
            doc["stack_trace"] = trace  # the name logstash-logback-encoder uses
        return doc


def _dumps(doc: dict[str, Any]) -> str:
    try:
        return orjson.dumps(doc, default=str).decode()
    except TypeError:  # e.g. an int beyond 64 bits or a non-str key: log it as text
        safe = {str(key): _jsonable(value) for key, value in doc.items()}
        return orjson.dumps(safe).decode()


def _jsonable(value: object) -> object:
    if value is None or isinstance(value, str | bool | float):
        return value
    return str(value)
