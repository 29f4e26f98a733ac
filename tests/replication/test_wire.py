"""The original's replication bytes (spec §10.3), checked against the spec's text."""

from __future__ import annotations

import base64
from typing import Any

import orjson
import pytest

from registry.store.records import Endpoint, InstanceRegistration, ServiceInstance
from replication.wire import (
    Message,
    RepType,
    SseEvent,
    SseParser,
    WireError,
    event_data,
    format_time,
    frame,
    instance_from_document,
    instance_json,
    parse_event_data,
    parse_instance,
    parse_snapshot_data,
    parse_status_payload,
    parse_time,
    snapshot_data,
    status_payload,
)

#: The spec's example instant: 2017-03-01T10:00:00.123456789Z.
SPEC_NS = 1488362400_123456789
SPEC_INSTANCE = (
    b'{"ID":"26634d9e31ce714e","ServiceName":"reviews","Endpoint":{"Type":"http",'
    b'"Value":"10.0.0.5:9080"},"Status":"UP","Metadata":"eyJ2ZXJzaW9uIjoidjEifQ==",'
    b'"RegistrationTime":"2017-03-01T10:00:00.123456789Z","LastRenewal":'
    b'"2017-03-01T10:00:00.123456789Z","TTL":30000000000,"Tags":["v1"],'
    b'"Extension":null}'
)
SPEC_RENEW_EVENT = (
    b"id: 17\n"
    b"event: REP\n"
    b'data: {"Namespace":"default","Data":"eyJSZXBUeXBlIjoyLCJQYXlsb2FkIjoiTWpZMk'
    b'16UmtPV1V6TVdObE56RTBaUT09In0="}\n'
    b"\n"
)


def spec_record(**changes) -> ServiceInstance:
    fields: dict[str, Any] = {
        "id": "26634d9e31ce714e",
        "service_name": "reviews",
        "endpoint": Endpoint("http", "10.0.0.5:9080"),
        "status": "UP",
        "ttl": 30,
        "metadata": b'{"version":"v1"}',
        "tags": ("v1",),
        "registration_ns": SPEC_NS,
        "last_renewal_ns": SPEC_NS,
        "extension": None,
    }
    fields.update(changes)
    return ServiceInstance(**fields)


def test_store_instance_json_is_the_spec_bytes():
    assert instance_json(spec_record()) == SPEC_INSTANCE


def test_store_instance_json_parses_back():
    parsed = parse_instance(SPEC_INSTANCE)
    assert parsed.registration == InstanceRegistration(
        id="26634d9e31ce714e",
        service_name="reviews",
        endpoint=Endpoint("http", "10.0.0.5:9080"),
        status="UP",
        ttl=30,
        metadata=b'{"version":"v1"}',
        tags=("v1",),
        extension=None,
    )
    assert (parsed.registration_ns, parsed.last_renewal_ns) == (SPEC_NS, SPEC_NS)


def test_empty_tags_and_no_metadata_are_null():
    document = orjson.loads(instance_json(spec_record(tags=(), metadata=None)))
    assert (document["Tags"], document["Metadata"]) == (None, None)
    parsed = parse_instance(instance_json(spec_record(tags=(), metadata=None)))
    assert (parsed.registration.tags, parsed.registration.metadata) == ((), None)


def test_a_eureka_extension_round_trips_exactly_and_names_its_vip():
    extension = b'{"instanceId":"i1","app":"MYAPP","vipAddress":"myvip","x":[1,2]}'
    encoded = instance_json(spec_record(extension=extension))
    assert orjson.loads(encoded)["Extension"] == {
        "eureka": extension.decode(),
        "vipAddress": "myvip",
    }
    assert parse_instance(encoded).registration.extension == extension


def test_an_original_nodes_eureka_structure_is_not_kept_as_ours():
    document = orjson.loads(SPEC_INSTANCE)
    document["Extension"] = {"eureka": '{"hostName":"h"}', "vipAddress": "v"}
    parsed = parse_instance(orjson.dumps(document))
    assert parsed.registration.extension is None
    assert parsed.registration.service_name == "reviews"


def test_the_spec_renew_event_is_what_we_frame():
    message = Message("default", RepType.RENEW, b"26634d9e31ce714e")
    assert frame("REP", event_data(message), "17") == SPEC_RENEW_EVENT


def test_the_spec_renew_event_parses():
    (event,) = SseParser().feed(SPEC_RENEW_EVENT)
    assert (event.id, event.event) == ("17", "REP")
    assert parse_event_data(event.data) == Message(
        "default", RepType.RENEW, b"26634d9e31ce714e"
    )


def test_every_message_type_round_trips_with_the_spec_numbers():
    numbers = {kind.name: int(kind) for kind in RepType}
    assert numbers == {
        "REGISTER": 0,
        "DEREGISTER": 1,
        "RENEW": 2,
        "SETSTATUS": 3,
        "READREPAIR": 4,
    }
    payloads = {
        RepType.REGISTER: SPEC_INSTANCE,
        RepType.DEREGISTER: b"26634d9e31ce714e",
        RepType.RENEW: b"26634d9e31ce714e",
        RepType.SETSTATUS: status_payload("26634d9e31ce714e", "OUT_OF_SERVICE"),
        RepType.READREPAIR: b"26634d9e31ce714e",
    }
    for kind, payload in payloads.items():
        message = Message("tenant/a", kind, payload)
        data = event_data(message)
        outer = orjson.loads(data)
        inner = orjson.loads(base64.b64decode(outer["Data"]))
        assert list(outer) == ["Namespace", "Data"]
        assert inner == {
            "RepType": int(kind),
            "Payload": base64.b64encode(payload).decode(),
        }
        assert parse_event_data(data) == message


def test_setstatus_payload_is_the_spec_json():
    payload = status_payload("26634d9e31ce714e", "OUT_OF_SERVICE")
    assert payload == b'{"InstanceID":"26634d9e31ce714e","Status":"OUT_OF_SERVICE"}'
    assert parse_status_payload(payload) == ("26634d9e31ce714e", "OUT_OF_SERVICE")


@pytest.mark.parametrize(
    ("ns", "text"),
    [
        (SPEC_NS, "2017-03-01T10:00:00.123456789Z"),
        (1488362400_000000000, "2017-03-01T10:00:00Z"),
        (1488362400_500000000, "2017-03-01T10:00:00.5Z"),
        (1488362400_000001000, "2017-03-01T10:00:00.000001Z"),
    ],
)
def test_times_are_go_rfc3339nano(ns, text):
    assert format_time(ns) == text
    assert parse_time(text) == ns


def test_times_with_an_offset_parse():
    assert parse_time("2017-03-01T11:00:00.123456789+01:00") == SPEC_NS


@pytest.mark.parametrize(
    "text",
    [
        "2017-13-01T10:00:00.5Z",  # no such month
        "2017-03-01T10:00:00.Z",  # a dot without digits
        "2017-03-01T10:00:00.1234567890Z",  # ten digits
        "2017-03-01T10:00:00.\u0665Z",  # a digit, but not an ASCII one
        "2017-03-01 10:00:00.5Z",
        "2017-03-01T10:00:00.5",
    ],
)
def test_malformed_times_are_refused(text):
    with pytest.raises(WireError):
        parse_time(text)


@pytest.mark.parametrize(
    "data",
    [
        b"not json",
        b"[]",
        b'{"Namespace":"default"}',
        b'{"Namespace":"default","Data":"%%%"}',
        b'{"Namespace":"default","Data":"' + base64.b64encode(b"[1]") + b'"}',
        b'{"Namespace":"default","Data":"'
        + base64.b64encode(b'{"RepType":9,"Payload":""}')
        + b'"}',
        b'{"Namespace":7,"Data":""}',
    ],
)
def test_malformed_event_data_is_a_wire_error(data):
    with pytest.raises(WireError):
        parse_event_data(data)


@pytest.mark.parametrize(
    "change",
    [
        {"ID": None},
        {"Endpoint": "http"},
        {"TTL": "30s"},
        {"Tags": "v1"},
        {"Metadata": "!!"},
        {"RegistrationTime": "yesterday"},
        {"Extension": "x"},
    ],
)
def test_malformed_store_instances_are_wire_errors(change):
    document = orjson.loads(SPEC_INSTANCE)
    document.update(change)
    with pytest.raises(WireError):
        parse_instance(orjson.dumps(document))


def test_the_parser_joins_data_lines_skips_comments_and_reads_retry():
    parser = SseParser()
    events = parser.feed(b": hello\nretry: 2500\nid: 3\nevent: X\ndata: a\ndata: b\n\n")
    assert events == [SseEvent("3", "X", b"a\nb")]
    assert parser.retry_ms == 2500


def test_the_parser_handles_split_chunks_and_crlf():
    stream = SPEC_RENEW_EVENT.replace(b"\n", b"\r\n") + b":\n" + SPEC_RENEW_EVENT
    parser = SseParser()
    events = [event for byte in stream for event in parser.feed(bytes([byte]))]
    assert [event.id for event in events] == ["17", "17"]
    assert events[0] == events[1]


def test_frames_leave_out_empty_fields_and_split_newlines():
    assert frame("SYNCED", b"") == b"event: SYNCED\n\n"
    assert frame("", b"a\nb", "0") == b"id: 0\ndata: a\ndata: b\n\n"


def test_our_snapshot_event_carries_many_store_instances():
    records = [spec_record(), spec_record(id="other", tags=())]
    data = snapshot_data("default", records)
    assert b"\n" not in data  # one data line
    namespace, documents = parse_snapshot_data(data)
    assert namespace == "default"
    assert orjson.dumps(documents[0]) == SPEC_INSTANCE
    assert [instance_from_document(d).registration.id for d in documents] == [
        "26634d9e31ce714e",
        "other",
    ]


@pytest.mark.parametrize(
    "data", [b"[]", b'{"Namespace":"default"}', b'{"Namespace":1,"Instances":[]}']
)
def test_malformed_snapshot_data_is_a_wire_error(data):
    with pytest.raises(WireError):
        parse_snapshot_data(data)
