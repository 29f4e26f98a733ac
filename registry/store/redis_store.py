"""Redis catalog: one namespace's instances in Redis, shared by any number of
registry processes.

Every write is one Lua script (lua/), so concurrent writers never lose an update
and ``namespace_capacity`` holds exactly. A namespace's keys share one hash tag,
``reg:{<namespace, percent-encoded>}:...``, so Redis Cluster keeps them in one slot
and no namespace name (``:``, ``*``, ``{``, ``}`` included) reaches another's keys.
Reads of one service cost O(its instances) through a lexicographic index; the write
scripts keep counts by status, so counting reads no record. Expiry is a sorted set
of deadlines swept by every process, plus a filter on reads, so an instance is never
served after its deadline whichever process renewed it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import random
import time
from collections.abc import Iterator, Sequence
from importlib import resources
from typing import Any
from urllib.parse import quote

import orjson
import redis
import redis.exceptions

from registry.store.base import (
    CHANGE_RETENTION_NS,
    Catalog,
    RenewGuard,
    UpdateFunction,
    check_limits,
    check_update,
)
from registry.store.circuit import StoreCircuit
from registry.store.clock import Clock
from registry.store.errors import (
    CapacityExceededError,
    InstanceNotFoundError,
    RenewalRefusedError,
    StoreUnavailableError,
)
from registry.store.records import (
    Change,
    ChangeKind,
    Endpoint,
    InstanceRegistration,
    ServiceInstance,
)
from registry.store.rules import NO_RULES, RegistrationRules

#: Set of every namespace that has a catalog, for the expiry sweep.
NAMESPACES_KEY = "reg:namespaces"
_KEY_NAMES = (
    "inst",
    "live",
    "ext",
    "dl",
    "idx",
    "svcs",
    "srev",
    "rev",
    "crev",
    "jr",
    "cnt",
)
# Positions in that list (the order lua/common.lua expects), for direct reads.
_SVCS, _SREV, _REV, _CREV, _JOURNAL = (
    _KEY_NAMES.index(name) for name in ("svcs", "srev", "rev", "crev", "jr")
)
_EXPIRE_BATCH = 1000
#: A compare-and-set write that keeps losing to other writers of the same id
#: gives up after this many tries (503), rather than spin.
_MAX_ATTEMPTS = 100
#: The script arguments that make a write unconditional, or conditional on the id
#: being absent (see ``unchanged`` in lua/common.lua).
_UNCONDITIONAL: tuple[str, bytes, bytes, str] = ("", b"", b"", "")
_ABSENT: tuple[str, bytes, bytes, str] = ("absent", b"", b"", "")
#: Failures that mean "Redis is not there right now": answer 503, retry later.
UNAVAILABLE = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.BusyLoadingError,
    redis.exceptions.ReadOnlyError,
    redis.exceptions.ClusterDownError,
    redis.exceptions.TryAgainError,
)


def _script_source(name: str) -> str:
    lua = resources.files("registry.store") / "lua"
    return (lua / "common.lua").read_text() + "\n" + (lua / f"{name}.lua").read_text()


class RedisScripts:
    """The Lua scripts, registered once per client (EVALSHA with a load fallback)."""

    def __init__(self, client: Any) -> None:
        self.register = client.register_script(_script_source("register"))
        self.update = client.register_script(_script_source("update"))
        self.remove = client.register_script(_script_source("remove"))
        self.expire = client.register_script(_script_source("expire"))
        self.read = client.register_script(_script_source("read"))
        self.count = client.register_script(_script_source("count"))


@contextlib.contextmanager
def translated_errors() -> Iterator[None]:
    """Redis being unreachable becomes :class:`StoreUnavailableError` (the guard
    of a catalog that has no :class:`~registry.store.circuit.StoreCircuit`)."""
    try:
        yield
    except UNAVAILABLE as err:
        raise StoreUnavailableError(str(err)) from err


def namespace_keys(namespace: str) -> list[str]:
    """The keys of one namespace, all under one hash tag."""
    tag = quote(namespace, safe="")  # injective, and never a brace
    return [f"reg:{{{tag}}}:{name}" for name in _KEY_NAMES]


class RedisCatalog(Catalog):
    """One namespace's instances, kept in Redis."""

    def __init__(
        self,
        client: Any,
        scripts: RedisScripts,
        namespace: str,
        clock: Clock,
        capacity: int = -1,
        retention_ns: int = CHANGE_RETENTION_NS,
        announce: bool = True,
        rules: RegistrationRules = NO_RULES,
        circuit: StoreCircuit | None = None,
    ) -> None:
        self._client = client
        self._rules = rules
        self._guard = circuit.guard if circuit is not None else translated_errors
        self._scripts = scripts
        self._keys = namespace_keys(namespace)
        self._clock = clock
        self._capacity = capacity
        self._retention_ms = retention_ns // 1_000_000
        self._namespace = namespace
        if announce:
            self._announce()

    def _announce(self) -> None:
        """List the namespace for every process's expiry sweep."""
        with self._guard():
            self._client.sadd(NAMESPACES_KEY, self._namespace)

    # -- revisions ------------------------------------------------------------

    @property
    def revision(self) -> int:
        return self._counter(self._keys[_REV])

    @property
    def change_revision(self) -> int:
        return self._counter(self._keys[_CREV])

    def service_revision(self, service_name: str) -> int:
        with self._guard():
            value = self._client.hget(self._keys[_SREV], service_name)
        return int(value) if value else 0

    def _counter(self, key: str) -> int:
        with self._guard():
            value = self._client.get(key)
        return int(value) if value else 0

    # -- writes ---------------------------------------------------------------

    def register(self, registration: InstanceRegistration) -> ServiceInstance:
        check_limits(registration)
        if not (self._rules and self._rules.applies_to(registration)):
            result = self._register(registration, _UNCONDITIONAL)
            assert isinstance(result, ServiceInstance)  # cannot conflict
            return result
        stored = self._snapshot(registration.id)
        for attempt in range(_MAX_ATTEMPTS):
            now = self._clock.now_ns()
            existing = stored.live(now) if stored is not None else None
            admitted = self._rules.decide(registration, existing)
            if admitted is None:
                assert existing is not None  # decide keeps only a live copy
                assert stored is not None
                # The stored copy wins: renew it, if it is still that copy.
                result = self._update(existing.id, "", b"", stored.expectation, now)
                if result == 1:
                    return dataclasses.replace(existing, last_renewal_ns=now)
                stored = _conflicting(existing.id, result)
            else:
                check_limits(admitted)
                expect = stored.expectation if stored is not None else _ABSENT
                outcome = self._register(admitted, expect)
                if isinstance(outcome, ServiceInstance):
                    return outcome
                stored = outcome
            _back_off(attempt)
        raise StoreUnavailableError(f"too many concurrent writes to {registration.id}")

    def _register(
        self, registration: InstanceRegistration, expect: tuple[str, bytes, bytes, str]
    ) -> ServiceInstance | _Stored | None:
        """Run the script: the stored record, or (``expect`` no longer holds) the
        current copy, ``None`` when there is none."""
        now = self._clock.now_ns()
        static = _static(
            registration.service_name,
            registration.endpoint,
            registration.ttl,
            registration.metadata,
            registration.tags,
            now,
        )
        result = self._run(
            self._scripts.register,
            registration.id,
            registration.service_name,
            static,
            registration.status,
            registration.ttl,
            registration.extension or b"",
            now,
            now // 1_000_000,
            self._capacity,
            self._retention_ms,
            *expect,
        )
        if result == [b"CAPACITY"]:
            raise CapacityExceededError(self._capacity)
        if result[0] == b"CONFLICT":
            return _conflicting(registration.id, result)
        # Again on every registration: if Redis lost the set, the sweep would
        # never see this namespace (the script cannot, its key is in another slot).
        self._announce()
        return _record(registration.id, *result)

    def deregister(self, instance_id: str) -> ServiceInstance:
        now_ms = self._clock.now_ns() // 1_000_000
        result = self._run(
            self._scripts.remove, instance_id, now_ms, self._retention_ms
        )
        return self._found(instance_id, result)

    def renew(self, instance_id: str, guard: RenewGuard | None = None) -> None:
        if guard is None:
            if not self._update(instance_id, "", b""):
                raise InstanceNotFoundError(instance_id)
            return
        stored = self._snapshot(instance_id)
        for attempt in range(_MAX_ATTEMPTS):
            record = _live_record(instance_id, stored, self._clock.now_ns())
            if not guard(record):
                raise RenewalRefusedError(instance_id)
            assert stored is not None  # a live record was stored
            result = self._update(instance_id, "", b"", stored.expectation)
            if result == 1:
                return
            stored = _conflicting(instance_id, result)
            _back_off(attempt)
        raise StoreUnavailableError(f"too many concurrent writes to {instance_id}")

    def update(self, instance_id: str, change: UpdateFunction) -> ServiceInstance:
        stored = self._snapshot(instance_id)
        for attempt in range(_MAX_ATTEMPTS):
            old = _live_record(instance_id, stored, self._clock.now_ns())
            assert stored is not None  # a live record was stored
            update = change(old)
            check_update(update)
            if not update.status:
                raise ValueError("an update needs a status")
            now = self._clock.now_ns()
            static = b""
            if update.reregister or (update.metadata, update.tags) != (
                old.metadata,
                old.tags,
            ):
                static = _static(
                    old.service_name,
                    old.endpoint,
                    old.ttl,
                    update.metadata,
                    update.tags,
                    now if update.reregister else old.registration_ns,
                )
            result = self._update(
                instance_id,
                update.status,
                update.extension or b"-",
                stored.expectation,
                now,
                static,
                "REGISTERED" if update.reregister else "UPDATED",
            )
            if result and result[0] != b"CONFLICT":
                return _record(instance_id, *result)
            stored = _conflicting(instance_id, result)
            _back_off(attempt)
        raise StoreUnavailableError(f"too many concurrent writes to {instance_id}")

    def _update(
        self,
        instance_id: str,
        status: str,
        extension: bytes,
        expect: tuple[str, bytes, bytes, str] = _UNCONDITIONAL,
        now: int | None = None,
        static: bytes = b"",
        journal_kind: str = "UPDATED",
    ) -> Any:
        now = self._clock.now_ns() if now is None else now
        args: tuple[Any, ...] = (
            instance_id,
            status,
            extension,
            now,
            now // 1_000_000,
            self._retention_ms,
        )
        # The arguments after these six are optional in lua/update.lua, and absent
        # they mean what the defaults here say: sent only when they say more (a
        # heartbeat sends six).
        if expect != _UNCONDITIONAL or static or journal_kind != "UPDATED":
            args += (*expect, static, journal_kind)
        return self._run(self._scripts.update, *args)

    def _snapshot(self, instance_id: str) -> _Stored | None:
        """The stored copy as raw script values (expired or not), or ``None``."""
        flat = self._run(self._scripts.read, instance_id, "one")
        if not flat:
            return None
        return _Stored(instance_id, flat[1], flat[2], flat[3])

    def expire(self) -> int:
        now_ms = self._clock.now_ns() // 1_000_000
        expired = 0
        while True:
            count = int(
                self._run(
                    self._scripts.expire, now_ms, self._retention_ms, _EXPIRE_BATCH
                )
            )
            expired += count
            if count < _EXPIRE_BATCH:
                return expired

    # -- reads ----------------------------------------------------------------

    def get_instance(self, instance_id: str) -> ServiceInstance:
        records = self._read(instance_id, "one")
        if not records:
            raise InstanceNotFoundError(instance_id)
        return records[0]

    def list_instances(self, service_name: str | None = None) -> list[ServiceInstance]:
        if service_name is None:
            return self._read("", "all")
        return self._read(service_name, "service")

    def list_services(self) -> list[str]:
        with self._guard():
            names = self._client.hkeys(self._keys[_SVCS])
        return sorted(name.decode() for name in names)

    def count_by_status(self) -> dict[str, int]:
        # Counts the write scripts keep (lua/count.lua): no record is read.
        flat = self._run(self._scripts.count, self._clock.now_ns() // 1_000_000)
        return {flat[i].decode(): int(flat[i + 1]) for i in range(0, len(flat), 2)}

    def recent_changes(self) -> list[Change]:
        with self._guard():
            entries = self._client.lrange(self._keys[_JOURNAL], 0, -1)
        horizon_ms = self._clock.now_ns() // 1_000_000 - self._retention_ms
        changes = []
        for entry in entries:
            change = _change(entry)
            if change.at_ns // 1_000_000 >= horizon_ms:
                changes.append(change)
        return changes

    def _read(self, selector: str, mode: str) -> list[ServiceInstance]:
        flat = self._run(self._scripts.read, selector, mode)
        now = self._clock.now_ns()
        records = [
            _record(flat[i].decode(), flat[i + 1], flat[i + 2], flat[i + 3])
            for i in range(0, len(flat), 4)
        ]
        # Expired but not swept yet: never served.
        return [r for r in records if r.expires_ns is None or r.expires_ns >= now]

    # -- helpers --------------------------------------------------------------

    def _run(self, script: Any, *args: Any) -> Any:
        with self._guard():
            return script(keys=self._keys, args=args)

    def _found(self, instance_id: str, result: Sequence[Any] | None) -> ServiceInstance:
        if not result:
            raise InstanceNotFoundError(instance_id)
        return _record(instance_id, *result)


class _Stored:
    """One record as the scripts hold it, and the expectation that it is unchanged."""

    __slots__ = ("expectation", "record")

    def __init__(
        self, instance_id: str, static: bytes, live: bytes, extension: bytes
    ) -> None:
        self.record = _record(instance_id, static, live, extension)
        self.expectation = ("present", static, extension, self.record.status)

    def live(self, now: int) -> ServiceInstance | None:
        """The record, unless it is past its deadline."""
        deadline = self.record.expires_ns
        return self.record if deadline is None or deadline >= now else None


def _conflicting(instance_id: str, result: Any) -> _Stored | None:
    """The current copy a conflicting script returned (``None``: there is none,
    also when the script found the id gone: ``nil``)."""
    if not result or len(result) < 4:
        return None
    return _Stored(instance_id, result[1], result[2], result[3])


def _live_record(instance_id: str, stored: _Stored | None, now: int) -> ServiceInstance:
    record = stored.live(now) if stored is not None else None
    if record is None:
        raise InstanceNotFoundError(instance_id)
    return record


def _back_off(attempt: int) -> None:
    """A short random pause before deciding again, growing with each lost race
    (0.1 ms to 10 ms), so writers of one hot id take turns instead of colliding."""
    time.sleep(random.uniform(0, min(0.01, 0.0001 * 2**attempt)))


def _static(
    service_name: str,
    endpoint: Endpoint,
    ttl: int,
    metadata: bytes | None,
    tags: tuple[str, ...],
    registration_ns: int,
) -> bytes:
    """The static record text (lua/common.lua's ``inst`` hash)."""
    return orjson.dumps(
        [
            service_name,
            endpoint.type,
            endpoint.value,
            ttl,
            metadata.decode() if metadata else None,
            tags,
            str(registration_ns),
        ]
    )


def _record(
    instance_id: str, static: bytes, live: bytes, extension: bytes | None
) -> ServiceInstance:
    service, kind, value, ttl, metadata, tags, registered = orjson.loads(static)
    renewed, _, rest = live.partition(b"|")
    _, _, rest = rest.partition(b"|")
    status = rest.partition(b"|")[0].decode()
    return ServiceInstance(
        id=instance_id,
        service_name=service,
        endpoint=Endpoint(kind, value),
        status=status,
        ttl=ttl,
        metadata=metadata.encode() if metadata is not None else None,
        tags=tuple(tags),
        registration_ns=int(registered),
        last_renewal_ns=int(renewed),
        extension=extension or None,
    )


def _change(entry: bytes) -> Change:
    head, _, static = entry.partition(b"\n")
    at_ms, _, payload = head.partition(b" ")
    kind, instance_id, live, extension, revision = orjson.loads(payload)
    record = _record(
        instance_id,
        static,
        live.encode(),
        extension.encode() if extension else None,
    )
    return Change(ChangeKind(kind), record, int(at_ms) * 1_000_000, int(revision))
