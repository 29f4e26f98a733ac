"""The registry's configuration values and the errors of reading them.

See :mod:`registry.config` for how flags and ``A8_*`` variables become a
:class:`RegistryConfig`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from typing import Final

from registry import goflags

VERSION: Final = "0.1.0"
PROGRAM: Final = "a8registry"


def env_var(name: str) -> str:
    """The environment variable of setting ``name``: ``A8_`` + the upper-cased name."""
    return "A8_" + name.upper()


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
        if self.setting in SETTING_NAMES:
            where = f"{env_var(self.setting)} / --{self.setting}"
            return f"invalid value {shown} for {self.setting} ({where}): {self.reason}"
        if self.setting:
            return f"invalid flag {shown}: {self.reason}"
        return f"invalid argument {shown}: {self.reason}"


class EnvFileError(ConfigError):
    """An unreadable ``.env`` file, or a line of it that is not ``NAME=value``.

    ``path`` is the file and ``line`` the 1-based line number (0 when the whole file
    cannot be read). The line's text is not kept: it may hold a secret.
    """

    def __init__(self, path: str, line: int, reason: str) -> None:
        super().__init__("", "", reason)
        self.path = path
        self.line = line

    def __str__(self) -> str:
        if not self.line:
            return f"cannot read {self.path}: {self.reason}"
        return f"invalid line {self.line} of {self.path}: {self.reason}"


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
    replication_host: str = ""
    sync_timeout: float = 30.0
    cluster_dir: str = "/tmp/sd-cluster"
    cluster_size: int = 0
    default_ttl: int = 30
    max_ttl: int = 600
    min_ttl: int = 10
    namespace_capacity: int = -1
    k8s_url: str = ""
    k8s_token: str = ""
    k8s_ca_file: str = ""
    k8s_insecure: bool = False
    k8s_resync: float = 60.0
    k8s_endpoint_slices: bool = False
    eureka_url: tuple[str, ...] = ()
    eureka_ca_file: str = ""
    eureka_insecure: bool = False
    eureka_refresh: float = 30.0
    fs_catalog: str = ""
    store: str = "inmem"
    store_address: str = ""
    store_password: str = ""
    store_sentinels: tuple[str, ...] = ()
    store_sentinel_master: str = "mymaster"
    store_cluster: bool = False
    store_timeout: float = 2.0
    server: str = "granian"
    workers: int = 0
    threads: int = 2
    header_read_timeout: float = 30.0
    body_read_timeout: float = 30.0
    metrics: bool = False
    metrics_token: str = ""
    metrics_dir: str = ""
    dashboard: bool = True

    def worker_processes(self) -> int:
        """Server worker processes: ``workers``, or by store when 0 (auto).

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


DEFAULTS: Final = RegistryConfig()
#: Every setting's flag name (the settings table has one row per field).
SETTING_NAMES: Final = frozenset(field.name for field in fields(RegistryConfig))
