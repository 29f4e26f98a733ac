"""Eureka collection documents encoded from cached per-instance bytes.

The full registry of 10,000 instances costs 70-100 ms to encode as JSON or XML
(XML: :mod:`eureka_compat.instance_xml`); any registration, status change or
removal makes it stale. Each
instance element is therefore encoded once per format and reused while its record
is unchanged (records are immutable values: equality, or identity for the
in-memory store), and a document is the join of its elements.

The full registry is the exception: it is kept compressed (:mod:`registry.http.cache`)
and shows renewal times, so most of its elements change between its renders anyway.
It is rendered straight into gzip (``compressed=True``), using the elements it finds
and keeping none: they would hold the plain document's size again.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator

import orjson

from eureka_compat.formats import JSON
from eureka_compat.instance_xml import instance_xml
from eureka_compat.instances import app_name, instance_tree
from eureka_compat.xml_codec import render_text_element
from registry.http.fragments import BodyBuilder, ElementCache
from registry.store.records import ServiceInstance

Entry = tuple[ServiceInstance, str]  # an instance and its actionType


class DocumentEncoder:
    """Encodes ``applications`` and ``application`` documents in JSON or XML."""

    def __init__(self) -> None:
        self._elements = ElementCache()

    def applications(
        self,
        namespace: str,
        media_type: str,
        entries: Iterable[Entry],
        version: str,
        hashcode: str,
        compressed: bool = False,
    ) -> bytes:
        """``{"applications": ...}``: the entries grouped by application
        (``compressed``: its gzip form; see the module docstring)."""
        grouped: dict[str, list[Entry]] = {}
        for entry in entries:
            grouped.setdefault(app_name(entry[0]), []).append(entry)
        body = self._body(namespace, media_type, compressed)
        if media_type == JSON:
            body.add(
                b'{"applications":{"versions__delta":%s,"apps__hashcode":%s,'
                b'"application":[' % (orjson.dumps(version), orjson.dumps(hashcode))
            )
            for index, (name, listed) in enumerate(grouped.items()):
                opening = b'{"name":%s,"instance":[' % orjson.dumps(name)
                body.add(b"," + opening if index else opening)
                body.add_elements(_keyed(listed))
                body.add(b"]}")
            body.add(b"]}}")
        else:
            body.add(b"<applications>")
            body.add(render_text_element("versions__delta", version))
            body.add(render_text_element("apps__hashcode", hashcode))
            for name, listed in grouped.items():
                _xml_application(body, name, listed)
            body.add(b"</applications>")
        return body.build()

    def application(
        self,
        namespace: str,
        media_type: str,
        name: str,
        instances: Iterable[ServiceInstance],
    ) -> bytes:
        """``{"application": ...}`` of one application's instances."""
        listed = [(i, "ADDED") for i in instances]
        body = self._body(namespace, media_type, compressed=False)
        if media_type == JSON:
            body.add(b'{"application":{"name":%s,"instance":[' % orjson.dumps(name))
            body.add_elements(_keyed(listed))
            body.add(b"]}}")
        else:
            _xml_application(body, name, listed)
        return body.build()

    def _body(self, namespace: str, media_type: str, compressed: bool) -> BodyBuilder:
        encode = _encode_json if media_type == JSON else _encode_xml
        return self._elements.body(
            (namespace, media_type), encode, compressed=compressed
        )

    def _encode(
        self, namespace: str, media_type: str, entries: list[Entry]
    ) -> list[bytes]:
        encode = _encode_json if media_type == JSON else _encode_xml
        return self._elements.encode_all(
            (namespace, media_type), _keyed(entries), encode
        )


def _keyed(entries: Iterable[Entry]) -> Iterator[tuple[Hashable, ServiceInstance]]:
    return ((_key(instance, action), instance) for instance, action in entries)


def _xml_application(body: BodyBuilder, name: str, listed: list[Entry]) -> None:
    body.add(b"<application>" + render_text_element("name", name))
    body.add_elements(_keyed(listed), b"")
    body.add(b"</application>")


def _key(instance: ServiceInstance, action: str) -> Hashable:
    """Element key: the id (no new object) for ADDED, the most common action."""
    return instance.id if action == "ADDED" else (instance.id, action)


def _encode_json(key: Hashable, instance: ServiceInstance) -> bytes:
    return orjson.dumps(instance_tree(instance, _action(key)))


def _encode_xml(key: Hashable, instance: ServiceInstance) -> bytes:
    return instance_xml(instance, _action(key))


def _action(key: Hashable) -> str:
    """The actionType of an element key (see :func:`_key`)."""
    return str(key[1]) if isinstance(key, tuple) else "ADDED"
