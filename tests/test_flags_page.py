"""Decision 5: the flag admin page works in a real browser.

A rendered project is installed and served on a free port; Debian's chromium, driven by
playwright, signs in with the admin token, toggles the kill switch, sets a rollout percentage
and meets the confirmation before a flag goes on for everyone (dismissed, then accepted).
Every state is checked through the admin API, not only on the page.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import REQUIRE_SERVICES, render, run, uv_sync

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TOKEN = "page-test-admin-token"
SLUG = "my-service"  # render()'s default project_slug
SERVICE_VARIABLES = ("DATABASE_URL", "DATABASE_REPLICA_URL", "REDIS_URL", "CELERY_BROKER_URL")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Service:
    """A served project and its admin API, as an operator's script would call it."""

    def __init__(self, project: Path, url: str, env: dict[str, str]) -> None:
        self.project = project
        self.url = url
        self.env = env

    def cli(self, *args: str) -> str:
        result = run([str(self.project / f".venv/bin/{SLUG}"), *args], self.project, self.env)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def flag(self, key: str) -> dict[str, Any]:
        request = urllib.request.Request(
            f"{self.url}/admin/flags/{key}", headers={"Authorization": f"Bearer {TOKEN}"}
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            flag: dict[str, Any] = json.load(response)
            return flag


def wait_until_healthy(url: str, server: subprocess.Popen[str], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert server.poll() is None, "the service exited before it was healthy"
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=1):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    raise AssertionError(f"{url}/health did not answer within {seconds} s")


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing (apt-get install chromium)"
        if REQUIRE_SERVICES:
            pytest.fail(message)
        pytest.skip(message)
    project = render(tmp_path_factory.mktemp("page") / "svc")
    uv_sync(project)
    env = {name: value for name, value in os.environ.items() if name not in SERVICE_VARIABLES}
    env |= {"ADMIN_TOKEN": TOKEN, "LOG_FORMAT": "json", "VIRTUAL_ENV": ""}
    port = free_port()
    service = Service(project, f"http://127.0.0.1:{port}", env)
    service.cli("db", "upgrade")
    service.cli("flags", "create", "new-search", "--description", "Search v2")
    service.cli("flags", "create", "dark-mode", "--description", "Dark theme")
    service.cli("flags", "rollout", "dark-mode", "100", "--yes")

    log = (project / "serve.log").open("w")
    server = subprocess.Popen(
        [str(project / f".venv/bin/{SLUG}"), "serve", "--port", str(port)],
        cwd=project,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_until_healthy(service.url, server)
        yield service
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


@pytest.fixture
def page(service: Service) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser.new_page()
        finally:
            browser.close()


def row(page: Any, key: str) -> Any:
    return page.locator(f'tr[data-key="{key}"]')


def sign_in(page: Any, service: Service) -> None:
    answer = page.goto(f"{service.url}/admin/flags/ui")
    assert answer.status == 401
    assert page.locator("tr[data-key]").count() == 0
    page.fill("input[name=token]", "not-the-token")
    page.click("button[type=submit]")
    assert "not the admin token" in page.locator("#login-error").inner_text()
    page.fill("input[name=token]", TOKEN)
    page.fill("input[name=operator]", "playwright")
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert "Signed in as page:playwright@" in page.inner_text("header")


def test_the_admin_page_toggles_rolls_out_and_confirms_everyone(
    service: Service, page: Any, tmp_path: Path
) -> None:
    sign_in(page, service)
    assert row(page, "new-search").locator(".state").inner_text() == "Off"

    # The kill switch: on, then off again.
    with page.expect_navigation():
        row(page, "new-search").locator("button.toggle").click()
    assert row(page, "new-search").locator(".state").inner_text() == "On"
    assert service.flag("new-search")["enabled"] is True

    # The rollout percentage.
    row(page, "new-search").locator("input[name=percentage]").fill("25")
    with page.expect_navigation():
        row(page, "new-search").locator("button[type=submit]").click()
    assert service.flag("new-search")["rollout_percentage"] == 25
    assert row(page, "new-search").locator("input[name=percentage]").input_value() == "25"

    # dark-mode is at 100 % without conditions: turning it on asks first. "Cancel" keeps it off.
    messages: list[str] = []

    def answer(accept: bool) -> None:
        def handle(dialog: Any) -> None:
            messages.append(dialog.message)
            dialog.accept() if accept else dialog.dismiss()

        page.once("dialog", handle)

    answer(accept=False)
    row(page, "dark-mode").locator("button.toggle").click()
    page.wait_for_selector("#status:has-text('Nothing changed')")
    assert messages == ['Turn "dark-mode" on for everyone? It is at 100 % with no conditions.']
    assert service.flag("dark-mode")["enabled"] is False

    answer(accept=True)
    with page.expect_navigation():
        row(page, "dark-mode").locator("button.toggle").click()
    assert len(messages) == 2
    assert service.flag("dark-mode")["on_for_everyone"] is True
    assert "for everyone" in row(page, "dark-mode").inner_text()

    # Raising an enabled flag to 100 % asks too; below 100 % it did not.
    answer(accept=False)
    row(page, "new-search").locator("input[name=percentage]").fill("100")
    row(page, "new-search").locator("button[type=submit]").click()
    page.wait_for_selector("#status:has-text('Nothing changed')")
    assert 'Roll "new-search" out to everyone' in messages[-1]
    assert service.flag("new-search")["rollout_percentage"] == 25

    with page.expect_navigation():
        row(page, "new-search").locator("button.toggle").click()  # off: no question asked
    assert len(messages) == 3
    assert service.flag("new-search")["enabled"] is False

    # For a person to look at: pytest keeps the last runs' tmp_path directories.
    screenshot = tmp_path / "flags-page.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 0


def test_the_page_and_its_api_calls_refuse_a_missing_or_wrong_session(
    service: Service, page: Any
) -> None:
    before = service.flag("dark-mode")
    answer = page.goto(f"{service.url}/admin/flags/ui")
    assert answer.status == 401
    page.context.add_cookies(
        [{"name": "flags_admin_session", "value": "1.YQ==.forged", "url": service.url}]
    )
    assert page.goto(f"{service.url}/admin/flags/ui").status == 401
    status = page.evaluate(
        """async ([url, before]) => (await fetch(url + "/admin/flags/dark-mode", {
              method: "PUT", headers: {"Content-Type": "application/json",
                                       "X-Requested-With": "admin-page"},
              body: JSON.stringify({enabled: !before})})).status""",
        [service.url, before["enabled"]],
    )
    assert status == 401
    assert service.flag("dark-mode") == before
