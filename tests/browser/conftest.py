"""Browser tests: Debian's chromium, headless, driven by Playwright, against a real granian
server on the test database that serves the collected static files. Each test keeps a
screenshot of every step it names and writes them to .run/screenshots/<test>/ when it fails
(or always, with KEEP_SCREENSHOTS=1)."""

import os
import re
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import override_settings
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

from apps.queue.tasks import admit_waiting_fans
from tests.e2e.granian import running_granian

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / ".run" / "screenshots"
# Headless without a sandbox (tests run as root in CI) and without any call home.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

# What the page shows may take a while when two cores also run the rest of the suite.
expect.set_options(timeout=20_000)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"report_{report.when}", report)  # the steps fixture reads it at teardown
    return report


@pytest.fixture(scope="session")
def static_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("static")
    with override_settings(STATIC_ROOT=root):
        call_command("collectstatic", "--noinput", verbosity=0)
    return root


@pytest.fixture(scope="module")
def site(django_db_setup: None, django_db_blocker: Any, static_root: Path) -> Iterator[str]:
    """One server for a module's tests; each test's rows are its own (transactional)."""
    with django_db_blocker.unblock(), running_granian(threads=4, static_root=static_root) as at:
        yield f"http://{at}"


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    # Playwright's sync API keeps an asyncio loop in this thread, and Django refuses database
    # calls where a loop runs; the test's own calls are plain synchronous code all the same.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as driver:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "1")
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    executable = shutil.which("chromium")
    assert executable, "no chromium: `scripts/services deps` installs Debian's package"
    # Never `playwright install`: it downloads a browser of its own.
    browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


class Steps:
    """Screenshots of the steps of a journey, written out only if the test fails."""

    def __init__(self, name: str) -> None:
        self.name = re.sub(r"[^\w.-]+", "_", name)
        self.shots: list[tuple[str, bytes]] = []
        self.page: Page | None = None

    def snap(self, step: str) -> None:
        assert self.page is not None
        self.shots.append((step, self.page.screenshot(full_page=True)))

    def write(self) -> Path:
        folder = SCREENSHOTS / self.name
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        if self.page is not None and not self.page.is_closed():
            self.shots.append(("last", self.page.screenshot(full_page=True)))
        for n, (step, png) in enumerate(self.shots, 1):
            slug = re.sub(r"[^\w-]+", "-", step)
            (folder / f"{n:02d}-{slug}.png").write_bytes(png)
        return folder


@pytest.fixture
def steps(request: pytest.FixtureRequest) -> Steps:
    return Steps(request.node.name)


@pytest.fixture
def open_page(
    request: pytest.FixtureRequest, browser: Browser, steps: Steps
) -> Iterator[Callable[..., Page]]:
    """A fresh browser context (its own sessionStorage) per call; page errors fail the test.
    After a failure, the steps' screenshots and one of the page as it was are written out."""
    contexts = []
    errors: list[str] = []

    def make(*, phone: bool = False) -> Page:
        size = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 900}
        context = browser.new_context(viewport=size, is_mobile=phone, has_touch=phone)
        contexts.append(context)
        page = context.new_page()
        # Generous: two cores may be running the rest of the suite meanwhile.
        page.set_default_timeout(30_000)
        page.set_default_navigation_timeout(30_000)
        page.on("pageerror", lambda error: errors.append(str(error)))
        steps.page = page
        return page

    yield make
    report = getattr(request.node, "report_call", None)
    # KEEP_SCREENSHOTS=1 keeps them after a pass too, to look at the pages.
    if (report is not None and report.failed) or os.environ.get("KEEP_SCREENSHOTS") == "1":
        print(f"screenshots of each step: {steps.write()}")
    for context in contexts:
        context.close()
    assert errors == [], f"errors in the page: {errors}"


@pytest.fixture
def admission_tick() -> Iterator[None]:
    """What Celery beat does every second: admit the next fans of every waiting room."""
    stop = threading.Event()

    def tick() -> None:
        from django.db import connection

        try:
            while not stop.wait(0.25):
                admit_waiting_fans()
        finally:
            connection.close()

    thread = threading.Thread(target=tick, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(5)
