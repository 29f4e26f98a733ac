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
from collections.abc import Sequence
from typing import Protocol

import orjson
from jwt.algorithms import HMACAlgorithm

from registry.store.clock import Clock

DEFAULT_NAMESPACE = "default"

# PyJWT's HMAC primitive, used directly: jwt.decode() warns on every call when the
# secret is shorter than 32 bytes, and short secrets are the user's call to make.
_HS256 = HMACAlgorithm(HMACAlgorithm.SHA256)


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
    """HS256 tokens signed with a shared secret, carrying a ``namespace`` claim."""

    def __init__(self, secret: str, clock: Clock) -> None:
        self._secret = secret.encode()
        self._clock = clock

    def resolve(self, token: str) -> str:
        if not token:
            raise MissingTokenError
        header, claims = _jwt_parts_if_shaped(token)
        # Only HS256 is ever verified, so "none" and algorithm confusion (an RS/ES
        # header with the shared secret as public key) cannot pass.
        if header.get("alg") != "HS256":
            raise InvalidTokenError
        signing_input, _, signature = token.rpartition(".")
        try:
            valid = _HS256.verify(
                signing_input.encode(), self._secret, _b64decode(signature)
            )
        except (binascii.Error, ValueError) as err:
            raise InvalidTokenError from err
        if not valid:
            raise InvalidTokenError
        self._check_times(claims)
        namespace = claims.get("namespace")
        if not isinstance(namespace, str) or not namespace:
            raise InvalidTokenError
        return namespace

    def _check_times(self, claims: dict[str, object]) -> None:
        now = self._clock.now_ns() / 1e9
        exp = claims.get("exp")
        if exp is not None and (not _is_number(exp) or now > exp):  # type: ignore[operator]
            raise InvalidTokenError
        nbf = claims.get("nbf")
        if nbf is not None and (not _is_number(nbf) or now < nbf):  # type: ignore[operator]
            raise InvalidTokenError


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


def _b64_json_object(segment: str) -> dict[str, object] | None:
    try:
        value = orjson.loads(_b64decode(segment))
    except (binascii.Error, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
