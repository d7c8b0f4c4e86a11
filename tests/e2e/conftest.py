from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"

# Playwright's sync API keeps an event loop running in the test's thread; the test's own
# database calls are plain synchronous ones, which Django would otherwise refuse there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True, scope="session")
def _static_files_collected() -> None:
    """The live server serves static files from STATIC_ROOT (DEBUG is off): collect them so a
    browser test runs the scripts as they are in the tree, not as they were last collected."""
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)


@pytest.fixture
def browser() -> Iterator[Any]:
    # Function-scoped: Playwright's sync API runs an event loop in this thread for as long as it
    # is open, and other tests' async_to_sync calls cannot run while one is.
    if not shutil.which(CHROMIUM):
        pytest.fail(f"Chromium is not installed at {CHROMIUM}; run `scripts/setup dev`.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--autoplay-policy=no-user-gesture-required",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    # Playwright's wait_for_function evaluates its predicate as a string, which the studio's
    # Content Security Policy forbids; test_content_security_policy opens its own context
    # that enforces the policy.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    yield page
    context.close()
