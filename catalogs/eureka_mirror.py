"""The Eureka catalog: namespace ``default`` mirrors remote Eureka servers (§12.3).

:class:`EurekaMirror` is a background service. Its thread does a full fetch
(``GET {url}/apps``), then every ``interval`` a delta (``GET {url}/apps/delta``):
a delta that does not parse, has no applications, says version ``-1``, holds an
instance that cannot be translated, or leaves a local hash code different from its
``apps__hashcode`` is answered with a full fetch. Each request tries the URL that
worked last, then the others in order (failover); when every URL fails the last
good content stays served and the next attempt comes after a backoff. Requests have
a timeout, and nothing here runs on a request thread.
"""

from __future__ import annotations

import json
import logging
import ssl
import urllib.error
import urllib.request
from collections.abc import Sequence

from catalogs.eureka_mapping import (
    Applications,
    EurekaDocumentError,
    apply_delta,
    full_registry,
    local_hashcode,
    parse_applications,
)
from catalogs.snapshot import SnapshotCatalog
from catalogs.state import SourceState
from eureka_compat.instances import EurekaRegistrationError
from registry.services import ServiceThread
from registry.store.clock import Clock
from registry.store.records import ServiceInstance

logger = logging.getLogger(__name__)

REQUEST_TIMEOUT_SECONDS = 10.0
#: First wait after a failed attempt; doubles up to the refresh interval.
FIRST_BACKOFF_SECONDS = 0.5


class EurekaFetchError(Exception):
    """No URL answered with a usable document; ``str()`` names each failure."""


class EurekaMirror(ServiceThread):
    """Keeps :attr:`catalog` equal to the remote registry."""

    name = "catalog-eureka"
    join_seconds = 1.0  # a request in flight ends with its timeout

    def __init__(
        self,
        urls: Sequence[str],
        clock: Clock,
        interval: float,
        ssl_context: ssl.SSLContext | None = None,
        timeout: float = REQUEST_TIMEOUT_SECONDS,
    ) -> None:
        super().__init__()
        self.urls = [url.rstrip("/") for url in urls]
        self.catalog = SnapshotCatalog(clock, source_label="Eureka")
        self.state = SourceState("eureka")
        self._clock = clock
        self._interval = interval
        self._ssl = ssl_context
        self._timeout = timeout
        self._preferred = 0
        self._instances: dict[str, ServiceInstance] = {}
        self._delta_version: str | None = None

    def run(self) -> None:
        backoff = FIRST_BACKOFF_SECONDS
        wait = 0.0
        while not self._stop.wait(wait):
            try:
                self.refresh()
            except EurekaFetchError as err:
                self.state.failed(self._clock.now_ns(), str(err))
                logger.warning("Eureka catalog kept its last good state: %s", err)
                wait, backoff = backoff, min(backoff * 2, self._interval)
                continue
            except Exception as err:  # a bug met once must not end the mirror
                logger.exception("Eureka catalog refresh failed")
                self.state.failed(self._clock.now_ns(), repr(err))
            wait, backoff = self._interval, FIRST_BACKOFF_SECONDS

    # -- one refresh ------------------------------------------------------------

    def refresh(self) -> None:
        """A delta when one applies, else a full fetch. Raises ``EurekaFetchError``."""
        if (
            self._delta_version is None
            or not self._instances
            or not self._apply_delta(self._fetch("/apps/delta", tolerate=True))
        ):
            self.full_fetch()
        self.state.succeeded(self._clock.now_ns(), len(self._instances))

    def full_fetch(self) -> None:
        applications = self._fetch("/apps")
        assert applications is not None
        self._publish(full_registry(applications), delta_version="0")

    def _apply_delta(self, delta: Applications | None) -> bool:
        """Apply ``delta``; ``False`` when only a full fetch can tell the state."""
        if delta is None or delta.version in ("", "-1"):
            return False
        if delta.version == self._delta_version:
            return True
        try:
            instances = apply_delta(self._instances, delta)
        except EurekaRegistrationError as err:
            logger.info("Eureka delta not applicable (%s): fetching everything", err)
            return False
        if local_hashcode(instances) != delta.hashcode:
            logger.info(
                "Eureka hash code %r differs from the remote %r: fetching everything",
                local_hashcode(instances),
                delta.hashcode,
            )
            return False
        self._publish(instances, delta.version)
        return True

    def _publish(
        self, instances: dict[str, ServiceInstance], delta_version: str
    ) -> None:
        self._instances = instances
        self._delta_version = delta_version
        self.catalog.replace(instances.values())

    def _fetch(self, path: str, tolerate: bool = False) -> Applications | None:
        """The first usable document of ``path``, trying the URLs in turn.

        With ``tolerate``, a document that parses but is not an ``applications``
        document yields ``None`` (the caller falls back); transport errors on
        every URL raise :class:`EurekaFetchError` either way.
        """
        failures = []
        order = [*range(self._preferred, len(self.urls)), *range(self._preferred)]
        for index in order:
            url = self.urls[index] + path
            try:
                document = self._get(url)
            except (OSError, ValueError) as err:
                failures.append(f"{url}: {_reason(err)}")
                continue
            try:
                applications = parse_applications(document)
            except EurekaDocumentError as err:
                if tolerate:
                    self._preferred = index
                    return None
                failures.append(f"{url}: {err}")
                continue
            self._preferred = index
            return applications
        raise EurekaFetchError("; ".join(failures))

    def _get(self, url: str) -> object:
        request = urllib.request.Request(url, headers={"Accept": "application/json"})
        with urllib.request.urlopen(
            request, timeout=self._timeout, context=self._ssl
        ) as response:
            return json.loads(response.read())


def _reason(err: Exception) -> str:
    if isinstance(err, urllib.error.HTTPError):
        return f"HTTP {err.code}"
    if isinstance(err, urllib.error.URLError):
        return str(err.reason)
    return str(err) or type(err).__name__
