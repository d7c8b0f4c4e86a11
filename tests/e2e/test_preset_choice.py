"""The editor's preset choice in a real Chromium: it follows the engine and fills in Fast's steps.

The page is the studio's own, rendered by the test client and served to the browser through
Playwright's routing (with the project's static files), so no live server or worker is needed.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from generation.engines import EngineSettings
from generation.testing import build_tiny_wan

pytestmark = [pytest.mark.browser, pytest.mark.django_db]
STATIC = Path(__file__).resolve().parents[2] / "static"
ORIGIN = "http://studio.test"


@pytest.fixture
def editor_html(member_client: Any, workspace: Any, settings: Any, tmp_path: Path) -> str:
    """The editor with two engines on a tiny Wan folder: fast-wan has a LoRA, plain-wan not."""
    folder = str(build_tiny_wan(tmp_path / "wan"))
    settings.ENGINE_SETTINGS = EngineSettings(
        model_paths={"fast-wan": folder, "plain-wan": folder},
        options={"fast-wan": {"fast-lora": "/loras/fast.safetensors", "fast-steps": "6"}},
    )
    html: str = member_client.get(reverse("job_new", args=[workspace.pk])).content.decode()
    return html


def _serve(page: Any, html: str) -> None:
    def handle(route: Any) -> None:
        path = route.request.url.removeprefix(ORIGIN).split("?")[0]
        if path == "/new":
            route.fulfill(body=html, content_type="text/html")
            return
        file = STATIC / path.removeprefix("/static/")
        if path.startswith("/static/") and file.is_file():
            kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
            route.fulfill(body=file.read_bytes(), content_type=kind)
            return
        route.fulfill(status=404, body="")

    page.route(f"{ORIGIN}/**", handle)


def test_fast_is_offered_for_the_engine_with_a_lora_and_fills_in_its_steps(
    editor_html: str, page: Any
) -> None:
    """Pick the LoRA engine: Fast shows; pick Fast: 6 steps, guidance 1; another engine: back."""
    # editor_html comes first: the page is rendered (on the test's database connection)
    # before Playwright's event loop starts in this thread.
    _serve(page, editor_html)
    page.goto(f"{ORIGIN}/new")
    page.wait_for_selector("select[name=engine]")
    fast = page.locator("input[name=preset][value=fast]")

    page.select_option("select[name=engine]", "plain-wan")
    assert not page.is_visible("#field-preset")
    page.select_option("select[name=engine]", "fast-wan")
    assert page.is_visible("#field-preset") and fast.is_visible()
    steps, guidance = page.input_value("input[name=steps]"), page.input_value("[name=guidance]")

    fast.check()
    assert (page.input_value("input[name=steps]"), page.input_value("[name=guidance]")) == (
        "6",
        "1.0",
    )

    page.select_option("select[name=engine]", "plain-wan")
    assert not page.is_visible("#field-preset")
    assert page.is_checked("input[name=preset][value=quality]")
    assert (page.input_value("input[name=steps]"), page.input_value("[name=guidance]")) == (
        steps,
        guidance,
    )
