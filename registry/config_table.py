"""The settings table: every flag, its ``A8_*`` variable, type, parser and help.

:data:`SETTINGS` drives parsing, ``--help``, :func:`registry.config.to_environ`
and the configuration docs (a test checks ``docs/configuration.md`` against it).
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Generic, TypeVar
from urllib.parse import urlsplit

from registry import goflags
from registry.config_model import DEFAULTS, PROGRAM, env_var
from registry.logging_setup import FORMATS, LEVELS

T = TypeVar("T")

# --- value parsers: str -> value, raising ValueError(reason) ------------------


def _text(text: str) -> str:
    return text


def _non_empty(text: str) -> str:
    if not text:
        raise ValueError("must not be empty")
    return text


def _choice(*allowed: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in allowed:
            raise ValueError("must be one of " + ", ".join(allowed))
        return text

    return parse


def _listed(item: Callable[[str], str]) -> Callable[[str], tuple[str, ...]]:
    """Comma-separated items, trimmed, empty ones dropped, each parsed by ``item``."""

    def parse(text: str) -> tuple[str, ...]:
        return tuple(item(part.strip()) for part in text.split(",") if part.strip())

    return parse


def _log_level(text: str) -> str:
    """A Go or Python level name, as Python's name: ``warn`` -> ``warning``."""
    number = LEVELS.get(text.lower())
    if number is None:
        raise ValueError("must be one of debug, info, warn, error, fatal, panic")
    return logging.getLevelName(number).lower()


_HOSTNAME: Final = re.compile(
    r"[A-Za-z0-9_][A-Za-z0-9_-]{0,62}(?:\.[A-Za-z0-9_-]{1,63})*\.?", re.ASCII
)


def _host(text: str) -> str:
    """An IPv4/IPv6 literal (brackets optional) or a host name."""
    bare = text[1:-1] if text.startswith("[") and text.endswith("]") else text
    try:
        ipaddress.ip_address(bare)
    except ValueError:
        pass
    else:
        return bare
    if len(text) <= 253 and _HOSTNAME.fullmatch(text):
        return text
    hint = " (the port goes in api_port)" if ":" in text else ""
    raise ValueError("not an IP address or host name" + hint)


def _ip_or_empty(text: str) -> str:
    """An IPv4 or IPv6 literal (brackets optional), or empty."""
    bare = text[1:-1] if text.startswith("[") and text.endswith("]") else text
    if bare:
        try:
            ipaddress.ip_address(bare)
        except ValueError:
            raise ValueError("not an IP address") from None
    return bare


def _url(text: str) -> str:
    if text:
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("not an http:// or https:// URL")
    return text


def _ca_bundle(text: str) -> str:
    """A PEM file of CA certificates that TLS verification can load."""
    if not text:
        return text
    if not os.path.isfile(text):
        raise ValueError("not a readable file")
    try:
        ssl.create_default_context(cafile=text)
    except (OSError, ssl.SSLError) as err:
        raise ValueError(f"not a PEM CA bundle ({err.strerror or err})") from None
    return text


def _directory(text: str) -> str:
    if text and not os.path.isdir(text):
        raise ValueError("not a directory")
    return text


def _host_port(text: str) -> str:
    host, colon, port = text.rpartition(":")
    if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError("not host:port")
    return text


def _redis_address(text: str) -> str:
    """``host:port`` as in the original, or a ``redis://`` / ``rediss://`` URL."""
    if not text or "://" not in text:
        return _host_port(text) if text else text
    parts = urlsplit(text)
    if parts.scheme not in ("redis", "rediss") or not parts.hostname:
        raise ValueError("not host:port or a redis:// or rediss:// URL")
    return text


def _format_list(items: tuple[str, ...]) -> str:
    return ",".join(items)


# --- the settings table -------------------------------------------------------


@dataclass(frozen=True)
class Setting(Generic[T]):
    """One setting: its flag name, how to parse and print it, and its help line."""

    name: str
    type: str  # shown in --help and docs: string, int, bool, duration, list
    parse: Callable[[str], T]
    format: Callable[[T], str]
    help: str
    secret: bool = False

    @property
    def env(self) -> str:
        """The environment variable: ``A8_`` + the upper-cased flag name."""
        return env_var(self.name)

    @property
    def default(self) -> T:
        value: T = getattr(DEFAULTS, self.name)
        return value

    @property
    def is_list(self) -> bool:
        return self.type == "list"


def _s(
    name: str, parse: Callable[[str], str], help: str, secret: bool = False
) -> Setting[str]:
    return Setting(name, "string", parse, _text, help, secret)


def _i(name: str, parse: Callable[[str], int], help: str) -> Setting[int]:
    return Setting(name, "int", parse, str, help)


def _b(name: str, help: str) -> Setting[bool]:
    return Setting(name, "bool", goflags.parse_bool, goflags.format_bool, help)


def _ttl(name: str, help: str) -> Setting[int]:
    return Setting(
        name,
        "duration",
        goflags.parse_whole_seconds,
        goflags.format_whole_seconds,
        help,
    )


def _seconds(name: str, help: str) -> Setting[float]:
    return Setting(
        name,
        "duration",
        goflags.parse_positive_seconds,
        goflags.format_seconds,
        help,
    )


def _l(name: str, item: Callable[[str], str], help: str) -> Setting[tuple[str, ...]]:
    return Setting(name, "list", _listed(item), _format_list, help)


_PORT: Final = goflags.int_parser(1, 65535)

SETTINGS: Final[tuple[Setting[Any], ...]] = (
    _s("log_level", _log_level, "debug, info, warn, error, fatal or panic"),
    _s("log_format", _choice(*FORMATS), "text, json or logstash"),
    _l(
        "auth_mode",
        _choice("trusted", "jwt"),
        "authentication modes, in order: trusted, jwt",
    ),
    _s(
        "jwt_secret", _text, "HS256 key for JWT tokens (required with jwt)", secret=True
    ),
    _b("require_https", "redirect or reject plain-HTTP API requests"),
    _s("api_host", _host, "address to listen on (IP literal or host name)"),
    _i("api_port", _PORT, "port of the REST API (1-65535)"),
    _i("replication_port", _PORT, "port of the replication server (1-65535)"),
    _b("replication", "enable clustering (store inmem only)"),
    _s(
        "replication_host",
        _ip_or_empty,
        "IP this node advertises and binds replication to; empty = first non-loopback",
    ),
    Setting(
        "sync_timeout",
        "duration",
        goflags.parse_positive_seconds,
        goflags.format_seconds,
        "longest wait for a peer to sync from at start-up",
    ),
    _s("cluster_dir", _non_empty, "shared directory of cluster membership files"),
    _i("cluster_size", goflags.int_parser(0), "cluster size below which health warns"),
    _ttl("default_ttl", "TTL when a registration requests none"),
    _ttl("max_ttl", "longest TTL granted"),
    _ttl("min_ttl", "shortest TTL granted"),
    _i(
        "namespace_capacity",
        goflags.int_parser(-1),
        "max instances per namespace, -1 = unlimited",
    ),
    _s("k8s_url", _url, "Kubernetes API URL; enables the Kubernetes catalog"),
    _s("k8s_token", _text, "bearer token for the Kubernetes API", secret=True),
    _s("k8s_ca_file", _ca_bundle, "CA bundle (PEM) to verify the Kubernetes API"),
    _b("k8s_insecure", "do not verify the Kubernetes API's TLS certificate"),
    _seconds("k8s_resync", "how often the Kubernetes catalog lists everything again"),
    _b("k8s_endpoint_slices", "watch EndpointSlices instead of Endpoints"),
    _l("eureka_url", _url, "Eureka server URLs; enable the Eureka catalog"),
    _s("eureka_ca_file", _ca_bundle, "CA bundle (PEM) to verify Eureka servers"),
    _b("eureka_insecure", "do not verify Eureka servers' TLS certificates"),
    _seconds("eureka_refresh", "how often the Eureka catalog fetches the delta"),
    _s(
        "fs_catalog",
        _directory,
        "directory of <namespace>.conf / .json files; enables that catalog",
    ),
    _s("store", _choice("inmem", "redis"), "inmem or redis"),
    _s(
        "store_address",
        _redis_address,
        "Redis host:port or redis://, rediss:// URL (store redis)",
    ),
    _s("store_password", _text, "Redis password", secret=True),
    _l("store_sentinels", _host_port, "Redis Sentinel host:port list (store redis)"),
    _s("store_sentinel_master", _non_empty, "master name the Sentinels watch"),
    _b("store_cluster", "store_address is a node of a Redis Cluster"),
    Setting(
        "store_timeout",
        "duration",
        goflags.parse_positive_seconds,
        goflags.format_seconds,
        "Redis connect and command timeout; requests fail with 503 after it",
    ),
    _s(
        "server",
        _choice("granian", "gunicorn"),
        "HTTP server runregistry runs: granian or gunicorn",
    ),
    _i(
        "workers",
        goflags.int_parser(0),
        "server worker processes; 0 = auto (1 inmem, every core on redis)",
    ),
    _i(
        "threads",
        goflags.int_parser(1, 256),
        "request threads per worker process (1-256; granian: Redis only)",
    ),
    Setting(
        "header_read_timeout",
        "duration",
        goflags.parse_positive_seconds,
        goflags.format_seconds,
        "longest wait for a request head, idle keep-alive included (granian)",
    ),
    Setting(
        "body_read_timeout",
        "duration",
        goflags.parse_positive_seconds,
        goflags.format_seconds,
        "longest wait for a request body once its head has arrived (granian; 408)",
    ),
    _b("metrics", "serve Prometheus metrics at /metrics"),
    _s(
        "metrics_token",
        _text,
        "bearer token /metrics requires (empty: none)",
        secret=True,
    ),
    _s(
        "metrics_dir",
        _text,
        "directory of the workers' metric files (empty: a new temporary one)",
    ),
    _b("dashboard", "serve the web dashboard at /dashboard/"),
)

BY_NAME: Final = {setting.name: setting for setting in SETTINGS}

UNSUPPORTED_YET: tuple[str, ...] = ()
"""Settings whose feature has not landed: any non-default value is a ConfigError.

Remove a name here when its feature lands; nothing else needs to change.
"""


# --- help ---------------------------------------------------------------------


def help_text() -> str:
    """Usage: every flag with its environment variable, type, default and meaning."""
    lines = [
        f"Usage: {PROGRAM} [flags]",
        "",
        "Flags: --name value, --name=value, -name value or -name=value; a boolean flag",
        "alone means true (--name=false to turn it off). Each flag falls back to its",
        "A8_* environment variable, then to that variable's line in the file .env of",
        "the working directory (if any), then to its default. Lists repeat the flag or",
        "separate items with commas. Durations use Go syntax: 30s, 1m30s, 1.5h, 300ms.",
        "",
    ]
    lines += [line for setting in SETTINGS for line in _help_entry(setting)]
    lines += [
        "  -h, --help",
        "        show this help and exit",
        "  -v, --version",
        "        print the version and exit",
    ]
    return "\n".join(lines) + "\n"


def _help_entry(setting: Setting[Any]) -> list[str]:
    usage = f"--{setting.name} {setting.type}"
    default = goflags.quote(setting.format(setting.default))
    note = " (not supported yet)" if setting.name in UNSUPPORTED_YET else ""
    return [
        f"  {usage:<30} {setting.env} (default {default})",
        f"        {setting.help}{note}",
    ]
