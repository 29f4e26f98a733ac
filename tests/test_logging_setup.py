"""Logging: the text, JSON and logstash layouts, levels, fields, exceptions."""

from __future__ import annotations

import calendar
import io
import logging
import re
import sys

import orjson
import pytest

from registry.logging_setup import (
    JsonFormatter,
    LogstashFormatter,
    TextFormatter,
    configure_logging,
    make_formatter,
)

TIMESTAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"
ACCESS_FIELDS = {"method": "GET", "returncode": 200, "elapsedtime": 1.5, "ok": True}


@pytest.fixture(autouse=True)
def _restore_root_logger():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def log_lines(fmt: str, level: str = "debug") -> tuple[io.StringIO, logging.Logger]:
    stream = io.StringIO()
    configure_logging(level, fmt, stream)
    return stream, logging.getLogger("registry.access")


def record_at(created: float, msecs: float, **extra) -> logging.LogRecord:
    fields = {"name": "registry.access", "msg": "hello", "levelno": 20}
    return logging.makeLogRecord(
        {**fields, "levelname": "INFO", "created": created, "msecs": msecs, **extra}
    )


# --- text ----------------------------------------------------------------------------


def test_text_line_layout():
    stream, log = log_lines("text")
    log.info("10.0.0.1 GET /api/v1/services HTTP/1.1", extra={"fields": ACCESS_FIELDS})
    line = stream.getvalue()
    assert re.fullmatch(
        TIMESTAMP + r" INFO  registry\.access  10\.0\.0\.1 GET /api/v1/services "
        r"HTTP/1\.1 method=GET returncode=200 elapsedtime=1\.5 ok=true\n",
        line,
    )


def test_text_without_fields_and_with_args():
    stream, log = log_lines("text")
    log.warning("capacity %d reached", 5)
    assert re.fullmatch(
        TIMESTAMP + r" WARNING registry\.access  capacity 5 reached\n",
        stream.getvalue(),
    )


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("plain", "plain"),
        ("with space", '"with space"'),
        ("", '""'),
        ('say "hi"', '"say \\"hi\\""'),
        ("a=b", '"a=b"'),
        ("two\nlines", '"two\\nlines"'),
        (None, "null"),
        (False, "false"),
        (-3, "-3"),
        (["a", "b c"], "\"['a', 'b c']\""),
    ],
)
def test_text_field_values(value, shown):
    stream, log = log_lines("text")
    log.info("m", extra={"fields": {"k": value}})
    assert stream.getvalue().endswith(f"  m k={shown}\n")
    assert stream.getvalue().count("\n") == 1


def test_text_appends_the_traceback():
    stream, log = log_lines("text")
    try:
        1 / 0  # noqa: B018
    except ZeroDivisionError:
        log.exception("failed", extra={"fields": {"id": "x"}})
    first, *rest = stream.getvalue().splitlines()
    assert re.fullmatch(TIMESTAMP + r" ERROR registry\.access  failed id=x", first)
    assert rest[0] == "Traceback (most recent call last):"
    assert rest[-1] == "ZeroDivisionError: division by zero"


# --- json ----------------------------------------------------------------------------


def test_json_line_has_standard_keys_then_fields():
    stream, log = log_lines("json")
    log.info("10.0.0.1 GET / HTTP/1.1", extra={"fields": ACCESS_FIELDS})
    text = stream.getvalue()
    assert text.endswith("}\n")
    assert text.count("\n") == 1
    doc = orjson.loads(text)
    assert list(doc) == ["time", "level", "logger", "msg", *ACCESS_FIELDS]
    assert re.fullmatch(TIMESTAMP, doc["time"])
    assert doc["level"] == "info"
    assert doc["logger"] == "registry.access"
    assert doc["msg"] == "10.0.0.1 GET / HTTP/1.1"
    assert {key: doc[key] for key in ACCESS_FIELDS} == ACCESS_FIELDS


def test_json_fields_never_hide_standard_keys():
    stream, log = log_lines("json")
    log.info("real", extra={"fields": {"msg": "fake", "level": "x"}})
    doc = orjson.loads(stream.getvalue())
    assert (doc["msg"], doc["level"]) == ("real", "info")
    assert (doc["fields.msg"], doc["fields.level"]) == ("fake", "x")


def test_json_exception_goes_in_exc():
    stream, log = log_lines("json")
    try:
        raise KeyError("gone")
    except KeyError:
        log.error("lookup failed", exc_info=True)
    doc = orjson.loads(stream.getvalue())
    assert (doc["level"], doc["msg"]) == ("error", "lookup failed")
    assert doc["exc"].startswith("Traceback (most recent call last):")
    assert doc["exc"].endswith("KeyError: 'gone'")


def test_json_odd_values_are_logged_as_text():
    stream, log = log_lines("json")
    log.info("m", extra={"fields": {"obj": object, "huge": 2**70, "n": 1}})
    doc = orjson.loads(stream.getvalue())
    assert doc["obj"] == "<class 'object'>"
    assert doc["huge"] == str(2**70)
    assert doc["msg"] == "m"


def test_json_non_mapping_fields_become_one_field():
    stream, log = log_lines("json")
    log.info("m", extra={"fields": "loose"})
    assert orjson.loads(stream.getvalue())["fields"] == "loose"


# --- logstash ------------------------------------------------------------------------


def test_logstash_v1_layout():
    stream, log = log_lines("logstash")
    log.info("hello", extra={"fields": ACCESS_FIELDS})
    doc = orjson.loads(stream.getvalue())
    assert list(doc)[:5] == [
        "@timestamp",
        "@version",
        "message",
        "level",
        "logger_name",
    ]
    assert re.fullmatch(TIMESTAMP, doc["@timestamp"])
    assert (doc["@version"], doc["message"], doc["level"]) == ("1", "hello", "INFO")
    assert doc["logger_name"] == "registry.access"
    assert {key: doc[key] for key in ACCESS_FIELDS} == ACCESS_FIELDS


def test_logstash_exception_goes_in_stack_trace():
    stream, log = log_lines("logstash")
    try:
        raise ValueError("bad")
    except ValueError:
        log.critical("boom", exc_info=True)
    doc = orjson.loads(stream.getvalue())
    assert doc["level"] == "CRITICAL"
    assert doc["stack_trace"].endswith("ValueError: bad")


# --- timestamps ----------------------------------------------------------------------


@pytest.mark.parametrize("formatter", [TextFormatter(), JsonFormatter()])
def test_timestamps_are_utc_with_milliseconds_across_seconds(formatter):
    second = calendar.timegm((2026, 11, 28, 21, 3, 17))
    stamps = [
        formatter.timestamp(record_at(second + 0.123, 123.0)),
        formatter.timestamp(record_at(second + 0.999, 999.0)),
        formatter.timestamp(record_at(second + 1.004, 4.0)),
        formatter.timestamp(record_at(second - 3600.0, 0.0)),
    ]
    assert stamps == [
        "2026-11-28T21:03:17.123Z",
        "2026-11-28T21:03:17.999Z",
        "2026-11-28T21:03:18.004Z",
        "2026-11-28T20:03:17.000Z",
    ]


def test_formatted_record_uses_the_record_time():
    created = calendar.timegm((2026, 1, 2, 3, 4, 5)) + 0.067
    record = record_at(created, 67.0, fields={"a": 1})
    assert TextFormatter().format(record) == (
        "2026-01-02T03:04:05.067Z INFO  registry.access  hello a=1"
    )
    assert orjson.loads(LogstashFormatter().format(record))["@timestamp"] == (
        "2026-01-02T03:04:05.067Z"
    )


# --- configuration -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "shown", "hidden"),
    [
        ("debug", "debug", None),
        ("info", "info", "debug"),
        ("warning", "warning", "info"),
        ("WARN", "warning", "info"),
        ("error", "error", "warning"),
        ("critical", "critical", "error"),
        ("fatal", "critical", "error"),
    ],
)
def test_level_filters_records(level, shown, hidden):
    stream, log = log_lines("json", level)
    getattr(log, shown)("kept")
    if hidden:
        getattr(log, hidden)("dropped")
    docs = [orjson.loads(line) for line in stream.getvalue().splitlines()]
    assert [doc["msg"] for doc in docs] == ["kept"]


def test_configure_is_idempotent_and_replaces_handlers():
    foreign = logging.NullHandler()
    logging.getLogger().addHandler(foreign)
    first, log = log_lines("text")
    second, log = log_lines("json")
    log.info("once")
    root = logging.getLogger()
    assert len(root.handlers) == 1
    assert foreign not in root.handlers
    assert first.getvalue() == ""
    assert orjson.loads(second.getvalue())["msg"] == "once"


def test_default_stream_is_stderr():
    configure_logging("info", "text")
    (handler,) = logging.getLogger().handlers
    assert isinstance(handler, logging.StreamHandler)
    assert handler.stream is sys.stderr


def test_unknown_level_or_format_is_rejected():
    with pytest.raises(ValueError, match="unknown log level: loud"):
        configure_logging("loud", "text", io.StringIO())
    with pytest.raises(ValueError, match="unknown log format: xml"):
        make_formatter("xml")
