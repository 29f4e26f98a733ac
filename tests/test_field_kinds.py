"""The lenient kinds of ``registry/http/fields.py`` render the schema their readers
need (the Eureka table uses them: ``tests/eureka/test_instance_fields.py``)."""

from __future__ import annotations

import random
import re

import pytest
from openapi_schema_validator import OAS30Validator

from registry.http.fields import (
    FieldSpec,
    json_schema,
    object_schema,
    out_of_range_text,
    xml_schema,
)

JAVA_INT = (-(2**31), 2**31 - 1)
JAVA_LONG = (-(2**63), 2**63 - 1)


def _numbers(low: int, high: int) -> list[int]:
    rng = random.Random(9)
    edges = [low, high, low - 1, high + 1, 0, 1, -1, 9, 10, 99, 100]
    spread = [rng.randint(2 * low - 10, 2 * high + 10) for _ in range(3000)]
    return [*range(-150, 150), *edges, *spread]


@pytest.mark.parametrize(
    ("low", "high"), [JAVA_INT, JAVA_LONG, (0, 99), (-5, 0), (-10, 1000)]
)
def test_out_of_range_text_is_exactly_the_integers_past_the_bounds(low, high):
    pattern = out_of_range_text(low, high)
    assert pattern is not None
    for number in _numbers(low, high):
        past = not low <= number <= high
        sign = "-" if number < 0 else "+"
        for text in (str(number), f" {sign}000{abs(number)}\t", f"{number}\n"):
            assert (re.fullmatch(pattern, text) is not None) == past, text
            assert past == (not low <= int(text.strip()) <= high)


def test_out_of_range_text_bounds():
    assert out_of_range_text(None, None) is None
    with pytest.raises(ValueError, match="include 0"):
        out_of_range_text(1, 10)


def test_integer_text_reads_numbers_and_text_within_the_range():
    spec = FieldSpec("n", "integer_text", "", lenient=True, minimum=-10, maximum=10)
    validator = OAS30Validator(json_schema(spec))
    allowed = [10, -10, 5.0, -9.0, 5.5, 1e15 + 0.5, " 10 ", "x", "", None, True, [], {}]
    refused = [11, -11, 11.0, -10.0, 1e30, " 11 ", "-011", "+11"]
    assert [v for v in allowed if not validator.is_valid(v)] == []
    assert [v for v in refused if validator.is_valid(v)] == []


def test_strict_integer_text_needs_digits():
    spec = FieldSpec("n", "integer_text", "", minimum=0, maximum=10)
    validator = OAS30Validator(json_schema(spec))
    assert validator.is_valid(" 7 ")
    assert not validator.is_valid("x")
    assert not validator.is_valid(None)


def test_lenient_and_fallback_kinds_accept_any_value():
    text = FieldSpec("t", "string", "", lenient=True)
    status = FieldSpec(
        "s", "string", "", choices=("UP", "DOWN"), case_insensitive=True, fallback="UP"
    )
    flag = FieldSpec("f", "flag", "", default="true")
    assert json_schema(text) == {}
    assert json_schema(status) == {"x-caseInsensitiveEnum": ["UP", "DOWN"]}
    assert json_schema(flag) == {"default": "true"}


def test_trimmed_choices_allow_surrounding_whitespace_only():
    spec = FieldSpec(
        "c",
        "string",
        "",
        blank=False,
        choices=("MyOwn",),
        case_insensitive=True,
        trim=True,
    )
    validator = OAS30Validator(json_schema(spec))
    assert validator.is_valid(" myOWN\t")
    assert not validator.is_valid("my own")
    assert not validator.is_valid("")


def test_a_lenient_object_is_the_object_or_another_type():
    member = FieldSpec("k", "integer", "")
    spec = FieldSpec("o", "object", "", lenient=True, members=(member,))
    validator = OAS30Validator(json_schema(spec))
    assert validator.is_valid({"k": 1})
    assert validator.is_valid("x")
    assert not validator.is_valid({"k": "x"})


def test_aliases_are_described_under_each_name():
    spec = FieldSpec("a", "string", "d", aliases=("b",), required=True)
    schema = object_schema((spec,))
    assert schema["properties"]["a"] == schema["properties"]["b"]
    assert schema["required"] == ["a"]


def test_xml_attributes_text_and_no_null():
    text = FieldSpec("$", "integer", "The number.", minimum=0)
    attribute = FieldSpec("@unit", "string", "The unit.", required=True, nullable=True)
    element = FieldSpec(
        "size", "object", "A size.", nullable=True, members=(text, attribute)
    )
    root = FieldSpec("doc", "object", "The root.", required=True, members=(element,))
    xml = xml_schema(root)
    assert xml["xml"] == {"name": "doc"}
    size = xml["properties"]["size"]
    assert "nullable" not in size
    assert size["properties"] == {
        "unit": {
            "type": "string",
            "description": "The unit.",
            "xml": {"name": "unit", "attribute": True},
        }
    }
    assert size["required"] == ["unit"]
    assert size["x-xmlText"] == {"type": "integer", "minimum": 0}
    assert "The number." in size["description"]
    # JSON keeps the member names and null.
    json_size = json_schema(root)["properties"]["size"]
    assert set(json_size["properties"]) == {"$", "@unit"}
    assert json_size["nullable"] is True
