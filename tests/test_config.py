"""Configuration: flags, A8_* variables, validation, help, to_environ round trip."""

from __future__ import annotations

import dataclasses
import os
from fractions import Fraction
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import requests.certs
from hypothesis import given, settings
from hypothesis import strategies as st

from registry import config, goflags
from registry.config import (
    SETTINGS,
    VERSION,
    ConfigError,
    EnvFileError,
    HelpRequested,
    RegistryConfig,
    VersionRequested,
    config_from_environ,
    environ_with_env_file,
    help_text,
    parse_config,
    to_environ,
)
from registry.config_model import SETTING_NAMES

#: A PEM CA bundle every machine has (requests ships one).
CA_BUNDLE: str = requests.certs.where()  # type: ignore[attr-defined]  # not in the stubs

GATE_OPEN = mock.patch.object(config, "UNSUPPORTED_YET", ())


def error_for(argv: list[str], environ: dict[str, str] | None = None) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        parse_config(argv, environ or {})
    return info.value


# --- defaults and the table --------------------------------------------------------


def test_no_flags_and_no_env_give_the_defaults():
    assert parse_config([], {}) == RegistryConfig()
    assert config_from_environ({}) == RegistryConfig()


def test_settings_table_has_one_row_per_config_field():
    names = [setting.name for setting in SETTINGS]
    assert len(names) == len(set(names))
    assert (
        set(names)
        == SETTING_NAMES
        == {field.name for field in dataclasses.fields(RegistryConfig)}
    )


def test_defaults_match_the_spec():
    c = RegistryConfig()
    assert (c.log_level, c.log_format, c.auth_mode, c.store) == (
        "info",
        "text",
        (),
        "inmem",
    )
    assert (c.api_host, c.api_port, c.replication_port) == ("0.0.0.0", 8080, 6100)
    assert (c.default_ttl, c.min_ttl, c.max_ttl, c.sync_timeout) == (30, 10, 600, 30.0)
    assert (c.namespace_capacity, c.workers, c.threads) == (-1, 0, 2)
    assert c.worker_processes() == 1
    assert (c.store_sentinel_master, c.store_cluster, c.store_timeout) == (
        "mymaster",
        False,
        2.0,
    )
    assert c.cluster_dir == "/tmp/sd-cluster"


def test_settings_table_covers_every_field_in_order():
    names = [field.name for field in dataclasses.fields(RegistryConfig)]
    assert [setting.name for setting in SETTINGS] == names
    assert all(setting.env == "A8_" + setting.name.upper() for setting in SETTINGS)


def test_unrelated_environment_variables_are_ignored():
    env = {"PATH": "/bin", "A8_NOT_A_SETTING": "x", "a8_api_port": "1"}
    assert config_from_environ(env) == RegistryConfig()


# --- flag syntax -------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["--api_port", "9090"],
        ["--api_port=9090"],
        ["-api_port", "9090"],
        ["-api_port=9090"],
    ],
)
def test_every_go_flag_syntax_is_accepted(argv):
    assert parse_config(argv, {}).api_port == 9090


def test_value_flag_takes_the_next_argument_even_if_it_starts_with_a_dash():
    err = error_for(["--log_level", "-x"])
    assert (err.setting, err.value) == ("log_level", "-x")


def test_repeated_scalar_flag_last_one_wins():
    assert parse_config(["--api_port=1", "--api_port", "2"], {}).api_port == 2


def test_flag_value_may_contain_equals_signs():
    assert parse_config(["--jwt_secret=a=b="], {}).jwt_secret == "a=b="


def test_double_dash_alone_ends_the_flags():
    assert parse_config(["--api_port=1", "--"], {}).api_port == 1


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--require_https"], True),
        (["-require_https"], True),
        (["--require_https=true"], True),
        (["--require_https=false"], False),
        (["--require_https=0"], False),
        (["--require_https", "--api_port=1"], True),
    ],
)
def test_boolean_flags(argv, expected):
    assert parse_config(argv, {}).require_https is expected


def test_boolean_flag_does_not_take_the_next_argument():
    err = error_for(["--require_https", "true"])
    assert err.setting == ""
    assert err.value == "true"
    assert "unexpected argument" in str(err)


@pytest.mark.parametrize("argv", [["--bogus"], ["-bogus=1"], ["--api-port=80"]])
def test_unknown_flag(argv):
    err = error_for(argv)
    assert err.setting == argv[0].lstrip("-").partition("=")[0]
    assert err.reason == "unknown flag"
    assert argv[0] in str(err)


def test_flag_missing_its_value():
    err = error_for(["--api_port"])
    assert err.setting == "api_port"
    assert "missing value" in err.reason
    assert "--api_port" in str(err)


@pytest.mark.parametrize(
    ("argv", "value"),
    [
        (["serve"], "serve"),
        (["--api_port=1", "serve"], "serve"),
        (["-"], "-"),
        (["--", "x"], "x"),
    ],
)
def test_positional_arguments_are_rejected(argv, value):
    err = error_for(argv)
    assert (err.setting, err.value) == ("", value)
    assert f'"{value}"' in str(err)


@pytest.mark.parametrize("arg", ["---api_port=1", "--=1", "-=x"])
def test_bad_flag_syntax(arg):
    err = error_for([arg])
    assert err.reason == "bad flag syntax"
    assert arg in str(err)


@pytest.mark.parametrize("arg", ["--help", "-help", "-h", "--h"])
def test_help(arg):
    with pytest.raises(HelpRequested) as info:
        parse_config(["--api_port=1", arg], {})
    assert info.value.text == help_text()


def test_help_wins_over_bad_values_but_not_over_bad_syntax():
    with pytest.raises(HelpRequested):
        parse_config(["--min_ttl=5x", "--help"], {})
    with pytest.raises(ConfigError):
        parse_config(["--bogus", "--help"], {})


@pytest.mark.parametrize("arg", ["--version", "-version", "-v", "--v"])
def test_version(arg):
    with pytest.raises(VersionRequested) as info:
        parse_config([arg], {})
    assert info.value.version == VERSION == "0.1.0"
    assert info.value.text == f"a8registry {VERSION}"


# --- environment and precedence ----------------------------------------------------


def test_env_var_is_used_when_no_flag_is_given():
    assert config_from_environ({"A8_API_PORT": "9000"}).api_port == 9000


def test_flag_wins_over_env_var():
    env = {"A8_API_PORT": "9000", "A8_LOG_LEVEL": "debug"}
    parsed = parse_config(["--api_port=9090"], env)
    assert (parsed.api_port, parsed.log_level) == (9090, "debug")


def test_flag_wins_over_a_bad_env_var():
    assert parse_config(["--api_port=9090"], {"A8_API_PORT": "x"}).api_port == 9090


@pytest.mark.parametrize(
    "name", ["A8_API_PORT", "A8_REQUIRE_HTTPS", "A8_MIN_TTL", "A8_LOG_LEVEL"]
)
def test_empty_env_var_means_the_default(name):
    assert config_from_environ({name: ""}) == RegistryConfig()


@pytest.mark.parametrize("text", ["1", "t", "T", "TRUE", "true", "True"])
def test_env_bool_true_spellings(text):
    assert config_from_environ({"A8_REQUIRE_HTTPS": text}).require_https is True


@pytest.mark.parametrize("text", ["0", "f", "F", "FALSE", "false", "False"])
def test_env_bool_false_spellings(text):
    assert config_from_environ({"A8_REQUIRE_HTTPS": text}).require_https is False


@pytest.mark.parametrize("text", ["yes", "TrUe", "2", "on", " true"])
def test_env_bool_invalid(text):
    err = error_for([], {"A8_REQUIRE_HTTPS": text})
    assert (err.setting, err.value) == ("require_https", text)
    assert "A8_REQUIRE_HTTPS / --require_https" in str(err)


# --- lists -------------------------------------------------------------------------


def test_list_flag_repeats_append():
    argv = ["--auth_mode", "trusted", "--auth_mode=jwt", "--jwt_secret=s"]
    assert parse_config(argv, {}).auth_mode == ("trusted", "jwt")


def test_list_flag_value_may_hold_commas():
    parsed = parse_config(["--auth_mode=jwt, trusted", "--jwt_secret=s"], {})
    assert parsed.auth_mode == ("jwt", "trusted")


def test_list_env_var_items_are_trimmed_and_empty_ones_dropped():
    env = {"A8_AUTH_MODE": " trusted ,, jwt ,", "A8_JWT_SECRET": "s"}
    assert config_from_environ(env).auth_mode == ("trusted", "jwt")


def test_list_flags_replace_the_env_list():
    env = {"A8_AUTH_MODE": "jwt"}
    assert parse_config(["--auth_mode=trusted"], env).auth_mode == ("trusted",)
    assert parse_config(["--auth_mode="], env).auth_mode == ()


def test_eureka_url_list():
    with GATE_OPEN:
        parsed = parse_config(
            [
                "--eureka_url=http://a:8080/eureka,https://b/eureka",
                "--eureka_url=http://c",
            ],
            {},
        )
    assert parsed.eureka_url == ("http://a:8080/eureka", "https://b/eureka", "http://c")


def test_bad_list_item_names_the_setting_and_the_value():
    err = error_for([], {"A8_AUTH_MODE": "trusted,oauth"})
    assert err.setting == "auth_mode"
    assert "trusted,oauth" in str(err)
    assert "trusted, jwt" in err.reason


# --- values ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("debug", "debug"),
        ("info", "info"),
        ("warn", "warning"),
        ("warning", "warning"),
        ("WARN", "warning"),
        ("Error", "error"),
        ("fatal", "critical"),
        ("panic", "critical"),
        ("critical", "critical"),
    ],
)
def test_log_levels_are_normalised(text, expected):
    assert config_from_environ({"A8_LOG_LEVEL": text}).log_level == expected


@pytest.mark.parametrize("fmt", ["text", "json", "logstash"])
def test_log_formats(fmt):
    assert parse_config([f"--log_format={fmt}"], {}).log_format == fmt


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("::", "::"),
        ("::1", "::1"),
        ("[::1]", "::1"),
        ("fe80::1%eth0", "fe80::1%eth0"),
        ("localhost", "localhost"),
        ("registry-1.example.com", "registry-1.example.com"),
        ("example.com.", "example.com."),
    ],
)
def test_api_host_accepts_addresses_and_host_names(text, expected):
    assert parse_config(["--api_host", text], {}).api_host == expected


def test_integers_accept_an_explicit_sign():
    parsed = parse_config(["--api_port=+8081", "--namespace_capacity=-1"], {})
    assert (parsed.api_port, parsed.namespace_capacity) == (8081, -1)


@pytest.mark.parametrize("text", ["0", "1", "1000000"])
def test_namespace_capacity_values(text):
    assert parse_config(["--namespace_capacity", text], {}).namespace_capacity == int(
        text
    )


def test_ttls_are_whole_seconds():
    argv = ["--min_ttl=1s", "--default_ttl=1m30s", "--max_ttl=1.5h"]
    parsed = parse_config(argv, {})
    assert (parsed.min_ttl, parsed.default_ttl, parsed.max_ttl) == (1, 90, 5400)


def test_ttls_may_all_be_equal():
    argv = ["--min_ttl=60s", "--default_ttl=1m", "--max_ttl=60000ms"]
    assert parse_config(argv, {}).ttl_clamp(0) == 60


def test_threads_and_workers():
    parsed = parse_config(["--threads=256", "--workers=1"], {})
    assert (parsed.threads, parsed.workers) == (256, 1)


def test_server_and_header_read_timeout():
    assert parse_config([], {}).server == "granian"
    assert parse_config([], {}).header_read_timeout == 30.0
    env = {"A8_SERVER": "gunicorn", "A8_HEADER_READ_TIMEOUT": "1500ms"}
    parsed = parse_config([], env)
    assert (parsed.server, parsed.header_read_timeout) == ("gunicorn", 1.5)
    assert parse_config(["--server=granian"], env).server == "granian"


@pytest.mark.parametrize(
    ("argv", "setting", "value", "reason"),
    [
        (["--api_port=0"], "api_port", "0", "between 1 and 65535"),
        (["--api_port=65536"], "api_port", "65536", "between 1 and 65535"),
        (["--api_port=-1"], "api_port", "-1", "between 1 and 65535"),
        (["--api_port=80x"], "api_port", "80x", "not a decimal integer"),
        (["--api_port=0x50"], "api_port", "0x50", "not a decimal integer"),
        (["--api_port=8_080"], "api_port", "8_080", "not a decimal integer"),
        (["--api_port= 80"], "api_port", " 80", "not a decimal integer"),
        (["--api_port=8080.0"], "api_port", "8080.0", "not a decimal integer"),
        (["--api_port=\u0668\u0660"], "api_port", "\u0668\u0660", "not a decimal"),
        (["--api_port="], "api_port", "", "not a decimal integer"),
        (["--replication_port=70000"], "replication_port", "70000", "between 1"),
        (["--threads=0"], "threads", "0", "between 1 and 256"),
        (["--threads=257"], "threads", "257", "between 1 and 256"),
        (["--workers=-1"], "workers", "-1", "at least 0"),
        (["--workers=2"], "workers", "2", "in-memory store lives in one process"),
        (["--namespace_capacity=-2"], "namespace_capacity", "-2", "at least -1"),
        (["--cluster_size=-1"], "cluster_size", "-1", "at least 0"),
        (["--cluster_dir="], "cluster_dir", "", "must not be empty"),
        (["--log_level=verbose"], "log_level", "verbose", "debug, info, warn"),
        (["--log_format=xml"], "log_format", "xml", "text, json, logstash"),
        (["--log_format=JSON"], "log_format", "JSON", "text, json, logstash"),
        (["--store=mongo"], "store", "mongo", "inmem, redis"),
        (["--server=uvicorn"], "server", "uvicorn", "granian, gunicorn"),
        (["--server=Granian"], "server", "Granian", "granian, gunicorn"),
        (["--header_read_timeout=0s"], "header_read_timeout", "0s", "positive"),
        (["--header_read_timeout=5"], "header_read_timeout", "5", "not a duration"),
        (["--auth_mode=oauth"], "auth_mode", "oauth", "trusted, jwt"),
        (["--auth_mode=jwt"], "jwt_secret", "", "required when auth_mode includes jwt"),
        (["--api_host="], "api_host", "", "not an IP address or host name"),
        (["--api_host=a b"], "api_host", "a b", "not an IP address or host name"),
        (["--api_host=-x"], "api_host", "-x", "not an IP address or host name"),
        (["--api_host=h:80"], "api_host", "h:80", "the port goes in api_port"),
        (["--api_host=1.2.3.4:80"], "api_host", "1.2.3.4:80", "api_port"),
        (["--k8s_url=ftp://k"], "k8s_url", "ftp://k", "not an http:// or https://"),
        (["--k8s_url=k8s.local"], "k8s_url", "k8s.local", "not an http://"),
        (["--eureka_url=http://"], "eureka_url", "http://", "not an http://"),
        (["--fs_catalog=/no/such"], "fs_catalog", "/no/such", "not a directory"),
        (
            ["--k8s_url=http://k", "--k8s_ca_file=/no/ca"],
            "k8s_ca_file",
            "/no/ca",
            "not a readable file",
        ),
        (
            ["--eureka_url=http://e", "--eureka_ca_file=/"],
            "eureka_ca_file",
            "/",
            "not a readable file",
        ),
        (
            ["--eureka_url=http://e", f"--eureka_ca_file={__file__}"],
            "eureka_ca_file",
            __file__,
            "not a PEM CA bundle",
        ),
        (["--k8s_token=t"], "k8s_token", "****", "only used with k8s_url"),
        (["--k8s_resync=10s"], "k8s_resync", "10s", "only used with k8s_url"),
        (["--k8s_url=http://k", "--k8s_resync=0s"], "k8s_resync", "0s", "positive"),
        (["--eureka_insecure"], "eureka_insecure", "true", "only used with eureka_url"),
        (["--eureka_refresh=1s"], "eureka_refresh", "1s", "only used with eureka_url"),
        (
            [
                "--eureka_url=http://e",
                "--eureka_insecure",
                f"--eureka_ca_file={CA_BUNDLE}",
            ],
            "eureka_insecure",
            "true",
            "cannot be combined with eureka_ca_file",
        ),
        (
            ["--k8s_url=http://k", "--k8s_insecure", f"--k8s_ca_file={CA_BUNDLE}"],
            "k8s_insecure",
            "true",
            "cannot be combined with k8s_ca_file",
        ),
        (["--sync_timeout=0"], "sync_timeout", "0", "positive"),
        (["--sync_timeout=-1s"], "sync_timeout", "-1s", "must not be negative"),
        (["--sync_timeout=5x"], "sync_timeout", "5x", "not a duration"),
        (["--min_ttl=5x"], "min_ttl", "5x", "not a duration (examples: 30s"),
        (["--min_ttl=10"], "min_ttl", "10", "not a duration"),
        (["--min_ttl=1500ms"], "min_ttl", "1500ms", "whole number of seconds"),
        (["--min_ttl=0"], "min_ttl", "0", "at least 1s"),
        (["--max_ttl=0s"], "max_ttl", "0s", "at least 1s"),
        (["--default_ttl=-30s"], "default_ttl", "-30s", "must not be negative"),
        (["--default_ttl=500ms"], "default_ttl", "500ms", "whole number"),
    ],
)
def test_invalid_values(argv, setting, value, reason):
    err = error_for(argv)
    assert (err.setting, err.value) == (setting, value)
    assert reason in err.reason
    message = str(err)
    assert "\n" not in message
    assert f"({'A8_' + setting.upper()} / --{setting})" in message
    assert message.startswith(f"invalid value {goflags.quote(value)} for {setting} ")


def test_error_message_has_the_documented_shape():
    err = error_for([], {"A8_MIN_TTL": "5x"})
    assert str(err) == (
        'invalid value "5x" for min_ttl (A8_MIN_TTL / --min_ttl): '
        "not a duration (examples: 30s, 1m30s, 10m)"
    )


def test_error_message_stays_on_one_line():
    err = error_for(["--log_level=bad\nlevel\u2028x"])
    assert err.value == "bad\nlevel\u2028x"
    assert str(err).splitlines() == [str(err)]
    assert "bad\\nlevel\\u2028x" in str(err)


def test_jwt_secret_satisfies_jwt_mode():
    parsed = config_from_environ({"A8_AUTH_MODE": "jwt", "A8_JWT_SECRET": "k"})
    assert (parsed.auth_mode, parsed.jwt_secret) == (("jwt",), "k")


# --- TTL ordering --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "setting", "values"),
    [
        (["--default_ttl=5s"], "default_ttl", ("5s", "10s")),
        (["--default_ttl=11m"], "default_ttl", ("11m", "10m0s")),
        (["--min_ttl=60s"], "min_ttl", ("60s", "30s")),
        (["--max_ttl=20s"], "max_ttl", ("20s", "30s")),
        (["--min_ttl=20s", "--default_ttl=15s"], "default_ttl", ("15s", "20s")),
        (["--max_ttl=20s", "--default_ttl=25s"], "default_ttl", ("25s", "20s")),
        (["--min_ttl=700s", "--default_ttl=700s"], "min_ttl", ("700s", "10m0s")),
        (["--max_ttl=5s", "--min_ttl=6s"], "min_ttl", ("6s", "5s")),
        (["--max_ttl=5s"], "max_ttl", ("5s", "10s")),
    ],
)
def test_ttl_order_is_enforced(argv, setting, values):
    err = error_for(argv)
    assert err.setting == setting
    assert err.value == values[0]
    assert all(value in str(err) for value in values)


# --- settings that have not landed ---------------------------------------------------


def test_unsupported_yet_settings_are_rejected(monkeypatch):
    """Every feature has landed; the guard stays for the next one."""
    assert config.UNSUPPORTED_YET == ()
    monkeypatch.setattr(config, "UNSUPPORTED_YET", ("cluster_size",))
    err = error_for(["--cluster_size=3"])
    assert (err.setting, err.reason) == ("cluster_size", "not supported yet")
    assert parse_config(["--cluster_size=0"], {}) == RegistryConfig()


@pytest.mark.parametrize(
    "argv",
    [
        ["--replication=false"],
        ["--store=inmem"],
        ["--cluster_dir=/tmp/sd-cluster"],
        ["--replication_port=6100"],
        ["--sync_timeout=0.5m"],
        ["--cluster_size=0"],
        ["--k8s_url=", "--eureka_url=", "--fs_catalog="],
    ],
)
def test_unsupported_yet_settings_at_their_default_are_fine(argv):
    assert parse_config(argv, {}) == RegistryConfig()


def test_replication_settings_are_supported(tmp_path):
    argv = [
        "--replication",
        "--replication_port=6200",
        "--replication_host=[::1]",
        f"--cluster_dir={tmp_path}",
        "--cluster_size=3",
        "--sync_timeout=10s",
    ]
    parsed = parse_config(argv, {})
    assert (parsed.replication, parsed.replication_port) == (True, 6200)
    assert (parsed.replication_host, parsed.cluster_dir) == ("::1", str(tmp_path))
    assert (parsed.cluster_size, parsed.sync_timeout) == (3, 10.0)


def test_replication_host_must_be_an_ip_address():
    err = error_for(["--replication_host=node-1.example"])
    assert (err.setting, err.reason) == ("replication_host", "not an IP address")


def test_cluster_dir_that_is_a_file_is_rejected_with_replication(tmp_path):
    afile = tmp_path / "file"
    afile.write_text("x")
    err = error_for(["--replication", f"--cluster_dir={afile}"])
    assert (err.setting, err.reason) == ("cluster_dir", "exists and is not a directory")
    assert parse_config([f"--cluster_dir={afile}"], {}).cluster_dir == str(afile)


def test_secret_values_are_masked_in_errors():
    err = error_for(["--store_password=hunter2"])
    assert err.value == "****"
    assert "hunter2" not in str(err)


def test_store_redis_allows_several_workers_once_landed():
    argv = [
        "--store=redis",
        "--store_address=r:6379",
        "--workers=4",
        "--sync_timeout=1m",
    ]
    with GATE_OPEN:
        parsed = parse_config(argv, {})
    assert (parsed.store, parsed.workers, parsed.sync_timeout) == ("redis", 4, 60.0)


@pytest.mark.parametrize(
    ("argv", "setting", "reason"),
    [
        (["--store=redis"], "store_address", "required when store is redis"),
        (
            ["--store=redis", "--store_address=r:1", "--replication"],
            "replication",
            "cannot be combined with store=redis",
        ),
        (["--replication", "--workers=2"], "workers", "must be 1 with store=inmem"),
    ],
)
def test_cross_checks_of_unlanded_features(argv, setting, reason):
    with GATE_OPEN:
        err = error_for(argv)
    assert err.setting == setting
    assert reason in err.reason


# --- Go durations --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", Fraction(30)),
        ("1m30s", Fraction(90)),
        ("1.5h", Fraction(5400)),
        ("300ms", Fraction(3, 10)),
        ("0", Fraction(0)),
        ("-0", Fraction(0)),
        ("+5s", Fraction(5)),
        ("2h45m", Fraction(9900)),
        ("1h1m1s1ms1us1ns", Fraction(3661001001001, 10**9)),
        ("1\u00b5s", Fraction(1, 10**6)),
        ("1\u03bcs", Fraction(1, 10**6)),
        (".5s", Fraction(1, 2)),
        ("1.s", Fraction(1)),
        ("0.000000001s", Fraction(1, 10**9)),
    ],
)
def test_parse_duration(text, seconds):
    assert goflags.parse_duration(text) == seconds


@pytest.mark.parametrize(
    "text",
    ["5x", "s", "", "1", "1.5", ".s", "5 s", " 5s", "5s ", "1h-1m", "1e3s", "\u0663s"],
)
def test_parse_duration_rejects_non_durations(text):
    with pytest.raises(ValueError, match="not a duration"):
        goflags.parse_duration(text)


def test_parse_duration_rejects_negatives_and_overflow():
    with pytest.raises(ValueError, match="must not be negative"):
        goflags.parse_duration("-1s")
    with pytest.raises(ValueError, match="out of range"):
        goflags.parse_duration("3000000h")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(1, "1s"), (30, "30s"), (90, "1m30s"), (600, "10m0s"), (3600, "1h0m0s")],
)
def test_format_whole_seconds_is_go_style(seconds, text):
    assert goflags.format_whole_seconds(seconds) == text


@settings(database=None, deadline=None)
@given(st.integers(min_value=1, max_value=10**9))
def test_whole_seconds_round_trip(seconds):
    text = goflags.format_whole_seconds(seconds)
    assert goflags.parse_whole_seconds(text) == seconds


@settings(database=None, deadline=None)
@given(st.floats(min_value=0, max_value=9e9, exclude_min=True))
def test_positive_seconds_round_trip(seconds):
    assert goflags.parse_positive_seconds(goflags.format_seconds(seconds)) == seconds


# --- ttl_clamp (spec 4.4) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("requested", "granted"),
    [(0, 30), (1, 10), (9, 10), (10, 10), (11, 11), (30, 30), (600, 600), (601, 600)],
)
def test_ttl_clamp_with_defaults(requested, granted):
    assert RegistryConfig().ttl_clamp(requested) == granted


def test_ttl_clamp_does_not_clamp_the_default():
    odd = RegistryConfig(default_ttl=5, min_ttl=10, max_ttl=20)
    assert odd.ttl_clamp(0) == 5
    assert odd.ttl_clamp(5) == 10
    assert odd.ttl_clamp(99) == 20


def test_ttl_clamp_with_inconsistent_bounds_follows_the_spec_order():
    odd = RegistryConfig(min_ttl=50, max_ttl=20)
    assert odd.ttl_clamp(30) == 50
    assert odd.ttl_clamp(60) == 20


# --- to_environ ----------------------------------------------------------------------

_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=20)
_NON_EMPTY = _TEXT.filter(bool)
_URL = st.from_regex(
    r"https?://[a-z][a-z0-9.-]{0,15}(:[0-9]{1,5})?(/[a-z0-9/]*)?", fullmatch=True
)
_HOST_PORT = st.from_regex(r"[a-z][a-z0-9.-]{0,15}:[1-9][0-9]{0,3}", fullmatch=True)
_REDIS_ADDRESS = st.one_of(
    _HOST_PORT,
    st.from_regex(
        r"rediss?://[a-z][a-z0-9.-]{0,15}(:[1-9][0-9]{0,3})?(/[0-9])?", fullmatch=True
    ),
)
_HOST = st.one_of(
    st.ip_addresses().map(str),
    st.from_regex(
        r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?(\.[a-z0-9-]{1,10}){0,3}", fullmatch=True
    ),
)


@st.composite
def valid_configs(draw: st.DrawFn, gate_open: bool) -> RegistryConfig:
    min_ttl, default_ttl, max_ttl = sorted(
        draw(st.lists(st.integers(1, 10**7), min_size=3, max_size=3))
    )
    auth_mode = tuple(draw(st.lists(st.sampled_from(["trusted", "jwt"]), max_size=3)))
    base = RegistryConfig(
        log_level=draw(
            st.sampled_from(["debug", "info", "warning", "error", "critical"])
        ),
        log_format=draw(st.sampled_from(["text", "json", "logstash"])),
        auth_mode=auth_mode,
        jwt_secret=draw(_NON_EMPTY if "jwt" in auth_mode else _TEXT),
        require_https=draw(st.booleans()),
        api_host=draw(_HOST),
        api_port=draw(st.integers(1, 65535)),
        min_ttl=min_ttl,
        default_ttl=default_ttl,
        max_ttl=max_ttl,
        namespace_capacity=draw(st.integers(-1, 2**63 - 1)),
        threads=draw(st.integers(1, 256)),
    )
    if not gate_open:
        return base
    store = draw(st.sampled_from(["inmem", "redis"]))
    redis = store == "redis"
    sentinels = tuple(draw(st.lists(_HOST_PORT, max_size=3))) if redis else ()
    return dataclasses.replace(
        base,
        store=store,
        store_address="" if sentinels or not redis else draw(_REDIS_ADDRESS),
        store_password=draw(_TEXT) if redis else "",
        store_sentinels=sentinels,
        store_sentinel_master=draw(_NON_EMPTY),
        store_cluster=bool(redis and not sentinels and draw(st.booleans())),
        store_timeout=draw(st.floats(min_value=0.001, max_value=600)),
        workers=draw(st.integers(0, 64)) if redis else draw(st.integers(0, 1)),
        replication=store == "inmem" and draw(st.booleans()),
        replication_port=draw(st.integers(1, 65535)),
        replication_host=draw(st.sampled_from(["", "127.0.0.1", "10.1.2.3", "::1"])),
        sync_timeout=draw(st.floats(min_value=0, max_value=9e9, exclude_min=True)),
        cluster_dir=draw(_NON_EMPTY),
        cluster_size=draw(st.integers(0, 1000)),
        **_catalog_settings(draw),
    )


def _catalog_settings(draw: Any) -> dict[str, Any]:
    """Valid catalog settings: the others only come with their URL."""
    k8s_url = draw(st.one_of(st.just(""), _URL))
    eureka_url = tuple(draw(st.lists(_URL, max_size=3)))
    k8s: dict[str, Any] = {}
    if k8s_url:
        k8s = {
            "k8s_token": draw(_TEXT),
            "k8s_insecure": draw(st.booleans()),
            "k8s_endpoint_slices": draw(st.booleans()),
            "k8s_resync": draw(st.floats(min_value=0.001, max_value=9e6)),
        }
    eureka: dict[str, Any] = {}
    if eureka_url:
        eureka = {
            "eureka_insecure": draw(st.booleans()),
            "eureka_refresh": draw(st.floats(min_value=0.001, max_value=9e6)),
        }
    return {
        "k8s_url": k8s_url,
        "eureka_url": eureka_url,
        "fs_catalog": draw(st.sampled_from(["", str(Path(__file__).parent)])),
        **k8s,
        **eureka,
    }


@settings(database=None, deadline=None)
@given(valid_configs(gate_open=False))
def test_to_environ_round_trips(cfg):
    assert config_from_environ(to_environ(cfg)) == cfg


@settings(database=None, deadline=None)
@given(valid_configs(gate_open=True))
def test_to_environ_round_trips_every_setting_once_landed(cfg):
    with GATE_OPEN:
        assert config_from_environ(to_environ(cfg)) == cfg


def test_to_environ_sets_every_variable_and_overrides_stray_ones():
    parsed = parse_config(["--api_port=9090", "--auth_mode=trusted"], {})
    environ = to_environ(parsed)
    assert sorted(environ) == sorted(setting.env for setting in SETTINGS)
    stray = {"A8_API_PORT": "1", "A8_AUTH_MODE": "jwt", "A8_LOG_LEVEL": "debug"}
    assert config_from_environ({**stray, **environ}) == parsed


def test_to_environ_uses_go_durations():
    environ = to_environ(parse_config(["--max_ttl=1h", "--default_ttl=90s"], {}))
    assert (environ["A8_MAX_TTL"], environ["A8_DEFAULT_TTL"]) == ("1h0m0s", "1m30s")
    assert environ["A8_SYNC_TIMEOUT"] == "30s"


# --- help ----------------------------------------------------------------------------


def test_help_lists_every_flag_env_var_type_and_default():
    text = help_text()
    for setting in SETTINGS:
        line = next(line for line in text.splitlines() if f"--{setting.name} " in line)
        assert setting.env in line
        assert setting.type in line
        assert f"default {goflags.quote(setting.format(setting.default))}" in line
    assert "--help" in text
    assert "--version" in text


def test_help_marks_unsupported_settings():
    lines = help_text().splitlines()
    for name in config.UNSUPPORTED_YET:
        index = next(i for i, line in enumerate(lines) if f"--{name} " in line)
        assert "not supported yet" in lines[index + 1]
    index = next(i for i, line in enumerate(lines) if "--api_port " in line)
    assert "not supported yet" not in lines[index + 1]


def test_config_error_is_an_exception_with_fields():
    err = ConfigError("min_ttl", "5x", "not a duration")
    assert isinstance(err, Exception)
    assert (err.setting, err.value, err.reason) == ("min_ttl", "5x", "not a duration")


def configuration_doc_rows() -> dict[str, list[str]]:
    """The settings table of docs/configuration.md: flag name -> its cells."""
    doc = (Path(__file__).parent.parent / "docs" / "configuration.md").read_text()
    rows = {}
    for line in doc.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0].startswith("`") and cells[1].startswith("`A8_"):
            rows[cells[0].strip("`")] = cells
    return rows


def test_configuration_doc_lists_every_setting():
    rows = configuration_doc_rows()
    assert sorted(rows) == sorted(setting.name for setting in SETTINGS)
    for setting in SETTINGS:
        assert rows[setting.name][:3] == [
            f"`{setting.name}`",
            f"`{setting.env}`",
            setting.type,
        ]


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda setting: setting.name)
def test_configuration_doc_agrees_with_help_on_defaults_and_support(setting):
    _, _, _, default, meaning = configuration_doc_rows()[setting.name]
    if default == "empty":
        assert setting.format(setting.default) == ""
    else:  # the doc may write 10m where --help prints 10m0s
        assert setting.parse(default.strip("`")) == setting.default
    documented_unsupported = "*Not supported yet.*" in meaning
    assert documented_unsupported == (setting.name in config.UNSUPPORTED_YET)


# --- the Redis store -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "setting", "reason"),
    [
        (["--store=redis"], "store_address", "required when store is redis"),
        (["--store=redis", "--store_address=nohost"], "store_address", "not host:port"),
        (["--store=redis", "--store_address=http://r:1"], "store_address", "redis://"),
        (["--store_address=r:6379"], "store_address", "only used with store=redis"),
        (["--store_cluster"], "store_cluster", "only used with store=redis"),
        (
            ["--store=redis", "--store_sentinels=s:26379", "--store_cluster"],
            "store_cluster",
            "cannot be combined",
        ),
        (
            ["--store=redis", "--store_sentinels=s:26379", "--store_address=r:1"],
            "store_address",
            "not used with store_sentinels",
        ),
        (["--store=redis", "--store_sentinels=s"], "store_sentinels", "not host:port"),
        (
            ["--store=redis", "--store_address=r:1", "--store_timeout=0s"],
            "store_timeout",
            "positive",
        ),
    ],
)
def test_redis_settings_are_validated(argv, setting, reason):
    with pytest.raises(ConfigError) as raised:
        parse_config(argv, {})
    assert raised.value.setting == setting
    assert reason in str(raised.value)


def test_redis_settings_parse():
    config = parse_config(
        [
            "--store=redis",
            "--store_address=rediss://:pw@r.example:6380/2",
            "--workers=3",
        ],
        {"A8_STORE_TIMEOUT": "500ms"},
    )
    assert (config.store, config.store_timeout, config.worker_processes()) == (
        "redis",
        0.5,
        3,
    )
    sentinel = parse_config(
        [
            "--store=redis",
            "--store_sentinels=a:26379,b:26379",
            "--store_sentinel_master=m",
        ],
        {},
    )
    assert sentinel.store_sentinels == ("a:26379", "b:26379")
    assert sentinel.worker_processes() >= 2


# --- the .env file -------------------------------------------------------------------


def write_env_file(directory: Path, text: str) -> Path:
    path = directory / ".env"
    path.write_text(text, encoding="utf-8")
    return path


def test_env_file_adds_the_a8_variables_the_environment_lacks(tmp_path):
    path = write_env_file(
        tmp_path,
        "# the registry's settings\n"
        "A8_DEFAULT_TTL=45s\n"
        "\n"
        "export A8_AUTH_MODE='trusted'\n"
        'A8_JWT_SECRET="a#b c"\n'
        "A8_API_PORT=9000\n"
        "OTHER=ignored\n",
    )
    environ = {"A8_API_PORT": "9100", "HOME": "/home/x"}

    merged = environ_with_env_file(environ, path)

    assert merged == {
        "A8_API_PORT": "9100",  # the real environment wins
        "HOME": "/home/x",
        "A8_DEFAULT_TTL": "45s",
        "A8_AUTH_MODE": "trusted",
        "A8_JWT_SECRET": "a#b c",
    }
    assert environ == {"A8_API_PORT": "9100", "HOME": "/home/x"}  # not modified
    parsed = parse_config(["--default_ttl", "50s"], merged)  # a flag wins over both
    assert (parsed.default_ttl, parsed.auth_mode, parsed.api_port) == (
        50,
        ("trusted",),
        9100,
    )


def test_env_file_never_touches_os_environ(tmp_path, monkeypatch):
    monkeypatch.delenv("A8_MIN_TTL", raising=False)
    path = write_env_file(tmp_path, "A8_MIN_TTL=5s\n")
    assert environ_with_env_file({}, path) == {"A8_MIN_TTL": "5s"}
    assert "A8_MIN_TTL" not in os.environ


def test_an_empty_variable_still_hides_the_file_line(tmp_path):
    """As django-environ's ``read_env``: a variable that is set wins, even empty."""
    path = write_env_file(tmp_path, "A8_AUTH_MODE=trusted\n")
    merged = environ_with_env_file({"A8_AUTH_MODE": ""}, path)
    assert merged == {"A8_AUTH_MODE": ""}
    assert config_from_environ(merged).auth_mode == ()


def test_env_file_is_optional(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert environ_with_env_file({"A8_STORE": "inmem"}) == {"A8_STORE": "inmem"}


def test_env_file_in_the_working_directory_is_read_by_default(tmp_path, monkeypatch):
    write_env_file(tmp_path, "A8_MAX_TTL=2m\n")
    monkeypatch.chdir(tmp_path)
    assert config_from_environ(environ_with_env_file({})).max_ttl == 120


def test_env_file_invalid_line_is_a_one_line_error_without_the_value(tmp_path):
    path = write_env_file(tmp_path, "A8_MIN_TTL=5s\nA8_JWT_SECRET = s3cr3t\n")
    with pytest.raises(EnvFileError) as raised:
        environ_with_env_file({}, path)
    message = str(raised.value)
    assert isinstance(raised.value, ConfigError)  # exit 2 like any bad setting
    assert message == f"invalid line 2 of {path}: not NAME=value"
    assert "s3cr3t" not in message


def test_env_file_values_are_checked_like_variables(tmp_path):
    path = write_env_file(tmp_path, "A8_DEFAULT_TTL=soon\n")
    err = error_for([], environ_with_env_file({}, path))
    assert (err.setting, err.value) == ("default_ttl", "soon")


def test_unreadable_env_file_is_an_error(tmp_path):
    (tmp_path / ".env").mkdir()
    with pytest.raises(EnvFileError) as raised:
        environ_with_env_file({}, tmp_path / ".env")
    assert str(raised.value).startswith(f"cannot read {tmp_path / '.env'}: ")
    assert "\n" not in str(raised.value)
