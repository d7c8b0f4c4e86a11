"""The editor's settings follow the engine in a real Chromium: each engine's recommended ones.

The page is the studio's own, rendered by the test client and served to the browser through
Playwright's routing (as in test_preset_choice.py), so no live server or worker is needed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from generation.engines import EngineSettings
from generation.engines.embedded import RECOMMENDED
from generation.testing import build_tiny_wan
from tests.e2e.helpers import shot
from tests.e2e.test_preset_choice import ORIGIN, _serve

pytestmark = [pytest.mark.browser, pytest.mark.django_db]
FIELDS = ("input[name=steps]", "[name=guidance]", "input[name=num_frames]", "input[name=fps]")


@pytest.fixture
def editor_html(member_client: Any, workspace: Any, settings: Any, tmp_path: Path) -> str:
    """The editor with the embedded model first and a tiny Wan folder after it."""
    folder = str(build_tiny_wan(tmp_path / "wan"))
    settings.ENGINE_SETTINGS = EngineSettings(model_paths={"tiny-wan": folder})
    html: str = member_client.get(reverse("job_new", args=[workspace.pk])).content.decode()
    return html


def _values(page: Any) -> tuple[float, ...]:
    return tuple(float(page.input_value(field)) for field in FIELDS)


def test_switching_the_engine_switches_to_its_recommended_settings(
    editor_html: str, page: Any
) -> None:
    """The embedded model's 10 steps and guidance 2 first; the Wan folder's own; back again."""
    _serve(page, editor_html)
    page.goto(f"{ORIGIN}/new")
    page.wait_for_selector("select[name=engine]")
    embedded = (RECOMMENDED["steps"], RECOMMENDED["guidance"], RECOMMENDED["frames"], 8.0)
    assert page.input_value("select[name=engine]") == "embedded"
    assert _values(page) == embedded

    page.select_option("select[name=engine]", "tiny-wan")
    wan = _values(page)
    assert wan[:2] == (20.0, 5.0) and wan != embedded
    shot(page, "editor-engine-defaults-wan")

    page.select_option("select[name=engine]", "embedded")
    assert _values(page) == embedded


def test_a_setting_the_user_changed_stays_when_the_engine_changes(
    editor_html: str, page: Any
) -> None:
    """Steps typed by hand survive the switch; the untouched guidance follows the engine."""
    _serve(page, editor_html)
    page.goto(f"{ORIGIN}/new")
    page.wait_for_selector("select[name=engine]")
    page.fill("input[name=steps]", "33")
    page.select_option("select[name=engine]", "tiny-wan")
    assert page.input_value("input[name=steps]") == "33"
    assert float(page.input_value("[name=guidance]")) == 5.0
