"""A storyboard scene's sound choice in a real Chromium: shown only while the scene's visual is
made by an engine that makes sound (LTX-2), hidden for every other engine and visual.

The page is the studio's own, rendered by the test client and served to the browser through
Playwright's routing (as in test_preset_choice.py), so no live server or worker is needed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from generation.engines import EngineSettings
from studio import selectors, services
from tests.e2e.helpers import shot
from tests.e2e.test_preset_choice import ORIGIN, _serve
from tests.studio.test_storyboard_pages import ARTICLE

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


@pytest.fixture
def storyboard_html(
    member_client: Any, workspace: Any, user: Any, settings: Any, tmp_path: Path
) -> tuple[str, int]:
    """The storyboard page with the embedded model and an LTX-2 folder installed, and the id
    of its second scene (a text card)."""
    folder = tmp_path / "ltx2"
    folder.mkdir()
    (folder / "model_index.json").write_text(json.dumps({"_class_name": "LTX2Pipeline"}))
    settings.ENGINE_SETTINGS = EngineSettings(model_paths={"ltx2": str(folder)})
    storyboard = services.storyboards.storyboard_create_from_text(
        workspace=workspace, user=user, text=ARTICLE
    )
    scene = selectors.storyboard_scenes(storyboard=storyboard)[1]
    url = reverse("storyboard_detail", args=[workspace.pk, storyboard.pk])
    html: str = member_client.get(url).content.decode()
    return html, scene.pk


def test_the_scene_sound_shows_only_for_an_engine_that_makes_sound(
    storyboard_html: tuple[str, int], page: Any
) -> None:
    """Text card: hidden. Text-to-video with the first installed engine or the embedded model:
    hidden. With LTX-2: keep / duck / mute, duck chosen. Back to a text card: hidden."""
    html, scene = storyboard_html
    _serve(page, html)
    page.goto(f"{ORIGIN}/new")
    card = page.locator(f"#scene-{scene}")
    card.wait_for()
    sound = card.locator(f"#field-scene-{scene}-sound")
    visual = card.locator("select[name$='-visual']")
    engine = card.locator("select[name$='-engine']")
    assert not sound.is_visible()

    visual.select_option("text-to-video")
    assert engine.is_visible() and not sound.is_visible()
    engine.select_option("embedded")
    assert not sound.is_visible()
    engine.select_option("ltx2")
    assert sound.is_visible()
    choice = card.locator("select[name$='-sound']")
    assert choice.input_value() == "duck"
    labels = [o.strip() for o in choice.locator("option").all_inner_texts()]
    assert labels == ["Keep at its level", "Duck under the voice", "Mute"]
    shot(page, "storyboard-scene-sound")

    visual.select_option("text-card")
    assert not sound.is_visible()
