"""Go-style command-line syntax: flag scanning, booleans, integers and durations.

The original registry is a Go program; its operators write ``--min_ttl=10s`` and
``A8_REQUIRE_HTTPS=t``. This module accepts exactly what Go's ``flag``, ``strconv``
and ``time.ParseDuration`` accept (minus negative durations), so existing command
lines and environments keep working. It knows nothing of the registry's settings.

Every parser raises :class:`ValueError` whose text is a short reason fit to follow
``invalid value "..." for <setting>: ``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Final

__all__ = [
    "FlagArg",
    "FlagSyntaxError",
    "format_bool",
    "format_seconds",
    "format_whole_seconds",
    "int_parser",
    "parse_bool",
    "parse_duration",
    "parse_int",
    "parse_positive_seconds",
    "parse_whole_seconds",
    "quote",
    "scan_flags",
]

_TRUE: Final = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_FALSE: Final = frozenset({"0", "f", "F", "FALSE", "false", "False"})
_INT: Final = re.compile(r"[+-]?[0-9]+", re.ASCII)
_INT64_MAX: Final = 2**63 - 1

_UNITS: Final[dict[str, Fraction]] = {
    "ns": Fraction(1, 10**9),
    "us": Fraction(1, 10**6),
    "\u00b5s": Fraction(1, 10**6),  # micro sign
    "\u03bcs": Fraction(1, 10**6),  # Greek mu
    "ms": Fraction(1, 10**3),
    "s": Fraction(1),
    "m": Fraction(60),
    "h": Fraction(3600),
}
# One "<number><unit>" term; "ms" is tried before "m" so "1ms" is not "1m" + "s".
_TERM: Final = re.compile(r"([0-9]+\.?[0-9]*|\.[0-9]+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)")
_MAX_DURATION: Final = Fraction(_INT64_MAX, 10**9)  # Go's time.Duration range
NOT_A_DURATION: Final = "not a duration (examples: 30s, 1m30s, 10m)"


def parse_bool(text: str) -> bool:
    """Parse a boolean the way Go's ``strconv.ParseBool`` does."""
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError("not a boolean (use true or false)")


def format_bool(value: bool) -> str:
    """Format a boolean so that :func:`parse_bool` reads it back."""
    return "true" if value else "false"


def parse_int(text: str) -> int:
    """Parse a decimal 64-bit integer (no ``0x``, no underscores, no spaces)."""
    if not _INT.fullmatch(text):
        raise ValueError("not a decimal integer")
    value = int(text)
    if abs(value) > _INT64_MAX:
        raise ValueError("integer out of range")
    return value


def int_parser(low: int, high: int | None = None) -> Callable[[str], int]:
    """A parser of decimal integers from ``low`` up to ``high`` (no bound if None)."""

    def parse(text: str) -> int:
        value = parse_int(text)
        if high is not None and not low <= value <= high:
            raise ValueError(f"must be between {low} and {high}")
        if value < low:
            raise ValueError(f"must be at least {low}")
        return value

    return parse


def parse_duration(text: str) -> Fraction:
    """Parse a Go duration (``30s``, ``1m30s``, ``1.5h``, ``300ms``, ``0``) to seconds.

    Units: ``ns``, ``us`` (or ``µs``), ``ms``, ``s``, ``m``, ``h``; every number needs
    a unit except a bare ``0``. A leading ``+`` is allowed, negative values are not.
    The result is exact (a fraction), so callers can tell ``1500ms`` from whole seconds.
    """
    body = text[1:] if text.startswith(("+", "-")) else text
    seconds = _parse_unsigned_duration(body)
    if text.startswith("-") and seconds:
        raise ValueError("must not be negative")
    return seconds


def _parse_unsigned_duration(text: str) -> Fraction:
    if text == "0":
        return Fraction(0)
    if not text:
        raise ValueError(NOT_A_DURATION)
    total = Fraction(0)
    position = 0
    while position < len(text):
        term = _TERM.match(text, position)
        if term is None:
            raise ValueError(NOT_A_DURATION)
        total += Fraction(term.group(1)) * _UNITS[term.group(2)]
        position = term.end()
    if total > _MAX_DURATION:
        raise ValueError("duration out of range")
    return total


def parse_positive_seconds(text: str) -> float:
    """A duration greater than zero, in seconds."""
    seconds = parse_duration(text)
    if seconds <= 0:
        raise ValueError("must be a positive duration")
    return float(seconds)


def parse_whole_seconds(text: str) -> int:
    """A duration of at least one second and a whole number of seconds (TTLs)."""
    seconds = parse_duration(text)
    if seconds.denominator != 1 or seconds < 1:
        raise ValueError("must be a whole number of seconds, at least 1s")
    return int(seconds)


def format_whole_seconds(seconds: int) -> str:
    """Format whole seconds as Go's ``Duration.String`` does: ``30s``, ``10m0s``."""
    if seconds < 60:
        return f"{seconds}s"
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    return f"{minutes}m{secs}s"


def format_seconds(seconds: float) -> str:
    """Format seconds as a Go duration that :func:`parse_duration` reads back."""
    if seconds == int(seconds):
        return f"{int(seconds)}s"
    # repr() is the shortest text that round-trips; Decimal spells it without exponent.
    return f"{Decimal(repr(seconds)):f}s"


def quote(text: str) -> str:
    """Double-quote ``text`` on one line (like Go's ``%q``), for error messages."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    if not escaped.isprintable():
        escaped = "".join(_printable(char) for char in escaped)
    return f'"{escaped}"'


def _printable(char: str) -> str:
    return char if char.isprintable() else char.encode("unicode_escape").decode("ascii")


@dataclass(frozen=True)
class FlagArg:
    """One flag from the command line.

    ``value`` is ``None`` for a boolean flag given alone (``--require_https``);
    ``text`` is the argument as typed, for error messages.
    """

    name: str
    value: str | None
    text: str


class FlagSyntaxError(ValueError):
    """A command line that is not ``--name value`` / ``--name=value`` shaped.

    ``name`` is the flag concerned ("" for a positional argument), ``text`` the
    argument as typed and ``reason`` what is wrong with it.
    """

    def __init__(self, name: str, text: str, reason: str) -> None:
        super().__init__(name, text, reason)
        self.name = name
        self.text = text
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.reason}: {self.text}"


def scan_flags(
    argv: Sequence[str], bool_flags: Container[str], value_flags: Container[str]
) -> Iterator[FlagArg]:
    """Yield the flags of ``argv`` in order, as Go's ``flag`` package reads them.

    Accepts ``-name``, ``--name``, ``-name=value``, ``--name value``. Boolean flags
    only take a value after ``=``. ``--`` ends the flags. Raises
    :class:`FlagSyntaxError` for an unknown flag, a missing value, a malformed flag
    or any positional argument (the registry takes none).
    """
    index = 0
    while index < len(argv):
        text = argv[index]
        index += 1
        if text == "--":
            _reject_positional(argv[index:])
            return
        if len(text) < 2 or not text.startswith("-"):
            _reject_positional([text])
        name, has_value, value = text.lstrip("-").partition("=")
        if text.startswith("---") or not name:
            raise FlagSyntaxError("", text, "bad flag syntax")
        if name in bool_flags:
            yield FlagArg(name, value if has_value else None, text)
        elif name not in value_flags:
            raise FlagSyntaxError(name, text, "unknown flag")
        elif has_value:
            yield FlagArg(name, value, text)
        elif index < len(argv):
            yield FlagArg(name, argv[index], text)
            index += 1
        else:
            raise FlagSyntaxError(name, text, "missing value (flag needs an argument)")


def _reject_positional(rest: Sequence[str]) -> None:
    if rest:
        raise FlagSyntaxError(
            "",
            rest[0],
            "unexpected argument (the registry takes flags only; "
            "boolean flags take a value as --name=false)",
        )
