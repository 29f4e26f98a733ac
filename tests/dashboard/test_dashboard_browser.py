"""The dashboard in a real headless Chromium (Debian's, driven by Playwright; no
browser is downloaded) against a running registry in ``trusted`` mode.

Pages load, the lists match the API, a new registration appears without a reload,
the token flow works (kept in session storage, never in a URL), the page is
keyboard-navigable, idle refreshes are 304s, and nothing is logged to the console
but the 401s of the token flow. Screenshots of the main views go to ``docs/``.
"""

from __future__ import annotations

import os
import re
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright

from registry_client import RegistryClient
from tests.e2e.support import REPO_ROOT, RegistryServer, unique

pytestmark = pytest.mark.e2e

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
#: Where the screenshots go: the test's own directory, unless
#: ``DASHBOARD_SCREENSHOTS=docs`` asks for the ones ``docs/dashboard.md`` shows.
DOCS = REPO_ROOT / "docs"
TOKEN_KEY = "a8registry.dashboard.token"
WAIT_MS = 8000


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    log = tmp_path_factory.mktemp("dashboard") / "registry.log"
    server = RegistryServer(log, ["--auth_mode", "trusted", "--log_level", "warning"])
    server.start()
    yield server
    server.stop()
    server.cleanup()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    return DOCS if os.environ.get("DASHBOARD_SCREENSHOTS") == "docs" else tmp_path


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if CHROMIUM is None:
        pytest.fail("chromium is missing: apt-get install chromium (scripts/test)")
    with sync_playwright() as playwright:
        # --no-sandbox: CI runs as root, where Chromium's sandbox cannot start.
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox"]
        )
        yield launched
        launched.close()


class Console:
    """Everything the page logged as an error, and its uncaught exceptions."""

    def __init__(self, page: Page) -> None:
        self.errors: list[str] = []
        page.on("console", self._message)
        page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))

    def _message(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def unexpected(self) -> list[str]:
        """Errors other than the 401 answers the token flow asks for."""
        return [e for e in self.errors if "status of 401" not in e]


def api_counts(registry: RegistryServer, namespace: str) -> dict[str, Counter[str]]:
    response = requests.get(
        registry.url("/api/v1/instances"),
        params={"status": "ALL"},
        headers={"Authorization": f"Bearer {namespace}"},
        timeout=5,
    )
    counts: dict[str, Counter[str]] = {}
    for item in response.json()["instances"]:
        counts.setdefault(item["service_name"], Counter())[item["status"]] += 1
    return counts


def shown_counts(page: Page) -> dict[str, dict[str, int]]:
    rows: Any = page.eval_on_selector_all(
        "#services-table tbody tr",
        """rows => rows.map(row => [row.getAttribute('data-service-row'),
            Object.fromEntries(Array.from(row.querySelectorAll('[data-count]'))
              .map(cell => [cell.getAttribute('data-count'), Number(cell.textContent)]))])""",
    )
    return dict(rows)


def test_token_flow_lists_live_updates_and_keyboard(registry, browser, shots):
    namespace = f"team-{unique()}"
    web, api = unique("web"), unique("api")
    client = RegistryClient(registry.url(""), token=namespace)
    client.register(web, "10.0.0.1:80", tags=["v1"], metadata={"zone": "a"}, ttl=60)
    client.register(web, "10.0.0.2:80", tags=["v2"], ttl=60)
    client.register(api, "10.0.1.1:80", status="STARTING", ttl=60)

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    console = Console(page)
    fragments: list[int] = []
    page.on(
        "response",
        lambda r: (
            fragments.append(r.status) if "/fragments/services" in r.url else None
        ),
    )
    page.goto(registry.url("/dashboard/"))
    expect(page).to_have_title("Registry dashboard")
    # Trusted mode without a token: the page asks for one.
    expect(page.locator("#services [data-auth-required]")).to_contain_text(
        "Missing request Authorization header", timeout=WAIT_MS
    )
    expect(page.locator("#health [data-component=STORE]")).to_contain_text("healthy")

    page.get_by_label("Access token").fill(namespace)
    page.get_by_role("button", name="Use token").click()
    expect(page.locator("[data-namespace]")).to_have_text(namespace, timeout=WAIT_MS)
    assert page.evaluate(f"sessionStorage.getItem('{TOKEN_KEY}')") == namespace
    assert namespace not in page.url
    assert page.get_by_label("Access token").input_value() == ""

    # The lists match the API.
    expected = api_counts(registry, namespace)
    shown = shown_counts(page)
    assert set(shown) == set(expected) == {web, api}
    for service, counts in expected.items():
        assert shown[service]["total"] == sum(counts.values())
        for status, count in counts.items():
            assert shown[service][status] == count
    page.screenshot(path=str(shots / "dashboard-services.png"), full_page=True)

    # A new registration appears without a reload.
    page.evaluate("window.__notReloaded = true")
    late = unique("late")
    client.register(late, "10.0.2.1:80", ttl=60)
    expect(page.locator(f'[data-service-row="{late}"]')).to_be_visible(timeout=WAIT_MS)
    assert page.evaluate("window.__notReloaded") is True

    # Keyboard: tab to a service and open it with Enter.
    button = page.locator(f'button[data-service="{web}"]')
    button.focus()
    page.keyboard.press("Enter")
    rows = page.locator("#instances-table tbody tr")
    expect(rows).to_have_count(2, timeout=WAIT_MS)
    expect(page.locator("#instances-heading")).to_be_focused()
    listed = {i.id: i for i in client.instances(web)}
    for instance_id, instance in listed.items():
        row = page.locator(f'tr[data-instance="{instance_id}"]')
        expect(row).to_contain_text(instance.endpoint)
        expect(row.locator("[data-source]")).to_have_text("own")
        expect(row.locator("[data-expires-ms]")).to_have_text(
            re.compile(r"^\d+ s$"), timeout=WAIT_MS
        )
    expect(page.locator("#instances-table")).to_contain_text("zone=a")
    page.screenshot(path=str(shots / "dashboard-instances.png"), full_page=True)

    # Filter by tag: only the v2 instance stays; by status, the STARTING service.
    page.get_by_label("Tag").fill("v2")
    expect(rows).to_have_count(1, timeout=WAIT_MS)
    expect(rows).to_contain_text("10.0.0.2:80")
    page.get_by_label("Tag").fill("")
    page.get_by_label("Status").select_option("STARTING")
    expect(page.locator("#services-table tbody tr")).to_have_count(1, timeout=WAIT_MS)
    expect(page.locator(f'[data-service-row="{api}"]')).to_be_visible()
    page.get_by_label("Status").select_option("")

    # Idle: the refreshes are answered 304 (conditional requests with the ETag).
    fragments.clear()
    page.wait_for_timeout(4500)
    assert fragments.count(304) >= 1, fragments
    assert 200 not in fragments, fragments

    # Forgetting the token: back to the token prompt.
    page.get_by_role("button", name="Forget").click()
    expect(page.locator("#services [data-auth-required]")).to_be_visible(
        timeout=WAIT_MS
    )
    assert page.evaluate(f"sessionStorage.getItem('{TOKEN_KEY}')") is None
    assert console.unexpected() == []
    client.close()
    page.close()


def test_readable_on_a_phone(registry, browser, shots):
    namespace = f"team-{unique()}"
    service = unique("mobile")
    client = RegistryClient(registry.url(""), token=namespace)
    client.register(service, "10.1.0.1:8080", tags=["v1"], ttl=60)
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    console = Console(page)
    page.goto(registry.url(f"/dashboard/#service={service}"))
    page.evaluate(f"sessionStorage.setItem('{TOKEN_KEY}', '{namespace}')")
    page.reload()  # a tab that has its token: straight to the service
    expect(page.locator("#instances-table tbody tr")).to_have_count(1, timeout=WAIT_MS)
    # Nothing wider than the screen but the tables' own scrolling regions.
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= 390
    page.screenshot(path=str(shots / "dashboard-phone.png"), full_page=True)
    assert console.unexpected() == []
    client.close()
    page.close()
