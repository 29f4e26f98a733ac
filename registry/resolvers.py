"""Turn a bearer token into a namespace (spec §3.2).

Modes: no mode (single tenant: ``""``/``"default"`` -> ``default``), ``trusted`` (the
token *is* the namespace) and ``jwt`` (HS256 token with a ``namespace`` claim), chained
in the configured order. Only the JWT resolver passes on a token it does not recognise
as a JWT; every other answer ends the chain.

Errors::

    AuthError                  401, the text is the client-facing message
    ├── MissingTokenError      no token where one is required
    └── InvalidTokenError      a token that does not grant a namespace
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
from collections.abc import Sequence
from typing import Any, Protocol

import jwt
import orjson

from registry.store.clock import Clock

logger = logging.getLogger(__name__)

DEFAULT_NAMESPACE = "default"
#: RFC 7518 §3.2: an HS256 key has at least 256 bits.
MIN_HS256_SECRET_BYTES = 32
#: Verified tokens remembered per resolver (clients send the same token on every
#: request); past this many, the memory starts afresh.
VERIFIED_TOKENS_KEPT = 4096

#: A canonical base64url segment (RFC 7515 §2: no padding, URL-safe alphabet).
_SEGMENT = re.compile(r"[A-Za-z0-9_-]+")
#: The time claims are checked here, against the runtime's clock (PyJWT reads the
#: system clock); iat is not a condition of the original registry.
_DECODE_OPTIONS: Any = {"verify_exp": False, "verify_nbf": False, "verify_iat": False}


class AuthError(Exception):
    """The request cannot be bound to a namespace."""

    text = "Authorization failure, invalid token"


class MissingTokenError(AuthError):
    text = "Missing request Authorization header"


class InvalidTokenError(AuthError):
    text = "Authorization failure, invalid token"


class UnrecognizedTokenError(InvalidTokenError):
    """This resolver does not know the token's form; the next one may."""


class Resolver(Protocol):
    def resolve(self, token: str) -> str:
        """The namespace ``token`` grants. Raises :class:`AuthError`."""
        ...


class DefaultResolver:
    """No auth mode configured: everything lives in ``default``."""

    def resolve(self, token: str) -> str:
        if token in ("", DEFAULT_NAMESPACE):
            return DEFAULT_NAMESPACE
        raise InvalidTokenError


class TrustedResolver:
    """A proxy in front has authenticated the caller; the token names the namespace."""

    def resolve(self, token: str) -> str:
        if not token:
            raise MissingTokenError
        return token


class JwtResolver:
    """HS256 tokens signed with a shared secret, carrying a ``namespace`` claim.

    PyJWT decodes and verifies them (only HS256 is accepted, so ``none`` and
    algorithm confusion cannot pass) and validates ``exp`` and ``nbf`` against the
    runtime's clock, valid through the ``exp`` second as in the original. Stricter
    than PyJWT alone: every segment must be canonical base64url (PyJWT's decoder
    skips junk, padding and ``+``/``/``, so one token had many spellings, which
    deny-lists and caches keyed on the token text could be bypassed with), and
    ``exp``/``nbf`` must be JSON numbers (PyJWT also takes ``"123"``).

    A verified token is remembered with its namespace and time claims, so the
    requests that follow (a client sends one token again and again) skip the
    decoding and the HMAC; its time claims are checked again on every request.
    Only the canonical spelling ever verifies, so one token has one cache entry.
    """

    def __init__(self, secret: str, clock: Clock) -> None:
        self._secret = secret.encode()
        self._clock = clock
        self._jwt = jwt.PyJWT()
        self._verified: dict[str, tuple[str, dict[str, Any]]] = {}
        if len(self._secret) < MIN_HS256_SECRET_BYTES:
            # Accepted, as the original did; PyJWT warns too, once per process.
            logger.warning(
                "jwt_secret is %d bytes; RFC 7518 asks at least %d for HS256",
                len(self._secret),
                MIN_HS256_SECRET_BYTES,
            )

    def resolve(self, token: str) -> str:
        if not token:
            raise MissingTokenError
        verified = self._verified.get(token)
        if verified is not None:
            namespace, times = verified
            try:
                self._check_times(times)
            except jwt.PyJWTError as err:
                raise InvalidTokenError from err
            return namespace
        return self._verify(token)

    def _verify(self, token: str) -> str:
        """Full verification; remembers the token when it grants a namespace."""
        _jwt_parts_if_shaped(token)  # a token of another form: the next resolver's
        if not _is_canonical(token):
            raise InvalidTokenError
        try:
            claims = self._jwt.decode(
                token, self._secret, algorithms=["HS256"], options=_DECODE_OPTIONS
            )
            self._check_times(claims)
        except jwt.PyJWTError as err:
            raise InvalidTokenError from err
        namespace = claims.get("namespace")
        if not isinstance(namespace, str) or not namespace:
            raise InvalidTokenError
        times = {name: claims[name] for name in ("exp", "nbf") if name in claims}
        if len(self._verified) >= VERIFIED_TOKENS_KEPT:
            self._verified.clear()
        self._verified[token] = (namespace, times)
        return namespace

    def _check_times(self, claims: dict[str, Any]) -> None:
        now = self._clock.now_ns() // 1_000_000_000
        for name in ("exp", "nbf"):
            if name in claims and not _is_number(claims[name]):
                raise InvalidTokenError  # null, text, true: not a NumericDate
        if "exp" in claims:
            # PyJWT refuses from the exp second on; the original through it.
            self._jwt._validate_exp(claims, now, leeway=1)
        if "nbf" in claims:
            self._jwt._validate_nbf(claims, now, leeway=0)


class ChainResolver:
    """Try each resolver in order; a token none recognises is invalid."""

    def __init__(self, resolvers: Sequence[Resolver]) -> None:
        self._resolvers = tuple(resolvers)

    def resolve(self, token: str) -> str:
        for resolver in self._resolvers:
            try:
                return resolver.resolve(token)
            except UnrecognizedTokenError:
                continue
        raise InvalidTokenError


def build_resolver(
    auth_modes: Sequence[str], jwt_secret: str, clock: Clock
) -> Resolver:
    """The resolver for the configured ``auth_mode`` list (validated by the config)."""
    if not auth_modes:
        return DefaultResolver()
    by_mode: dict[str, Resolver] = {
        "trusted": TrustedResolver(),
        "jwt": JwtResolver(jwt_secret, clock),
    }
    return ChainResolver([by_mode[mode] for mode in auth_modes])


def token_from_authorization(header: str) -> str:
    """The token of an ``Authorization: Bearer <token>`` header.

    The scheme matches case-insensitively (RFC 6750).

    Raises :class:`MalformedAuthorizationError` for any other form.
    """
    scheme, space, token = header.partition(" ")
    if not space or scheme.lower() != "bearer":
        raise MalformedAuthorizationError
    return token


def ascii_token(token: str) -> str:
    """``token``, if it is ASCII; a non-ASCII token is invalid wherever it is carried.

    One rule for the ``Authorization`` header and the Eureka path: HTTP header
    values are ASCII in practice (RFC 9110 §5.5), granian drops a header with
    other bytes before the application sees it, and WSGI servers that pass one on
    decode it as ISO-8859-1 (PEP 3333) while the path is decoded as UTF-8, so the
    same name would land in two namespaces.
    """
    if not token.isascii():
        raise InvalidTokenError
    return token


class MalformedAuthorizationError(AuthError):
    text = "Malformed request Authorization header, expecting Bearer Token"


def _jwt_parts_if_shaped(token: str) -> tuple[dict[str, object], dict[str, object]]:
    """Header and claims of a JWT-shaped token.

    Raises :class:`UnrecognizedTokenError` for anything else.
    """
    parts = token.split(".")
    if len(parts) != 3:
        raise UnrecognizedTokenError
    header = _b64_json_object(parts[0])
    claims = _b64_json_object(parts[1])
    if header is None or claims is None:
        raise UnrecognizedTokenError
    return header, claims


def _b64decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _is_canonical(token: str) -> bool:
    """Every segment is base64url in its one canonical spelling (RFC 7515 §2)."""
    for segment in token.split("."):
        if not _SEGMENT.fullmatch(segment):
            return False
        try:
            decoded = _b64decode(segment)
        except (binascii.Error, ValueError):
            return False
        if base64.urlsafe_b64encode(decoded).rstrip(b"=") != segment.encode():
            return False  # stray bits in the last character
    return True


def _b64_json_object(segment: str) -> dict[str, object] | None:
    try:
        value = orjson.loads(_b64decode(segment))
    except (binascii.Error, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
