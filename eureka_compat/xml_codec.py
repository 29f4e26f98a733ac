"""Eureka's XStream XML layout <-> the JSON-shaped trees of the Eureka layer.

The Eureka layer works on trees shaped exactly like Eureka's JSON wire format
(root-wrapped: ``{"applications": ...}``, ``{"application": ...}`` or
``{"instance": ...}``).  This module maps them to and from the XML that real
Eureka servers emit (XStream) and that py_eureka_client and hudl/fargo read
and post::

    tree                                          XML
    {"applications": {"versions__delta": "1",     <applications><versions__delta>1<...
      "application": [{"name": "A",                 <application><name>A</name>
        "instance": [{...}, {...}]}]}}                <instance>...</instance><instance>
    "port": {"$": 8080, "@enabled": "true"}       <port enabled="true">8080</port>
    "dataCenterInfo": {"@class": "C",             <dataCenterInfo class="C">
                       "name": "MyOwn"}             <name>MyOwn</name></dataCenterInfo>
    "metadata": {"a_b": "1", "x$y": "2"}          <metadata><a__b>1</a__b><x_-y>2</x_-y>
    "metadata": {"@class": "java.util.            <metadata class="java.util.
                 Collections$EmptyMap"}             Collections$EmptyMap"/>

* ``"@name"`` keys are attributes, ``"$"`` is the text of an element that also
  has attributes, lists are repeated elements (no wrapper; an empty list emits
  nothing), ``True``/``False`` are ``true``/``false``, numbers use ``str()``.
* Metadata keys (of ``metadata`` maps, also inside ``dataCenterInfo``) are
  element names with XStream's escapes: ``_`` -> ``__``, ``$`` -> ``_-``.
  Rendering never fails: a key that is no XML name even after escaping (leading
  digit, space, ``:``, ...) is skipped, and so is any other unrenderable name;
  characters XML 1.0 cannot carry (controls, lone surrogates) are dropped.
* Output is UTF-8 without an XML declaration and without indentation (no
  client reads whitespace; it keeps the cached registry small).
* Parsing gives every leaf back as a string with XML whitespace stripped,
  attributes as ``"@name"``, an element with attributes and text as
  ``{"$": text, "@attr": ...}``, repeated elements as lists (also in
  metadata: the caller validates values), ``application``
  and ``instance`` always as lists below the root, an empty element as ``""``
  (``{}`` for the object-shaped elements in ``_OBJECT_ELEMENTS``).  Bodies over
  1 MiB, malformed XML, DTDs (hence entity declarations and external entities),
  processing instructions and nesting deeper than 32 raise ``XmlDocumentError``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, NoReturn
from xml.parsers import expat
from xml.sax.saxutils import escape

from registry.http.transport import MAX_BODY_BYTES, MAX_BODY_DEPTH

__all__ = [
    "MAX_BODY_BYTES",
    "XmlDocumentError",
    "attribute_text",
    "element_text",
    "metadata_element",
    "parse_xml",
    "plain_text",
    "render_xml",
]

_ALWAYS_LISTS = frozenset({"application", "instance"})
_OBJECT_ELEMENTS = _ALWAYS_LISTS | {
    "applications",
    "dataCenterInfo",
    "leaseInfo",
    "metadata",
}
_XML_SPACE = " \t\r\n"
_ATTR_ESCAPES = {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}
# Characters outside XML 1.0's Char production: they cannot appear at all.
_NOT_XML_CHARS = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ATTR_SPECIALS = re.compile('[&<>"]')
_ASCII_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9._-]*")
# ':' is excluded on purpose: namespace-aware readers (ElementTree) reject
# unbound prefixes.  Non-ASCII candidates are checked by expat itself.
_NAME_CANDIDATE = re.compile(r"[A-Za-z0-9._\-\u0080-\U0010ffff]+")
_UNESCAPE = re.compile(r"_[_-]")


class XmlDocumentError(ValueError):
    """An XML request body that cannot be accepted; str() is client-facing."""


# --- rendering --------------------------------------------------------------------


def render_xml(document: Mapping[str, Any]) -> bytes:
    """UTF-8 XML (no declaration) for a root-wrapped JSON-shaped document."""
    if len(document) != 1:
        raise ValueError("an Eureka document has exactly one root key")
    ((name, value),) = document.items()
    if not isinstance(value, Mapping) or _tag(name) is None:
        raise ValueError(f"cannot render root {name!r} as an XML document")
    out: list[str] = []
    _element(out, name, value, False)
    return "".join(out).encode("utf-8")


def render_text_element(name: str, value: Any) -> bytes:
    """``<name>value</name>`` for a known-good element name and a scalar value."""
    return f"<{name}>{element_text(value)}</{name}>".encode()


def _element(out: list[str], name: str, value: Any, plain: bool) -> None:
    """Append ``<name>value</name>``; ``plain`` is True inside metadata maps."""
    tag = _tag(name)
    if tag is None:
        return
    if isinstance(value, Mapping):
        _mapping(out, tag, value, plain)
    elif isinstance(value, list | tuple):
        for item in value:
            _element(out, tag, item, plain)
    elif value is not None:
        out.append(f"<{tag}>{element_text(value)}</{tag}>")


def _mapping(out: list[str], tag: str, value: Mapping[str, Any], plain: bool) -> None:
    start = len(out)
    out.append("")  # the start tag, known once the attributes are seen
    attrs = ""
    is_map = not plain and tag == "metadata"
    for key, item in value.items():
        if key[:1] == "@":
            attr = _tag(key[1:])
            if attr is not None and not attr.startswith("xmlns") and item is not None:
                attrs += f' {attr}="{attribute_text(item)}"'
            continue
        if is_map:
            child = _metadata_name(key)
        elif key == "$":
            if item is not None:
                out.append(element_text(item))
            continue
        else:
            child = _tag(key)
        if child is None:
            continue
        # Inlined leaf cases: they are most of a registry document.
        kind = type(item)
        if kind is str:
            if not plain_text(item):
                item = element_text(item)
            out.append(f"<{child}>{item}</{child}>")
        elif kind is int:
            out.append(f"<{child}>{item}</{child}>")
        else:
            _element(out, child, item, plain or is_map)
    if len(out) == start + 1:
        out[start] = f"<{tag}{attrs}/>"
    else:
        out[start] = f"<{tag}{attrs}>"
        out.append(f"</{tag}>")


def _text_of(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return value if type(value) is str else str(value)


def element_text(value: Any) -> str:
    """Element text: escaped, and without characters XML cannot carry."""
    text = _text_of(value)
    if text.isascii() and text.isprintable():
        return escape(text)
    return escape(_NOT_XML_CHARS.sub("", text)).replace("\r", "&#13;")


def attribute_text(value: Any) -> str:
    """Attribute value (between double quotes): escaped, without characters XML
    cannot carry."""
    text = _text_of(value)
    if text.isascii() and text.isprintable() and not _ATTR_SPECIALS.search(text):
        return text
    return escape(_NOT_XML_CHARS.sub("", text), _ATTR_ESCAPES)


def metadata_element(metadata: Mapping[str, Any]) -> str | None:
    """``<metadata>`` of a map whose values are all strings, as :func:`render_xml`
    writes a ``metadata`` member outside metadata (None for any other map)."""
    attrs = ""
    children = []
    for key, item in metadata.items():
        if type(item) is not str:
            return None
        if key[:1] == "@":
            attr = _tag(key[1:])
            if attr is not None and not attr.startswith("xmlns"):
                attrs += f' {attr}="{attribute_text(item)}"'
            continue
        child = _metadata_name(key)
        if child is None:
            continue
        if not plain_text(item):
            item = element_text(item)
        children.append(f"<{child}>{item}</{child}>")
    if not children:
        return f"<metadata{attrs}/>"
    return f"<metadata{attrs}>{''.join(children)}</metadata>"


def plain_text(text: str) -> bool:
    """Whether ``text`` is element text as it is (:func:`element_text`)."""
    return (
        text.isascii()
        and text.isprintable()
        and "&" not in text
        and "<" not in text
        and ">" not in text
    )


@lru_cache(maxsize=8192)
def _tag(name: str) -> str | None:
    """``name`` if it is a safe XML element/attribute name, else None."""
    if _ASCII_NAME.fullmatch(name):
        return name
    if name.isascii() or not _NAME_CANDIDATE.fullmatch(name):
        return None
    parser = expat.ParserCreate()
    try:
        parser.Parse(f"<{name}/>", True)
    except (expat.ExpatError, UnicodeError):
        return None
    return name


@lru_cache(maxsize=8192)
def _metadata_name(key: str) -> str | None:
    """The XStream-escaped element name of a metadata key, None if impossible."""
    return _tag(key.replace("_", "__").replace("$", "_-"))


def _unescape_name(name: str) -> str:
    return _UNESCAPE.sub(lambda m: "_" if m.group() == "__" else "$", name)


# --- parsing ----------------------------------------------------------------------


class _Frame:
    """An open element while parsing."""

    __slots__ = ("children", "name", "plain", "texts", "unescape")

    def __init__(self, name: str, attrs: dict[str, str], plain: bool) -> None:
        self.name = name
        self.plain = plain  # inside a metadata map: no special element names
        self.unescape = not plain and name == "metadata"  # children are map keys
        self.children: dict[str, Any] = {f"@{k}": v for k, v in attrs.items()}
        self.texts: list[str] = []


class _TreeBuilder:
    def __init__(self) -> None:
        self.stack: list[_Frame] = []
        self.root: dict[str, Any] = {}

    def start(self, name: str, attrs: dict[str, str]) -> None:
        stack = self.stack
        if len(stack) >= MAX_BODY_DEPTH:
            raise XmlDocumentError(f"XML nested deeper than {MAX_BODY_DEPTH} levels")
        if stack:
            parent = stack[-1]
            plain = parent.plain or parent.unescape
            if parent.unescape:
                name = _unescape_name(name)
        else:
            plain = False
        stack.append(_Frame(name, attrs, plain))

    def text(self, data: str) -> None:
        self.stack[-1].texts.append(data)

    def end(self, _name: str) -> None:
        frame = self.stack.pop()
        value: Any = frame.children
        text = "".join(frame.texts).strip(_XML_SPACE)
        if text:
            if value:
                value["$"] = text
            else:
                value = text
        elif not value and (frame.plain or frame.name not in _OBJECT_ELEMENTS):
            value = ""
        if not self.stack:
            self.root[frame.name] = value
            return
        siblings = self.stack[-1].children
        name = frame.name
        existing = siblings.get(name)
        if isinstance(existing, list):
            existing.append(value)
        elif name in siblings:
            siblings[name] = [existing, value]
        elif not frame.plain and name in _ALWAYS_LISTS:
            siblings[name] = [value]
        else:
            siblings[name] = value


def _refuse_dtd(*_args: Any) -> NoReturn:
    raise XmlDocumentError("XML document type declarations are not allowed")


def _refuse_entity(*_args: Any) -> NoReturn:
    raise XmlDocumentError(
        "XML entity declarations and external entities are not allowed"
    )


def _refuse_pi(*_args: Any) -> NoReturn:
    raise XmlDocumentError("XML processing instructions are not allowed")


def parse_xml(body: bytes) -> dict[str, Any]:
    """The root-wrapped JSON-shaped tree of an XML document (leaves are strings)."""
    if len(body) > MAX_BODY_BYTES:
        raise XmlDocumentError("XML document is larger than 1 MiB")
    builder = _TreeBuilder()
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_entity
    parser.UnparsedEntityDeclHandler = _refuse_entity
    parser.ExternalEntityRefHandler = _refuse_entity
    parser.ProcessingInstructionHandler = _refuse_pi
    parser.StartElementHandler = builder.start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.text
    try:
        parser.Parse(body, True)
    except expat.ExpatError as exc:
        message = expat.ErrorString(exc.code)
        raise XmlDocumentError(
            f"malformed XML: {message} (line {exc.lineno}, column {exc.offset})"
        ) from None
    except (LookupError, UnicodeError, ValueError) as exc:
        if isinstance(exc, XmlDocumentError):
            raise
        raise XmlDocumentError("malformed XML: unreadable encoding") from None
    return builder.root
