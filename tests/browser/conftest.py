"""The console in a real browser: Debian's Chromium, driven by Playwright's library (never
a browser Playwright downloads), against a local stack started for this suite, seeded as
`make run` seeds it, serving the console `make console` built.

Every test gets a fresh browser profile; every step's screenshot goes to
``.local/screenshots/<test>/`` (or ``$SCREENSHOTS_DIR``), printed at the end of the run.
A tab that reports an uncaught error, a script refused by the Content-Security-Policy or
a call refused for want of CORS headers fails its test."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.browser.support import FR, ROOT, Console, Screenshots

# This suite's own seeded stack (the e2e one's data must stay as its tests expect): the
# same fixture, registered here, is a second instance.
from tests.e2e.conftest import seeded_stack  # noqa: F401

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(os.environ.get("SCREENSHOTS_DIR", ROOT / ".local" / "screenshots"))
# A shared two-core machine runs the stack, the browser and the tests: be patient.
expect.set_options(timeout=20_000)


@pytest.fixture(scope="session")
def playwright():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"no Chromium at {CHROMIUM}: make test installs Debian's (apt-get install chromium), "
            "or set CHROMIUM to another",
            pytrace=False,
        )
    with sync_playwright() as driver:
        yield driver


@pytest.fixture
def screenshots(request) -> Screenshots:
    folder = SCREENSHOTS / request.node.name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    request.config.stash.setdefault(_TAKEN, []).append(folder)
    return Screenshots(folder)


@pytest.fixture
def words():
    """The console's language in this test's browser; a module overrides it for English."""
    return FR


@pytest.fixture
def console(playwright, seeded_stack, built_console, screenshots, words, tmp_path):  # noqa: F811
    """A fresh Chromium profile on the stack's console, in the browser's language."""
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=str(CHROMIUM),
        args=CHROMIUM_ARGS,
        headless=True,
        locale="fr-FR" if words is FR else "en-GB",
        viewport={"width": 1280, "height": 860},
    )
    context.set_default_timeout(30_000)
    opened = Console(context, seeded_stack.console_url, words, screenshots)
    try:
        yield opened
    finally:
        context.close()
    assert not opened.problems, "\n".join(opened.problems)


_TAKEN = pytest.StashKey[list]()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    folders = config.stash.get(_TAKEN, [])
    if folders:
        count = sum(len(list(folder.glob("*.png"))) for folder in folders)
        terminalreporter.write_line(f"browser screenshots: {count} in {SCREENSHOTS}/<test>/")
