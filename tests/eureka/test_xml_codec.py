"""The Eureka XML codec: XStream layout <-> JSON-shaped trees (eureka-api.md §6)."""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eureka_compat.xml_codec import (
    MAX_BODY_BYTES,
    XmlDocumentError,
    parse_xml,
    render_xml,
)

DEFAULT_DC = "com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo"
EMPTY_MAP = "java.util.Collections$EmptyMap"


def spec_instance() -> dict[str, Any]:
    """The §6.4 example instance, with the elided values filled in."""
    return {
        "instanceId": "127.0.0.1:demo-app:8080",
        "hostName": "127.0.0.1",
        "app": "DEMO-APP",
        "ipAddr": "127.0.0.1",
        "status": "UP",
        "overriddenstatus": "UNKNOWN",
        "port": {"$": 8080, "@enabled": "true"},
        "securePort": {"$": 443, "@enabled": "false"},
        "countryId": 1,
        "dataCenterInfo": {"@class": DEFAULT_DC, "name": "MyOwn"},
        "leaseInfo": {
            "renewalIntervalInSecs": 30,
            "durationInSecs": 90,
            "registrationTimestamp": 1611512017058,
            "lastRenewalTimestamp": 1611512047058,
            "evictionTimestamp": 0,
            "serviceUpTimestamp": 1611512017000,
        },
        "metadata": {"management.port": "8080"},
        "homePageUrl": "http://127.0.0.1:8080/",
        "statusPageUrl": "http://127.0.0.1:8080/info",
        "healthCheckUrl": "http://127.0.0.1:8080/health",
        "vipAddress": "demo-app",
        "secureVipAddress": "demo-app",
        "isCoordinatingDiscoveryServer": "false",
        "lastUpdatedTimestamp": "1611512017058",
        "lastDirtyTimestamp": "1611512017001",
        "actionType": "ADDED",
    }


SPEC_INSTANCE_XML = (
    "<instance>"
    "<instanceId>127.0.0.1:demo-app:8080</instanceId>"
    "<hostName>127.0.0.1</hostName>"
    "<app>DEMO-APP</app>"
    "<ipAddr>127.0.0.1</ipAddr>"
    "<status>UP</status>"
    "<overriddenstatus>UNKNOWN</overriddenstatus>"
    '<port enabled="true">8080</port>'
    '<securePort enabled="false">443</securePort>'
    "<countryId>1</countryId>"
    '<dataCenterInfo class="com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo"><name>MyOwn</name></dataCenterInfo>'
    "<leaseInfo><renewalIntervalInSecs>30</renewalIntervalInSecs><durationInSecs>90</durationInSecs>"
    "<registrationTimestamp>1611512017058</registrationTimestamp><lastRenewalTimestamp>1611512047058</lastRenewalTimestamp>"
    "<evictionTimestamp>0</evictionTimestamp><serviceUpTimestamp>1611512017000</serviceUpTimestamp></leaseInfo>"
    "<metadata><management.port>8080</management.port></metadata>"
    "<homePageUrl>http://127.0.0.1:8080/</homePageUrl>"
    "<statusPageUrl>http://127.0.0.1:8080/info</statusPageUrl>"
    "<healthCheckUrl>http://127.0.0.1:8080/health</healthCheckUrl>"
    "<vipAddress>demo-app</vipAddress>"
    "<secureVipAddress>demo-app</secureVipAddress>"
    "<isCoordinatingDiscoveryServer>false</isCoordinatingDiscoveryServer>"
    "<lastUpdatedTimestamp>1611512017058</lastUpdatedTimestamp>"
    "<lastDirtyTimestamp>1611512017001</lastDirtyTimestamp>"
    "<actionType>ADDED</actionType>"
    "</instance>"
)


def as_strings(tree: Any) -> Any:
    """What parsing gives back for a tree: every leaf as its XML text."""
    if isinstance(tree, dict):
        return {key: as_strings(value) for key, value in tree.items()}
    if isinstance(tree, list):
        return [as_strings(item) for item in tree]
    if isinstance(tree, bool):
        return "true" if tree else "false"
    return str(tree)


def applications(*apps: dict[str, Any]) -> dict[str, Any]:
    return {
        "applications": {
            "versions__delta": "1",
            "apps__hashcode": "UP_1_",
            "application": list(apps),
        }
    }


# --- rendering -----------------------------------------------------------------------


def test_spec_example_instance_renders_exactly():
    assert render_xml({"instance": spec_instance()}) == SPEC_INSTANCE_XML.encode()


def test_spec_example_registry_renders_exactly():
    document = applications({"name": "DEMO-APP", "instance": [spec_instance()]})
    assert (
        render_xml(document)
        == (
            "<applications><versions__delta>1</versions__delta><apps__hashcode>UP_1_</apps__hashcode>"
            f"<application><name>DEMO-APP</name>{SPEC_INSTANCE_XML}</application></applications>"
        ).encode()
    )


def test_output_is_utf8_without_declaration():
    body = render_xml({"instance": {"app": "DÉMO", "metadata": {"zoné": "ü€"}}})
    assert (
        body
        == "<instance><app>DÉMO</app><metadata><zoné>ü€</zoné></metadata></instance>".encode()
    )


@pytest.mark.parametrize(
    "root",
    [
        {"instance": spec_instance()},
        applications({"name": "DEMO-APP", "instance": [spec_instance()]}),
        {"application": {"name": "DEMO-APP", "instance": [spec_instance()]}},
    ],
    ids=["instance", "applications", "application"],
)
def test_round_trip_gives_the_tree_back_with_string_leaves(root):
    original = copy.deepcopy(root)
    assert parse_xml(render_xml(root)) == as_strings(root)
    assert root == original


def test_scalars_render_as_text():
    body = render_xml(
        {"instance": {"a": True, "b": False, "c": 7, "d": 1.5, "e": "", "f": None}}
    )
    assert (
        body == b"<instance><a>true</a><b>false</b><c>7</c><d>1.5</d><e></e></instance>"
    )


def test_attributes_are_rendered_and_parsed():
    tree = {
        "instance": {
            "port": {"$": 8080, "@enabled": True},
            "dataCenterInfo": {
                "@class": DEFAULT_DC,
                "name": "Amazon",
                "metadata": {"instance-id": "i-1", "public_ipv4": "1.2.3.4"},
            },
        }
    }
    body = render_xml(tree)
    assert b'<port enabled="true">8080</port>' in body
    assert (
        b'<dataCenterInfo class="com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo"><name>Amazon</name>'
        in body
    )
    assert (
        b"<metadata><instance-id>i-1</instance-id><public__ipv4>1.2.3.4</public__ipv4></metadata>"
        in body
    )
    assert parse_xml(body) == as_strings(tree)


def test_metadata_keys_are_xstream_escaped_both_ways():
    tree = {
        "instance": {
            "metadata": {"a_b": "1", "x$y": "2", "$": "3", "_-": "4", "a__b": "5"}
        }
    }
    body = render_xml(tree)
    assert body == (
        b"<instance><metadata><a__b>1</a__b><x_-y>2</x_-y><_->3</_-><__->4</__->"
        b"<a____b>5</a____b></metadata></instance>"
    )
    assert parse_xml(body) == tree


def test_only_metadata_keys_are_escaped():
    body = render_xml(applications())
    assert (
        body
        == b"<applications><versions__delta>1</versions__delta><apps__hashcode>UP_1_</apps__hashcode></applications>"
    )
    assert parse_xml(body) == {
        "applications": {"versions__delta": "1", "apps__hashcode": "UP_1_"}
    }


def test_empty_metadata_map_both_ways():
    tree = {"instance": {"app": "A", "metadata": {"@class": EMPTY_MAP}}}
    body = render_xml(tree)
    assert (
        body
        == b'<instance><app>A</app><metadata class="java.util.Collections$EmptyMap"/></instance>'
    )
    assert parse_xml(body) == tree


@pytest.mark.parametrize(
    "key",
    ["1abc", "a b", "a:b", "", "-x", ".x", "a/b", "a>b", "a='1'", "é b", "\ud800"],
)
def test_unrenderable_metadata_keys_are_skipped(key):
    body = render_xml({"instance": {"metadata": {key: "bad", "zone": "a"}}})
    assert body == b"<instance><metadata><zone>a</zone></metadata></instance>"


def test_escaping_of_special_characters_in_text_and_attributes():
    tree = {
        "instance": {"app": "a<b>&c\"d'", "port": {"$": 1, "@enabled": "<&>\"x'\t\n"}}
    }
    body = render_xml(tree)
    assert body.startswith(b"<instance><app>a&lt;b&gt;&amp;c\"d'</app>")
    assert b'enabled="&lt;&amp;&gt;&quot;x\'&#9;&#10;"' in body
    assert parse_xml(body) == as_strings(tree)


def test_characters_xml_cannot_carry_are_dropped():
    body = render_xml(
        {
            "instance": {
                "app": "a\x00b\x1b\ud800c\ufffe",
                "vip": "x\ry",
                "port": {"$": 1, "@enabled": "t\x01"},
            }
        }
    )
    assert (
        body
        == b'<instance><app>abc</app><vip>x&#13;y</vip><port enabled="t">1</port></instance>'
    )


def test_unrenderable_names_and_namespace_attributes_are_skipped():
    body = render_xml(
        {
            "instance": {
                "bad name": "x",
                "@xmlns": "urn:evil",
                "@a b": "1",
                "ok": {"@xmlns:p": "u", "$": "v"},
            }
        }
    )
    assert body == b"<instance><ok>v</ok></instance>"


@pytest.mark.parametrize(
    "document", [{}, {"a": {}, "b": {}}, {"instance": "x"}, {"bad name": {}}]
)
def test_render_requires_one_root_object(document):
    with pytest.raises(ValueError, match="root"):
        render_xml(document)


# --- lists ---------------------------------------------------------------------------


@pytest.mark.parametrize("count", [0, 1, 2])
def test_application_lists(count):
    apps = [
        {"name": f"APP-{n}", "instance": [{"app": f"APP-{n}"}]} for n in range(count)
    ]
    body = render_xml(applications(*apps))
    assert body.count(b"<application>") == count
    parsed = parse_xml(body)["applications"]
    if count:
        assert parsed["application"] == apps
    else:
        assert "application" not in parsed


@pytest.mark.parametrize("count", [0, 1, 2])
def test_instance_lists(count):
    instances = [{"instanceId": f"i-{n}", "status": "UP"} for n in range(count)]
    for document in (
        applications({"name": "A", "instance": instances}),
        {"application": {"name": "A", "instance": instances}},
    ):
        body = render_xml(document)
        assert body.count(b"<instance>") == count
        parsed = parse_xml(body)
        application = (
            parsed["application"]
            if "application" in document
            else parsed["applications"]["application"][0]
        )
        assert application.get("instance", []) == instances


def test_root_documents_are_objects_and_repeated_elements_are_lists():
    assert parse_xml(b"<instance><app>A</app></instance>") == {"instance": {"app": "A"}}
    assert parse_xml(b"<application><name>A</name><instance/></application>") == {
        "application": {"name": "A", "instance": [{}]}
    }
    assert parse_xml(b"<x><y>1</y><y>2</y><y>3</y><z>4</z></x>") == {
        "x": {"y": ["1", "2", "3"], "z": "4"}
    }


def test_special_names_inside_metadata_are_plain_entries():
    body = b"<instance><metadata><instance>1</instance><metadata/><application></application></metadata></instance>"
    assert parse_xml(body) == {
        "instance": {"metadata": {"instance": "1", "metadata": "", "application": ""}}
    }


# --- parsing -------------------------------------------------------------------------


FARGO_BODY = (
    b"<instance><instanceId>10.0.0.5:demo-app:8080</instanceId><hostName>demo-host</hostName>"
    b"<app>DEMO-APP</app><ipAddr>10.0.0.5</ipAddr><status>UP</status><overriddenstatus>UNKNOWN</overriddenstatus>"
    b'<port enabled="true">8080</port><securePort enabled="false">443</securePort><countryId>1</countryId>'
    b'<dataCenterInfo class="com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo"><name>MyOwn</name></dataCenterInfo>'
    b"<leaseInfo><renewalIntervalInSecs>30</renewalIntervalInSecs><durationInSecs>90</durationInSecs></leaseInfo>"
    b"<metadata><management.port>8080</management.port></metadata><vipAddress>demo-app</vipAddress></instance>"
)
FARGO_TREE = {
    "instance": {
        "instanceId": "10.0.0.5:demo-app:8080",
        "hostName": "demo-host",
        "app": "DEMO-APP",
        "ipAddr": "10.0.0.5",
        "status": "UP",
        "overriddenstatus": "UNKNOWN",
        "port": {"$": "8080", "@enabled": "true"},
        "securePort": {"$": "443", "@enabled": "false"},
        "countryId": "1",
        "dataCenterInfo": {"@class": DEFAULT_DC, "name": "MyOwn"},
        "leaseInfo": {"renewalIntervalInSecs": "30", "durationInSecs": "90"},
        "metadata": {"management.port": "8080"},
        "vipAddress": "demo-app",
    }
}


def test_parse_fargo_registration_body():
    assert parse_xml(FARGO_BODY) == FARGO_TREE


def test_parse_indented_body_with_declaration_comments_and_cdata():
    body = FARGO_BODY.replace(b"><", b">\n    <").replace(
        b"<app>DEMO-APP", b"<!-- c --><app><![CDATA[DEMO-]]>APP"
    )
    assert (
        parse_xml(b'<?xml version="1.0" encoding="UTF-8"?>\n' + body + b"\n")
        == FARGO_TREE
    )
    assert parse_xml(b"\xef\xbb\xbf" + FARGO_BODY) == FARGO_TREE  # UTF-8 BOM


def test_parse_empty_elements_and_whitespace():
    body = b"<instance><sid/><app>  A B \n</app><asgName>  </asgName><leaseInfo/><dataCenterInfo></dataCenterInfo><metadata> </metadata></instance>"
    assert parse_xml(body) == {
        "instance": {
            "sid": "",
            "app": "A B",
            "asgName": "",
            "leaseInfo": {},
            "dataCenterInfo": {},
            "metadata": {},
        }
    }


def test_parse_keeps_unknown_and_namespaced_elements_generically():
    body = b'<instance xmlns="urn:x"><p:app xmlns:p="urn:y">A</p:app><extra><deep a="1">t</deep></extra></instance>'
    assert parse_xml(body) == {
        "instance": {
            "@xmlns": "urn:x",
            "p:app": {"@xmlns:p": "urn:y", "$": "A"},
            "extra": {"deep": {"@a": "1", "$": "t"}},
        }
    }


def test_parse_honours_a_declared_single_byte_encoding():
    assert parse_xml(b'<?xml version="1.0" encoding="ISO-8859-1"?><app>\xe9</app>') == {
        "app": "é"
    }


def test_readable_by_elementtree_like_py_eureka_client():
    body = render_xml(applications({"name": "DEMO-APP", "instance": [spec_instance()]}))
    root = ET.fromstring(body)
    instance = root.find("application/instance")
    assert instance is not None
    port = instance.find("port")
    assert port is not None
    assert port.attrib["enabled"] == "true"
    assert int(port.text or "") == 8080
    assert instance.find("dataCenterInfo").attrib["class"] == DEFAULT_DC  # type: ignore[union-attr]
    assert [child.tag for child in instance.find("metadata")] == ["management.port"]  # type: ignore[union-attr]


# --- rejection -----------------------------------------------------------------------


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<instance><app>&lol4;</app></instance>"""


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (BILLION_LAUGHS, "type declarations"),
        (
            b'<!DOCTYPE instance [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><instance><app>&xxe;</app></instance>',
            "type declarations",
        ),
        (
            b'<!DOCTYPE instance SYSTEM "file:///etc/passwd"><instance/>',
            "type declarations",
        ),
        (
            b'<!DOCTYPE i [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]><i/>',
            "type declarations",
        ),
        (b"<instance><app>&xxe;</app></instance>", "undefined entity"),
        (b'<?xml-stylesheet href="x"?><instance/>', "processing instructions"),
        (b"<instance><app>A</instance>", "malformed XML"),
        (b"<instance><app>A</app></instance><instance/>", "malformed XML"),
        (b"", "malformed XML"),
        (b"   ", "malformed XML"),
        (b'{"instance": {}}', "malformed XML"),
        (b"<instance a='1' a='2'/>", "malformed XML"),
        (b"<instance>&#0;</instance>", "malformed XML"),
        (b"<a>" * 40 + b"</a>" * 40, "XML nested deeper than 32 levels"),
    ],
    ids=[
        "billion-laughs",
        "external-entity",
        "external-dtd",
        "parameter-entity",
        "undeclared-entity",
        "pi",
        "unclosed",
        "two-roots",
        "empty",
        "blank",
        "json",
        "duplicate-attribute",
        "nul-reference",
        "deep",
    ],
)
def test_rejected_documents(body, message):
    with pytest.raises(XmlDocumentError, match=message) as raised:
        parse_xml(body)
    assert isinstance(raised.value, ValueError)
    assert len(str(raised.value)) < 120


@pytest.mark.parametrize(
    "body",
    [
        b"\xff\xfe\xfd\xfc",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"<instance><app>\xe9t\xe9</app></instance>",
        b"<instance><app>\xc3\x28</app></instance>",
        b"\x00\x01\x02\x03",
        b'<?xml version="1.0" encoding="no-such-codec"?><instance/>',
        b'<?xml version="1.0" encoding="utf-7"?><instance/>',
    ],
)
def test_non_utf8_junk_is_rejected(body):
    with pytest.raises(XmlDocumentError, match="malformed XML"):
        parse_xml(body)


def test_body_over_one_mebibyte_is_rejected_before_parsing():
    head, tail = b"<instance><app>", b"</app></instance>"
    exact = head + b"A" * (MAX_BODY_BYTES - len(head) - len(tail)) + tail
    assert len(exact) == MAX_BODY_BYTES == 1024 * 1024
    assert parse_xml(exact)["instance"]["app"] == "A" * (
        len(exact) - len(head) - len(tail)
    )
    with pytest.raises(XmlDocumentError, match="1 MiB"):
        parse_xml(exact + b" ")


# --- properties ----------------------------------------------------------------------

printable = st.characters(blacklist_categories=("Cs", "Cc", "Cn"))
metadata_keys = st.text(printable, max_size=10) | st.text(
    "abcXYZ09._-$ :é", max_size=10
)
metadata_values = st.text(printable, max_size=20)


def renders_as_element(key: str) -> bool:
    """Independent oracle: the XStream-escaped key is a plain XML element name."""
    name = key.replace("_", "__").replace("$", "_-")
    if ":" in name:
        return False
    try:
        element = ET.fromstring(f"<{name}/>")
    except ET.ParseError:
        return False
    return element.tag == name and not element.attrib


@settings(database=None, deadline=None, max_examples=300)
@given(
    st.dictionaries(
        metadata_keys.filter(lambda key: not key.startswith("@")), metadata_values
    )
)
def test_metadata_maps_round_trip(metadata):
    parsed = parse_xml(render_xml({"instance": {"metadata": metadata}}))
    expected = {
        key: value.strip(" ")
        for key, value in metadata.items()
        if renders_as_element(key)
    }
    assert parsed == {"instance": {"metadata": expected}}


def xml_char(char: str) -> bool:
    code = ord(char)
    return (
        char in "\t\n\r"
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or code >= 0x10000
    )


@settings(database=None, deadline=None)
@given(st.dictionaries(st.text(), st.text() | st.integers() | st.booleans()), st.text())
def test_rendering_never_fails_and_always_parses(metadata, text):
    document = {
        "instance": {
            "metadata": metadata,
            text: text,
            "port": {"$": text, "@enabled": text},
            "app": text,
        }
    }
    parsed = parse_xml(render_xml(document))
    assert parsed["instance"]["app"] == "".join(filter(xml_char, text)).strip(" \t\r\n")
