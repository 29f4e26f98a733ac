"""Registry configuration: command-line flags, ``A8_*`` environment variables, defaults.

Every setting has a flag (``--min_ttl``) and an environment variable (``A8_MIN_TTL``);
a flag given on the command line wins over the variable, which wins over the default.
The variables may also come from a ``.env`` file in the working directory
(:func:`environ_with_env_file`); a real environment variable wins over the file.
:data:`SETTINGS` is the one table that drives parsing, ``--help`` and
:func:`to_environ`. Nothing here needs Django's settings, so ``runregistry``, the
gunicorn config and the settings module can all call it before Django starts.

Exceptions raised by :func:`parse_config` and :func:`environ_with_env_file`::

    Exception
    ├── ConfigError        one bad setting; str() is a one-line message (exit status 2)
    │   └── EnvFileError   a line of the .env file that is not NAME=value
    ├── HelpRequested      --help / -h; .text is the usage text
    └── VersionRequested   --version / -v; .text is "a8registry <VERSION>"
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Final

import environ

from registry import goflags
from registry.config_model import (
    DEFAULTS,
    PROGRAM,
    VERSION,
    ConfigError,
    EnvFileError,
    HelpRequested,
    RegistryConfig,
    VersionRequested,
)
from registry.config_table import BY_NAME, SETTINGS, UNSUPPORTED_YET, Setting, help_text

__all__ = [
    "ENV_FILE",
    "PROGRAM",
    "SETTINGS",
    "UNSUPPORTED_YET",
    "VERSION",
    "ConfigError",
    "EnvFileError",
    "HelpRequested",
    "RegistryConfig",
    "Setting",
    "VersionRequested",
    "config_from_environ",
    "environ_with_env_file",
    "help_text",
    "parse_config",
    "to_environ",
]
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
        name: _parse_setting(BY_NAME[name], texts) for name, texts in given.items()
    }
    config = RegistryConfig(**values)
    raw = {
        name: _shown(BY_NAME[name], ",".join(texts)) for name, texts in given.items()
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


# --- the .env file ---------------------------------------------------------------

ENV_FILE: Final = ".env"
"""The optional file of ``A8_*`` variables, in the directory the registry starts in."""


def environ_with_env_file(
    environ_: Mapping[str, str], path: str | os.PathLike[str] = ENV_FILE
) -> dict[str, str]:
    """``environ_`` plus the ``A8_*`` variables that the file at ``path`` sets.

    A variable present in ``environ_`` (even empty) wins over the file, as with
    django-environ's ``read_env``; other names in the file are ignored; a missing
    file adds nothing. Nothing is written to ``os.environ``. Raises
    :class:`EnvFileError` for an unreadable file or a line that is not
    ``NAME=value``.
    """
    merged = dict(environ_)
    for name, value in read_env_file(path).items():
        if name.startswith("A8_"):
            merged.setdefault(name, value)
    return merged


def read_env_file(path: str | os.PathLike[str]) -> dict[str, str]:
    """Every ``NAME=value`` of a ``.env`` file, read by django-environ; ``{}`` if none.

    The syntax is django-environ's: ``NAME=value`` or ``export NAME=value``, values
    optionally in single or double quotes, ``#`` comments on their own lines.
    """
    shown = os.fspath(path)
    try:
        with open(path, encoding="utf-8") as file:
            content = file.read()
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as err:
        raise EnvFileError(shown, 0, str(err)) from None

    class _Scratch(environ.Env):  # type: ignore[misc]  # untyped django-environ
        ENVIRON: dict[str, str] = {}  # read_env fills this, never os.environ

    with _invalid_lines() as invalid:
        _Scratch.read_env(io.StringIO(content))
    if invalid:
        number = content.splitlines().index(invalid[0]) + 1
        raise EnvFileError(shown, number, "not NAME=value")
    return dict(_Scratch.ENVIRON)


@contextmanager
def _invalid_lines() -> Iterator[list[str]]:
    """Collect the lines that django-environ's ``read_env`` logs as invalid."""
    invalid: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            # "Invalid line: %s" is its only warning.
            if record.levelno >= logging.WARNING and isinstance(record.args, tuple):
                invalid.append(str(record.args[0]))

    logger = logging.getLogger(environ.Env.__module__)
    handler = Collect()
    propagate, logger.propagate = logger.propagate, False
    logger.addHandler(handler)
    try:
        yield invalid
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


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
            if BY_NAME[flag.name].is_list:
                texts.setdefault(flag.name, []).append(value)
            else:
                texts[flag.name] = [value]
    except goflags.FlagSyntaxError as err:
        # A known flag can only lack its value; otherwise show the argument as typed.
        value = "" if err.name in BY_NAME else err.text
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
    _validate_catalogs(config, raw)
    if config.replication and config.store == "redis":
        raise _error("replication", raw, "cannot be combined with store=redis")
    cluster_dir = config.cluster_dir
    if (
        config.replication
        and os.path.exists(cluster_dir)
        and not os.path.isdir(cluster_dir)
    ):
        raise _error("cluster_dir", raw, "exists and is not a directory")
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
            if getattr(config, name) != getattr(DEFAULTS, name):
                raise _error(name, raw, "only used with store=redis")
        return
    if not config.store_address and not config.store_sentinels:
        raise _error("store_address", raw, "required when store is redis")
    if config.store_sentinels and config.store_cluster:
        raise _error("store_cluster", raw, "cannot be combined with store_sentinels")
    if config.store_sentinels and config.store_address:
        raise _error("store_address", raw, "not used with store_sentinels")


#: Catalog settings and the setting each one needs.
_CATALOG_ONLY: Final = {
    "k8s_token": "k8s_url",
    "k8s_ca_file": "k8s_url",
    "k8s_insecure": "k8s_url",
    "k8s_resync": "k8s_url",
    "k8s_endpoint_slices": "k8s_url",
    "eureka_ca_file": "eureka_url",
    "eureka_insecure": "eureka_url",
    "eureka_refresh": "eureka_url",
}


def _validate_catalogs(config: RegistryConfig, raw: Mapping[str, str]) -> None:
    for name, needed in _CATALOG_ONLY.items():
        given = getattr(config, name) != getattr(DEFAULTS, name)
        if given and not getattr(config, needed):
            raise _error(name, raw, f"only used with {needed}")
    for source in ("k8s", "eureka"):
        if getattr(config, f"{source}_insecure") and getattr(
            config, f"{source}_ca_file"
        ):
            reason = f"cannot be combined with {source}_ca_file"
            raise _error(f"{source}_insecure", raw, reason)


def _reject_unsupported_yet(config: RegistryConfig, raw: Mapping[str, str]) -> None:
    """Refuse any non-default value for a setting listed in :data:`UNSUPPORTED_YET`."""
    for name in UNSUPPORTED_YET:
        if getattr(config, name) != getattr(DEFAULTS, name):
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
    setting = BY_NAME[name]
    return raw.get(name, setting.format(setting.default))
