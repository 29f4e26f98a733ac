"""Reading a Prometheus exposition in tests, and linting it with the real promtool."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from prometheus_client.parser import text_string_to_metric_families

PROMTOOL = shutil.which("promtool")


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample: (name, labels) -> value."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(text: str, name: str, **labels: str) -> float | None:
    """One sample's value, or ``None`` when the exposition has no such sample."""
    return samples(text).get((name, frozenset(labels.items())))


def promtool_check(text: str) -> None:
    """``promtool check metrics`` (Debian's prometheus package) finds no problem."""
    if PROMTOOL is None:
        pytest.fail("promtool is missing: apt-get install prometheus (scripts/test)")
    result = subprocess.run(
        [PROMTOOL, "check", "metrics"],
        input=text.encode(),
        capture_output=True,
        timeout=30,
        check=False,
    )
    problems = (result.stdout + result.stderr).decode()
    assert result.returncode == 0, problems
    assert problems.strip() == "", problems
