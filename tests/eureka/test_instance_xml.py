"""instance_xml: the bytes of render_xml(instance_tree(...)) for every record.

Records come from the real write paths (parse_registration, the override and
metadata updates) and from native registrations; peer copies of an extension may
hold any JSON, so those are generated too. ``render_xml`` is the reference.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eureka_compat import instance_xml as module
from eureka_compat.instance_xml import instance_xml
from eureka_compat.instances import (
    EXTENSION_PREFIX,
    EurekaRegistrationError,
    instance_tree,
    merged_metadata,
    native_extension,
    parse_registration,
    with_status_override,
)
from eureka_compat.xml_codec import render_xml
from registry.store.records import Endpoint, ServiceInstance, stored_json

ACTIONS = ("ADDED", "MODIFIED", "DELETED")
NOW_MS = 1_700_000_000_000
#: Characters with a rule of their own: escapes, XStream's name escapes, attribute
#: escapes, characters XML cannot carry (controls, lone surrogates, U+FFFE), and
#: characters that are not allowed in names.
SPECIAL = (
    "&<>\"'\r\n\t\x00\x01\x1f\x7f\x85\xa0\u2028\ud800\udfff\ufffe\uffff_$@:. -1é€😀"
)


def reference(instance: ServiceInstance, action: str = "ADDED") -> bytes:
    return render_xml({"instance": instance_tree(instance, action)})


def assert_same(instance: ServiceInstance, action: str = "ADDED") -> bytes:
    body = instance_xml(instance, action)
    assert body == reference(instance, action)
    return body


def record(**fields: Any) -> ServiceInstance:
    values: dict[str, Any] = {
        "id": "svc-1",
        "service_name": "svc",
        "endpoint": Endpoint("http", "10.0.0.1:8080"),
        "status": "UP",
        "ttl": 30,
        "metadata": None,
        "tags": (),
        "registration_ns": 1_700_000_000_123_456_789,
        "last_renewal_ns": 1_700_000_030_987_654_321,
    }
    values.update(fields)
    return ServiceInstance(**values)


def body(**members: Any) -> dict[str, Any]:
    """A Spring-Cloud-like registration of DEMO at 10.0.0.1."""
    instance: dict[str, Any] = {
        "instanceId": "10.0.0.1:demo:8080",
        "hostName": "10.0.0.1",
        "app": "DEMO",
        "ipAddr": "10.0.0.1",
        "status": "UP",
        "port": {"$": 8080, "@enabled": "true"},
        "dataCenterInfo": {"name": "MyOwn"},
        "metadata": {"management.port": "8080"},
        "vipAddress": "demo",
    }
    instance.update(members)
    return {"instance": {k: v for k, v in instance.items() if v is not None}}


def registered(document: dict[str, Any], **fields: Any) -> ServiceInstance:
    """What the store keeps for a registration body (as a Eureka peer's copy)."""
    app = str(document["instance"].get("app", ""))
    parsed = parse_registration(document, app, lambda ttl: ttl, NOW_MS)
    registration = parsed.registration
    values = {
        "id": registration.id,
        "service_name": registration.service_name,
        "endpoint": registration.endpoint,
        "status": registration.status,
        "ttl": registration.ttl,
        "metadata": registration.metadata,
        "tags": registration.tags,
        "extension": registration.extension,
    }
    return record(**{**values, **fields})


# --- targeted cases -------------------------------------------------------------


def test_a_registration_renders_the_expected_document():
    instance = registered(body())
    assert assert_same(instance) == (
        b"<instance><instanceId>10.0.0.1:demo:8080</instanceId>"
        b"<hostName>10.0.0.1</hostName><app>DEMO</app><ipAddr>10.0.0.1</ipAddr>"
        b"<status>UP</status><overriddenstatus>UNKNOWN</overriddenstatus>"
        b'<port enabled="true">8080</port><securePort enabled="false">443</securePort>'
        b"<countryId>1</countryId><dataCenterInfo "
        b'class="com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo">'
        b"<name>MyOwn</name></dataCenterInfo><leaseInfo>"
        b"<renewalIntervalInSecs>30</renewalIntervalInSecs>"
        b"<durationInSecs>90</durationInSecs>"
        b"<registrationTimestamp>1700000000123</registrationTimestamp>"
        b"<lastRenewalTimestamp>1700000030987</lastRenewalTimestamp>"
        b"<evictionTimestamp>0</evictionTimestamp>"
        b"<serviceUpTimestamp>1700000000000</serviceUpTimestamp></leaseInfo>"
        b"<metadata><management.port>8080</management.port></metadata>"
        b"<vipAddress>demo</vipAddress>"
        b"<isCoordinatingDiscoveryServer>false</isCoordinatingDiscoveryServer>"
        b"<lastUpdatedTimestamp>1700000000000</lastUpdatedTimestamp>"
        b"<lastDirtyTimestamp>1700000000000</lastDirtyTimestamp>"
        b"<actionType>ADDED</actionType></instance>"
    )


@pytest.mark.parametrize("action", [*ACTIONS, "", "A&B", "\x00"])
def test_every_action_type(action):
    assert_same(registered(body()), action)
    assert_same(record(), action)


def test_members_left_out_of_the_extension_render_their_defaults():
    instance = registered(body(vipAddress=None, metadata=None))
    assert b'"securePort"' not in (instance.extension or b"")
    document = assert_same(instance)
    assert b'<securePort enabled="false">443</securePort>' in document
    assert b"<renewalIntervalInSecs>30</renewalIntervalInSecs>" in document


def test_members_that_differ_from_the_defaults():
    document = body(
        sid="7",
        asgName="asg<1>",
        overriddenstatus="OUT_OF_SERVICE",
        securePort={"$": 8443, "@enabled": True},
        countryId="2",
        leaseInfo={"renewalIntervalInSecs": 5, "durationInSecs": 15},
        lastDirtyTimestamp="12",
        ipAddr="10.9.9.9",
        appGroupName="GROUP",
        homePageUrl="http://h/?a=1&b=2",
        statusPageUrl="http://h/info",
        healthCheckUrl="http://h/health",
        secureHealthCheckUrl="https://h/health",
        secureVipAddress="demo-secure",
    )
    rendered = assert_same(registered(document))
    assert b"<sid>7</sid>" in rendered
    assert b"<asgName>asg&lt;1&gt;</asgName></instance>" in rendered
    assert b"<homePageUrl>http://h/?a=1&amp;b=2</homePageUrl>" in rendered


@pytest.mark.parametrize("sid", ["na", "", "x"])
def test_sid(sid):
    assert_same(registered(body(sid=sid)))


def test_native_instances():
    for endpoint in (
        Endpoint("http", "10.0.0.1:8080"),
        Endpoint("https", "host:8443"),
        Endpoint("tcp", "[::1]:9"),
        Endpoint("tcp", "no-port"),
        Endpoint("http", "http://h.example/x"),
        Endpoint("https", "https://h.example:99/"),
        Endpoint("user", "a&b<c>:1"),
    ):
        assert_same(record(endpoint=endpoint))
        assert_same(record(endpoint=endpoint), "DELETED")


@pytest.mark.parametrize(
    "metadata",
    [
        None,
        b"{}",
        b"[1,2]",
        b'"text"',
        b"null",
        b'{"a_b":"1","x$y":"2","_":"3","$":"4","a__b":"5"}',
        b'{"1abc":"x","a b":"x","a:b":"x","":"x","zone":"a"}',
        b'{"1abc":"only unrenderable keys"}',
        b'{"@class":"java.util.Collections$EmptyMap"}',
        b'{"@class":"C","@xmlns":"x","@1bad":"y","@":"z","k":"v"}',
        b'{"@only":"an attribute"}',
        b'{"zon\\u00e9":"\\u00fc\\u20ac","\\u00e9":"x"}',
        b'{"k":"&<>\\"\' \\r\\n\\t\\u0001\\u007f\\ufffe end"}',
        b'{"n":1,"f":1.5,"b":true,"z":null,"o":{"a":[1,"x"]},"s":"s"}',
        b'{"@n":1,"@b":false,"@s":"a\\"b&c\\n"}',
        # Past the size of the maps whose element is shared between instances.
        stored_json({f"k_{n}": "<v>" * n for n in range(40)}),
        stored_json({f"k{n}": n for n in range(100)}),
    ],
)
def test_metadata_maps(metadata):
    assert_same(record(metadata=metadata))
    if metadata is not None:
        native = orjson.loads(metadata)
        if isinstance(native, dict):
            # Registered through the Eureka API: values arrive as strings.
            strings = {
                k: v if isinstance(v, str) else str(v) for k, v in native.items()
            }
            assert_same(registered(body(metadata=strings)))


def test_empty_metadata_renders_the_empty_map_class():
    document = assert_same(record(metadata=None))
    assert b'<metadata class="java.util.Collections$EmptyMap"/>' in document
    assert b"<metadata/>" in assert_same(record(metadata=b'{"1x":"y"}'))


def test_text_that_needs_escaping_or_dropping():
    for text in ("a&b", "<x>", '"q"', "cr\rlf\n", "nul\x00", "s\ud800", "é€😀"):
        assert_same(record(id=text, service_name=text, status=text))
        assert_same(record(endpoint=Endpoint("tcp", f"{text}:80")), text)


def test_amazon_data_center_with_metadata():
    data_center = {
        "@class": "com.netflix.appinfo.AmazonInfo",
        "name": "Amazon",
        "metadata": {
            "instance-id": "i-1",
            "public_hostname": "ec2&co",
            "local-ipv4": "<10.0.0.1>",
            "1bad": "skipped",
            "@attr": "an attribute",
        },
    }
    instance = registered(body(instanceId=None, dataCenterInfo=data_center))
    assert instance.id == "DEMO:i-1"
    rendered = assert_same(instance)
    assert b"<public__hostname>ec2&amp;co</public__hostname>" in rendered
    assert_same(registered(body(dataCenterInfo={"name": "amazon"})))
    assert_same(registered(body(dataCenterInfo={"name": "Netflix"})))


def test_status_override_and_metadata_updates():
    instance = registered(body())
    for override in ("OUT_OF_SERVICE", "UNKNOWN"):
        extension = with_status_override(instance, override, None, NOW_MS + 5)
        instance = dataclasses.replace(instance, extension=extension, status=override)
        assert_same(instance)
    updated = merged_metadata(instance.metadata, {"a_b": "<1>", "c$": "&"})
    assert_same(dataclasses.replace(instance, metadata=updated))
    native = record(metadata=b'{"n":1}')
    extension = with_status_override(native, "DOWN", 5, NOW_MS)
    assert_same(dataclasses.replace(native, extension=extension))


@pytest.mark.parametrize(
    "members",
    [
        {"hostName": 5},
        {"hostName": None, "ipAddr": "1"},
        {"app": None},
        {"app": 1.5},
        {"ipAddr": True},
        {"sid": None},
        {"sid": 7},
        {"sid": ""},
        {"asgName": ""},
        {"asgName": ["a", "b"]},
        {"vipAddress": None},
        {"vipAddress": {"a": "b"}},
        {"homePageUrl": ""},
        {"overriddenstatus": None},
        {"port": {"$": "8080", "@enabled": "true"}},
        {"port": {"$": 8080, "@enabled": True}},
        {"port": {"$": 8080}},
        {"port": {"@enabled": "true", "$": 8080}},
        {"port": {"$": 8080, "@enabled": "true", "x": 1}},
        {"port": 8080},
        {"securePort": None},
        {"securePort": {"$": True, "@enabled": "false"}},
        {"countryId": True},
        {"countryId": "1"},
        {"countryId": None},
        {"renewalIntervalInSecs": 1.5},
        {"serviceUpTimestamp": "x"},
        {"serviceUpTimestamp": None},
        {"lastUpdatedTimestamp": None},
        {"lastDirtyTimestamp": [1, "<"]},
        {"dataCenterInfo": None},
        {"dataCenterInfo": "MyOwn"},
        {"dataCenterInfo": {"name": "MyOwn"}},
        {"dataCenterInfo": {"name": "MyOwn", "@class": "C&D"}},
        {"dataCenterInfo": {"@class": "C", "name": None}},
        {"dataCenterInfo": {"@class": "C", "metadata": {}, "name": "N"}},
        {"dataCenterInfo": {"@class": "C", "name": "N", "metadata": {"a": 1}}},
        {"dataCenterInfo": {"@class": "C", "name": "N", "metadata": []}},
        {"dataCenterInfo": {"@class": "C", "name": "N", "extra": "x"}},
    ],
)
def test_peer_extensions_with_other_types_render_as_the_reference(members):
    """A peer's extension is kept unread (replication.wire): any JSON at all."""
    extension = {
        "instanceId": "i-1",
        "hostName": "h",
        "port": {"$": 80, "@enabled": "true"},
        **members,
    }
    assert_same(record(extension=stored_json(extension)))


def test_registration_paths_take_the_template():
    """The fast path is not lost to the reference path for what we write."""
    documents = [
        body(),
        body(sid="1", asgName="a", homePageUrl="&", metadata={"a_b": "<"}),
        body(dataCenterInfo={"name": "Amazon", "metadata": {"instance-id": "i"}}),
    ]
    for document in documents:
        instance = registered(document)
        extension = orjson.loads(instance.extension or b"")
        assert module._template(instance, extension, "ADDED") is not None
    native = record(metadata=b'{"n":1,"@a":"x"}')
    extension = native_extension(native)
    assert module._template(native, extension, "ADDED") is not None


# --- generated records -------------------------------------------------------------

#: Text as clients may send it (JSON cannot carry lone surrogates).
json_text = st.text(
    alphabet=st.one_of(
        st.characters(exclude_categories=["Cs"]),
        st.sampled_from(
            SPECIAL.encode("utf-8", "surrogatepass").decode("utf-8", "ignore")
        ),
    ),
    max_size=12,
)
#: Text a native record may hold (lone surrogates included).
any_text = st.text(
    alphabet=st.one_of(st.characters(), st.sampled_from(SPECIAL)), max_size=12
)
present_text = json_text.filter(lambda text: bool(text.strip()))
statuses = st.sampled_from(
    ["UP", "down", " Starting ", "OUT_OF_SERVICE", "UNKNOWN", "", "weird"]
)
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    json_text,
    st.floats(allow_nan=False, allow_infinity=False),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(json_text, inner, max_size=3)
    ),
    max_leaves=6,
)
metadata_keys = st.one_of(
    json_text,
    st.sampled_from(
        ["management.port", "a_b", "x$y", "@class", "@x", "@xmlns:a", "1a"]
    ),
)
ports = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {},
        optional={
            "$": st.one_of(
                st.integers(0, 65535), st.sampled_from(["80", " 443 ", "x"])
            ),
            "@enabled": st.one_of(
                st.booleans(), st.sampled_from(["true", "false", "TRUE", "no"])
            ),
        },
    ),
)
data_centers = st.fixed_dictionaries(
    {
        "name": st.sampled_from(
            ["MyOwn", "myown", "Amazon", "AMAZON", "Netflix", "SoftLayer"]
        )
    },
    optional={
        "@class": json_text,
        "metadata": st.dictionaries(metadata_keys, json_text, max_size=4),
    },
)
timestamps = st.one_of(st.integers(0, 2**63 - 1), st.sampled_from(["12", "x", ""]))
optional_text = {
    name: json_text
    for name in (
        "sid",
        "asgName",
        "appGroupName",
        "homePageUrl",
        "statusPageUrl",
        "healthCheckUrl",
        "secureHealthCheckUrl",
        "vipAddress",
        "secureVipAddress",
    )
}


@st.composite
def registrations(draw: st.DrawFn) -> dict[str, Any]:
    app = draw(present_text)
    members = draw(
        st.fixed_dictionaries(
            {
                "hostName": present_text,
                "ipAddr": present_text,
                "dataCenterInfo": data_centers,
            },
            optional={
                "instanceId": present_text,
                "status": statuses,
                "overriddenstatus": statuses,
                "overriddenStatus": statuses,
                "port": ports,
                "securePort": ports,
                "countryId": st.one_of(st.integers(-(2**31), 2**31 - 1), st.just("3")),
                "leaseInfo": st.fixed_dictionaries(
                    {},
                    optional={
                        "renewalIntervalInSecs": st.integers(0, 2**31 - 1),
                        "durationInSecs": st.integers(0, 2**31 - 1),
                    },
                ),
                "metadata": st.dictionaries(metadata_keys, json_values, max_size=5),
                "lastDirtyTimestamp": timestamps,
                **optional_text,
            },
        )
    )
    return {"instance": {"app": app, **members}}


@st.composite
def eureka_records(draw: st.DrawFn) -> ServiceInstance:
    document = draw(registrations())
    try:
        instance = registered(
            document,
            registration_ns=draw(st.integers(0, 2**62)),
            last_renewal_ns=draw(st.integers(0, 2**62)),
        )
    except EurekaRegistrationError:
        instance = registered(body())
    if draw(st.booleans()):
        override = draw(st.sampled_from(["OUT_OF_SERVICE", "UNKNOWN", "UP", "DOWN"]))
        dirty = draw(st.one_of(st.none(), st.integers(0, 2**62)))
        extension = with_status_override(instance, override, dirty, NOW_MS)
        instance = dataclasses.replace(instance, extension=extension)
    if draw(st.booleans()):
        updates = draw(st.dictionaries(metadata_keys, json_text, max_size=3))
        instance = dataclasses.replace(
            instance, metadata=merged_metadata(instance.metadata, updates)
        )
    return dataclasses.replace(instance, status=draw(statuses))


endpoints = st.builds(
    Endpoint,
    st.sampled_from(["http", "https", "tcp", "user"]),
    st.one_of(
        any_text,
        st.builds(lambda h, p: f"{h}:{p}", any_text, st.integers(0, 70000)),
        st.builds(lambda h, p: f"[{h}]:{p}", any_text, st.integers(0, 99)),
        st.builds(
            lambda s, h: f"{s}://{h}/",
            st.sampled_from(["http", "https", "x"]),
            any_text,
        ),
    ),
)
native_records = st.builds(
    record,
    id=any_text,
    service_name=any_text,
    endpoint=endpoints,
    status=st.one_of(statuses, any_text),
    ttl=st.integers(0, 2**31),
    metadata=st.one_of(
        st.none(),
        st.dictionaries(metadata_keys, json_values, max_size=5).map(stored_json),
        json_values.map(stored_json),
    ),
    registration_ns=st.integers(0, 2**62),
    last_renewal_ns=st.integers(0, 2**62),
)
#: A peer's extension: the members instance_tree reads, holding any JSON.
peer_extensions = st.fixed_dictionaries(
    {
        "instanceId": json_values,
        "hostName": json_values,
        "port": st.one_of(ports, json_values),
    },
    optional={
        name: json_values
        for name in (
            "app",
            "ipAddr",
            "overriddenstatus",
            "securePort",
            "countryId",
            "dataCenterInfo",
            "renewalIntervalInSecs",
            "serviceUpTimestamp",
            "lastUpdatedTimestamp",
            "lastDirtyTimestamp",
            *optional_text,
        )
    },
).map(stored_json)
actions = st.one_of(st.sampled_from(ACTIONS), any_text)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(instance=eureka_records(), action=actions)
def test_eureka_registered_records(instance, action):
    assert instance.extension is not None
    assert instance.extension.startswith(EXTENSION_PREFIX)
    assert_same(instance, action)


@settings(max_examples=300)
@given(instance=native_records, action=actions)
def test_native_records(instance, action):
    assert_same_outcome(instance, action)


@settings(max_examples=300)
@given(instance=native_records, extension=peer_extensions, action=actions)
def test_peer_records(instance, extension, action):
    assert_same_outcome(dataclasses.replace(instance, extension=extension), action)


def assert_same_outcome(instance: ServiceInstance, action: str) -> None:
    """The same bytes, or the same error where the reference fails too (an
    extension without ``port``, an endpoint ``urlsplit`` refuses, ...)."""
    try:
        expected = reference(instance, action)
    except Exception as err:
        with pytest.raises(type(err)):
            instance_xml(instance, action)
        return
    assert instance_xml(instance, action) == expected
