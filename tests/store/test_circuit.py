"""StoreCircuit: fail fast while the store is known to be down."""

from __future__ import annotations

import logging

import pytest

from registry.store.circuit import StoreCircuit
from registry.store.errors import StoreUnavailableError


class Down(Exception):
    """The client's "store not there" error."""


class Store:
    def __init__(self) -> None:
        self.up = True
        self.calls = 0

    def ping(self) -> None:
        if not self.up:
            raise Down("no answer")

    def call(self) -> str:
        self.calls += 1
        self.ping()
        return "ok"


@pytest.fixture
def store() -> Store:
    return Store()


@pytest.fixture
def circuit(store: Store) -> StoreCircuit:
    now = iter(float(t) for t in range(100))
    return StoreCircuit((Down,), store.ping, clock=lambda: next(now))


def call(circuit: StoreCircuit, store: Store) -> str:
    with circuit.guard():
        return store.call()


def test_calls_go_through_while_closed(circuit, store):
    assert call(circuit, store) == "ok"
    assert not circuit.is_open


def test_an_unavailable_store_opens_it_and_then_calls_fail_at_once(
    circuit, store, caplog
):
    store.up = False
    with pytest.raises(StoreUnavailableError, match="no answer"):
        call(circuit, store)
    assert circuit.is_open
    for _ in range(5):
        with pytest.raises(StoreUnavailableError):
            call(circuit, store)
    assert store.calls == 1  # the store was asked once, not six times
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings == [
        "store unavailable: no answer; refusing store requests at once until it "
        "answers again"
    ]


def test_the_probe_closes_it_when_the_store_answers(circuit, store, caplog):
    store.up = False
    with pytest.raises(StoreUnavailableError):
        call(circuit, store)
    for _ in range(3):
        with pytest.raises(StoreUnavailableError):
            call(circuit, store)
    circuit.probe()
    assert circuit.is_open  # still down
    store.up = True
    circuit.probe()
    assert not circuit.is_open
    assert call(circuit, store) == "ok"
    messages = [r.getMessage() for r in caplog.records]
    assert (
        messages[-1]
        == "store available again after 1.0 s; 3 requests refused meanwhile"
    )
    assert len(messages) == 2  # one line when it starts, one when it ends


def test_other_errors_pass_through_and_keep_it_closed(circuit, store):
    with pytest.raises(ValueError, match="bug"), circuit.guard():
        raise ValueError("bug")
    assert not circuit.is_open


def test_the_refusal_keeps_the_store_error_as_its_cause(circuit, store):
    store.up = False
    with pytest.raises(StoreUnavailableError) as refused:
        call(circuit, store)
    assert isinstance(refused.value.__cause__, Down)
    assert circuit.guard() is circuit.guard()  # one stateless guard for every call
