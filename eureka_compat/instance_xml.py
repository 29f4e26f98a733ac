"""One Eureka instance as XML, without building its tree first.

The full registry re-encodes every instance on each render, so this is the XML
encoder's inner loop. :func:`instance_xml` gives exactly the bytes of
``render_xml({"instance": instance_tree(instance, action)})`` (the reference, which
the tests compare it with on generated records) at a fraction of the cost: it reads
the members as :func:`~eureka_compat.instances.instance_tree` does and fills one
template, checking the text of all its elements at once for anything to escape.

The template holds for the types the registration paths write (strings, integers,
the port and data centre shapes); an extension with anything else, such as a
peer's copy, which replication passes on unread, takes the reference path.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import orjson

from eureka_compat.instances import (
    AMAZON_DATA_CENTER_CLASS,
    DEFAULT_COUNTRY,
    DEFAULT_DATA_CENTER_CLASS,
    DEFAULT_OVERRIDE,
    DEFAULT_RENEWAL_INTERVAL_SECONDS,
    EMPTY_METADATA,
    EXTENSION_DEFAULTS,
    TEXT_MEMBERS,
    app_name,
    eureka_metadata,
    extension_of,
    instance_tree,
    native_extension,
)
from eureka_compat.xml_codec import (
    attribute_text,
    element_text,
    metadata_element,
    plain_text,
    render_xml,
)
from registry.store.records import ServiceInstance

__all__ = ["instance_xml"]

_FLAGS = ("true", "false")
_KNOWN_CLASSES = {
    name: attribute_text(name)
    for name in (DEFAULT_DATA_CENTER_CLASS, AMAZON_DATA_CENTER_CLASS)
}
#: The elements of the members an extension leaves out, as the reference has them.
_DEFAULT_SECURE_PORT, _DEFAULT_DATA_CENTER, _EMPTY_METADATA = (
    render_xml({name: value}).decode()
    for name, value in (
        ("securePort", EXTENSION_DEFAULTS["securePort"]),
        ("dataCenterInfo", EXTENSION_DEFAULTS["dataCenterInfo"]),
        ("metadata", EMPTY_METADATA),
    )
)
#: Optional text members that follow ``metadata``, with their tags.
_TEXT_TAGS = tuple((name, f"<{name}>", f"</{name}>") for name in TEXT_MEMBERS)


def instance_xml(instance: ServiceInstance, action: str = "ADDED") -> bytes:
    """``<instance>...</instance>`` of ``instance`` (UTF-8), as :func:`render_xml`
    renders its :func:`~eureka_compat.instances.instance_tree`."""
    extension = extension_of(instance) or native_extension(instance)
    text = _template(instance, extension, action)
    if text is None:
        return render_xml({"instance": instance_tree(instance, action)})
    return text.encode()


def _template(
    instance: ServiceInstance, extension: dict[str, Any], action: str
) -> str | None:
    """The document, or None when a member's type is not one the template takes."""
    get = extension.get
    registered_ms = instance.registration_ns // 1_000_000
    service_up = get("serviceUpTimestamp", registered_ms)
    country = get("countryId", DEFAULT_COUNTRY)
    renewal = get("renewalIntervalInSecs", DEFAULT_RENEWAL_INTERVAL_SECONDS)
    port = _port("port", extension["port"])
    secure_port = (
        _port("securePort", extension["securePort"])
        if "securePort" in extension
        else _DEFAULT_SECURE_PORT
    )
    data_center = _data_center(extension)
    metadata = _metadata(instance.metadata)
    host = extension["hostName"]
    sid, asg_name = get("sid"), get("asgName")
    values = [
        extension["instanceId"],
        host,
        extension["app"] if "app" in extension else app_name(instance),
        get("ipAddr", host),
        instance.status,
        get("overriddenstatus", DEFAULT_OVERRIDE),
        str(get("lastUpdatedTimestamp", service_up)),
        str(get("lastDirtyTimestamp", registered_ms)),
        action,
        "" if sid is None else sid,
        "" if asg_name is None else asg_name,
    ]
    members = []  # the tags of the text members present, their values in values
    for tags in _TEXT_TAGS:
        value = get(tags[0])
        if value is not None:
            members.append(tags)
            values.append(value)
    texts = _escaped(values)
    if (
        texts is None
        or port is None
        or secure_port is None
        or data_center is None
        or metadata is None
        or type(country) is not int
        or type(renewal) is not int
        or type(service_up) is not int
        or type(instance.ttl) is not int
    ):
        return None
    (instance_id, host, app, ip_address, status, override) = texts[:6]
    (updated, dirty, action_text, sid_text, asg_text) = texts[6:11]
    if sid is not None:
        sid_text = f"<sid>{sid_text}</sid>"
    if asg_name is not None:
        asg_text = f"<asgName>{asg_text}</asgName>"
    texts_after_metadata = ""
    for index, (_, start, end) in enumerate(members, 11):
        texts_after_metadata += f"{start}{texts[index]}{end}"
    return (
        f"<instance><instanceId>{instance_id}</instanceId><hostName>{host}</hostName>"
        f"<app>{app}</app><ipAddr>{ip_address}</ipAddr>{sid_text}"
        f"<status>{status}</status><overriddenstatus>{override}</overriddenstatus>"
        f"{port}{secure_port}<countryId>{country}</countryId>{data_center}"
        f"<leaseInfo><renewalIntervalInSecs>{renewal}</renewalIntervalInSecs>"
        f"<durationInSecs>{instance.ttl}</durationInSecs>"
        f"<registrationTimestamp>{registered_ms}</registrationTimestamp>"
        "<lastRenewalTimestamp>"
        f"{instance.last_renewal_ns // 1_000_000}</lastRenewalTimestamp>"
        "<evictionTimestamp>0</evictionTimestamp>"
        f"<serviceUpTimestamp>{service_up}</serviceUpTimestamp></leaseInfo>"
        f"{metadata}{texts_after_metadata}"
        "<isCoordinatingDiscoveryServer>false</isCoordinatingDiscoveryServer>"
        f"<lastUpdatedTimestamp>{updated}</lastUpdatedTimestamp>"
        f"<lastDirtyTimestamp>{dirty}</lastDirtyTimestamp>"
        f"<actionType>{action_text}</actionType>{asg_text}</instance>"
    )


def _escaped(texts: list[Any]) -> list[str] | None:
    """``texts`` as element text, checked at once; None if one is no string."""
    try:
        joined = "".join(texts)
    except TypeError:
        return None
    if plain_text(joined):
        return texts
    return [element_text(text) for text in texts]


def _port(tag: str, port: Any) -> str | None:
    """``<port enabled="true">8080</port>`` of ``{"$": 8080, "@enabled": "true"}``."""
    if type(port) is dict and len(port) == 2:
        number = port.get("$")
        enabled = port.get("@enabled")
        if type(number) is int and enabled in _FLAGS:
            return f'<{tag} enabled="{enabled}">{number}</{tag}>'
    return None


def _data_center(extension: dict[str, Any]) -> str | None:
    """``<dataCenterInfo>`` of ``{"@class": ..., "name": ...[, "metadata": ...]}``."""
    if "dataCenterInfo" not in extension:
        return _DEFAULT_DATA_CENTER
    value = extension["dataCenterInfo"]
    if type(value) is not dict:
        return None
    kind, name = value.get("@class"), value.get("name")
    if type(kind) is not str or type(name) is not str:
        return None
    metadata: str | None = ""
    if len(value) != 2:
        if tuple(value) != ("@class", "name", "metadata"):
            return None
        inner = value["metadata"]
        metadata = metadata_element(inner) if type(inner) is dict else None
        if metadata is None:
            return None
    attribute = _KNOWN_CLASSES.get(kind) or attribute_text(kind)
    return (
        f'<dataCenterInfo class="{attribute}"><name>{element_text(name)}</name>'
        f"{metadata}</dataCenterInfo>"
    )


def _metadata(stored: bytes | None) -> str | None:
    """``<metadata>`` of :func:`eureka_metadata`, which only differs from the
    stored map when a value is no string."""
    if stored is None or len(stored) <= _SHARED_METADATA_BYTES:
        return _shared_metadata(stored)
    return _metadata_element(stored)


#: Instances of one application often have the same metadata (Spring Cloud's is
#: ``{"management.port": ...}``): its element is kept for the next one, for small
#: maps only, so that what the cache holds stays under ~0.5 MB.
_SHARED_METADATA_BYTES = 512


@lru_cache(maxsize=256)
def _shared_metadata(stored: bytes | None) -> str | None:
    return _metadata_element(stored)


def _metadata_element(stored: bytes | None) -> str | None:
    metadata = orjson.loads(stored) if stored else None
    if type(metadata) is not dict or not metadata:
        return _EMPTY_METADATA
    element = metadata_element(metadata)
    return metadata_element(eureka_metadata(stored)) if element is None else element
