"""The style LoRA page and the editor's LoRA choice in a real Chromium, screenshotted.

As in test_preset_choice.py, the pages are the studio's own, rendered by the test client and
served to the browser through Playwright's routing with the project's static files.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from generation.engines import EngineSettings
from generation.testing import build_random_wan_lora, build_tiny_lora, build_tiny_wan
from studio import services
from tests.e2e.helpers import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db]
STATIC = Path(__file__).resolve().parents[2] / "static"
ORIGIN = "http://studio.test"


@pytest.fixture
def pages(member_client: Any, workspace: Any, user: Any, settings: Any, tmp_path: Path) -> dict:
    """The LoRA page after a refused upload (one LoRA stored), and the editor offering it."""
    folder = build_tiny_wan(tmp_path / "wan")
    settings.ENGINE_SETTINGS = EngineSettings(model_paths={"wan": str(folder)}, device="cpu")
    lora = build_tiny_lora(folder, tmp_path / "neon.safetensors")
    services.style_loras.style_lora_create(
        workspace=workspace,
        user=user,
        name="Neon noir",
        engine="wan",
        upload=SimpleUploadedFile(lora.name, lora.read_bytes()),
    )
    deeper = {"num_layers": 4, "num_attention_heads": 2, "attention_head_dim": 12}
    deep = build_random_wan_lora(deeper, tmp_path / "deep.safetensors")
    refused = member_client.post(
        reverse("style_loras", args=[workspace.pk]),
        {"name": "Deep", "engine": "wan", "file": SimpleUploadedFile(deep.name, deep.read_bytes())},
    )
    editor = member_client.get(reverse("job_new", args=[workspace.pk]))
    return {"/loras": refused.content.decode(), "/new": editor.content.decode()}


def _serve(page: Any, pages: dict[str, str]) -> None:
    def handle(route: Any) -> None:
        path = route.request.url.removeprefix(ORIGIN).split("?")[0]
        if path in pages:
            route.fulfill(body=pages[path], content_type="text/html")
            return
        file = STATIC / path.removeprefix("/static/")
        if path.startswith("/static/") and file.is_file():
            kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
            route.fulfill(body=file.read_bytes(), content_type=kind)
            return
        route.fulfill(status=404, body="")

    page.route(f"{ORIGIN}/**", handle)


def test_the_lora_page_lists_a_lora_and_shows_a_refusal_by_the_file(pages: dict, page: Any):
    """The stored LoRA's family and layers are listed; the refused one's reason is by its file."""
    _serve(page, pages)
    page.goto(f"{ORIGIN}/loras")
    assert "Wan 2.1" in page.inner_text("#style-loras")
    assert "16 layers" in page.inner_text("#style-loras")
    error = page.locator("#error-file")
    assert error.is_visible() and "not found" in error.inner_text()
    shot(page, "style-loras")


def test_the_editor_offers_the_lora_and_its_strength(pages: dict, page: Any):
    """The editor's side panel has the LoRA choice and a strength from 0 to 2."""
    _serve(page, pages)
    page.goto(f"{ORIGIN}/new")
    page.select_option("select[name=style_lora]", label="Neon noir (Wan 2.1)")
    strength = page.locator("input[name=style_lora_strength]")
    assert strength.is_visible() and strength.input_value() == "1.0"
    assert (strength.get_attribute("min"), strength.get_attribute("max")) == ("0.0", "2.0")
    shot(page, "editor-style-lora")
