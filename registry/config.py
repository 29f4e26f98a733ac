"""Registry configuration: command-line flags, ``A8_*`` environment variables, defaults.

Every setting has a flag (``--min_ttl``) and an environment variable (``A8_MIN_TTL``);
a flag given on the command line wins over the variable, which wins over the default.
:data:`SETTINGS` is the one table that drives parsing, ``--help`` and
:func:`to_environ`. Pure Python: nothing here imports Django, so ``runregistry``,
the gunicorn config and the settings module can all call it before Django starts.

Exceptions raised by :func:`parse_config`::

    Exception
    ├── ConfigError        one bad setting; str() is a one-line message (exit status 2)
    ├── HelpRequested      --help / -h; .text is the usage text
    └── VersionRequested   --version / -v; .text is "a8registry <VERSION>"
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Generic, TypeVar
from urllib.parse import urlsplit

from registry import goflags

__all__ = [
    "SETTINGS",
    "UNSUPPORTED_YET",
    "VERSION",
    "ConfigError",
    "HelpRequested",
    "RegistryConfig",
    "Setting",
    "VersionRequested",
    "config_from_environ",
    "help_text",
    "parse_config",
    "to_environ",
]

VERSION: Final = "0.1.0"
PROGRAM: Final = "a8registry"

T = TypeVar("T")


class ConfigError(Exception):
    """One bad setting.

    ``setting`` is the flag name (``"min_ttl"``), ``value`` the text that was given
    (secrets are masked) and ``reason`` what is wrong. ``str(err)`` is one line.
    """

    def __init__(self, setting: str, value: str, reason: str) -> None:
        super().__init__(setting, value, reason)
        self.setting = setting
        self.value = value
        self.reason = reason

    def __str__(self) -> str:
        shown = goflags.quote(self.value)
        spec = _BY_NAME.get(self.setting)
        if spec is not None:
            where = f"{spec.env} / --{spec.name}"
            return f"invalid value {shown} for {spec.name} ({where}): {self.reason}"
        if self.setting:
            return f"invalid flag {shown}: {self.reason}"
        return f"invalid argument {shown}: {self.reason}"


class HelpRequested(Exception):
    """``--help`` or ``-h`` was given; ``text`` is the usage text to print."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class VersionRequested(Exception):
    """``--version`` or ``-v`` was given; ``text`` is the line to print."""

    def __init__(self, version: str = VERSION) -> None:
        super().__init__(version)
        self.version = version
        self.text = f"{PROGRAM} {version}"


@dataclass(frozen=True)
class RegistryConfig:
    """The validated configuration. Durations are seconds (TTLs whole seconds)."""

    log_level: str = "info"
    log_format: str = "text"
    auth_mode: tuple[str, ...] = ()
    jwt_secret: str = ""
    require_https: bool = False
    api_host: str = "0.0.0.0"
    api_port: int = 8080
    replication_port: int = 6100
    replication: bool = False
    sync_timeout: float = 30.0
    cluster_dir: str = "/tmp/sd-cluster"
    cluster_size: int = 0
    default_ttl: int = 30
    max_ttl: int = 600
    min_ttl: int = 10
    namespace_capacity: int = -1
    k8s_url: str = ""
    k8s_token: str = ""
    eureka_url: tuple[str, ...] = ()
    fs_catalog: str = ""
    store: str = "inmem"
    store_address: str = ""
    store_password: str = ""
    store_sentinels: tuple[str, ...] = ()
    store_sentinel_master: str = "mymaster"
    store_cluster: bool = False
    store_timeout: float = 2.0
    workers: int = 0
    threads: int = 2

    def worker_processes(self) -> int:
        """Gunicorn worker processes: ``workers``, or by store when 0 (auto).

        The in-memory store lives in one process; on Redis every process is
        stateless, so use every core (at least two).
        """
        if self.workers:
            return self.workers
        return 1 if self.store == "inmem" else max(2, os.cpu_count() or 2)

    def ttl_clamp(self, requested: int) -> int:
        """The TTL to grant for ``requested`` seconds (spec §4.4).

        0 means "none requested" and gets ``default_ttl`` (not clamped); otherwise
        the request is raised to ``min_ttl`` or lowered to ``max_ttl``.
        """
        if requested == 0:
            return self.default_ttl
        if requested < self.min_ttl:
            return self.min_ttl
        if requested > self.max_ttl:
            return self.max_ttl
        return requested


_DEFAULTS: Final = RegistryConfig()

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


_LOG_LEVELS: Final = {
    "debug": "debug",
    "info": "info",
    "warn": "warning",
    "warning": "warning",
    "error": "error",
    "fatal": "critical",
    "panic": "critical",
    "critical": "critical",
}


def _log_level(text: str) -> str:
    level = _LOG_LEVELS.get(text.lower())
    if level is None:
        raise ValueError("must be one of debug, info, warn, error, fatal, panic")
    return level


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


def _url(text: str) -> str:
    if text:
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("not an http:// or https:// URL")
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
        return "A8_" + self.name.upper()

    @property
    def default(self) -> T:
        value: T = getattr(_DEFAULTS, self.name)
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


def _l(name: str, item: Callable[[str], str], help: str) -> Setting[tuple[str, ...]]:
    return Setting(name, "list", _listed(item), _format_list, help)


_PORT: Final = goflags.int_parser(1, 65535)

SETTINGS: Final[tuple[Setting[Any], ...]] = (
    _s("log_level", _log_level, "debug, info, warn, error, fatal or panic"),
    _s("log_format", _choice("text", "json", "logstash"), "text, json or logstash"),
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
    _l("eureka_url", _url, "Eureka server URLs; enable the Eureka catalog"),
    _s(
        "fs_catalog", _text, "directory of <namespace>.json files; enables that catalog"
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
    _i(
        "workers",
        goflags.int_parser(0),
        "gunicorn worker processes; 0 = auto (1 inmem, every core on redis)",
    ),
    _i("threads", goflags.int_parser(1, 256), "threads per worker process (1-256)"),
)

_BY_NAME: Final = {setting.name: setting for setting in SETTINGS}

UNSUPPORTED_YET: tuple[str, ...] = (
    "replication",
    "replication_port",
    "sync_timeout",
    "cluster_dir",
    "cluster_size",
    "k8s_url",
    "k8s_token",
    "eureka_url",
    "fs_catalog",
)
"""Settings whose feature has not landed: any non-default value is a ConfigError.

Remove a name here when its feature lands; nothing else needs to change.
"""

# --- parsing ------------------------------------------------------------------

_HELP_FLAGS: Final = frozenset({"help", "h"})
_VERSION_FLAGS: Final = frozenset({"version", "v"})
_BOOL_FLAGS: Final = frozenset(
    {s.name for s in SETTINGS if s.type == "bool"} | _HELP_FLAGS | _VERSION_FLAGS
)
_VALUE_FLAGS: Final = frozenset(s.name for s in SETTINGS if s.type != "bool")


def parse_config(argv: Sequence[str], environ: Mapping[str, str]) -> RegistryConfig:
    """Build the configuration from flags (``argv`` without the program name) and env.

    A flag wins over its ``A8_*`` variable, which wins over the default; an empty
    variable counts as unset. Raises :class:`ConfigError` for the first bad setting,
    :class:`HelpRequested` or :class:`VersionRequested`.
    """
    given = _given_texts(_flag_texts(argv), environ)
    values = {
        name: _parse_setting(_BY_NAME[name], texts) for name, texts in given.items()
    }
    config = RegistryConfig(**values)
    raw = {
        name: _shown(_BY_NAME[name], ",".join(texts)) for name, texts in given.items()
    }
    _validate(config, raw)
    return config


def config_from_environ(environ: Mapping[str, str]) -> RegistryConfig:
    """The configuration from ``A8_*`` variables alone (``parse_config([], env)``)."""
    return parse_config([], environ)


def to_environ(config: RegistryConfig) -> dict[str, str]:
    """All ``A8_*`` variables, set so :func:`config_from_environ` returns ``config``.

    Used to hand the configuration parsed from flags to gunicorn worker processes;
    every variable is present so stray ones in the parent environment are overridden.
    """
    return {s.env: s.format(getattr(config, s.name)) for s in SETTINGS}


def _flag_texts(argv: Sequence[str]) -> dict[str, list[str]]:
    """The text given for each flag; a list flag may be repeated, else the last wins."""
    texts: dict[str, list[str]] = {}
    try:
        for flag in goflags.scan_flags(argv, _BOOL_FLAGS, _VALUE_FLAGS):
            if flag.name in _HELP_FLAGS:
                raise HelpRequested(help_text())
            if flag.name in _VERSION_FLAGS:
                raise VersionRequested()
            value = "true" if flag.value is None else flag.value
            if _BY_NAME[flag.name].is_list:
                texts.setdefault(flag.name, []).append(value)
            else:
                texts[flag.name] = [value]
    except goflags.FlagSyntaxError as err:
        # A known flag can only lack its value; otherwise show the argument as typed.
        value = "" if err.name in _BY_NAME else err.text
        raise ConfigError(err.name, value, err.reason) from None
    return texts


def _given_texts(
    flags: dict[str, list[str]], environ: Mapping[str, str]
) -> dict[str, list[str]]:
    """Flags, then non-empty ``A8_*`` variables for the settings no flag gave."""
    given = dict(flags)
    for setting in SETTINGS:
        text = environ.get(setting.env, "")
        if setting.name not in given and text:
            given[setting.name] = [text]
    return given


def _parse_setting(setting: Setting[Any], texts: list[str]) -> Any:
    try:
        if setting.is_list:
            return tuple(item for text in texts for item in setting.parse(text))
        return setting.parse(texts[-1])
    except ValueError as err:
        raise ConfigError(
            setting.name, _shown(setting, ",".join(texts)), str(err)
        ) from None


def _shown(setting: Setting[Any], text: str) -> str:
    """The text to put in an error message: secrets are masked."""
    return "****" if setting.secret and text else text


# --- checks across settings ---------------------------------------------------


def _validate(config: RegistryConfig, raw: Mapping[str, str]) -> None:
    """Checks that involve the whole configuration; ``raw`` holds the given texts."""
    _reject_unsupported_yet(config, raw)
    _require_order("min_ttl", "max_ttl", config, raw, prefer="min_ttl")
    _require_order("min_ttl", "default_ttl", config, raw, prefer="default_ttl")
    _require_order("default_ttl", "max_ttl", config, raw, prefer="default_ttl")
    if "jwt" in config.auth_mode and not config.jwt_secret:
        raise _error("jwt_secret", raw, "required when auth_mode includes jwt")
    _validate_store(config, raw)
    if config.replication and config.store == "redis":
        raise _error("replication", raw, "cannot be combined with store=redis")
    if config.workers > 1 and config.store == "inmem":
        reason = "must be 1 with store=inmem (the in-memory store lives in one process)"
        raise _error("workers", raw, reason)


_REDIS_ONLY: Final = (
    "store_address",
    "store_password",
    "store_sentinels",
    "store_cluster",
)


def _validate_store(config: RegistryConfig, raw: Mapping[str, str]) -> None:
    if config.store != "redis":
        for name in _REDIS_ONLY:
            if getattr(config, name) != getattr(_DEFAULTS, name):
                raise _error(name, raw, "only used with store=redis")
        return
    if not config.store_address and not config.store_sentinels:
        raise _error("store_address", raw, "required when store is redis")
    if config.store_sentinels and config.store_cluster:
        raise _error("store_cluster", raw, "cannot be combined with store_sentinels")
    if config.store_sentinels and config.store_address:
        raise _error("store_address", raw, "not used with store_sentinels")


def _reject_unsupported_yet(config: RegistryConfig, raw: Mapping[str, str]) -> None:
    """Refuse any non-default value for a setting listed in :data:`UNSUPPORTED_YET`."""
    for name in UNSUPPORTED_YET:
        if getattr(config, name) != getattr(_DEFAULTS, name):
            raise _error(name, raw, "not supported yet")


def _require_order(
    low: str, high: str, config: RegistryConfig, raw: Mapping[str, str], prefer: str
) -> None:
    """Require ``low <= high``; blame ``prefer`` unless only the other one was given."""
    if getattr(config, low) <= getattr(config, high):
        return
    other = high if prefer == low else low
    blamed = other if other in raw and prefer not in raw else prefer
    if blamed == low:
        raise _error(low, raw, f"must not exceed {high} ({_text_of(high, raw)})")
    raise _error(high, raw, f"must be at least {low} ({_text_of(low, raw)})")


def _error(name: str, raw: Mapping[str, str], reason: str) -> ConfigError:
    return ConfigError(name, _text_of(name, raw), reason)


def _text_of(name: str, raw: Mapping[str, str]) -> str:
    """The text the user gave for ``name``, else its default as text."""
    setting = _BY_NAME[name]
    return raw.get(name, setting.format(setting.default))


# --- help ---------------------------------------------------------------------


def help_text() -> str:
    """Usage: every flag with its environment variable, type, default and meaning."""
    lines = [
        f"Usage: {PROGRAM} [flags]",
        "",
        "Flags: --name value, --name=value, -name value or -name=value; a boolean flag",
        "alone means true (--name=false to turn it off). Each flag falls back to its",
        "A8_* environment variable, then to its default. Lists repeat the flag or",
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
