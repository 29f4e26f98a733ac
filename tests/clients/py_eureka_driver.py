"""Drive a real ``py_eureka_client`` 0.13 ``EurekaClient`` in its own process.

Run by ``test_py_eureka_client.py`` as ``python py_eureka_driver.py '<json config>'``.
The client runs exactly as an application would run it (``start()``: register, full
fetch, then its own heartbeat thread renewing and fetching deltas), so the process
boundary is what guarantees that its threads and event loops end with the test: the
library cannot stop its heartbeat thread (``stop()`` only cancels a ``Timer`` that
has already fired) and that thread re-registers the instance after ``stop()``.

Protocol: one JSON object per line on the original stdout.

- Events, written as the client's own calls finish: ``{"event": op, "ok": bool,
  "status": http status or null}`` with ``op`` one of register, renew, cancel,
  full, delta, status, drop_override.
- Commands on stdin: ``{"id": n, "cmd": ...}``; each is answered by
  ``{"reply": n, ...}`` (or ``{"reply": n, "error": text}``). ``fetch`` reads the
  registry with the client's own XML readers (full registry and delta); ``cache``
  returns what the client has cached; ``status`` and ``drop_override`` call the
  client's status API; ``stop`` stops the client and ends the process. End of
  stdin stops the client too.

The library logs to ``sys.stdout``; those lines are sent to stderr.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import threading
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

_PROTOCOL = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
os.dup2(2, 1)
sys.stdout = sys.stderr
_PROTOCOL_LOCK = threading.Lock()

from py_eureka_client import eureka_basic, eureka_client, http_client  # type: ignore[import-untyped]  # noqa: E402

#: The client's module-level wire functions, traced as event names.
TRACED = {
    "_register": "register",
    "send_heartbeat": "renew",
    "cancel": "cancel",
    "get_applications": "full",
    "get_delta": "delta",
    "status_update": "status",
    "delete_status_override": "drop_override",
}


def emit(**message: Any) -> None:
    with _PROTOCOL_LOCK:
        _PROTOCOL.write(json.dumps(message) + "\n")
        _PROTOCOL.flush()


def traced(op: str, function: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
    async def call(*args: Any, **kwargs: Any) -> Any:
        try:
            result = await function(*args, **kwargs)
        except http_client.HTTPError as err:
            emit(event=op, ok=False, status=err.code)
            raise
        except Exception as err:
            emit(event=op, ok=False, status=None, error=repr(err))
            raise
        emit(event=op, ok=True, status=None)
        return result

    return call


for _name, _op in TRACED.items():
    setattr(eureka_client, _name, traced(_op, getattr(eureka_client, _name)))


def instance_view(instance: Any) -> dict[str, Any]:
    lease = instance.leaseInfo
    return {
        "instanceId": instance.instanceId,
        "app": instance.app,
        "hostName": instance.hostName,
        "ipAddr": instance.ipAddr,
        "status": instance.status,
        "overriddenstatus": instance.overriddenstatus,
        "port": [instance.port.port, instance.port.enabled],
        "securePort": [instance.securePort.port, instance.securePort.enabled],
        "countryId": instance.countryId,
        "dataCenterInfo": [
            instance.dataCenterInfo.className,
            instance.dataCenterInfo.name,
        ],
        "leaseInfo": {
            "renewalIntervalInSecs": lease.renewalIntervalInSecs,
            "durationInSecs": lease.durationInSecs,
            "lastRenewalTimestamp": lease.lastRenewalTimestamp,
        },
        "metadata": instance.metadata,
        "vipAddress": instance.vipAddress,
        "secureVipAddress": instance.secureVipAddress,
        "lastDirtyTimestamp": instance.lastDirtyTimestamp,
        "actionType": instance.actionType,
    }


def applications_view(applications: Any) -> dict[str, Any] | None:
    if applications is None:
        return None
    apps: dict[str, list[dict[str, Any]]] = {}
    for application in applications.applications:
        apps.setdefault(application.name, []).extend(
            instance_view(instance) for instance in application.instances
        )
    return {
        "versions__delta": applications.versionsDelta,
        "apps__hashcode": applications.appsHashcode,
        "apps": apps,
        # The reconcile hash exactly as EurekaClient.__get_applications_hash computes it.
        "client_hash": client_hash(applications),
    }


def client_hash(applications: Any) -> str:
    counts: dict[str, int] = {}
    for application in applications.applications:
        for instance in application.instances:
            status = instance.status.upper()
            counts[status] = counts.get(status, 0) + 1
    return "".join(f"{status}_{count}_" for status, count in sorted(counts.items()))


class Driver:
    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.loop = asyncio.new_event_loop()
        self.client = eureka_client.EurekaClient(
            eureka_server=config["eureka_server"],
            app_name=config["app_name"],
            instance_host="127.0.0.1",
            instance_ip="127.0.0.1",
            instance_port=config["instance_port"],
            renewal_interval_in_secs=config["renewal_interval_in_secs"],
            duration_in_secs=config["duration_in_secs"],
            metadata=config.get("metadata", {}),
        )
        # The heartbeat thread and the commands never overlap: the library's
        # asyncio.Lock is shared by two event loops in two threads.
        self.lock = threading.Lock()
        self.stopping = False
        heartbeat = self.client._EurekaClient__heartbeat

        async def gated_heartbeat() -> None:
            with self.lock:
                if not self.stopping:
                    await heartbeat()

        self.client._EurekaClient__heartbeat = gated_heartbeat

    def run(self, coroutine: Awaitable[Any]) -> Any:
        with self.lock:
            return self.loop.run_until_complete(coroutine)

    def start(self) -> None:
        self.run(self.client.start())
        emit(event="started", ok=True, status=None)

    def stop(self) -> None:
        with self.lock:
            self.stopping = True
            self.loop.run_until_complete(self.client.stop())

    async def fetch(self) -> dict[str, Any]:
        server = self.config["eureka_server"]
        full = await eureka_basic.get_applications(server)
        delta = await eureka_basic.get_delta(server)
        return {"full": applications_view(full), "delta": applications_view(delta)}

    async def lookups(self, app: str, instance_id: str, vip: str) -> dict[str, Any]:
        server = self.config["eureka_server"]
        application = await eureka_basic.get_application(server, app)
        in_app = await eureka_basic.get_app_instance(server, app, instance_id)
        # get_instance forgets an await in 0.13: it returns the coroutine.
        by_id = await (await eureka_basic.get_instance(server, instance_id))
        vips = await eureka_basic.get_vip(server, vip)
        svips = await eureka_basic.get_secure_vip(server, vip)
        return {
            "application": {
                "name": application.name,
                "instances": [instance_view(i) for i in application.instances],
            },
            "app_instance": instance_view(in_app),
            "instance": instance_view(by_id),
            "vip": applications_view(vips),
            "svip": applications_view(svips),
        }

    def handle(self, command: dict[str, Any]) -> dict[str, Any]:
        name = command["cmd"]
        if name == "fetch":
            return dict(self.run(self.fetch()))
        if name == "lookups":
            args = (command["app"], command["instance_id"], command["vip"])
            return dict(self.run(self.lookups(*args)))
        if name == "cache":
            with self.lock:
                cached = self.client._EurekaClient__applications
                return {"cache": applications_view(cached)}
        if name == "status":
            self.run(self.client.status_update(command["value"]))
            return {}
        if name == "drop_override":
            self.run(self.client.delete_status_override())
            return {}
        raise ValueError(f"unknown command {name!r}")


def main() -> int:
    driver = Driver(json.loads(sys.argv[1]))
    driver.start()
    for line in sys.stdin:
        if not line.strip():
            continue
        command = json.loads(line)
        if command["cmd"] == "stop":
            break
        try:
            reply = driver.handle(command)
        except Exception:
            emit(reply=command["id"], error=traceback.format_exc())
        else:
            emit(reply=command["id"], **reply)
    else:
        command = {"id": None}
    driver.stop()
    emit(reply=command["id"], stopped=True)
    _PROTOCOL.close()
    # The heartbeat thread never returns: leave without waiting for it.
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
