"""Each catalog source's state for ``/metrics`` (``docs/metrics.md``).

Made at scrape time from the :class:`~catalogs.state.SourceState` each source
keeps: synced or not, its last success, its successes and errors, how many
instances it supplies. One series per source and registry namespace: labels are
the source kind (``kubernetes``, ``eureka``, ``filesystem``) and the namespace,
never an instance.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    Metric,
)

from catalogs.state import SourceStatus

#: (source kind, registry namespace, status) of one source.
SourceFigures = tuple[str, str, SourceStatus]

_LABELS = ("source", "namespace")


def source_families(sources: Iterable[SourceFigures]) -> Iterator[Metric]:
    """The catalog families, one sample per source in each."""
    synced = GaugeMetricFamily(
        "registry_catalog_source_synced",
        "Whether the source's content is current: 1 synced, 0 not (yet, or any more).",
        labels=_LABELS,
    )
    last_success = GaugeMetricFamily(
        "registry_catalog_source_last_success_timestamp_seconds",
        "Unix time of the source's last successful list, fetch or read (0: never).",
        labels=_LABELS,
    )
    last_error = GaugeMetricFamily(
        "registry_catalog_source_last_error_timestamp_seconds",
        "Unix time of the source's last failed attempt (0: never).",
        labels=_LABELS,
    )
    successes = CounterMetricFamily(
        "registry_catalog_source_syncs",
        "Successful lists, fetches or reads of the source.",
        labels=_LABELS,
    )
    errors = CounterMetricFamily(
        "registry_catalog_source_errors",
        "Failed attempts of the source (it kept serving its last good content).",
        labels=_LABELS,
    )
    instances = GaugeMetricFamily(
        "registry_catalog_source_instances",
        "Instances the source supplied at its last success.",
        labels=_LABELS,
    )
    for kind, namespace, status in sorted(sources, key=lambda s: s[:2]):
        labels = [kind, namespace]
        synced.add_metric(labels, 1 if status.synced else 0)
        last_success.add_metric(labels, status.last_success_ns / 1e9)
        last_error.add_metric(labels, status.last_error_ns / 1e9)
        successes.add_metric(labels, status.successes)
        errors.add_metric(labels, status.errors)
        instances.add_metric(labels, status.instances)
    yield from (synced, last_success, last_error, successes, errors, instances)
