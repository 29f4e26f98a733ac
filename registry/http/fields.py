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
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers

Kind = Literal["string", "integer", "object", "array", "any"]


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
    #: Byte limit of the UTF-8 text (or of compact JSON, for ``any``).
    max_bytes: int | None = None
    #: The accepted values (strings, or the items of an array).
    choices: tuple[str, ...] | None = None
    #: ``choices`` are matched in any case.
    case_insensitive: bool = False
    minimum: int | None = None
    maximum: int | None = None
    #: Members of an ``object``.
    members: tuple[FieldSpec, ...] = ()

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


def any_case_pattern(choices: tuple[str, ...], blank: bool) -> str:
    """An ECMA-262 pattern matching ``choices`` in any case (and ``""`` if
    ``blank``): ``up`` -> ``[Uu][Pp]``."""

    def any_case(text: str) -> str:
        return "".join(
            f"[{c.upper()}{c.lower()}]" if c.upper() != c.lower() else re.escape(c)
            for c in text
        )

    alternatives = [any_case(choice) for choice in choices]
    if blank:
        alternatives.insert(0, "")
    return f"^({'|'.join(alternatives)})$"


def json_schema(spec: FieldSpec) -> dict[str, Any]:
    """The OpenAPI 3.0 schema of one field (no ``description``: callers add it)."""
    schema: dict[str, Any] = {}
    if spec.kind == "any":  # any JSON value, null included
        if spec.max_bytes is not None:
            schema["x-maxBytes"] = spec.max_bytes
        return schema
    if spec.kind == "object":
        schema = object_schema(spec.members)
    elif spec.kind == "array":
        items: dict[str, Any] = {"type": "string"}
        if spec.choices is not None:
            items["enum"] = list(spec.choices)
        schema = {"type": "array", "items": items}
        if spec.blank and spec.choices is not None:
            # An empty query value: no item at all (an empty item is a 400).
            schema = {"anyOf": [schema, {"type": "string", "enum": [""]}]}
    elif spec.kind == "string":
        schema = {"type": "string"}
        if spec.choices is not None and spec.case_insensitive:
            schema["pattern"] = any_case_pattern(spec.choices, spec.blank)
            schema["x-caseInsensitiveEnum"] = list(spec.choices)
        elif spec.choices is not None:
            schema["enum"] = list(spec.choices)
        elif not spec.blank:
            schema["minLength"] = 1
        if spec.max_bytes is not None:
            schema["x-maxBytes"] = spec.max_bytes
    elif spec.kind == "integer":
        schema = {"type": "integer"}
        if spec.minimum is not None:
            schema["minimum"] = spec.minimum
        if spec.maximum is not None:
            schema["maximum"] = spec.maximum
    if spec.nullable:
        schema["nullable"] = True
    return schema


def object_schema(table: tuple[FieldSpec, ...]) -> dict[str, Any]:
    """An object whose members are ``table`` (unknown members are not described)."""
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {
            spec.name: {**json_schema(spec), "description": spec.description}
            for spec in table
        },
    }
    required = [spec.name for spec in table if spec.required]
    if required:
        schema["required"] = required
    return schema


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
