"""Typed field tables: what a parser accepts, in one place (issue 10, defect 9).

A parser declares the members (or query parameters) it reads as a tuple of
:class:`FieldSpec` and validates with it (types, enums, ranges; byte limits name the
store's constants, which the store enforces for every writer). The OpenAPI
description is generated from the same tuple: :func:`json_schema` gives the schema of
one field, :func:`table_serializer` a serializer drf-spectacular reads (through
:class:`TableFieldExtension`), so a limit, an enum or ``nullable`` exists once and
the description cannot drift from the parser (``tests/test_field_tables.py``).

OpenAPI 3.0 cannot say "at most N bytes of UTF-8" (``maxLength`` counts
characters): such a field gets the extension ``x-maxBytes: N`` and says so in its
description. An enum matched in any case gets a ``pattern`` that accepts every
case, and ``x-caseInsensitiveEnum`` with the canonical values.

Lenient readers (Eureka's, modelled on Jackson's) need more than types and limits:

* ``kind="integer_text"``: an integer sent as a JSON number *or* as its decimal
  text; ``minimum``/``maximum`` bound it either way (a Java ``int`` or ``long``);
  a number with a fraction or exponent part on or past the lower bound is
  refused (it may be a rounded literal past it).
* ``kind="flag"``: ``true`` (JSON boolean, or the text in any case) is true, any
  other value false; the schema accepts any value.
* ``lenient``: a value the kind cannot read counts as absent (``default``) instead
  of failing: the schema is ``anyOf`` the strict schema and "another type".
* ``trim``: text is read without its surrounding whitespace.
* ``fallback``: text naming none of the ``choices`` (or a value of another type)
  reads as this choice: the schema accepts any value.
* ``aliases``: other member names read as this one (the first present wins).

:func:`xml_schema` renders an object table as an XML element: ``@name`` members
are attributes, ``$`` is the element's text (OpenAPI 3.0 cannot map text beside
attributes: it is described, and its schema is the extension ``x-xmlText``), and
there is no ``null``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers

Kind = Literal["string", "integer", "integer_text", "flag", "object", "array", "any"]


@dataclass(frozen=True)
class FieldSpec:
    """One member of a body, or one query parameter, as its parser reads it."""

    name: str
    kind: Kind
    description: str
    required: bool = False
    #: ``null`` is accepted (and means absent).
    nullable: bool = False
    #: The empty string is accepted (for ``kind="array"``: an empty query value).
    blank: bool = True
    #: Byte limit of the UTF-8 text (or of compact JSON, for ``any`` and ``object``).
    max_bytes: int | None = None
    #: The accepted values (strings, or the items of an array).
    choices: tuple[str, ...] | None = None
    #: ``choices`` are matched in any case.
    case_insensitive: bool = False
    minimum: int | None = None
    maximum: int | None = None
    #: Members of an ``object``.
    members: tuple[FieldSpec, ...] = ()
    #: A value of another type (for ``integer_text``: text that is no integer)
    #: counts as absent rather than failing.
    lenient: bool = False
    #: Text is read without surrounding whitespace (``blank``, ``choices`` apply
    #: to what is left).
    trim: bool = False
    #: What an absent member reads as (documented as the schema's ``default``).
    default: Any = None
    #: Any value naming none of ``choices`` reads as this choice (never fails).
    fallback: str | None = None
    #: Other names of the member (the first one present is read).
    aliases: tuple[str, ...] = ()

    def accepts_choice(self, value: str) -> str | None:
        """The canonical choice ``value`` names (``None``: not one of them)."""
        assert self.choices is not None
        if self.case_insensitive:
            wanted = value.upper()
            return next((c for c in self.choices if c.upper() == wanted), None)
        return value if value in self.choices else None

    def in_range(self, value: int) -> bool:
        low = self.minimum is None or value >= self.minimum
        return low and (self.maximum is None or value <= self.maximum)


def by_name(table: tuple[FieldSpec, ...]) -> dict[str, FieldSpec]:
    return {spec.name: spec for spec in table}


def any_case_pattern(choices: tuple[str, ...], blank: bool, trim: bool = False) -> str:
    """An ECMA-262 pattern matching ``choices`` in any case (and ``""`` if
    ``blank``), within whitespace if ``trim``: ``up`` -> ``[Uu][Pp]``."""

    def any_case(text: str) -> str:
        return "".join(
            f"[{c.upper()}{c.lower()}]" if c.upper() != c.lower() else re.escape(c)
            for c in text
        )

    alternatives = [any_case(choice) for choice in choices]
    if blank:
        alternatives.insert(0, "")
    space = r"\s*" if trim else ""
    return f"^{space}({'|'.join(alternatives)}){space}$"


def _digits_above(bound: int) -> str:
    """A pattern of the ASCII digit strings (no leading zero) worth more than
    ``bound`` (>= 0): longer ones, or as long and larger at the first difference."""
    text = str(bound)

    def larger_at(i: int) -> str:
        low = int(text[i]) + 1
        digit = "9" if low == 9 else f"[{low}-9]"
        rest = len(text) - i - 1
        return text[:i] + digit + {0: "", 1: "[0-9]"}.get(rest, f"[0-9]{{{rest}}}")

    longer = f"[1-9][0-9]{{{len(text)},}}"
    return "|".join([longer, *(larger_at(i) for i, d in enumerate(text) if d != "9")])


def out_of_range_text(minimum: int | None, maximum: int | None) -> str | None:
    """A pattern of the decimal texts (sign, leading zeros and surrounding
    whitespace allowed) of the integers past ``minimum``/``maximum``; ``None``
    when unbounded. Bounds must not exclude 0."""
    if (minimum is not None and minimum > 0) or (maximum is not None and maximum < 0):
        raise ValueError("integer_text bounds must include 0")
    beyond = []
    if maximum is not None:
        beyond.append(rf"\+?0*({_digits_above(maximum)})")
    if minimum is not None:
        beyond.append(f"-0*({_digits_above(-minimum)})")
    return rf"^\s*({'|'.join(beyond)})\s*$" if beyond else None


def json_schema(spec: FieldSpec, xml: bool = False) -> dict[str, Any]:
    """The OpenAPI 3.0 schema of one field (no ``description``: callers add it);
    ``xml``: as an XML element (see :func:`xml_schema`)."""
    schema = _typed_schema(spec, xml)
    if spec.lenient and "type" in schema:
        other = {"not": {"type": schema["type"]}}
        # Only the type is checked: any value goes.
        schema = {} if len(schema) == 1 else {"anyOf": [schema, other]}
    if spec.default is not None:
        schema["default"] = spec.default
    if spec.nullable and not xml:  # XML has no null
        schema["nullable"] = True
    return schema


def _typed_schema(spec: FieldSpec, xml: bool) -> dict[str, Any]:
    """The schema of ``spec``'s kind, limits and choices."""
    if spec.kind == "any":  # any JSON value, null included
        return {} if spec.max_bytes is None else {"x-maxBytes": spec.max_bytes}
    if spec.kind == "flag":  # any value: `true` in any case is true
        return {}
    if spec.kind == "object":
        schema = object_schema(spec.members, xml)
        if spec.max_bytes is not None:
            schema["x-maxBytes"] = spec.max_bytes
        return schema
    if spec.kind == "array":
        return _array_schema(spec)
    if spec.kind == "string":
        return _string_schema(spec)
    number: dict[str, Any] = {"type": "integer"}
    if spec.minimum is not None:
        number["minimum"] = spec.minimum
    if spec.maximum is not None:
        number["maximum"] = spec.maximum
    if spec.kind == "integer":
        return number
    return _integer_text_schema(spec, number)


def _array_schema(spec: FieldSpec) -> dict[str, Any]:
    items: dict[str, Any] = {"type": "string"}
    if spec.choices is not None:
        items["enum"] = list(spec.choices)
    schema: dict[str, Any] = {"type": "array", "items": items}
    if spec.blank and spec.choices is not None:
        # An empty query value: no item at all (an empty item is a 400).
        schema = {"anyOf": [schema, {"type": "string", "enum": [""]}]}
    return schema


def _string_schema(spec: FieldSpec) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    if spec.fallback is not None:  # any value is read: the choices are advice
        enum = "x-caseInsensitiveEnum" if spec.case_insensitive else "x-enum"
        return {enum: list(spec.choices or ())}
    if spec.choices is not None and spec.case_insensitive:
        schema["pattern"] = any_case_pattern(spec.choices, spec.blank, spec.trim)
        schema["x-caseInsensitiveEnum"] = list(spec.choices)
    elif spec.choices is not None:
        schema["enum"] = list(spec.choices)
    elif not spec.blank:
        schema["minLength"] = 1
        if spec.trim:
            schema["pattern"] = r"\S"
    if spec.max_bytes is not None:
        schema["x-maxBytes"] = spec.max_bytes
    return schema


def _integer_text_schema(spec: FieldSpec, number: dict[str, Any]) -> dict[str, Any]:
    """A JSON integer in range, or text; past the range in either form: refused.

    OpenAPI 3.0's ``integer`` has no fraction or exponent part: ``5.0`` and ``1e3``
    are numbers, read as integers too, except on the lower bound (a float there
    may be a rounded literal past it)."""
    floats: dict[str, Any] = {"type": "number", "multipleOf": 1}
    if spec.minimum is not None:
        floats["minimum"] = spec.minimum + 1
    if spec.maximum is not None:
        floats["maximum"] = spec.maximum
    text: dict[str, Any] = {"type": "string"}
    if not spec.lenient:
        text["pattern"] = r"^\s*[+-]?[0-9]+\s*$"
    beyond = out_of_range_text(spec.minimum, spec.maximum)
    if beyond is not None:
        text["not"] = {"pattern": beyond}
    choices = [number, floats, text]
    if spec.lenient:  # fractions, booleans, null, objects, arrays: absent
        choices.append({"type": "number", "not": {"multipleOf": 1}})
        choices.append({"not": {"anyOf": [{"type": "number"}, {"type": "string"}]}})
    return {"anyOf": choices}


def object_schema(table: tuple[FieldSpec, ...], xml: bool = False) -> dict[str, Any]:
    """An object whose members are ``table`` (unknown members are not described);
    ``xml``: ``@name`` members are attributes and ``$`` the element's text."""
    schema: dict[str, Any] = {"type": "object"}
    properties: dict[str, Any] = {}
    required: list[str] = []
    for spec in table:
        member = json_schema(spec, xml)
        if xml and spec.name == "$":  # OpenAPI 3.0 has no `xml` mapping for it
            schema["description"] = (
                f"XML: `$` is the element's text. {spec.description}"
            )
            schema["x-xmlText"] = member
            continue
        member["description"] = " ".join(
            filter(None, (spec.description, member.get("description")))
        )
        for name in (spec.name, *spec.aliases):
            key = name[1:] if xml and name.startswith("@") else name
            attribute = {"xml": {"name": key, "attribute": True}} if key != name else {}
            properties[key] = {**member, **attribute}
        if spec.required:
            required.append(spec.name.removeprefix("@") if xml else spec.name)
    if properties:
        schema["properties"] = properties
    if required:
        schema["required"] = required
    return schema


def xml_schema(spec: FieldSpec) -> dict[str, Any]:
    """The OpenAPI schema of an XML document whose root element is ``spec``."""
    return {
        **json_schema(spec, xml=True),
        "description": spec.description,
        "xml": {"name": spec.name},
    }


class TableField(serializers.Field):  # type: ignore[type-arg]
    """A serializer field that only carries a :class:`FieldSpec` (documentation:
    bodies are parsed by the parser that owns the table)."""

    def __init__(self, spec: FieldSpec) -> None:
        self.spec = spec
        super().__init__(required=spec.required, help_text=spec.description)


class TableFieldExtension(OpenApiSerializerFieldExtension):  # type: ignore[no-untyped-call]
    """drf-spectacular reads a :class:`TableField` as :func:`json_schema` says."""

    target_class = TableField

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> Any:
        field: TableField = self.target
        return json_schema(field.spec)


def table_serializer(
    name: str, table: tuple[FieldSpec, ...], doc: str
) -> type[serializers.Serializer[Any]]:
    """A serializer class named ``name`` (the component is named after it) whose
    fields are ``table``: the shape drf-spectacular describes."""
    attributes: dict[str, Any] = {spec.name: TableField(spec) for spec in table}
    attributes["__doc__"] = doc
    attributes["__module__"] = __name__
    return type(name, (serializers.Serializer,), attributes)
