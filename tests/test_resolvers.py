"""Token -> namespace resolution (spec §3.2), with an injected clock."""

from __future__ import annotations

import warnings

import jwt
import pytest

from registry.resolvers import (
    InvalidTokenError,
    MalformedAuthorizationError,
    MissingTokenError,
    build_resolver,
    token_from_authorization,
)
from registry.store.clock import ManualClock

SECRET = "a-secret-long-enough-for-hs256-keys!"


def token(claims: dict, secret: str = SECRET) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return jwt.encode(claims, secret, algorithm="HS256")


@pytest.fixture
def resolver(clock: ManualClock):
    return build_resolver(("jwt",), SECRET, clock)


def now(clock: ManualClock) -> int:
    return clock.now_ns() // 10**9


def test_expiry_is_checked_against_the_injected_clock(resolver, clock):
    expiring = token({"namespace": "a", "exp": now(clock) + 10})
    assert resolver.resolve(expiring) == "a"
    clock.advance(10)
    assert resolver.resolve(expiring) == "a"  # valid through its exp second
    clock.advance(1)
    with pytest.raises(InvalidTokenError):
        resolver.resolve(expiring)


def test_not_before_is_checked_against_the_injected_clock(resolver, clock):
    early = token({"namespace": "a", "nbf": now(clock) + 5})
    with pytest.raises(InvalidTokenError):
        resolver.resolve(early)
    clock.advance(5)
    assert resolver.resolve(early) == "a"


def test_unpadded_and_padded_segments_both_parse(resolver):
    good = token({"namespace": "a"})
    assert resolver.resolve(good) == "a"


def test_empty_token_is_missing_in_every_mode(clock):
    for modes in (("trusted",), ("jwt",), ("jwt", "trusted")):
        with pytest.raises(MissingTokenError):
            build_resolver(modes, SECRET, clock).resolve("")


def test_default_mode(clock):
    resolver = build_resolver((), "", clock)
    assert resolver.resolve("") == "default"
    assert resolver.resolve("default") == "default"
    with pytest.raises(InvalidTokenError):
        resolver.resolve("tenant")


def test_trusted_takes_the_token_verbatim(clock):
    resolver = build_resolver(("trusted",), "", clock)
    assert resolver.resolve("a:b*{c}") == "a:b*{c}"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Bearer abc", "abc"),
        ("bearer abc", "abc"),
        ("BeArEr a b", "a b"),
        ("Bearer ", ""),
    ],
)
def test_bearer_tokens(header, expected):
    assert token_from_authorization(header) == expected


@pytest.mark.parametrize("header", ["Bearer", "Basic abc", "abc", " Bearer abc"])
def test_malformed_headers(header):
    with pytest.raises(MalformedAuthorizationError):
        token_from_authorization(header)
