"""Documentation serializers of the native API's bodies.

They only describe: bodies are parsed by :mod:`registry.api.registration` and rendered
by :mod:`registry.api.rendering`. The registration body's serializer is generated from
the parser's own field table (:mod:`registry.http.fields`).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from registry.api.registration import REGISTRATION_DOC, REGISTRATION_FIELDS
from registry.http.fields import table_serializer


class ErrorSerializer(serializers.Serializer[Any]):
    """Every error body: exactly one member, `Error` (capital E)."""

    Error = serializers.CharField(help_text="Human-readable message.")


#: Generated from the parser's table (component ``RegistrationRequest``).
RegistrationSerializer = table_serializer(
    "RegistrationSerializer", REGISTRATION_FIELDS, REGISTRATION_DOC
)


class EndpointSerializer(serializers.Serializer[Any]):
    """Where an instance is reached."""

    type = serializers.CharField(
        required=False,
        help_text=(
            "`tcp`, `udp`, `http`, `https` or `user` for native registrations; "
            "omitted when empty."
        ),
    )
    value = serializers.CharField()


class InstanceSerializer(serializers.Serializer[Any]):
    """One instance. Empty members are omitted; with the listing's `fields`
    projection only the requested members (and always `id` and `endpoint`) appear.
    """

    id = serializers.CharField(
        help_text=(
            "16 lower-case hex digits for native registrations (derived from service "
            "name and endpoint: registering them again replaces the instance)."
        )
    )
    service_name = serializers.CharField(required=False)
    endpoint = EndpointSerializer()
    ttl = serializers.IntegerField(
        required=False, min_value=0, help_text="Granted TTL in seconds; omitted when 0."
    )
    status = serializers.CharField(
        required=False,
        help_text=(
            "`UP`, `STARTING` or `OUT_OF_SERVICE` for native registrations; other APIs "
            "may store other values. Omitted when empty."
        ),
    )
    metadata = serializers.JSONField(
        required=False,
        help_text=(
            "The registered metadata (any JSON value, compacted; an explicit `null` "
            "stays `null`); omitted when none was registered."
        ),
    )
    last_heartbeat = serializers.DateTimeField(
        required=False,
        help_text=(
            "Time of the registration or the last heartbeat: RFC 3339 in UTC with "
            "nanoseconds, trailing zeros trimmed (`2017-03-01T10:00:05.5Z`)."
        ),
    )
    tags = serializers.ListField(
        child=serializers.CharField(allow_blank=True),
        required=False,
        help_text="Omitted when empty.",
    )


class InstanceLinksSerializer(serializers.Serializer[Any]):
    self = serializers.URLField(
        help_text="`http(s)://<Host header>/api/v1/instances/<id>`; also `Location`."
    )
    heartbeat = serializers.URLField(
        help_text="`http(s)://<Host header>/api/v1/instances/<id>/heartbeat`."
    )


class RegisteredInstanceSerializer(serializers.Serializer[Any]):
    """The answer to a registration; no other members."""

    id = serializers.CharField()
    ttl = serializers.IntegerField(help_text="The TTL granted, in seconds.")
    links = InstanceLinksSerializer(
        help_text=(
            "`https` when the request arrived over HTTPS (per `X-Forwarded-Proto` or "
            "`$WSSC`), else `http`."
        )
    )


@extend_schema_serializer(many=False)
class ServiceListSerializer(serializers.Serializer[Any]):
    services = serializers.ListField(
        child=serializers.CharField(),
        help_text="Names of the services with at least one instance, any status.",
    )


class ServiceInstancesSerializer(serializers.Serializer[Any]):
    service_name = serializers.CharField()
    instances = InstanceSerializer(many=True, help_text="Every status; never empty.")


@extend_schema_serializer(many=False)
class InstanceListSerializer(serializers.Serializer[Any]):
    instances = InstanceSerializer(many=True)


class SingleInstanceSerializer(serializers.Serializer[Any]):
    instance = InstanceSerializer()


class UptimePropertiesSerializer(serializers.Serializer[Any]):
    build_date = serializers.CharField(
        help_text="`A8_BUILD_DATE`, or `0001-01-01T00:00:00Z` when unknown."
    )
    build_pythonversion = serializers.CharField()
    build_revision = serializers.CharField(
        help_text="`A8_BUILD_REVISION`, or `unknown`."
    )
    build_version = serializers.CharField()
    load_15m = serializers.FloatField()
    load_1m = serializers.FloatField()
    load_5m = serializers.FloatField()
    pid = serializers.IntegerField(
        help_text="The worker process that answered (one per core on Redis)."
    )
    uptime = serializers.CharField(
        help_text="Time since start in Go duration notation, e.g. `1h2m3.456789s`."
    )


class UptimeComponentSerializer(serializers.Serializer[Any]):
    healthy = serializers.BooleanField()
    properties = UptimePropertiesSerializer()


class StorePropertiesSerializer(serializers.Serializer[Any]):
    store = serializers.ChoiceField(choices=["inmem", "redis"])
    address = serializers.CharField(
        required=False, help_text="Redis address or Sentinels (store redis only)."
    )
    message = serializers.CharField(
        required=False, help_text="Why the store is unhealthy (Redis unreachable)."
    )


class StoreComponentSerializer(serializers.Serializer[Any]):
    healthy = serializers.BooleanField()
    properties = StorePropertiesSerializer()


class CatalogComponentSerializer(serializers.Serializer[Any]):
    healthy = serializers.BooleanField(
        help_text="Always true: a source never makes `/uptime` fail."
    )
    properties = serializers.DictField(
        help_text=(
            "`url`, `urls` or `directory`, and each source's state: per namespace "
            "under `namespaces` (Kubernetes, filesystem) or inline (Eureka). A "
            "state is `synced` (bool), `instances`, `last_success`, `last_error`, "
            "`last_error_time` (RFC 3339 or empty), `successes`, `errors`."
        )
    )


class ClusterPropertiesSerializer(serializers.Serializer[Any]):
    size = serializers.IntegerField(help_text="Live members, this node included.")
    threshold = serializers.IntegerField(help_text="`cluster_size`.")
    message = serializers.CharField(
        required=False, help_text="Below the threshold for at least 10 minutes."
    )


class ClusterComponentSerializer(serializers.Serializer[Any]):
    healthy = serializers.BooleanField(help_text="Always true.")
    properties = ClusterPropertiesSerializer()


class ReplicationPropertiesSerializer(serializers.Serializer[Any]):
    peers = serializers.IntegerField(help_text="Peer streams this node reads.")
    connected = serializers.IntegerField()
    disconnected_seconds = serializers.DictField(
        child=serializers.FloatField(), help_text="Member id → seconds down."
    )
    published = serializers.IntegerField(help_text="Local writes sent.")
    replayed = serializers.IntegerField(help_text="Events sent again after a drop.")
    dropped = serializers.IntegerField(
        help_text="Events a reader missed (it then got a snapshot)."
    )
    snapshots_served = serializers.IntegerField()
    rejected = serializers.IntegerField(
        help_text="Received messages that could not be applied."
    )
    reconciled = serializers.IntegerField(
        help_text="Instances removed because a peer's full state lacked them."
    )
    queue_depths = serializers.DictField(
        child=serializers.IntegerField(), help_text="Reader → events behind."
    )
    message = serializers.CharField(
        required=False,
        help_text="`<n>/<m> replication clients disconnected for at least <d>`.",
    )


class ReplicationComponentSerializer(serializers.Serializer[Any]):
    healthy = serializers.BooleanField(
        help_text="False once a peer stream has been down for 10 minutes."
    )
    properties = ReplicationPropertiesSerializer()


class UptimeReportSerializer(serializers.Serializer[Any]):
    """Component name → health."""

    UPTIME = UptimeComponentSerializer(help_text="Always present and healthy.")
    STORE = StoreComponentSerializer(
        help_text="Always healthy in memory; on Redis, whether Redis answers."
    )
    CATALOG_KUBERNETES = CatalogComponentSerializer(
        required=False, help_text="With `k8s_url`: each namespace's watch."
    )
    CATALOG_EUREKA = CatalogComponentSerializer(
        required=False, help_text="With `eureka_url`: the mirror of namespace default."
    )
    CATALOG_FILESYSTEM = CatalogComponentSerializer(
        required=False, help_text="With `fs_catalog`: each namespace's file."
    )
    CLUSTER = ClusterComponentSerializer(
        required=False, help_text="With `replication` on: cluster membership."
    )
    REPLICATION = ReplicationComponentSerializer(
        required=False, help_text="With `replication` on: the peer streams."
    )
