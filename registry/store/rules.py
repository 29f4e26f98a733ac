"""Registration rules: what a catalog stores when an id is registered again.

A rule runs inside the backend's atomic step (under the lock in memory; on Redis
between a read and a compare-and-set script that commits only if the stored copy
is still the one the rule saw), so every writer obeys it: the HTTP APIs, a
replicated write, another process sharing the store.

Apps contribute rules through their registry plug-in (:mod:`registry.plugins`);
the runtime gives every catalog the composed :class:`RegistrationRules`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from registry.store.records import InstanceRegistration, ServiceInstance


class RegistrationRule(Protocol):
    """One rule, for the registrations it applies to."""

    def applies_to(self, registration: InstanceRegistration) -> bool:
        """Whether the rule has a say on ``registration`` (cheap: no parsing)."""
        ...

    def admit(
        self, incoming: InstanceRegistration, existing: ServiceInstance | None
    ) -> InstanceRegistration | None:
        """What to store: ``incoming``, an adjusted copy of it, or ``None`` to
        keep ``existing`` (which the store then renews). Pure: it may run more
        than once for one registration."""
        ...


class RegistrationRules:
    """The rules of a catalog, applied in order."""

    def __init__(self, rules: Sequence[RegistrationRule] = ()) -> None:
        self._rules = tuple(rules)

    def __bool__(self) -> bool:
        return bool(self._rules)

    def applies_to(self, registration: InstanceRegistration) -> bool:
        """Whether any rule needs the stored copy to decide (asked on every
        registration: a plain loop costs less than ``any()`` over a generator)."""
        for rule in self._rules:  # noqa: SIM110
            if rule.applies_to(registration):
                return True
        return False

    def admit(
        self, incoming: InstanceRegistration, existing: ServiceInstance | None
    ) -> InstanceRegistration | None:
        """``incoming`` through every rule that applies; ``None``: keep ``existing``."""
        admitted: InstanceRegistration | None = incoming
        for rule in self._rules:
            if admitted is None:
                return None
            if rule.applies_to(admitted):
                admitted = rule.admit(admitted, existing)
        return admitted

    def decide(
        self, incoming: InstanceRegistration, existing: ServiceInstance | None
    ) -> InstanceRegistration | None:
        """What a store does with ``incoming``: store the registration returned, or,
        ``None`` (only when there is an ``existing`` copy), keep and renew that."""
        admitted = self.admit(incoming, existing)
        if admitted is None and existing is None:
            return incoming  # nothing to keep
        return admitted


#: No rules: a registration always replaces the stored copy.
NO_RULES = RegistrationRules()
