"""The Eureka API (``/eureka/v2``) on the in-memory store.

The server runs with the registry's defaults (``--threads`` 2) except
``--log_level`` and ``--max_ttl 10m``. Order: register 10,000 instances in 100
apps (always: every other scenario reads or renews them), then the full registry
as JSON, XML and gzipped JSON, a renewal, and the delta twice: right after the
registrations (``eureka-delta-burst``: all 10,000 are recent changes) and in the
steady state (``eureka-delta``), which waits until the registrations are older
than the delta's 3 minutes. Opt-in: ``eureka-apps-churn``, the JSON full registry
while one instance re-registers ``--churn-rate`` times a second.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from core import Bench, Figure, Settings, make_client
from server import HOST, Headers, Server

APPS = 100
INSTANCES_PER_APP = 100
TOTAL_INSTANCES = APPS * INSTANCES_PER_APP
APPS_PATH = "/eureka/v2/apps"
DELTA_PATH = "/eureka/v2/apps/delta"
#: The instance renewed (and re-registered to make the cached documents stale).
RENEW_APP, RENEW_INSTANCE = 17, 4
#: The delta shows the changes of the last 3 minutes (``CHANGE_RETENTION_NS``);
#: ``eureka-delta`` waits this long after the registrations for the steady state.
DELTA_SETTLE_SECONDS = 180 + 5

JSON: Headers = (("Accept", "application/json"),)
GZIP_JSON: Headers = (*JSON, ("Accept-Encoding", "gzip"))

SCENARIOS = (
    "eureka-register",
    "eureka-apps-json",
    "eureka-apps-xml",
    "eureka-apps-gzip",
    "eureka-delta-burst",
    "eureka-renew",
    "eureka-delta",
)
#: Not in the issue, so only on request: the full registry while instances change.
OPTIONAL_SCENARIOS = ("eureka-apps-churn",)
RATE_TARGETS = {
    "eureka-apps-json": 200.0,
    "eureka-apps-xml": 200.0,
    "eureka-delta": 2000.0,
    "eureka-renew": 3000.0,
}


def instance_id(app: int, index: int) -> str:
    return f"10.0.{app}.{index}:app-{app}:8080"


def app_path(app: int) -> str:
    return f"{APPS_PATH}/APP-{app}"


def registration(app: int, index: int) -> tuple[str, bytes]:
    """``POST apps/APP-<a>`` of a Spring-Cloud-like instance (JSON), lease 600 s."""
    ip = f"10.0.{app}.{index}"
    document = {
        "instance": {
            "instanceId": instance_id(app, index),
            "hostName": ip,
            "app": f"APP-{app}",
            "ipAddr": ip,
            "status": "UP",
            "port": {"$": 8080, "@enabled": "true"},
            "securePort": {"$": 443, "@enabled": "false"},
            "dataCenterInfo": {
                "@class": "com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo",
                "name": "MyOwn",
            },
            "leaseInfo": {"durationInSecs": 600},
            "metadata": {"management.port": "8080"},
            "vipAddress": f"app-{app}",
        }
    }
    body = json.dumps(document, separators=(",", ":")).encode()
    return app_path(app), body


def catalog_requests() -> list[tuple[str, bytes]]:
    return [registration(a, i) for a in range(APPS) for i in range(INSTANCES_PER_APP)]


def count_instances(document: dict[str, Any]) -> tuple[int, int]:
    """(instances, applications) of a JSON ``{"applications": ...}`` document."""
    apps = document["applications"]["application"]
    return sum(len(app["instance"]) for app in apps), len(apps)


class EurekaBench(Bench):
    def reregister(self) -> None:
        """Re-register one instance: a change, so the cached documents go stale."""
        path, body = registration(RENEW_APP, RENEW_INSTANCE)
        self.expect("POST", path, 204, body)

    def register(self, reported: bool) -> None:
        figure, grown = self.rss_growth(
            lambda: self.register_all(
                "eureka-register",
                catalog_requests(),
                204,
                what=f"{APPS_PATH}/APP-<a> ({APPS} apps x {INSTANCES_PER_APP}, JSON)",
            )
        )
        figure.notes.append(
            f"worker RSS grew {grown / TOTAL_INSTANCES:,.0f} B/instance"
            f" ({grown / 2**20:.1f} MiB)"
        )
        self.report(figure, reported)
        listed = json.loads(self.expect("GET", APPS_PATH, 200, headers=JSON))
        instances, apps = count_instances(listed)
        ok = instances == TOTAL_INSTANCES and apps == APPS
        print(
            f"  check: {instances:,} instances in {apps} apps registered"
            f" ({'as expected' if ok else 'UNEXPECTED'})"
        )

    def delta(self, scenario: str, what: str) -> None:
        def describe(payload: bytes) -> str:
            changes, _ = count_instances(json.loads(payload))
            return f"the delta held {changes:,} changes"

        self.read(
            scenario,
            DELTA_PATH,
            RATE_TARGETS.get(scenario),
            self.reregister,
            JSON,
            what=f"GET {DELTA_PATH} (Accept: application/json), {what}",
            describe=describe,
        )


def run(settings: Settings, selected: Sequence[str]) -> list[Figure]:
    server = Server(
        threads=settings.threads, log_level=settings.log_level, server=settings.server
    )
    with server.running(settings.work_dir):
        bench = EurekaBench(server, make_client(settings, server.port), settings)
        threads = settings.threads or "default (2)"
        print(
            f"\n== eureka suite: server pid {server.pid} on {HOST}:{server.port},"
            f" in-memory store, 1 worker (pid {bench.workers[0]}), threads {threads},"
            f" --log_level {settings.log_level}"
        )
        bench.register("eureka-register" in selected)
        registered = time.monotonic()
        if "eureka-delta-burst" in selected:
            bench.delta("eureka-delta-burst", "right after the registrations")
        reads: dict[str, tuple[Headers, str]] = {
            "eureka-apps-json": (JSON, "Accept: application/json"),
            "eureka-apps-xml": ((), "no Accept: XML"),
            "eureka-apps-gzip": (GZIP_JSON, "Accept json, Accept-Encoding: gzip"),
        }
        for scenario, (headers, label) in reads.items():
            if scenario in selected:
                bench.read(
                    scenario,
                    APPS_PATH,
                    RATE_TARGETS.get(scenario),
                    bench.reregister,
                    headers,
                    what=f"GET {APPS_PATH} ({label})",
                )
        if "eureka-renew" in selected:
            path = f"{app_path(RENEW_APP)}/{instance_id(RENEW_APP, RENEW_INSTANCE)}"
            bench.timed(
                "eureka-renew",
                f"PUT {path}",
                "PUT",
                path,
                RATE_TARGETS["eureka-renew"],
            )
        if "eureka-delta" in selected:
            wait = registered + DELTA_SETTLE_SECONDS - time.monotonic()
            if wait > 0:
                print(
                    f"\n(eureka-delta: waiting {wait:.0f} s until the registrations"
                    " have left the delta's 3 minutes)",
                    flush=True,
                )
                time.sleep(wait)
            bench.delta("eureka-delta", "steady state")
        if "eureka-apps-churn" in selected:
            path, body = registration(RENEW_APP, RENEW_INSTANCE)
            bench.read_under_churn(
                "eureka-apps-churn",
                APPS_PATH,
                RATE_TARGETS["eureka-apps-json"],
                ("POST", path, body, 204),
                settings.churn_rate,
                "one instance re-registers",
                JSON,
            )
    return bench.figures
