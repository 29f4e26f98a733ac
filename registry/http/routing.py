"""URL resolution without scanning: Django's URLconf, indexed by path segment.

Django's resolver tries every pattern of every ``include`` in order, builds a
``ResolverMatch`` per level, raises an exception for every include that does not
match and records every pattern it tried; on this registry's URLconf that was a
quarter of a heartbeat's work. :class:`RouteIndex` reads the URLconf once into a
tree of the same resolvers and endpoints in which each resolver's children are
indexed by the literal first segment of the path left to them. A path is resolved
by trying only the children that can match that segment, in URLconf order, with
each pattern's own regular expression and converters, as Django's ``match``
methods use them. The ``ResolverMatch`` is built once, with what Django's resolver
would give (function, arguments, names, route, namespaces, extra arguments); only
``tried``, a list for Django's debug 404 page, is left empty.

Patterns of kinds Django does not ship, and translated (lazy) patterns, are not
indexed: from the first such child of a resolver on, its children are left to
Django's resolver, so the first match is always Django's first match.
:class:`~registry.http.handler.RegistryWSGIHandler` uses the index; a path it does
not resolve goes to Django's resolver, which answers the 404.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.urls import URLPattern, URLResolver
from django.urls.resolvers import RegexPattern, ResolverMatch, RoutePattern

#: Matches a RouteIndex keeps by path (bounded: paths hold instance ids).
MATCHES_KEPT = 4096
#: Characters a literal path prefix may contain, in a route or a regex.
_LITERAL = re.compile(r"[A-Za-z0-9_\-/]")
_QUANTIFIERS = frozenset("?*+{")

Matched = tuple[int, tuple[Any, ...], dict[str, Any]]
"""Where a pattern's match ends in the path, its positional and named arguments."""


class _Pattern:
    """A route or regex pattern, matched as its ``match`` method matches it."""

    __slots__ = ("converters", "filter_none", "matcher")

    def __init__(self, pattern: RoutePattern | RegexPattern, endpoint: bool) -> None:
        regex: re.Pattern[str] = pattern.regex
        if isinstance(pattern, RoutePattern):
            self.matcher = regex.search
            self.converters: dict[str, Any] | None = pattern.converters
            self.filter_none = False
        else:
            whole = endpoint and regex.pattern.endswith("$")
            self.matcher = regex.fullmatch if whole else regex.search
            self.converters = None
            self.filter_none = True

    def match(self, path: str) -> Matched | None:
        found = self.matcher(path)
        if found is None:
            return None
        kwargs = found.groupdict()
        if self.converters is not None:  # RoutePattern.match
            for key, value in kwargs.items():
                try:
                    kwargs[key] = self.converters[key].to_python(value)
                except ValueError:
                    return None
            return found.end(), (), kwargs
        args = () if kwargs else found.groups()  # RegexPattern.match
        return found.end(), args, {k: v for k, v in kwargs.items() if v is not None}


@dataclass(frozen=True, slots=True)
class _Endpoint:
    pattern: _Pattern
    callback: Callable[..., Any]
    default_args: dict[str, Any]
    url_name: str | None
    route: str


@dataclass(slots=True)
class _Node:
    """A resolver: its pattern and defaults, and its children by first segment."""

    pattern: _Pattern | None  # None for the root, matched by Django's own pattern
    default_kwargs: dict[str, Any]
    app_name: str | None
    namespace: str | None
    route: str
    by_segment: dict[str, tuple[_Node | _Endpoint, ...]] = field(default_factory=dict)
    anywhere: tuple[_Node | _Endpoint, ...] = ()
    #: Whether every child is indexed (else the rest are Django's to try).
    complete: bool = True

    def resolve(
        self, path: str
    ) -> tuple[_Endpoint, tuple[Any, ...], dict[str, Any], dict[str, Any]] | None:
        """The endpoint matching ``path``, its arguments and captured arguments."""
        segment = path.split("/", 1)[0]
        for child in self.by_segment.get(segment, self.anywhere):
            if isinstance(child, _Endpoint):
                matched = child.pattern.match(path)
                if matched is not None:
                    _, args, captured = matched
                    return child, args, {**captured, **child.default_args}, captured
                continue
            assert child.pattern is not None
            matched = child.pattern.match(path)
            if matched is None:
                continue
            end, level_args, level_kwargs = matched
            found = child.resolve(path[end:])
            if found is None:
                continue
            endpoint, args, kwargs, captured = found
            # URLResolver.resolve: named arguments win; positional ones count
            # only when no level has named ones.
            merged = {**level_kwargs, **child.default_kwargs}
            merged.update(kwargs)
            return endpoint, (args if merged else level_args + args), merged, captured
        if not self.complete:
            raise _Unindexed  # a child the index does not hold may match
        return None


class _Unindexed(Exception):
    """Only Django's resolver can tell which pattern matches."""


class RouteIndex:
    """The URLconf of one root resolver, indexed (see the module docstring)."""

    def __init__(self, root: URLResolver) -> None:
        self.root = root
        self._tree = _node(root, None, "")
        self._chains = _chains(self._tree)
        self._matches: dict[str, ResolverMatch] = {}

    def resolve(self, path: str) -> ResolverMatch | None:
        """Django's match of ``path_info``, or ``None`` (ask Django's resolver).

        Matches are kept by path (:data:`MATCHES_KEPT` at most, then forgotten
        all at once): a heartbeat or a lookup repeats its path, and a match is
        never changed once made (Django hands the view copies of its arguments).
        """
        found = self._matches.get(path)
        if found is None:
            found = self._resolve(path)
            if found is not None:
                if len(self._matches) >= MATCHES_KEPT:
                    self._matches.clear()
                self._matches[path] = found
        return found

    def _resolve(self, path: str) -> ResolverMatch | None:
        matched = self.root.pattern.match(path)
        if not matched:
            return None
        try:
            found = self._tree.resolve(matched[0])
        except _Unindexed:
            return None
        if found is None:
            return None
        endpoint, args, kwargs, captured = found
        route, app_names, namespaces, extra = self._chains[id(endpoint)]
        return ResolverMatch(
            endpoint.callback,
            args,
            kwargs,
            endpoint.url_name,
            list(app_names),
            list(namespaces),
            route,
            None,
            captured_kwargs=captured,
            extra_kwargs=extra,
        )


def _node(resolver: URLResolver, pattern: _Pattern | None, route: str) -> _Node:
    node = _Node(
        pattern,
        resolver.default_kwargs,
        resolver.app_name,
        resolver.namespace,
        route,
    )
    children: list[tuple[str | None, _Node | _Endpoint]] = []
    for child in resolver.url_patterns:
        indexed = _child(child)
        if indexed is None:
            node.complete = False  # Django's resolver takes it from here
            break
        children.append(indexed)
    keyed = {key for key, _ in children if key is not None}
    node.by_segment = {
        key: tuple(c for k, c in children if k in (key, None)) for key in keyed
    }
    node.anywhere = tuple(c for k, c in children if k is None)
    return node


def _child(child: Any) -> tuple[str | None, _Node | _Endpoint] | None:
    pattern = child.pattern
    # Exactly Django's classes: a subclass may match differently.
    if type(pattern) not in (RoutePattern, RegexPattern):
        return None
    if type(child) not in (URLResolver, URLPattern):
        return None
    source = "_route" if isinstance(pattern, RoutePattern) else "_regex"
    text = getattr(pattern, source, None)  # what the pattern was made from
    if not isinstance(text, str):
        return None  # translated: its regex depends on the active language
    key = _segment_key(pattern, isinstance(child, URLPattern))
    if isinstance(child, URLResolver):
        return key, _node(child, _Pattern(pattern, endpoint=False), str(pattern))
    if isinstance(child, URLPattern):
        endpoint = _Endpoint(
            _Pattern(pattern, endpoint=True),
            child.callback,
            child.default_args,
            pattern.name,
            str(pattern),
        )
        return key, endpoint
    return None


def _chains(
    root: _Node,
) -> dict[int, tuple[str, tuple[str, ...], tuple[str, ...], dict[str, Any]]]:
    """Per endpoint: the route, app names, namespaces and extra arguments that
    URLResolver.resolve joins on the way up (they depend on the tree only)."""
    chains: dict[int, tuple[str, tuple[str, ...], tuple[str, ...], dict[str, Any]]]
    chains = {}

    def walk(node: _Node, above: tuple[_Node, ...]) -> None:
        levels = (*above, node)
        children = {id(c): c for cs in node.by_segment.values() for c in cs}
        children.update({id(c): c for c in node.anywhere})
        for child in children.values():
            if isinstance(child, _Node):
                walk(child, levels)
                continue
            route = child.route
            extra = dict(child.default_args)
            for level in reversed(levels):
                route = _join_route(level.route, route)
                extra = {**level.default_kwargs, **extra}
            chains[id(child)] = (
                route,
                tuple(level.app_name for level in levels if level.app_name),
                tuple(level.namespace for level in levels if level.namespace),
                extra,
            )

    walk(root, ())
    return chains


def _join_route(outer: str, inner: str) -> str:
    """``URLResolver._join_route``: the routes joined, without the inner ``^``."""
    return inner if not outer else outer + inner.removeprefix("^")


def _segment_key(pattern: RoutePattern | RegexPattern, endpoint: bool) -> str | None:
    """The first segment of every path ``pattern`` matches, if it is literal."""
    text = str(pattern)
    # Whether the pattern matches the whole path left to it, not just a start.
    to_the_end = endpoint
    if isinstance(pattern, RegexPattern):
        if not text.startswith("^"):
            return None  # searched for anywhere in the path
        text = text[1:]
        to_the_end = endpoint and text.endswith("$")  # RegexPattern.match
        if text.endswith("$") and not text.endswith("\\$"):
            text = text[:-1]
    literal = 0
    while literal < len(text):
        following = text[literal + 1 : literal + 2]
        if following and following in _QUANTIFIERS:
            break
        if not _LITERAL.fullmatch(text[literal]):
            break
        literal += 1
    prefix = text[:literal]
    if "/" in prefix:
        return prefix.split("/", 1)[0]
    # An endpoint all literal and matched to the end matches exactly its text.
    return prefix if literal == len(text) and to_the_end else None
