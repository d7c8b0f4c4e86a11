"""Rendering a storyboard in a real Chromium: press Render, watch the scenes fill in live,
then play each aspect's video with its captions as a track.

Screenshots are saved under artifacts/e2e/.
"""

from __future__ import annotations

from typing import Any

import pytest

from studio import selectors, services
from studio.services.storyboards import SceneEdit
from tests.e2e.helpers import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCRIPT = """# Fresh from the oven

Our bakery opens at seven every morning.

Come and taste it this weekend.
"""


def test_render_fills_in_the_scenes_live_and_plays_each_aspect_with_captions(
    page: Any, live_server_url: str, worker: Any, django_user_model: Any, settings: Any
) -> None:
    """Render → the engine scene's thumbnail fills in → a player per aspect with a track."""
    settings.STORYBOARD_SHORT_SIDE = 240
    user = django_user_model.objects.create_user(username="maya", password="a-long-passphrase")
    workspace = services.workspaces.workspace_ensure_personal(user=user)
    storyboard = services.storyboards.storyboard_create_from_text(
        workspace=workspace, user=user, text=SCRIPT
    )
    scene = selectors.storyboard_scenes(storyboard=storyboard)[1]
    services.storyboards.storyboard_scene_update(
        scene=scene,
        edit=SceneEdit(
            visual="text-to-video",
            voiceover=scene.voiceover,
            on_screen_text=scene.on_screen_text,
            prompt="a loaf of bread on a table",
            transition=scene.transition,
            engine="embedded",
        ),
    )
    storyboard.aspects = ["16:9", "9:16"]
    storyboard.save()

    page.goto(f"{live_server_url}/accounts/login/")
    page.fill("input[name=username]", "maya")
    page.fill("input[name=password]", "a-long-passphrase")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server_url}/")
    page.goto(f"{live_server_url}/w/{workspace.pk}/storyboards/{storyboard.pk}/render/panel/")
    shot(page, "storyboard-render-1-before")
    page.click("[data-render-button]")
    page.wait_for_selector("#render-progress")
    shot(page, "storyboard-render-2-started")
    # The engine scene's thumbnail fills in from its job's live previews (no reload).
    page.wait_for_selector(".render-scene[data-position='1'] img[data-thumbnail]", timeout=180_000)
    shot(page, "storyboard-render-3-scene")
    page.wait_for_selector(".render-output video", timeout=300_000)
    page.wait_for_function(
        "document.querySelectorAll('.render-output video').length === 2", timeout=300_000
    )
    assert page.locator(".render-output video track[kind=captions]").count() == 2
    page.eval_on_selector(".render-output video", "v => { v.muted = true; return v.play(); }")
    page.wait_for_function(
        "document.querySelector('.render-output video').currentTime > 0.5", timeout=30_000
    )
    assert "succeeded" in page.inner_text("#render-status").lower()
    shot(page, "storyboard-render-4-done")
