"""Token -> namespace resolution (spec §3.2), with an injected clock."""

from __future__ import annotations

import warnings

import jwt
import pytest

from registry.resolvers import (
    InvalidTokenError,
    JwtResolver,
    MalformedAuthorizationError,
    MissingTokenError,
    ascii_token,
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


# -- canonical tokens only (hardening) -----------------------------------------


def malleable_spellings(good: str) -> list[str]:
    """The same token spelt otherwise: each decodes to the same bytes leniently."""
    head, payload, signature = good.split(".")
    standard = signature.replace("-", "+").replace("_", "/")
    last = signature[-1]
    # The signature's last character carries 2 unused bits (32 bytes = 43 chars).
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    stray = alphabet[alphabet.index(last) ^ 1]
    spellings = [
        f"{good}!!",
        f"{good}=",
        f"{good}==",
        f"{head}.{payload}.{signature[:10]}!{signature[10:]}",
        f"{head}=.{payload}.{signature}",
        f"{head}.{payload}.{signature[:-1]}{stray}",
    ]
    if standard != signature:
        spellings.append(f"{head}.{payload}.{standard}")
    return spellings


@pytest.mark.parametrize("index", range(7))
def test_only_the_canonical_spelling_of_a_token_verifies(resolver, index):
    good = token({"namespace": "a"})
    while "-" not in good.split(".")[2] and "_" not in good.split(".")[2]:
        good = token({"namespace": "a", "n": len(good) + index})
    assert resolver.resolve(good) == "a"
    spellings = malleable_spellings(good)
    if index >= len(spellings):
        pytest.skip("this token has no such spelling")
    with pytest.raises(InvalidTokenError):
        resolver.resolve(spellings[index])


@pytest.mark.parametrize("claim", ["exp", "nbf"])
@pytest.mark.parametrize("value", [None, "1800000000", True, [1], {"t": 1}])
def test_a_time_claim_that_is_not_a_number_is_invalid(resolver, claim, value):
    with pytest.raises(InvalidTokenError):
        resolver.resolve(token({"namespace": "a", claim: value}))


def test_fractional_time_claims_are_numbers(resolver, clock):
    assert resolver.resolve(token({"namespace": "a", "exp": now(clock) + 0.5})) == "a"


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_a_short_secret_still_verifies_with_a_warning(clock, caplog):
    resolver = build_resolver(("jwt",), "s3cr3t", clock)
    assert "jwt_secret is 6 bytes" in caplog.text
    assert resolver.resolve(token({"namespace": "a"}, "s3cr3t")) == "a"
    with pytest.raises(InvalidTokenError):
        resolver.resolve(token({"namespace": "a"}, "other"))


# -- tokens are ASCII wherever they are carried ---------------------------------


@pytest.mark.parametrize(
    "header", ["Bearer ünï", "Bearer \u00c3\u00bcn", "Bearer n\u2028s", "bearer ✓"]
)
def test_a_non_ascii_token_is_invalid(header):
    with pytest.raises(InvalidTokenError):
        ascii_token(token_from_authorization(header))


def test_ascii_tokens_pass_unchanged():
    assert ascii_token(token_from_authorization("Bearer ns-1_a.b~c")) == "ns-1_a.b~c"


# -- verified tokens are remembered ----------------------------------------------


@pytest.fixture
def jwt_resolver(clock: ManualClock) -> JwtResolver:
    return JwtResolver(SECRET, clock)


def test_a_verified_token_is_not_decoded_again(jwt_resolver, monkeypatch):
    resolver = jwt_resolver
    good = token({"namespace": "a"})
    assert resolver.resolve(good) == "a"
    monkeypatch.setattr(resolver._jwt, "decode", _must_not_decode)
    assert resolver.resolve(good) == "a"
    with pytest.raises(AssertionError, match="decoded"):
        resolver.resolve(token({"namespace": "b"}))  # another token: verified


def test_a_remembered_token_still_expires_and_waits_for_nbf(resolver, clock):
    expiring = token({"namespace": "a", "exp": now(clock) + 10})
    early = token({"namespace": "b", "nbf": now(clock) + 5})
    clock.advance(5)
    assert resolver.resolve(expiring) == "a"
    assert resolver.resolve(early) == "b"
    clock.advance(5)
    assert resolver.resolve(expiring) == "a"  # through its exp second, as before
    clock.advance(1)
    with pytest.raises(InvalidTokenError):
        resolver.resolve(expiring)
    clock.advance(-100)
    with pytest.raises(InvalidTokenError):
        resolver.resolve(early)  # remembered, but not valid yet at this time


def test_invalid_tokens_are_never_remembered(jwt_resolver):
    resolver = jwt_resolver
    bad = token({"namespace": "a"}, "another-secret-long-enough-for-hs256!")
    for _ in range(2):
        with pytest.raises(InvalidTokenError):
            resolver.resolve(bad)
    assert bad not in resolver._verified


def test_the_memory_of_verified_tokens_is_bounded(jwt_resolver, monkeypatch):
    resolver = jwt_resolver
    monkeypatch.setattr("registry.resolvers.VERIFIED_TOKENS_KEPT", 3)
    tokens = [token({"namespace": f"n{i}"}) for i in range(7)]
    for index, text in enumerate(tokens):
        assert resolver.resolve(text) == f"n{index}"
        assert len(resolver._verified) <= 3


def _must_not_decode(*args, **kwargs):
    raise AssertionError("decoded again")
