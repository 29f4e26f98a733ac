"""A registration body is read once (orjson) unless a number's text is needed.

Every body here is parsed twice: as :func:`parse_registration` reads it, and as it
read every body before, orjson checking the body and then the standard library
reading it again with every number kept as its text. Both must give the same
registration (stored metadata bytes included) or the same refusal.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.api import registration
from registry.api.registration import RegistrationError, parse_registration
from registry.http.json_bodies import TOO_DEEP, JsonBodyError, loads_json


def _members_read_twice(body: bytes) -> dict[str, Any]:
    """The reading before: orjson for validity and depth, then the standard
    library for the values, numbers kept as text in the metadata too."""
    try:
        loads_json(body)
    except JsonBodyError as err:
        text = TOO_DEEP if str(err) == TOO_DEEP else registration.REGISTRATION_FAILED
        raise RegistrationError(text) from err
    try:
        value = json.loads(
            body,
            parse_int=registration._Number,
            parse_float=registration._Number,
            parse_constant=registration._reject,
        )
    except ValueError as err:
        raise RegistrationError(registration.REGISTRATION_FAILED) from err
    members = registration._object_members(value)
    if "metadata" in members:
        members["metadata"] = registration._with_raw_numbers(members["metadata"])
    return members


def _outcome(body: bytes) -> object:
    """The registration, or the type and text of what was raised."""
    try:
        return parse_registration(body, lambda seconds: seconds)
    except Exception as err:  # a 500 must stay a 500 too
        return (type(err).__name__, str(err))


def _both(body: bytes) -> tuple[object, object]:
    new = _outcome(body)
    with mock.patch.object(registration, "_members", _members_read_twice):
        old = _outcome(body)
    return new, old


@contextmanager
def _second_reads() -> Iterator[mock.MagicMock]:
    with mock.patch.object(
        registration,
        "_loads_numbers_as_sent",
        wraps=registration._loads_numbers_as_sent,
    ) as spy:
        yield spy


def _body(member: bytes = b"", ttl: bytes | None = None) -> bytes:
    parts = [b'"service_name":"svc-1"', b'"endpoint":{"type":"http","value":"h:80"}']
    if ttl is not None:
        parts.append(b'"ttl":' + ttl)
    if member:
        parts.append(member)
    return b"{" + b",".join(parts) + b"}"


NUMBERS = [
    b"0",
    b"-0",
    b"1",
    b"-1",
    b"45",
    b"600",
    b"601",
    b"1.0",
    b"-0.0",
    b"0.0",
    b"0e0",
    b"-0e1",
    b"1e3",
    b"1E3",
    b"1E+3",
    b"1e-3",
    b"-2.5E+3",
    b"0.1",
    b"0.1000000000000000055511151231257827",
    b"4294967295",
    b"4294967296",
    b"9223372036854775807",
    b"-9223372036854775808",
    b"-9223372036854775809",
    b"18446744073709551615",
    b"18446744073709551616",
    b"123456789012345678901234567890",
    b"1" * 309,
    b"1" * 310,
    b"1e308",
    b"1e309",
    b"1e400",
    b"-1e400",
    b"5e-324",
    b"1e-400",
    b"01",
    b"-01",
    b"+1",
    b"1.",
    b".5",
    b"-",
    b"1e",
    b"0x10",
    b"NaN",
    b"Infinity",
    b"-Infinity",
    b"nan",
    b"true",
    b"false",
    b"null",
]

VALUES = [
    *NUMBERS,
    b'""',
    b'"x"',
    b'"30"',
    b'"-0"',
    b'"\\u00e9\\u0000\\/"',
    b'"\\ud83d\\ude00"',
    b'"\\ud800"',
    b'"\\udc00x"',
    b'"\xc3\xa9"',
    b'"\xc3\x28"',
    b'"\xed\xa0\x80"',
    b'"\xc0\xaf"',
    b'"\xf4\x90\x80\x80"',
    b'"\xef\xbf\xbf\x7f"',
    b'"tab\there"',
    b'"\\x"',
    b"[]",
    b"{}",
    b"[1,-0,1.0,[0,[1e3]],{}]",
    b'{"a":1,"b":{"c":[2,3,{"d":-0}]},"e":"-0"}',
    b'{"a":0,"b":"x-0"}',
    b'{"a":1,"a":2.0}',
    b'{"a":1.5,"a":2}',
    b'{"b":1,"a":2,"b":3}',
    b'{"A":1,"a":2}',
    b'{"version":"v1"}',
    b'{"k":[true,false,null]}',
    b"[1,]",
    b'{"a":1,}',
    b"[" * 30 + b"1" + b"]" * 30,
    b"[" * 31 + b"1" + b"]" * 31,
    b"[" * 40 + b"]" * 40,
    b'{"m":"' + b"m" * 1100 + b'"}',
]

BODIES = [
    b"",
    b" ",
    b"null",
    b" null ",
    b"[]",
    b"1",
    b"-0",
    b'"x"',
    b"true",
    b"{}",
    b"\xff\xfe",
    b"\x00",
    b"\xef\xbb\xbf" + _body(),
    _body().decode().encode("utf-16"),
    _body().decode().encode("utf-16-le"),
    _body().decode().encode("utf-32"),
    _body() + b" trailing",
    _body() + b"}",
    _body() + b" \t\r\n",
    b" \t\r\n" + _body(),
    b"\x0c" + _body(),
    _body() + b"\x0c",
    _body() + b"\x00",
    _body(b'"TTL":5,"ttl":-0'),
    _body(b'"ttl":-0,"TTL":5'),
    _body(b'"Metadata":1.0,"metadata":1'),
    _body(b'"metadata":1.0,"METADATA":1'),
    _body(b'"service_name":"svc-0","metadata":0'),
    _body(b'"unknown":1.0,"other":[-0,1e3]'),
    b'{"service_name":5,"endpoint":{"type":"http","value":"h:80"}}',
    b'{"service_name":1.0,"endpoint":{"type":"http","value":"h:80"}}',
    b'{"service_name":"s","endpoint":5}',
    b'{"service_name":"s","endpoint":-0}',
    b'{"service_name":"s","endpoint":{"type":1,"value":"h:80"}}',
    b'{"service_name":"s","endpoint":{"type":"http","value":1e3}}',
    b'{"service_name":"s","endpoint":{"TYPE":"tcp","Value":"h:1","type":"udp"}}',
    b'{"service_name":"s","endpoint":{"type":"HTTP","value":"h:80"}}',
    b'{"service_name":"s","endpoint":{"type":"http","value":"  "}}',
    b'{"service_name":"","endpoint":{"type":"http","value":"h:80"}}',
    b'{"service_name":"s"}',
    b'{"service_name":"s","endpoint":null,"ttl":1.5}',
    _body(b'"status":"up"'),
    _body(b'"status":"down"'),
    _body(b'"status":1'),
    _body(b'"tags":["a",1]'),
    _body(b'"tags":["a",-0,"b"]'),
    _body(b'"tags":["v1","v1"]'),
    _body(b'"tags":"v1"'),
    _body(b'"metadata":{"x":1},"tags":[1.0]'),
    _body(b'"metadata":NaN', ttl=b"1.0"),
]


def _corpus() -> Iterator[bytes]:
    yield from BODIES
    for value in VALUES:
        yield _body(b'"metadata":' + value)
        yield _body(ttl=value)
        yield _body(b'"metadata":' + value, ttl=b"45")
        yield _body(b'"tags":[' + value + b"]")
        yield _body(b'"status":' + value)
        yield b'{"service_name":' + value + b',"endpoint":{"type":"http","value":"h"}}'
        yield _body(b'"ignored":' + value)
        yield value


@pytest.mark.parametrize("body", list(_corpus()))
def test_single_reading_gives_what_the_two_readings_gave(body):
    new, old = _both(body)
    assert new == old


@pytest.mark.parametrize(
    ("member", "stored"),
    [
        (b'"metadata":{"version":"v1"}', b'{"version":"v1"}'),
        (b'"metadata":{"n":[1,-2,18446744073709551615]}', None),
        (b'"metadata":{"zero":0}', None),
        (b'"metadata":[true,null,"-0"]', None),
        (b'"tags":["v1"]', None),
    ],
)
def test_common_bodies_are_read_once(member, stored):
    with _second_reads() as spy:
        parsed = parse_registration(_body(member, ttl=b"600"), lambda s: s)
    assert spy.call_count == 0
    assert parsed.ttl == 600
    if stored is not None:
        assert parsed.metadata == stored


@pytest.mark.parametrize(
    ("member", "stored"),
    [
        (b'"metadata":1.0', b"1.0"),
        (b'"metadata":{"a":[1E+3]}', b'{"a":[1E+3]}'),
        (b'"metadata":18446744073709551616', b"18446744073709551616"),
        (b'"metadata":-0', b"-0"),
        (b'"metadata":0,"x":"a-0"', b"0"),
    ],
)
def test_numbers_whose_text_orjson_loses_are_read_again(member, stored):
    with _second_reads() as spy:
        parsed = parse_registration(_body(member, ttl=b"600"), lambda s: s)
    assert spy.call_count == 1
    assert parsed.metadata == stored


@pytest.mark.parametrize(("ttl", "reads"), [(b"0", 0), (b"-0", 1), (b"1.0", 1)])
def test_a_ttl_whose_text_is_unsure_is_read_again(ttl, reads):
    with _second_reads() as spy:
        new, old = _both(_body(ttl=ttl))
    assert new == old
    assert spy.call_count == reads


_NUMBER_TEXT = st.from_regex(
    r"\A-?(0|[1-9][0-9]{0,25})(\.[0-9]{1,5})?([eE][-+]?[0-9]{1,3})?\Z"
) | st.sampled_from([t.decode() for t in NUMBERS])
_STRING_TEXT = st.sampled_from(['"a"', '"-0"', '"\\u00e9"', '"\\ud800"', '"é"', '""'])
_SCALAR_TEXT = _NUMBER_TEXT | _STRING_TEXT | st.sampled_from(["true", "null", "NaN"])


def _containers(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    names = st.sampled_from(['"a"', '"b"', '"A"', '"ttl"'])
    members = st.lists(st.tuples(names, children), max_size=4)
    return st.lists(children, max_size=4).map(lambda xs: "[" + ",".join(xs) + "]") | (
        members.map(lambda ms: "{" + ",".join(f"{k}:{v}" for k, v in ms) + "}")
    )


_JSON_TEXT = st.recursive(_SCALAR_TEXT, _containers, max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(
    metadata=_JSON_TEXT,
    ttl=st.none() | _NUMBER_TEXT,
    extra=st.sampled_from(["", ',"x":"y-0"', ',"TTL":1', ',"Metadata":[0]']),
)
def test_generated_numbers_give_what_the_two_readings_gave(metadata, ttl, extra):
    body = _body(
        f'"metadata":{metadata}{extra}'.encode(),
        ttl=None if ttl is None else ttl.encode(),
    )
    new, old = _both(body)
    assert new == old
