"""Example documents, in JSON and as the views render them in XML."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample

from eureka_compat.formats import JSON
from eureka_compat.instances import DEFAULT_DATA_CENTER_CLASS
from eureka_compat.statuses import UNKNOWN
from eureka_compat.xml_codec import render_xml

INSTANCE: dict[str, Any] = {
    "instanceId": "10.0.0.5:reviews:9080",
    "hostName": "10.0.0.5",
    "app": "REVIEWS",
    "ipAddr": "10.0.0.5",
    "status": "UP",
    "overriddenstatus": UNKNOWN,
    "port": {"$": 9080, "@enabled": "true"},
    "securePort": {"$": 443, "@enabled": "false"},
    "countryId": 1,
    "dataCenterInfo": {"@class": DEFAULT_DATA_CENTER_CLASS, "name": "MyOwn"},
    "leaseInfo": {
        "renewalIntervalInSecs": 30,
        "durationInSecs": 90,
        "registrationTimestamp": 1700000000000,
        "lastRenewalTimestamp": 1700000030000,
        "evictionTimestamp": 0,
        "serviceUpTimestamp": 1700000000000,
    },
    "metadata": {"management.port": "9080"},
    "healthCheckUrl": "http://10.0.0.5:9080/health",
    "vipAddress": "reviews",
    "secureVipAddress": "reviews",
    "isCoordinatingDiscoveryServer": "false",
    "lastUpdatedTimestamp": "1700000000000",
    "lastDirtyTimestamp": "1700000000000",
    "actionType": "ADDED",
}
_SERVER_MANAGED = ("leaseInfo", "isCoordinatingDiscoveryServer", "actionType")
REGISTRATION = {
    "instance": {k: v for k, v in INSTANCE.items() if k not in _SERVER_MANAGED}
}
APPLICATION = {"name": "REVIEWS", "instance": [INSTANCE]}
ONE_INSTANCE = {"instance": {"instance": INSTANCE}}


def registry_document(version: str, *apps: dict[str, Any]) -> dict[str, Any]:
    """An ``applications`` document holding ``apps`` (``UP`` instances)."""
    return {
        "applications": {
            "versions__delta": version,
            "apps__hashcode": "UP_1_" if apps else "",
            "application": list(apps),
        }
    }


def example(name: str, document: dict[str, Any], media_type: str) -> OpenApiExample:
    """``document`` as JSON, or as XML rendered as the views render it."""
    value = document if media_type == JSON else render_xml(document).decode()
    return OpenApiExample(name, value=value, media_type=media_type)
